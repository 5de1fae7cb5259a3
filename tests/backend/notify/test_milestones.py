"""Milestones (issue 19's delivery, issue 20's notifications): when the council accepts a funded project's
milestone report on chain (ProjectDelivery's ReportAccepted), the residents whose ballot gave the project
credits are told, once, in their language, on their page and by e-mail; a resident who voted only for another
project is not."""

from __future__ import annotations

from typing import Any

from notify_helpers import Mailbox, notifier, speaks
from sqlalchemy import select

from cts.models import Language, Notification, NotificationKind
from cts.web.demo import travel
from cts.web.i18n import get_translator
from cts.web.reads import call_struct


def told(world: Any, user: Any) -> list[Notification]:
    with world.env.app.state.session_factory() as session:
        return list(
            session.scalars(
                select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
            )
        )


def test_the_voters_of_a_project_are_told_once_when_its_milestone_report_is_accepted(
    world: Any, mailbox: Mailbox
) -> None:
    mailbox.start()
    people = world.people
    council = people.council
    supporter, other, pitcher = people.residents[:3]
    world.register(supporter, other, pitcher)
    speaks(world, supporter, "en")
    cases, vote = world.hromada.cases.functions, world.hromada.vote.functions
    delivery = world.hromada.delivery.functions
    programme = world.open_programme(reward=4)
    for resident in (supporter, other):
        (case_id,) = world.submit_cases(programme, resident)
        world.driver.do(people.verifier, cases.approveCase(case_id))
    round_id = world.voting_round(
        [(pitcher, "Світло в укритті", 1_200_000), (other, "Лавки в парку", 900_000)]
    )
    world.driver.do(supporter, vote.castBallot(round_id, [1], [4]))
    world.driver.do(other, vote.castBallot(round_id, [2], [4]))
    vote_end = int(call_struct(world.hromada.vote, "round", round_id)["params"]["voteEnd"])
    travel(world.w3, vote_end - world.driver.now() + 1)
    world.driver.do(council, vote.finalise(round_id))
    funded = int(call_struct(world.hromada.vote, "project", round_id, 1)["funded"])
    assert funded > 0
    now = world.driver.now()
    first_share = funded // 2
    world.driver.do(
        council,
        delivery.setPlan(
            round_id,
            1,
            [now + 30 * 86_400, now + 60 * 86_400],
            [first_share, funded - first_share],
            b"\x07" * 32,
        ),
    )
    world.driver.do(pitcher, delivery.reportMilestone(round_id, 1, 0, b"\x08" * 32, [b"\x09" * 32]))
    service = notifier(world)
    service.drain()
    assert [n for n in told(world, supporter) if n.kind == NotificationKind.MILESTONE] == []  # reported only

    world.driver.do(council, delivery.acceptReport(round_id, 1, 0))
    service.drain()
    service.drain()  # read again: nobody is told twice
    (milestone,) = [n for n in told(world, supporter) if n.kind == NotificationKind.MILESTONE]
    assert milestone.event_key == f"project:{round_id}:1:0"
    assert [n for n in told(world, other) if n.kind == NotificationKind.MILESTONE] == []
    assert [n for n in told(world, pitcher) if n.kind == NotificationKind.MILESTONE] == []

    en = get_translator(Language.EN)
    (email,) = [m for m in mailbox.to(supporter.email) if "Світло в укритті" in m["Subject"]]
    assert email["Subject"].startswith(
        en.gettext("News of a project you voted for: %(project)s", project="Світло в укритті")
    )
    assert (
        en.gettext(
            "“%(project)s” reached milestone %(number)s of %(count)s: the council accepted its report.",
            project="Світло в укритті",
            number=1,
            count=2,
        )
        in email.get_content()
    )
    assert not [m for m in mailbox.to(other.email) if "Світло в укритті" in m["Subject"]]
