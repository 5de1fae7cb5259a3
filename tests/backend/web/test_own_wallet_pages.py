"""A resident with their own wallet signs a ballot on the round's page through EIP-1193 (window.ethereum),
in Chromium at 360 px, with an injected test provider that signs with ethers' Wallet (no network)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from test_browser import LANGUAGES, open_phone, sign_in, wait_for_action
from web_helpers import REPO_ROOT, Served, Shots, relayer_helpers

from cts.chain.forwarder import ForwardRequest
from cts.models import Language, User
from cts.web.i18n import get_translator

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
ETHERS = REPO_ROOT / "node_modules" / "ethers" / "dist" / "ethers.umd.min.js"
PROVIDER = REPO_ROOT / "tests" / "js" / "test_provider.js"


def own_wallet_with_rv(served: Served, resident: User, programme: int) -> LocalAccount:
    """A wallet linked to ``resident``'s account, registered on chain, holding 4 RV from a case it signed."""
    world = served.world
    wallet: LocalAccount = Account.create()
    with world.env.app.state.session_factory() as session:  # linking itself is tested in the API tests
        person = session.get(User, resident.id)
        assert person is not None
        person.own_wallet_address = wallet.address
        session.commit()
    registry, cases = world.hromada.registry.functions, world.hromada.cases.functions
    digest = bytes.fromhex(relayer_helpers.h(f"own-{wallet.address}")[2:])
    world.driver.do(world.people.council, registry.addResident(wallet.address, digest))
    relayer = world.driver.relayer
    call = cases.submitCase(programme, world.photo().chain_hash)
    request = ForwardRequest(
        sender=wallet.address,
        to=call.address,
        data=bytes.fromhex(call._encode_transaction_data()[2:]),
        gas=300_000,
        nonce=0,
        deadline=world.driver.now() + 600,
    )
    with world.env.app.state.session_factory() as session:
        person = session.get(User, resident.id)
        assert person is not None
        action = relayer.queue_signed(
            session, person, request, request.sign(relayer.chain.domain, wallet.key)
        )
        session.commit()
        action_id = action.public_id
    world.driver.wait(action_id)
    case_id = int(cases.caseCount().call())
    world.driver.do(world.people.verifier, cases.approveCase(case_id))
    assert world.hromada.token.functions.balanceOf(wallet.address).call() == 4
    return wallet


def with_wallet(page: Page, wallet: LocalAccount) -> None:
    """Give the page (and every page it opens) an EIP-1193 provider holding ``wallet``'s key."""
    page.context.add_init_script(f"window.__ctsTestWalletKey = {json.dumps('0x' + bytes(wallet.key).hex())};")
    page.context.add_init_script(path=ETHERS)
    page.context.add_init_script(path=PROVIDER)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_resident_signs_her_ballot_with_her_own_wallet(
    served: Served, browser: object, shots: Shots, lang: str
) -> None:
    world, t = served.world, get_translator(Language(lang))
    resident, *pitchers = world.people.residents[:3]
    world.register(resident, *pitchers)
    programme = world.open_programme(reward=4)
    wallet = own_wallet_with_rv(served, resident, programme)
    round_id = world.voting_round(
        [(pitchers[0], "Лавки в парку", 1_200_000), (pitchers[1], "Світло в укритті", 1_500_000)]
    )

    page = open_phone(browser, served, lang)  # type: ignore[arg-type]
    with_wallet(page, wallet)
    sign_in(page, t, lang, resident.email)
    page.goto(f"rounds/{round_id}")
    box = page.get_by_test_id("own-wallet")
    box.wait_for()
    assert wallet.address in box.inner_text()
    available = t.ngettext("Available to vote: %(num)s RV.", "Available to vote: %(num)s RV.", 4)
    assert (
        page.get_by_test_id("own-wallet-available").inner_text() == available
    )  # the wallet's, not custodial
    page.get_by_label(t.gettext("RV for “%(title)s”", title="Світло в укритті")).fill("4")
    shots(page, "ballot-with-own-wallet")
    page.get_by_role("button", name=t.gettext("Sign the ballot with my own wallet")).click()
    page.wait_for_url("**/actions/*")
    wait_for_action(page)
    shots(page, "own-wallet-ballot-confirmed")

    vote = world.hromada.vote.functions
    weight, credits, supporters = vote.tally(round_id, 2).call()
    assert (credits, supporters) == (4, 1) and weight > 0
    assert world.hromada.token.functions.balanceOf(wallet.address).call() == 0  # the wallet's own RV


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_wallet_offering_another_account_is_told_so(
    served: Served, browser: object, shots: Shots, lang: str
) -> None:
    world, t = served.world, get_translator(Language(lang))
    resident, *pitchers = world.people.residents[:3]
    world.register(resident, *pitchers)
    programme = world.open_programme(reward=4)
    linked = own_wallet_with_rv(served, resident, programme)
    round_id = world.voting_round([(pitchers[0], "Лавки в парку", 1_200_000)])

    page = open_phone(browser, served, lang)  # type: ignore[arg-type]
    with_wallet(page, Account.create())  # the browser's wallet holds another account
    sign_in(page, t, lang, resident.email)
    page.goto(f"rounds/{round_id}")
    page.get_by_label(t.gettext("RV for “%(title)s”", title="Лавки в парку")).fill("4")
    page.get_by_role("button", name=t.gettext("Sign the ballot with my own wallet")).click()
    message = t.gettext(
        "Your wallet offers another account: choose the one linked to your account (%(address)s).",
        address=linked.address,
    )
    page.get_by_text(message).wait_for()
    shots(page, "own-wallet-other-account")
    assert world.hromada.vote.functions.tally(round_id, 1).call()[1] == 0  # nothing was cast
