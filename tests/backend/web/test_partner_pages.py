"""The co-financing pages through the TestClient (docs/cofinancing.md): the council registers partners and
records pledges; a partner with a custodial account pledges and withdraws. Every refusal says why and changes
nothing, on chain or in the database. The browser journey is test_cofinancing_journey.py."""

from __future__ import annotations

from partner_helpers import co_financed_round, follow, post_form, signed_up
from sqlalchemy import select
from web_helpers import World, sign_in

from cts.hromadas import get_hromada, grant_role
from cts.models import Language, Membership, Role, User
from cts.web.forms import MAX_KOPIYKY
from cts.web.i18n import get_translator

BUSINESS, LOCAL_BUDGET = "1", "2"
MONEY, MATERIALS, STABLECOIN = "1", "2", "6"

uk = get_translator(Language.UK)
WRONG_ADDRESS = uk.gettext(
    "Enter a wallet address: 0x and 40 letters a–f or digits, exactly as the wallet shows it."
)


def role_of(world: World, user_id: int) -> Role | None:
    with world.env.app.state.session_factory() as session:
        membership = session.scalar(select(Membership).where(Membership.user_id == user_id))
        return membership.role if membership is not None else None


def test_the_council_registers_a_partner_who_pledges_money_and_withdraws_it(world: World) -> None:
    co = world.hromada.co_financing.functions
    residents = world.people.residents[:2]
    world.register(*residents)
    round_id = co_financed_round(world, [(residents[0], "Укриття в школі", 50_000_00)])
    business = signed_up(world, "budmaister@example.org", "Будмайстер")

    sign_in(world.client, world.people.council.email)
    page = world.client.get("/council/partners")
    assert page.status_code == 200 and uk.gettext("No partner is registered yet.") in page.text
    name = 'ТОВ "Будмайстер" <script>alert(1)</script>'
    fields = {"name": name, "sector": BUSINESS, "about": "Будівельні матеріали", "login": business.email}
    follow(world, post_form(world, "/council/partners", fields))
    assert co.partnerCount().call() == 1
    account, sector, active, _profile = co.partner(1).call()
    assert (account, sector, active) == (business.wallet.address, 1, True)
    assert role_of(world, business.id) == Role.PARTNER
    page = world.client.get("/council/partners").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page

    sign_in(world.client, business.email)
    home = world.client.get("/partner")
    assert home.status_code == 200
    assert f"/rounds/{round_id}/projects/1/pledge" in home.text
    form = world.client.get(f"/rounds/{round_id}/projects/1/pledge")
    assert form.status_code == 200
    pledge = {"kind": MONEY, "value": "15 000,50", "what": "Кошти на двері укриття", "conditional": "1"}
    follow(world, post_form(world, f"/rounds/{round_id}/projects/1/pledge", pledge))
    assert co.pledgedMoney(round_id, 1).call() == 15_000_50
    _partner, pledged_round, project, kind, conditional, state, value, _agreement, _receipt = co.pledgeOf(
        1
    ).call()
    assert (pledged_round, project, kind, conditional, state, value) == (round_id, 1, 1, True, 1, 15_000_50)
    home = world.client.get("/partner").text
    assert "Кошти на двері укриття" in home and uk.label("pledge", "open") in home

    follow(world, post_form(world, "/partner/pledges/1/withdraw", {}))
    assert co.pledgeOf(1).call()[5] == 3  # Cancelled
    assert co.pledgedMoney(round_id, 1).call() == 0
    assert uk.label("pledge", "cancelled") in world.client.get("/partner").text


def test_a_pledge_with_bad_fields_is_refused_with_reasons_and_nothing_is_sent(world: World) -> None:
    co = world.hromada.co_financing.functions
    resident = world.people.residents[0]
    world.register(resident)
    round_id = co_financed_round(world, [(resident, "Лавки в парку", 10_000_00)])
    business = signed_up(world, "lavky@example.org", "Лавки")
    sign_in(world.client, world.people.council.email)
    follow(
        world,
        post_form(world, "/council/partners", {"name": "Лавки", "sector": "1", "login": business.email}),
    )
    sign_in(world.client, business.email)
    path = f"/rounds/{round_id}/projects/1/pledge"
    cases = [
        (
            {"kind": MONEY, "value": "-5", "what": "Кошти"},
            uk.gettext("Enter an amount in hryvnias, for example 1500 or 1500.50."),
        ),
        ({"kind": MONEY, "value": "0", "what": "Кошти"}, uk.gettext("At least %(min)s.", min=uk.uah(1))),
        (
            {"kind": MONEY, "value": "10" * 20, "what": "Кошти"},
            uk.gettext("At most %(max)s.", max=uk.uah(MAX_KOPIYKY)),
        ),
        ({"kind": STABLECOIN, "value": "100", "what": "USDC"}, uk.gettext("Choose one of the options.")),
        ({"kind": MATERIALS, "value": "100", "what": ""}, uk.gettext("Fill in this field.")),
        ({"kind": MATERIALS, "value": "100", "what": "ц" * 201}, "200"),
    ]
    for fields, message in cases:
        page = post_form(world, path, fields, status=422)
        assert message in page, fields
    assert co.pledgeCount().call() == 0
    # A project that does not exist, and a round that does not.
    assert world.client.get(f"/rounds/{round_id}/projects/9/pledge").status_code == 404
    assert world.client.get("/rounds/77/projects/1/pledge").status_code == 404

    # Once voting opens, money is no longer offered, and a forged money pledge is refused.
    world.driver.w3.provider.make_request("evm_increaseTime", [3_601])  # type: ignore[arg-type]
    world.driver.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    world.driver.do(world.people.council, world.hromada.vote.functions.screenProject(round_id, 1, True, 0))
    world.driver.w3.provider.make_request("evm_increaseTime", [3_601])  # type: ignore[arg-type]
    world.driver.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    form = world.client.get(path).text
    assert uk.gettext("Money can no longer be pledged: voting has opened. Resources in kind can.") in form
    assert f'<option value="{MONEY}"' not in form
    page = post_form(world, path, {"kind": MONEY, "value": "100", "what": "Кошти"}, status=422)
    assert uk.gettext("Choose one of the options.") in page
    assert co.pledgeCount().call() == 0
    follow(world, post_form(world, path, {"kind": MATERIALS, "value": "2500", "what": "Дошки, 20 штук"}))
    assert co.pledgeOf(1).call()[3] == 2


