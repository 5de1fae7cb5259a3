"""Helpers the page routers share: following actions, names of people, and queueing a contract call."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cts.models import ActionStatus, RelayAction, Role, User, Wallet
from cts.relayer.service import Call, RelayerService
from cts.web.deps import Page
from cts.web.i18n import Translator
from cts.web.reads import ChainReader, ResidentView

LIVE = (ActionStatus.QUEUED, ActionStatus.SUBMITTED)


def queue(page: Page, relayer: RelayerService, function: Any) -> str:
    """Queue one contract call for the signed-in user through the relayer; the URL that follows it."""
    assert page.user is not None
    action = relayer.queue(page.session, page.user, Call.of(function))
    return page.url(f"/actions/{action.public_id}")


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
