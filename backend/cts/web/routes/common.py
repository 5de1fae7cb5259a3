"""Helpers the page routers share: following actions, names of people, and queueing a contract call."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cts.models import ActionStatus, RejectionNote, RelayAction, Role, User, Wallet
from cts.relayer.service import Call, RelayerService
from cts.web.deps import Page
from cts.web.i18n import Translator
from cts.web.reads import ChainReader, ResidentView

LIVE = (ActionStatus.QUEUED, ActionStatus.SUBMITTED)


def queue(page: Page, relayer: RelayerService, function: Any) -> str:
    """Queue one contract call for the signed-in user through the relayer; the URL that follows it."""
    return page.url(f"/actions/{queue_action(page, relayer, function).public_id}")


def queue_action(page: Page, relayer: RelayerService, function: Any) -> RelayAction:
    """Queue one contract call for the signed-in user through the relayer (not yet committed)."""
    assert page.user is not None
    return relayer.queue(page.session, page.user, Call.of(function))


def resident_of(page: Page, reader: ChainReader) -> ResidentView | None:
    """The signed-in resident's record on chain (None for anyone else): its status says whether the
    council has registered them, so that pages offer only actions the chain would accept."""
    if page.role != Role.RESIDENT or page.user is None:
        return None
    return reader.resident(page.user.wallet.address)


def action_message(page: Page, action: RelayAction) -> str:
    """What a person reads about their action, in their language."""
    return action_text(page.t, action)


def action_text(t: Translator, action: RelayAction) -> str:
    """What a person reads about their action, in `t`'s language (the API's message says the same)."""
    if action.status == ActionStatus.QUEUED:
        if action.error_code:
            return t.gettext(
                "Will be sent again: %(reason)s", reason=t.error(action.error_code, action.error_detail)
            )
        return t.gettext("Accepted; waiting to be sent to the blockchain.")
    if action.status == ActionStatus.SUBMITTED:
        return t.gettext("Sent to the blockchain; waiting for confirmation.")
    if action.status == ActionStatus.CONFIRMED:
        return t.gettext(
            "Done: recorded on the blockchain in block %(block)s.", block=action.block_number or 0
        )
    return t.error(action.error_code or "refused_on_chain", action.error_detail)


def recent_actions(
    session: Session,
    user: User,
    hromada: str,
    limit: int = 5,
    kinds: Iterable[str] | None = None,
    live_only: bool = False,
) -> list[RelayAction]:
    """The person's latest actions in one hromada (``hromada`` is its key)."""
    query = select(RelayAction).where(RelayAction.user_id == user.id, RelayAction.hromada == hromada)
    if kinds is not None:
        query = query.where(RelayAction.kind.in_(list(kinds)))
    if live_only:
        query = query.where(RelayAction.status.in_(LIVE))
    return list(session.scalars(query.order_by(RelayAction.id.desc()).limit(limit)).all())


def names_by_address(session: Session, addresses: Iterable[str]) -> dict[str, str]:
    """Display names of the users whose custodial wallets these are (people the page may name)."""
    wanted = sorted(set(addresses))
    if not wanted:
        return {}
    rows = session.execute(
        select(Wallet.address, User.display_name)
        .join(User, User.id == Wallet.user_id)
        .where(Wallet.address.in_(wanted))
    ).all()
    return {str(address): str(name) for address, name in rows}


# The reason code of "another reason", which comes with the verifier's own words.
OTHER_REASON = 4


def rejection_reasons(page: Page, rejections: dict[int, list[tuple[str, int]]]) -> dict[int, list[str]]:
    """Each case's rejections as people read them: the reason's name, and for "another reason" the words the
    verifier gave (kept in the database with the confirmed action that carried the rejection)."""
    if not rejections:
        return {}
    rows = page.session.execute(
        select(RejectionNote.case_id, RejectionNote.verifier, RejectionNote.text)
        .join(RelayAction, RelayAction.id == RejectionNote.action_id)
        .where(
            RejectionNote.hromada == page.hromada_slug,
            RejectionNote.case_id.in_(list(rejections)),
            RelayAction.status == ActionStatus.CONFIRMED,
        )
        .order_by(RejectionNote.id)
    ).all()
    notes = {(int(case_id), str(verifier)): str(text) for case_id, verifier, text in rows}
    reasons: dict[int, list[str]] = {}
    for case_id, found in rejections.items():
        for verifier, code in found:
            text = page.t.label("reason", code)
            note = notes.get((case_id, verifier)) if code == OTHER_REASON else None
            reasons.setdefault(case_id, []).append(f"{text}: {note}" if note else text)
    return reasons
