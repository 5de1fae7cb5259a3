"""Notification e-mails through a real SMTP server (aiosmtpd, started by the test): a decided case sends one
e-mail in the resident's language; a sender killed between taking an e-mail and marking it sent, then started
again, sends no second copy; a switched-off kind sends nothing; a server that is down is tried again later and
nothing is lost."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from notify_helpers import PUBLIC_URL, Mailbox, notifier, speaks
from sqlalchemy import delete, select

from cts.core.config import Settings
from cts.models import (
    EmailStatus,
    Language,
    Notification,
    NotificationCursor,
    NotificationEmail,
    NotificationKind,
    NotificationPreference,
    RejectionNote,
    RelayAction,
    User,
)
from cts.notify.events import record_milestone
from cts.notify.sender import OUTCOME_UNKNOWN
from cts.web.demo import travel
from cts.web.i18n import get_translator
from cts.web.reads import call_struct

CTS = str(Path(sys.executable).with_name("cts"))


def approve(world: Any, case_id: int) -> None:
    world.driver.do(world.people.verifier, world.hromada.cases.functions.approveCase(case_id))


def reject_in_own_words(world: Any, case_id: int, words: str) -> None:
    """A rejection for "another reason" with the verifier's words, kept as the verifier's page keeps them."""
    driver, verifier = world.driver, world.people.verifier
    public_id = driver.queue(verifier, world.hromada.cases.functions.rejectCase(case_id, 4))
    with world.env.app.state.session_factory() as session:
        action = session.scalar(select(RelayAction).where(RelayAction.public_id == public_id))
        assert action is not None
        session.add(
            RejectionNote(
                action_id=action.id,
                hromada=world.env.slug,
                case_id=case_id,
                verifier=verifier.wallet.address,
                text=words,
            )
        )
        session.commit()
    driver.wait(public_id)


def emails(world: Any) -> list[NotificationEmail]:
    with world.env.app.state.session_factory() as session:
        return list(session.scalars(select(NotificationEmail).order_by(NotificationEmail.id)))


def told(world: Any, user: User) -> list[Notification]:
    with world.env.app.state.session_factory() as session:
        return list(
            session.scalars(
                select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
            )
        )


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_a_decided_case_sends_one_email_in_the_residents_language(
    world: Any, mailbox: Mailbox, lang: str
) -> None:
    mailbox.start()
    resident = world.people.residents[0]
    speaks(world, resident, lang)
    t = get_translator(Language(lang))
    world.register(resident)
    programme = world.open_programme(title="Прибирання парку", reward=4)
    approved, rejected = world.submit_cases(programme, resident, resident)
    approve(world, approved)
    reject_in_own_words(world, rejected, "Фото чужого двору")

    service = notifier(world)
    service.drain()
    mine = mailbox.to(resident.email)
    assert len(mine) == 2, [m["Subject"] for m in mine]
    hromada_name = world.hromada.entry.name
    first, second = mine
    assert first["Subject"] == f"{t.gettext('Case #%(case)s approved', case=approved)} — {hromada_name}"
    body = first.get_content()
    assert t.gettext("Hello, %(name)s!", name=resident.display_name) in body
    assert (
        t.ngettext(
            "Your useful case #%(case)s (%(programme)s) was approved: %(num)s RV was added to your balance.",
            "Your useful case #%(case)s (%(programme)s) was approved: %(num)s RV were added to your balance.",
            4,
            case=approved,
            programme="Прибирання парку",
        )
        in body
    )
    assert f"{PUBLIC_URL}/h/{world.env.slug}/cases" in body
    assert f"{PUBLIC_URL}/h/{world.env.slug}/me/notifications" in body
    assert first["Content-Language"] == lang and first["From"] == world.settings.smtp_from
    assert second["Subject"] == f"{t.gettext('Case #%(case)s rejected', case=rejected)} — {hromada_name}"
    reason = f"{t.label('reason', 4)}: Фото чужого двору"
    assert t.gettext("The reasons given: %(reasons)s.", reasons=reason) in second.get_content()
    stored = emails(world)
    assert [e.status for e in stored] == [EmailStatus.SENT, EmailStatus.SENT]
    assert [m["Message-ID"] for m in mine] == [e.message_id for e in stored]

    # Another pass, and one that reads the chain again from the start: nobody is told twice.
    service.drain()
    with world.env.app.state.session_factory() as session:
        session.execute(delete(NotificationCursor))
        session.commit()
    service.drain()
    assert len(mailbox.messages) == 2
    assert len(told(world, resident)) == 2


def sender_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """`cts notify run`'s settings, as an operator sets them."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CTS_")}
    environment.update(
        {
            "CTS_DATABASE_URL": settings.database_url,
            "CTS_MASTER_KEY": settings.master_key.get_secret_value(),
            "CTS_RPC_URL": settings.rpc_url,
            "CTS_VAR_DIR": str(settings.var_dir),
            "CTS_SMTP_HOST": str(settings.smtp_host),
            "CTS_SMTP_PORT": str(settings.smtp_port),
            "CTS_SMTP_SECURITY": settings.smtp_security,
            "CTS_SMTP_FROM": settings.smtp_from,
            "CTS_PUBLIC_URL": settings.public_url,
            "CTS_NOTIFY_CLAIM_SECONDS": str(settings.notify_claim_seconds),
            **extra,
        }
    )
    return environment


