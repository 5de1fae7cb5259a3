"""The staff's budget on their pages, and a limit refusal that says which limit, what is left and when it
renews (issue 21: the council was told only "try tomorrow"). Headless Chromium at 360 px, in both languages,
with screenshots under var/screenshots/<test>/."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from test_browser import LANGUAGES, open_phone, sign_in, wait_for_action
from web_helpers import Served, Shots

from cts.budgets import set_limits, standing, typical_gas
from cts.hromadas import get_hromada
from cts.models import Language, Role

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_council_sees_its_budget_and_a_limit_refusal_says_what_is_left_and_when(
    served: Served, browser: Browser, shots: Shots, lang: str
) -> None:
    from cts.web.i18n import get_translator

    t = get_translator(Language(lang))
    world = served.world
    council = world.people.council
    first, second = world.people.residents[:2]
    page = open_phone(browser, served, lang)
    sign_in(page, t, lang, council.email)

    page.goto("council/residents")
    budget = page.get_by_test_id("budget")
    assert t.gettext("Your budget for sponsored actions today") in budget.inner_text()
    assert t.gettext("The tightest limit is your own daily allowance.") in budget.inner_text()

    # One registration through the form: the budget then says how many more such actions it allows.
    page.get_by_label(t.gettext("Person to register")).select_option(str(first.id))
    page.get_by_label(t.gettext("Identity check reference")).fill("REG-2026-0001")
    page.get_by_role("button", name=t.gettext("Register"), exact=True).click()
    wait_for_action(page)
    page.goto("council/residents")
    budget_text = page.get_by_test_id("budget").inner_text()
    with world.env.app.state.session_factory() as session:
        hromada = get_hromada(session, world.env.slug)
        left = standing(session, world.settings, hromada, council.id, Role.COUNCIL).remaining
        more = left // (typical_gas(session, hromada, council.id) or 1)
    expected = t.ngettext(
        "About %(num)s more action like your recent ones.",
        "About %(num)s more actions like your recent ones.",
        more,
    )
    assert expected in budget_text.replace("\u202f", "\u00a0"), budget_text
    shots(page, "budget")

    # The council's own allowance is set just above what it spent: the next registration does not fit.
    with world.env.app.state.session_factory() as session:
        hromada = get_hromada(session, world.env.slug)
        spent = standing(session, world.settings, hromada, council.id, Role.COUNCIL).person.spent
        set_limits(
            session,
            hromada,
            Role.COUNCIL,
            person_daily_gas=spent + 1_000,
            role_share_percent=60,
            actions_per_window=100,
        )
        session.commit()
    page.goto("council/residents")
    low = page.get_by_test_id("budget")
    assert "notice--warning" in (low.get_attribute("class") or "")
    assert t.gettext("Not enough left for another action like your recent ones.") in low.inner_text()
    page.get_by_label(t.gettext("Person to register")).select_option(str(second.id))
    page.get_by_label(t.gettext("Identity check reference")).fill("REG-2026-0002")
    page.get_by_role("button", name=t.gettext("Register"), exact=True).click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert").inner_text()
    assert t.number(spent + 1_000) in alert.replace("\u202f", "\u00a0")  # the limit, in this language's form
    assert t.number(1_000) in alert.replace("\u202f", "\u00a0")  # what is left
    assert ("за київським часом" if lang == "uk" else "Kyiv time") in alert
    assert "%(" not in alert
    shots(page, "refusal")
    # Nothing was queued for the second resident.
    with world.env.app.state.session_factory() as session:
        hromada = get_hromada(session, world.env.slug)
        assert standing(session, world.settings, hromada, council.id, Role.COUNCIL).person.spent == spent
