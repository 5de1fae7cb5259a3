"""Co-financing through the relayer (docs/cofinancing.md): the council registers partners, accepts a
stablecoin, records pledges fulfilled and releases an escrow; anyone of the hromada records a lapse. The
partners here pledge from their own wallets (node accounts paying their own gas), as a business or a donor
abroad with a wallet would. Each contract refusal is a clear 4xx naming it, with nothing queued."""

from __future__ import annotations

from typing import Any

from conftest import PASSWORD, RelayEnv, h
from eth_account import Account
from eth_account.signers.local import LocalAccount
from test_actions_api import queued_count
from test_delivery_actions import refused
from test_signed_requests import link, signed

from cts.chain.client import Sender
from cts.models import User

MONEY, MATERIALS = 1, 2
BUSINESS, DIASPORA = 1, 5
GIFT = 3 * 10**6  # 3.00 of a stablecoin of 6 decimals


def co_financed_round(env: RelayEnv) -> list[Any]:
    """Round 1 under the co-financing rule, in pitching: Alice's project 1 and Bob's project 2 ask 5,000 each;
    Alice has 4 RV."""
    residents = env.people.residents[:2]
    env.register(*residents)
    programme = env.open_programme(reward=4)
    env.done(residents[0], "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("c-0")})
    env.done(env.people.verifier, "POST", "/api/cases/approvals", {"case_ids": [1]})
    now = env.chain_now()
    round_body = {
        "fund_kopiyky": 10_000,
        "pitch_starts_at": now,
        "pitch_ends_at": now + 1_000,
        "screen_ends_at": now + 2_000,
        "vote_ends_at": now + 20_000,
        "max_projects": 5,
        "metadata_hash": h("round"),
        "rule": 2,
        "max_projects_per_ballot": 5,
        "co_financed": True,
    }
    env.done(env.people.council, "POST", "/api/rounds", round_body)
    for n, resident in enumerate(residents):
        env.done(
            resident, "POST", "/api/rounds/1/projects", {"ask_kopiyky": 5_000, "metadata_hash": h(f"p-{n}")}
        )
    return residents


def to_finalised(env: RelayEnv, alice: Any) -> None:
    """Both projects screened in, Alice votes for project 1 only, the round finalised."""
    env.travel(1_001)
    for project in (1, 2):
        env.done(
            env.people.council, "POST", f"/api/rounds/1/projects/{project}/screening", {"eligible": True}
        )
    env.travel(1_000)
    env.done(alice, "POST", "/api/rounds/1/ballot", {"allocations": [{"project_id": 1, "credits": 4}]})
    env.travel(20_000)
    env.done(env.people.outsider, "POST", "/api/rounds/1/finalisation")


def test_partners_pledge_the_vote_fills_the_gap_and_the_council_settles_the_pledges(env: RelayEnv) -> None:
    alice, _bob = co_financed_round(env)
    council, co = env.people.council, env.hromada.co_financing
    business, donor, payee = env.w3.eth.accounts[17:20]
    for account, sector in ((business, BUSINESS), (donor, DIASPORA)):
        partner = {"account": account, "sector": sector, "profile_hash": h(f"profile-{account}")}
        env.done(council, "POST", "/api/partners", partner)
    assert co.functions.partnerCount().call() == 2
    assert co.functions.partnerOf(donor).call() == 2
    token = Sender(env.w3, donor).deploy("PlainERC20")
    token.functions.mint(donor, GIFT).transact({"from": donor})
    token.functions.approve(co.address, GIFT).transact({"from": donor})
    env.done(council, "POST", "/api/stablecoins", {"token": token.address, "accepted": True})

    # The partners pledge from their own wallets: 2,000 to project 1, 1,000 on condition to project 2, and
    # the donor's stablecoin to project 1.
    co.functions.pledge(1, 1, MONEY, 2_000, False, h("business-1")).transact({"from": business})
    co.functions.pledge(1, 2, MONEY, 1_000, True, h("business-2")).transact({"from": business})
    co.functions.pledgeToken(1, 1, token.address, GIFT, 12_300, h("gift")).transact({"from": donor})
    refused(
        env,
        council,
        "/api/pledges/3/release",
        {"to": payee, "receipt_hash": h("early")},
        409,
        "co_financing_project_not_chosen",
    )

    to_finalised(env, alice)
    # The vote gave project 1 only its gap: its ask less the 2,000 pledged.
    assert env.hromada.vote.functions.project(1, 1).call()[7] == 3_000
    env.done(council, "POST", "/api/pledges/1/fulfilment", {"receipt_hash": h("bank-statement")})
    env.done(alice, "POST", "/api/pledges/2/lapse")  # project 2 was not chosen
    env.done(council, "POST", "/api/pledges/3/release", {"to": payee, "receipt_hash": h("transfer")})
    assert [co.functions.pledgeOf(i).call()[5] for i in (1, 2, 3)] == [
        2,
        4,
        2,
    ]  # fulfilled, lapsed, fulfilled
    assert token.functions.balanceOf(payee).call() == GIFT
    assert co.functions.tokenEscrowed(token.address).call() == 0


def test_the_contracts_refusals_are_named_and_nothing_is_queued(env: RelayEnv) -> None:
    alice, bob = co_financed_round(env)
    council, co = env.people.council, env.hromada.co_financing
    business = env.w3.eth.accounts[17]
    partner = {"account": business, "sector": BUSINESS, "profile_hash": h("profile")}
    env.done(council, "POST", "/api/partners", partner)
    refused(env, council, "/api/partners", partner, 409, "co_financing_already_partner")
    refused(env, council, "/api/partners/2/activity", {"active": False}, 404, "co_financing_unknown_partner")
    refused(
        env,
        council,
        "/api/partners/1/activity",
        {"active": True},
        409,
        "co_financing_partner_active_unchanged",
    )
    refused(
        env,
        council,
        "/api/pledges/1/fulfilment",
        {"receipt_hash": h("r")},
        404,
        "co_financing_unknown_pledge",
    )
    co.functions.pledge(1, 1, MONEY, 2_000, False, h("business-1")).transact({"from": business})
    refused(env, alice, "/api/pledges/1/lapse", None, 409, "co_financing_unconditional")
    refused(
        env,
        council,
        "/api/pledges/1/release",
        {"to": business, "receipt_hash": h("r")},
        409,
        "co_financing_wrong_pledge_kind",
    )
    env.done(council, "POST", "/api/pledges/1/fulfilment", {"receipt_hash": h("receipt")})
    co.functions.pledge(1, 2, MATERIALS, 900, True, h("business-2")).transact({"from": business})
    refused(
        env,
        council,
        "/api/pledges/2/fulfilment",
        {"receipt_hash": h("receipt")},
        409,
        "co_financing_receipt_used",
    )
    refused(env, bob, "/api/pledges/2/lapse", None, 409, "co_financing_round_not_closed")
    refused(
        env,
        council,
        "/api/pledges/1/fulfilment",
        {"receipt_hash": h("again")},
        409,
        "co_financing_pledge_not_open",
    )
    env.done(council, "POST", "/api/stablecoins", {"token": business, "accepted": True})
    refused(
        env,
        council,
        "/api/stablecoins",
        {"token": business, "accepted": True},
        409,
        "co_financing_token_unchanged",
    )


def test_only_the_council_keeps_partners_and_settles_pledges_and_bad_input_is_refused(env: RelayEnv) -> None:
    resident = env.people.residents[0]
    env.register(resident)
    before = queued_count(env)
    account = env.w3.eth.accounts[17]
    for path, body in (
        ("/api/partners", {"account": account, "sector": BUSINESS, "profile_hash": h("p")}),
        ("/api/partners/1/activity", {"active": False}),
        ("/api/stablecoins", {"token": account, "accepted": True}),
        ("/api/pledges/1/fulfilment", {"receipt_hash": h("r")}),
        ("/api/pledges/1/release", {"to": account, "receipt_hash": h("r")}),
    ):
        assert env.act(resident, "POST", path, body).status_code == 403, path
    council = env.people.council
    for body in (
        {"account": account, "sector": 6, "profile_hash": h("p")},  # sectors are 1 to 5
        {"account": account, "sector": 0, "profile_hash": h("p")},
        {"account": "0x1234", "sector": BUSINESS, "profile_hash": h("p")},
        {"account": account, "sector": BUSINESS, "profile_hash": "0xabc"},
        {"account": account, "sector": "1", "profile_hash": h("p")},
        {"account": account, "sector": BUSINESS, "profile_hash": h("p"), "extra": 1},
    ):
        assert env.act(council, "POST", "/api/partners", body).status_code == 422, body
    assert env.act(council, "POST", "/api/pledges/0/lapse").status_code == 422
    assert env.act(council, "POST", "/api/pledges/1/release", {"to": account}).status_code == 422
    assert queued_count(env) == before


def test_a_partner_with_a_custodial_account_pledges_and_withdraws_through_the_relayer(env: RelayEnv) -> None:
    """The council makes the business an account with the partner role and registers its custodial wallet;
    the relayer then sponsors its pledges, and refuses what the contract or the schema would refuse."""
    alice, _bob = co_financed_round(env)
    council, co = env.people.council, env.hromada.co_financing.functions
    body = {"email": "budmaister@example.org", "password": PASSWORD, "display_name": "Будмайстер"}
    created = env.act(council, "POST", "/api/users", {**body, "role": "partner"})
    assert created.status_code == 201, created.text
    with env.app.state.session_factory() as session:
        business = session.get(User, created.json()["id"])
        assert business is not None
        account = business.wallet.address
        session.expunge_all()
    pledge = {
        "round_id": 1,
        "project_id": 1,
        "kind": MONEY,
        "value_kopiyky": 1_500,
        "conditional": True,
        "agreement_hash": h("agreement"),
    }
    # Not yet a partner on chain: the contract's refusal, named, nothing queued.
    refused(env, business, "/api/pledges", pledge, 403, "co_financing_not_partner")
    env.done(
        council, "POST", "/api/partners", {"account": account, "sector": BUSINESS, "profile_hash": h("b")}
    )
    env.done(business, "POST", "/api/pledges", pledge)
    assert co.pledgedMoney(1, 1).call() == 1_500
    assert co.pledgeOf(1).call()[0] == 1  # partner 1, through the forwarder: not the relayer's sponsor
    before = queued_count(env)
    for wrong in (
        {**pledge, "kind": 6},  # a stablecoin needs the partner's own wallet
        {**pledge, "kind": 0},
        {**pledge, "value_kopiyky": 0},
        {**pledge, "value_kopiyky": -5},
        {**pledge, "value_kopiyky": 2**128},
        {**pledge, "round_id": 0},
        {**pledge, "agreement_hash": "0x" + "00" * 32},
        {**pledge, "conditional": "yes"},
    ):
        assert env.act(business, "POST", "/api/pledges", wrong).status_code == 422, wrong
    assert env.act(alice, "POST", "/api/pledges", pledge).status_code == 403  # a resident is no partner
    assert env.act(council, "POST", "/api/pledges/1/cancellation").status_code == 403
    assert queued_count(env) == before
    refused(env, business, "/api/pledges", {**pledge, "project_id": 9}, 404, "balanced_vote_unknown_project")

    env.done(business, "POST", "/api/pledges/1/cancellation")
    assert co.pledgeOf(1).call()[5] == 3  # cancelled
    assert co.pledgedMoney(1, 1).call() == 0
    refused(env, business, "/api/pledges/1/cancellation", None, 409, "co_financing_pledge_not_open")


def test_a_donor_abroad_escrows_a_stablecoin_by_a_request_its_own_wallet_signs(env: RelayEnv) -> None:
    """A diaspora donor's account with its own wallet linked: the wallet approves the tokens itself (its own
    transaction, its own gas), then signs the pledge, which the relayer sponsors; the withdrawal likewise."""
    co_financed_round(env)
    council, co = env.people.council, env.hromada.co_financing
    body = {"email": "ridnyi-krai@example.org", "password": PASSWORD, "display_name": "Рідний край"}
    created = env.act(council, "POST", "/api/users", {**body, "role": "partner"})
    assert created.status_code == 201, created.text
    with env.app.state.session_factory() as session:
        donor = session.get(User, created.json()["id"])
        assert donor is not None
        session.expunge_all()
    wallet: LocalAccount = Account.create()
    assert link(env, donor, wallet).status_code == 200
    env.done(
        council,
        "POST",
        "/api/partners",
        {"account": wallet.address, "sector": DIASPORA, "profile_hash": h("d")},
    )
    node = env.w3.eth.accounts[17]
    token = Sender(env.w3, node).deploy("PlainERC20")
    minted = token.functions.mint(wallet.address, GIFT).transact({"from": node})
    env.w3.eth.wait_for_transaction_receipt(minted)
    # The wallet's gas, sized from the chain's price now and mined before the wallet spends it: a fixed
    # 0.1 ETH sent without waiting once met "insufficient funds" under `make test`, where earlier tests' full
    # batches can have raised the base fee.
    gas_price = env.w3.eth.gas_price
    env.w3.eth.wait_for_transaction_receipt(
        env.w3.eth.send_transaction({"from": node, "to": wallet.address, "value": 10 * 100_000 * gas_price})
    )
    approve = token.functions.approve(co.address, GIFT).build_transaction(
        {"from": wallet.address, "nonce": 0, "gas": 100_000, "gasPrice": gas_price}
    )
    env.w3.eth.wait_for_transaction_receipt(
        env.w3.eth.send_raw_transaction(wallet.sign_transaction(approve).raw_transaction)
    )
    # Not yet accepted by the council: refused with the contract's reason, nothing queued.
    pledge = co.functions.pledgeToken(1, 1, token.address, GIFT, 12_300, bytes.fromhex(h("gift")[2:]))
    refused(
        env,
        donor,
        "/api/relay",
        signed(env, wallet, pledge, gas=500_000),
        409,
        "co_financing_token_not_accepted",
    )
    env.done(council, "POST", "/api/stablecoins", {"token": token.address, "accepted": True})
    env.done(donor, "POST", "/api/relay", signed(env, wallet, pledge, gas=500_000))
    assert co.functions.tokenEscrowed(token.address).call() == GIFT
    assert token.functions.balanceOf(wallet.address).call() == 0
    assert co.functions.pledgeOf(1).call()[0] == 1  # the donor's partner record: the wallet signed it
    env.done(donor, "POST", "/api/relay", signed(env, wallet, co.functions.cancelPledge(1)))
    assert token.functions.balanceOf(wallet.address).call() == GIFT  # back to the donor before the vote
    assert co.functions.tokenEscrowed(token.address).call() == 0