def test_registering_a_partner_refuses_a_wrong_account_and_grants_no_role(world: World) -> None:
    co = world.hromada.co_financing.functions
    resident = world.people.residents[0]
    world.register(resident)  # a registered resident: their account cannot also be a partner's
    partner = signed_up(world, "bank@example.org", "Банк")
    sign_in(world.client, world.people.council.email)
    base = {"name": "Банк", "sector": BUSINESS}
    cases = [
        ({}, uk.gettext("Give either the partner's phone or e-mail, or their wallet address.")),
        (
            {"login": partner.email, "address": world.w3.eth.accounts[17]},
            uk.gettext("Give either the partner's phone or e-mail, or their wallet address."),
        ),
        (
            {"login": "nobody@example.org"},
            uk.gettext(
                "Nobody signs in with this phone or e-mail. Ask the partner to sign up on this site first, "
                "then register them here."
            ),
        ),
        ({"address": "0x1234"}, WRONG_ADDRESS),
        (
            {"address": world.w3.eth.accounts[17].lower().replace("0x", "0X")},
            WRONG_ADDRESS,
        ),
        ({"login": resident.email}, uk.label("role", "resident")),
        ({"sector": "9", "login": partner.email}, uk.gettext("Choose one of the options.")),
    ]
    for fields, message in cases:
        page = post_form(world, "/council/partners", {**base, **fields}, status=422)
        assert message in page, fields
    assert co.partnerCount().call() == 0
    assert role_of(world, partner.id) is None
    assert role_of(world, resident.id) == Role.RESIDENT

    # An own wallet, then the same wallet again: the contract's refusal, shown at once; nothing queued.
    wallet = world.w3.eth.accounts[17]
    follow(world, post_form(world, "/council/partners", {**base, "address": wallet}))
    again = post_form(world, "/council/partners", {**base, "login": partner.email}, status=303)
    follow(world, again)
    twice = post_form(world, "/council/partners", {**base, "address": wallet}, status=409)
    assert uk.error("co_financing_already_partner") in twice
    assert co.partnerCount().call() == 2
    assert role_of(world, partner.id) == Role.PARTNER

    # Signing up made the outsider a resident nobody registered: that account may become a partner.
    outsider = world.people.outsider
    follow(world, post_form(world, "/council/partners", {**base, "login": outsider.email}))
    assert co.partnerOf(outsider.wallet.address).call() == 3
    assert role_of(world, outsider.id) == Role.PARTNER


def test_only_a_partner_pledges_and_only_the_council_keeps_partners(world: World) -> None:
    resident = world.people.residents[0]
    world.register(resident)
    round_id = co_financed_round(world, [(resident, "Лавки", 10_000_00)])
    sign_in(world.client, resident.email)
    assert world.client.get(f"/rounds/{round_id}/projects/1/pledge").status_code == 403
    assert world.client.get("/council/partners").status_code == 403
    assert world.client.get("/partner").status_code == 403
    # A partner the council has not registered on chain yet is told so, and offered no form.
    business = signed_up(world, "later@example.org", "Пізніше")
    with world.env.app.state.session_factory() as session:
        person = session.get(User, business.id)
        assert person is not None
        grant_role(session, person, get_hromada(session, world.env.slug), Role.PARTNER)
        session.commit()
    sign_in(world.client, business.email)
    waiting = uk.gettext(
        "The council has not registered you as a partner yet. Once it has, you can pledge money or resources "
        "to the projects here."
    )
    assert waiting in world.client.get("/partner").text
    form = world.client.get(f"/rounds/{round_id}/projects/1/pledge").text
    assert waiting in form and 'name="value"' not in form
