"""A resident's notifications page (issue 20) in a real browser at a phone's width in both languages: the
list newest first with the unread marked, and the switches saved; and the form's bad input, which changes
nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select
from test_browser import LANGUAGES, open_phone, sign_in
from web_helpers import Served, Shots, World, form_fields
from web_helpers import sign_in as client_sign_in

from cts.models import Language, NotificationKind, NotificationPreference, RejectionNote, RelayAction
from cts.notify.service import NotificationService
from cts.web.i18n import get_translator
from cts.web.notification_texts import kind_names, told

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser


def a_week_of_news(world: World) -> Any:
    """A case approved, a case rejected in the verifier's words, a round open for voting; then the producer's
    pass (no SMTP server here: the page alone)."""
    people, cases = world.people, world.hromada.cases.functions
    resident, pitcher = people.residents[:2]
    world.register(resident, pitcher)
    approved, rejected = world.submit_cases(world.open_programme(reward=4), resident, resident)
    world.driver.do(people.verifier, cases.approveCase(approved))
    public_id = world.driver.queue(people.verifier, cases.rejectCase(rejected, 4))
    factory = world.env.app.state.session_factory
    with factory() as session:
        action = session.scalar(select(RelayAction).where(RelayAction.public_id == public_id))
        assert action is not None
        session.add(
            RejectionNote(
                action_id=action.id,
                hromada=world.env.slug,
                case_id=rejected,
                verifier=people.verifier.wallet.address,
                text="Фото чужого двору",
            )
        )
        session.commit()
    world.driver.wait(public_id)
    world.voting_round([(pitcher, "Лавки в парку", 1_200_000)], vote_days=3)
    assert NotificationService(world.settings, factory).producer.run_once() >= 3
    return resident


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_resident_reads_her_notifications_and_switches_some_off(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    world, t = served.world, get_translator(Language(lang))
    resident = a_week_of_news(world)

    page = open_phone(browser, served, lang)
    sign_in(page, t, lang, resident.email)
    page.goto("me")
    link = page.get_by_test_id("notifications-link")
    assert t.ngettext("%(num)s new", "%(num)s new", 3) in page.content()
    link.click()
    page.get_by_role("heading", name=t.gettext("Notifications"), exact=True).wait_for()
    items = page.get_by_test_id("notifications").locator("li")
    assert items.count() == 3
    texts = [items.nth(i).inner_text() for i in range(3)]
    assert all(t.pgettext("notification", "New") in text for text in texts)
    round_news = told(t, NotificationKind.ROUND_OPENED, {"round": 1, "title": "Бюджет участі", "vote_end": 0})
    assert round_news.heading in texts[0]  # newest first: the round, then the cases
    assert t.gettext("Case #%(case)s rejected", case=2) in texts[1] and "Фото чужого двору" in texts[1]
    assert t.gettext("Case #%(case)s approved", case=1) in texts[2]
    shots(page, "notifications-new")

    page.get_by_label(kind_names(t)[NotificationKind.ROUND_OPENED.value]).uncheck()
    page.get_by_label(t.gettext("Also send them to my e-mail")).uncheck()
    page.get_by_role("button", name=t.gettext("Save my choices")).click()
    page.get_by_text(t.gettext("Your choices are saved.")).wait_for()
    assert t.pgettext("notification", "New") not in page.get_by_test_id("notifications").inner_text()
    assert not page.get_by_label(kind_names(t)[NotificationKind.ROUND_OPENED.value]).is_checked()
    assert page.get_by_label(kind_names(t)[NotificationKind.ROUND_CLOSING.value]).is_checked()
    shots(page, "notifications-choices-saved")
    with world.env.app.state.session_factory() as session:
        choices = session.scalar(
            select(NotificationPreference).where(NotificationPreference.user_id == resident.id)
        )
        assert choices is not None
        assert (choices.case_decided, choices.round_opened, choices.round_closing, choices.milestone) == (
            True,
            False,
            True,
            True,
        )
        assert not choices.email


def test_bad_input_to_the_switches_changes_nothing(world: World) -> None:
    client, resident = world.client, world.people.residents[0]
    client_sign_in(client, resident.email)
    t = get_translator(Language.UK)
    page = client.get("/me/notifications")
    assert page.status_code == 200
    fields = form_fields(page.text)

    def choices() -> int:
        with world.env.app.state.session_factory() as session:
            return int(session.scalar(select(func.count()).select_from(NotificationPreference)) or 0)

    unknown = client.post("/me/notifications", data={**fields, "tell": ["case_decided", "everything"]})
    assert unknown.status_code == 422 and t.gettext("Choose one of the options.") in unknown.text
    no_csrf = client.post("/me/notifications", data={"form_key": fields["form_key"], "tell": "email"})
    assert no_csrf.status_code == 400
    no_key = client.post("/me/notifications", data={"csrf_token": fields["csrf_token"], "tell": "email"})
    assert no_key.status_code == 400
    assert choices() == 0

    saved = client.post("/me/notifications", data={**fields, "tell": "email"}, follow_redirects=False)
    assert saved.status_code == 303
    again = client.post(
        "/me/notifications", data={**fields, "tell": ["email", "milestone"]}, follow_redirects=False
    )
    assert again.status_code == 303 and "already_sent" in again.headers["location"]
    with world.env.app.state.session_factory() as session:
        (row,) = session.scalars(select(NotificationPreference)).all()
        assert (row.case_decided, row.round_opened, row.milestone, row.email) == (False, False, False, True)

    client.post("/signout", data={"csrf_token": form_fields(client.get("/me").text)["csrf_token"]})
    client_sign_in(client, world.people.verifier.email)
    assert client.get("/me/notifications").status_code == 403