def run_sender(settings: Settings, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CTS, "notify", "run", "--until-idle", "--timeout", "60", "--log-format", "text"],
        env=sender_environment(settings, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("fault", ["after_claim", "after_accept"])
def test_a_sender_killed_mid_way_then_started_again_sends_no_second_copy(
    world: Any, mailbox: Mailbox, fault: str
) -> None:
    """A real `cts notify run` process SIGKILLed after taking the e-mail (nothing sent yet: the next one sends
    it) or after the server took it (not yet marked: the next one must not send it again)."""
    mailbox.start()
    resident = world.people.residents[0]
    world.register(resident)
    (case_id,) = world.submit_cases(world.open_programme(), resident)
    approve(world, case_id)
    notifier(world).producer.run_once()  # the notification and its e-mail, queued

    killed = run_sender(world.settings, CTS_NOTIFY_FAULT=fault)
    assert killed.returncode == -9, killed.stderr
    (email,) = emails(world)
    assert email.status == EmailStatus.SENDING and email.attempts == 1
    assert (email.data_started_at is not None) == (fault == "after_accept")
    assert len(mailbox.messages) == (1 if fault == "after_accept" else 0)

    started = time.monotonic()
    again = run_sender(world.settings)  # waits for the dead sender's claim to run out (1 s), then recovers
    assert again.returncode == 0, again.stderr
    assert time.monotonic() - started < 30
    assert len(mailbox.messages) == 1
    (email,) = emails(world)
    if fault == "after_claim":
        assert email.status == EmailStatus.SENT and email.attempts == 2
    else:
        assert email.status == EmailStatus.FAILED and (email.last_error or "").startswith(OUTCOME_UNKNOWN)
    assert mailbox.messages[0]["Message-ID"] == email.message_id


def test_a_kind_switched_off_is_not_told_and_email_switched_off_is_told_on_the_page_only(
    world: Any, mailbox: Mailbox
) -> None:
    mailbox.start()
    quiet, page_only = world.people.residents[:2]
    with world.env.app.state.session_factory() as session:
        hromada_id = world.env.hromada_row().id
        session.add(NotificationPreference(user_id=quiet.id, hromada_id=hromada_id, case_decided=False))
        session.add(NotificationPreference(user_id=page_only.id, hromada_id=hromada_id, email=False))
        session.commit()
    world.register(quiet, page_only)
    for case_id in world.submit_cases(world.open_programme(), quiet, page_only):
        approve(world, case_id)

    notifier(world).drain()
    assert mailbox.messages == []
    assert told(world, quiet) == []
    (notification,) = told(world, page_only)
    assert notification.kind == NotificationKind.CASE_DECIDED and notification.params["outcome"] == "approved"
    assert emails(world) == []


def test_a_decision_first_read_days_later_is_told_on_the_page_only(world: Any, mailbox: Mailbox) -> None:
    """A service that starts reading a hromada with a history mails nobody their past."""
    mailbox.start()
    resident = world.people.residents[0]
    world.register(resident)
    old, new = world.submit_cases(world.open_programme(), resident, resident)
    approve(world, old)
    travel(world.w3, world.settings.notify_email_max_age_hours * 3600 + 60)
    approve(world, new)
    notifier(world).drain()
    assert [n.params["case"] for n in told(world, resident)] == [old, new]
    (email,) = mailbox.to(resident.email)
    assert email["Subject"].startswith(
        get_translator(Language.UK).gettext("Case #%(case)s approved", case=new)
    )


def test_an_smtp_server_that_is_down_is_tried_again_later_and_nothing_is_lost(
    world: Any, mailbox: Mailbox
) -> None:
    resident = world.people.residents[0]
    world.register(resident)
    (case_id,) = world.submit_cases(world.open_programme(), resident)
    approve(world, case_id)
    service = notifier(world)
    service.producer.run_once()

    assert service.sender.run_once() == 1  # the server is not started: refused
    (email,) = emails(world)
    assert email.status == EmailStatus.QUEUED and email.attempts == 1
    assert "Connection" in (email.last_error or "")
    assert service.sender.run_once() == 0  # not due yet: it waits (0.2 s, doubling with each try)

    mailbox.start()
    time.sleep(0.3)
    assert service.sender.run_once() == 1
    (email,) = emails(world)
    assert email.status == EmailStatus.SENT and email.attempts == 2 and email.last_error is None
    assert service.sender.run_once() == 0
    assert len(mailbox.to(resident.email)) == 1


def test_residents_are_told_once_when_voting_opens_and_once_when_it_is_about_to_close(
    world: Any, mailbox: Mailbox
) -> None:
    mailbox.start()
    people = world.people
    world.register(*people.residents[:2])
    speaks(world, people.residents[1], "en")
    world.open_programme()  # the fund's capital, from which the round reserves its fund
    round_id = world.voting_round([(people.residents[0], "Лавки в парку", 1_200_000)], vote_days=3)
    service = notifier(world)
    service.drain()
    service.drain()
    residents = [*people.residents, people.outsider]  # every resident of the hromada's pages
    for person in residents:
        assert [(n.kind, n.event_key) for n in told(world, person)] == [
            (NotificationKind.ROUND_OPENED, f"round:{round_id}:opened")
        ]
    en = get_translator(Language.EN)
    (opened,) = mailbox.to(people.residents[1].email)
    assert (
        opened["Subject"]
        == f"{en.gettext('Voting is open: %(round)s', round='Бюджет участі')} — {world.hromada.entry.name}"
    )

    vote_end = int(call_struct(world.hromada.vote, "round", round_id)["params"]["voteEnd"])
    travel(world.w3, vote_end - world.driver.now() - 23 * 3600)
    service.drain()
    service.drain()
    for person in residents:
        assert [n.event_key for n in told(world, person)] == [
            f"round:{round_id}:opened",
            f"round:{round_id}:closing",
        ]
    uk = get_translator(Language.UK)
    closing = mailbox.to(people.residents[0].email)[-1]
    assert closing["Subject"].startswith(uk.gettext("Voting closes soon: %(round)s", round="Бюджет участі"))
    assert uk.when(vote_end) in closing.get_content()
    assert len(mailbox.messages) == 2 * len(residents)


def test_the_milestone_hook_tells_the_voters_who_want_it_in_their_language(
    world: Any, mailbox: Mailbox
) -> None:
    """The hook the producer calls for an accepted milestone report (test_milestones.py), with free text."""
    mailbox.start()
    voter, quiet = world.people.residents[:2]
    speaks(world, voter, "en")
    factory = world.env.app.state.session_factory
    with factory() as session:
        hromada = world.env.hromada_row()
        session.add(NotificationPreference(user_id=quiet.id, hromada_id=hromada.id, milestone=False))
        session.flush()
        facts = {"round_id": 1, "project_id": 2, "project_title": "Світло в укритті", "chain_time": 1}
        made = record_milestone(
            session,
            world.settings,
            hromada,
            milestone="lamps",
            text="Лампи встановлено",
            voter_ids=[voter.id, quiet.id],
            **facts,
        )
        again = record_milestone(
            session,
            world.settings,
            hromada,
            milestone="lamps",
            text="Лампи встановлено",
            voter_ids=[voter.id],
            **facts,
        )
        session.commit()
    assert [n.user_id for n in made] == [voter.id] and again == []
    notifier(world).drain()
    (email,) = mailbox.messages
    en = get_translator(Language.EN)
    assert email["To"] == voter.email
    assert email["Subject"].startswith(
        en.gettext("News of a project you voted for: %(project)s", project="Світло в укритті")
    )
    assert "Лампи встановлено" in email.get_content()
