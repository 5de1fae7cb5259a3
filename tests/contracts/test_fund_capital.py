"""CommunityFund: cycles, deposits, programme reserves and issuance, round reserves, grants, impact figures.

Module fixtures accumulate state (capital, programmes, Alice's and Bob's earned RV, a finalised round), so
tests assert changes of the ledger rather than its absolute values, and single cases are Carol's.
"""

import brownie
import pytest
from brownie import CommunityFund, accounts, chain
from case_helpers import create_programme
from cts_helpers import DAY, FACE_VALUE, h, programme_params, round_params
from fund_helpers import (
    DONOR,
    GREEDY,
    LOCAL_BUDGET,
    OTHER,
    assert_event,
    earn,
    ledger_of,
    ledger_total,
    not_treasurer,
    now,
    run_round,
)

CLONE_PREFIX = "3d602d80600a3d3981f3363d3d373d3d3d363d73"
CLONE_SUFFIX = "5af43d82803e903d91602b57fd5bf3"


@pytest.fixture(scope="module")
def earned(cases, verifiers, programme, alice, bob):
    """Alice and Bob each earned 10 RV under programme 1 (five cases of 2 RV): a token fund of 100,000."""
    earn(cases, verifiers[0], alice, 5)
    earn(cases, verifiers[0], bob, 5)
    return 20


@pytest.fixture(scope="module")
def granted(fund, vote, council, alice, bob, carol, earned):
    """A finalised greedy round of 110,000 (all 100,000 of the token fund, then 10,000 of available capital):
    1 (Alice, 30,000), 2 (Bob, 50,000) and 4 (Carol's loan, 20,000) funded; 3 (Alice, 10,000) unvoted and
    unfunded. Returns the round id, the ledger before and after, and the finalisation."""
    applied = fund.applyForLoan([20_000], [30 * DAY], h("bakery-plan"), {"from": carol})
    loan_id = applied.events["LoanApplied"]["loanId"]
    before = ledger_of(fund)
    round_id, finalised = run_round(
        vote,
        council,
        [(alice, 30_000, 0), (bob, 50_000, 0), (alice, 10_000, 0), (carol, 20_000, loan_id)],
        [(alice, [1, 2, 4], [1, 1, 1])],
        fund_kopiyky=110_000,
        rule=GREEDY,
    )
    return {"round": round_id, "before": before, "after": ledger_of(fund), "finalised": finalised}


@pytest.fixture(scope="module")
def cases_stand_in():
    """Plays UsefulCaseContract for `bare_fund`."""
    return accounts[11]


@pytest.fixture(scope="module")
def vote_stand_in():
    """Plays BalancedVote for `bare_fund`."""
    return accounts[12]


@pytest.fixture(scope="module")
def bare_fund(factory, registry, token, council, cases_stand_in, vote_stand_in):
    """A clone of the fund implementation wired to two plain accounts in place of UsefulCaseContract and
    BalancedVote, with 1,000,000 kopiyky deposited: it reaches the system-only functions' own checks, which
    the real contracts' checks always pre-empt."""
    init_code = "0x" + CLONE_PREFIX + factory.fundImplementation()[2:].lower() + CLONE_SUFFIX
    fund = CommunityFund.at(council.transfer(data=init_code).contract_address)
    contracts = (registry, token, cases_stand_in, vote_stand_in, fund, accounts[13], accounts[14])
    fund.initialize(contracts, council, {"from": council})
    fund.deposit(1_000_000, DONOR, h("bare-donor"), h("bare-receipt"), {"from": council})
    return fund


def new_programme(cases, council, verifiers, **params):
    tx = cases.createProgramme(programme_params(now(), verifiers, **params), {"from": council})
    return tx.events["ProgrammeCreated"]["programmeId"], tx


def round_params_now(fund_kopiyky):
    return round_params(now(), fund=fund_kopiyky)


# ---------------------------------------------------------------- cycles


def test_onboarding_opens_cycle_one(fund, onboarding):
    assert_event(onboarding, "CycleOpened", cycleId=1, label="0x" + "00" * 32)
    assert fund.currentCycle() == 1


def test_treasurer_opens_the_next_cycle(fund, council):
    tx = fund.openCycle(h("cycle-2024"), {"from": council})
    assert_event(tx, "CycleOpened", cycleId=2, label=h("cycle-2024"))
    assert tx.return_value == 2
    assert fund.currentCycle() == 2


def test_only_the_treasurer_opens_a_cycle(fund, outsider):
    with brownie.reverts(not_treasurer(outsider)):
        fund.openCycle(h("cycle"), {"from": outsider})


# ---------------------------------------------------------------- deposits


def test_a_deposit_becomes_available_capital(fund, council):
    source = LOCAL_BUDGET
    before = ledger_of(fund)
    count = fund.depositCount()
    tx = fund.deposit(250_000, source, h("budget-decision-17"), h("receipt-17"), {"from": council})
    assert_event(
        tx,
        "CapitalDeposited",
        depositId=count + 1,
        cycleId=1,
        source=source,
        amountKopiyky=250_000,
        sourceRef=h("budget-decision-17"),
        receiptHash=h("receipt-17"),
    )
    after = ledger_of(fund)
    assert after["deposits"] == before["deposits"] + 250_000
    assert after["available"] == before["available"] + 250_000
    assert fund.depositCount() == count + 1
    assert fund.isReceiptUsed(h("receipt-17"))


def test_only_the_treasurer_records_deposits(fund, outsider):
    with brownie.reverts(not_treasurer(outsider)):
        fund.deposit(1, DONOR, h("ref"), h("receipt"), {"from": outsider})


def test_a_deposit_of_nothing_is_refused(fund, council):
    with brownie.reverts("CommunityFundZeroAmount: "):
        fund.deposit(0, DONOR, h("ref"), h("receipt"), {"from": council})


def test_a_deposit_without_a_source_reference_is_refused(fund, council):
    with brownie.reverts("CommunityFundZeroHash: "):
        fund.deposit(1, DONOR, "0x" + "00" * 32, h("receipt"), {"from": council})


def test_a_deposit_without_a_receipt_is_refused(fund, council):
    with brownie.reverts("CommunityFundZeroHash: "):
        fund.deposit(1, DONOR, h("ref"), "0x" + "00" * 32, {"from": council})


def test_a_receipt_is_recorded_only_once(fund, council):
    fund.deposit(1, DONOR, h("ref"), h("receipt-once"), {"from": council})
    with brownie.reverts(f"CommunityFundDuplicateReceipt: {h('receipt-once')}"):
        fund.deposit(2, LOCAL_BUDGET, h("other-ref"), h("receipt-once"), {"from": council})


def test_deposits_count_in_their_cycle_and_in_all_time(fund, council):
    all_time = fund.impact(0)["depositsKopiyky"]
    fund.deposit(100, DONOR, h("ref"), h("receipt-a"), {"from": council})
    fund.openCycle(h("cycle-2"), {"from": council})
    fund.deposit(30, DONOR, h("ref"), h("receipt-b"), {"from": council})
    fund.deposit(5, OTHER, h("ref"), h("receipt-c"), {"from": council})
    assert fund.impact(2)["depositsKopiyky"] == 35
    assert fund.impact(0)["depositsKopiyky"] == all_time + 135
    assert fund.impact(1)["depositsKopiyky"] == all_time + 100


# ---------------------------------------------------------------- programmes (through UsefulCaseContract)


def test_a_programme_reserves_its_cap_times_the_face_value(cases, fund, council, verifiers, capital):
    before = ledger_of(fund)
    programme_id, tx = new_programme(cases, council, verifiers, token_cap=40)
    assert_event(tx, "ProgrammeReserved", programmeId=programme_id, amountKopiyky=40 * FACE_VALUE)
    assert fund.programmeReserve(programme_id) == 40 * FACE_VALUE
    after = ledger_of(fund)
    assert after["available"] == before["available"] - 40 * FACE_VALUE
    assert after["programmeReserves"] == before["programmeReserves"] + 40 * FACE_VALUE


def test_a_programme_beyond_available_capital_is_refused(cases, fund, council, verifiers, capital):
    available = fund.ledger()["available"]
    cap = available // FACE_VALUE + 1
    with brownie.reverts(f"CommunityFundInsufficientCapital: {cap * FACE_VALUE}, {available}"):
        new_programme(cases, council, verifiers, token_cap=cap)


def test_an_approved_case_moves_its_face_value_from_the_reserve_to_the_token_fund(
    cases, fund, verifiers, programme, carol
):
    before, reserve = ledger_of(fund), fund.programmeReserve(programme)
    cycle, all_time = fund.impact(1), fund.impact(0)
    cases.submitCase(programme, h("photo-park"), {"from": carol})
    tx = cases.approveCase(cases.caseCount(), {"from": verifiers[0]})
    assert_event(
        tx,
        "IssuanceRecorded",
        programmeId=programme,
        cycleId=1,
        cases=1,
        rv=2,
        kopiyky=2 * FACE_VALUE,
        caseValueKopiyky=40_000,
    )
    assert fund.programmeReserve(programme) == reserve - 2 * FACE_VALUE
    after = ledger_of(fund)
    assert after["programmeReserves"] == before["programmeReserves"] - 2 * FACE_VALUE
    assert after["tokenFund"] == before["tokenFund"] + 2 * FACE_VALUE
    for figures, old in ((fund.impact(1), cycle), (fund.impact(0), all_time)):
        assert figures["casesValueKopiyky"] == old["casesValueKopiyky"] + 40_000
        assert figures["casesApproved"] == old["casesApproved"] + 1
        assert figures["rvIssued"] == old["rvIssued"] + 2
        assert figures["rvIssuedKopiyky"] == old["rvIssuedKopiyky"] + 2 * FACE_VALUE


def test_a_batch_approval_records_one_issuance_per_run_of_a_programme(
    cases, fund, council, verifiers, programme, carol
):
    other = create_programme(cases, council, verifiers, reward=3, case_value=70_000, metadata="fund-other")
    approved, value = fund.impact(0)["casesApproved"], fund.impact(0)["casesValueKopiyky"]
    reserves = fund.programmeReserve(programme), fund.programmeReserve(other)
    batch = [
        cases.submitCase(programme_id, h(f"photo-{i}"), {"from": carol}).return_value
        for i, programme_id in enumerate((programme, programme, other, programme))
    ]
    tx = cases.approveCases(batch, {"from": verifiers[1]})
    # Runs of one programme: two cases of the first, one of the other, one of the first again.
    assert [
        (e["programmeId"], e["cases"], e["rv"], e["kopiyky"], e["caseValueKopiyky"])
        for e in tx.events["IssuanceRecorded"]
    ] == [
        (programme, 2, 4, 4 * FACE_VALUE, 80_000),
        (other, 1, 3, 3 * FACE_VALUE, 70_000),
        (programme, 1, 2, 2 * FACE_VALUE, 40_000),
    ]
    assert fund.impact(0)["casesApproved"] == approved + 4
    assert fund.impact(0)["casesValueKopiyky"] == value + 3 * 40_000 + 70_000
    assert fund.programmeReserve(programme) == reserves[0] - 6 * FACE_VALUE
    assert fund.programmeReserve(other) == reserves[1] - 3 * FACE_VALUE


def test_issuance_counts_in_the_cycle_open_at_approval(cases, fund, council, verifiers, programme, carol):
    cases.submitCase(programme, h("photo-late"), {"from": carol})
    fund.openCycle(h("cycle-2"), {"from": council})
    tx = cases.approveCase(cases.caseCount(), {"from": verifiers[0]})
    assert tx.events["IssuanceRecorded"]["cycleId"] == 2
    assert fund.impact(2)["rvIssued"] == 2
    assert fund.impact(2)["casesValueKopiyky"] == 40_000


def test_closing_a_programme_releases_its_unused_reserve(cases, fund, council, programme, earned):
    before = ledger_of(fund)
    unused = (100 - cases.programme(programme)["rvMinted"]) * FACE_VALUE
    tx = cases.closeProgramme(programme, {"from": council})
    assert_event(tx, "ProgrammeReleased", programmeId=programme, amountKopiyky=unused)
    assert fund.programmeReserve(programme) == 0
    after = ledger_of(fund)
    assert after["programmeReserves"] == before["programmeReserves"] - unused
    assert after["available"] == before["available"] + unused
    assert after["tokenFund"] == before["tokenFund"]


def test_closing_a_fully_issued_programme_releases_nothing(cases, fund, council, verifiers, residents):
    alice = residents[0]
    programme_id, _ = new_programme(cases, council, verifiers, token_cap=2, per_resident_cap=2)
    cases.submitCase(programme_id, h("the-only-case"), {"from": alice})
    cases.approveCase(cases.caseCount(), {"from": verifiers[0]})
    before = ledger_of(fund)
    tx = cases.closeProgramme(programme_id, {"from": council})
    assert "ProgrammeReleased" not in tx.events
    assert tx.events["ProgrammeClosed"]["unusedReserveKopiyky"] == 0
    assert fund.programmeReserve(programme_id) == 0
    assert ledger_of(fund) == before


# ---------------------------------------------------------------- system-contract-only functions

SYSTEM_CALLS = [
    ("reserveForProgramme", (7, 1)),
    ("releaseProgramme", (1, 1)),
    ("recordIssuance", (1, 1, 1, 1)),
    ("reserveForRound", (7, 1)),
    ("settleRound", (1, 0)),
    ("releaseRound", (1,)),
]


def test_system_functions_refuse_the_council_and_residents(fund, capital, council, alice):
    for function, args in SYSTEM_CALLS:
        for account in (council, alice):
            with brownie.reverts(f"CommunityFundUnauthorised: {account.address.lower()}"):
                getattr(fund, function)(*args, {"from": account})


def test_each_system_contract_may_call_only_its_own_functions(bare_fund, cases_stand_in, vote_stand_in):
    for function, args in SYSTEM_CALLS:
        programme_function = function in ("reserveForProgramme", "releaseProgramme", "recordIssuance")
        wrong = vote_stand_in if programme_function else cases_stand_in
        with brownie.reverts(f"CommunityFundUnauthorised: {wrong.address.lower()}"):
            getattr(bare_fund, function)(*args, {"from": wrong})


def test_a_programme_is_reserved_only_once(bare_fund, cases_stand_in):
    bare_fund.reserveForProgramme(1, 10_000, {"from": cases_stand_in})
    bare_fund.releaseProgramme(1, 10_000, {"from": cases_stand_in})
    with brownie.reverts("CommunityFundAlreadyReserved: 1"):
        bare_fund.reserveForProgramme(1, 10_000, {"from": cases_stand_in})


def test_a_programme_reserve_beyond_available_capital_is_refused(bare_fund, cases_stand_in):
    with brownie.reverts("CommunityFundInsufficientCapital: 1000001, 1000000"):
        bare_fund.reserveForProgramme(1, 1_000_001, {"from": cases_stand_in})


def test_a_release_beyond_the_programme_reserve_is_refused(bare_fund, cases_stand_in):
    bare_fund.reserveForProgramme(1, 10_000, {"from": cases_stand_in})
    tx = bare_fund.releaseProgramme(1, 4_000, {"from": cases_stand_in})
    assert_event(tx, "ProgrammeReleased", programmeId=1, amountKopiyky=4_000)
    with brownie.reverts("CommunityFundInsufficientReserve: 1, 6001, 6000"):
        bare_fund.releaseProgramme(1, 6_001, {"from": cases_stand_in})


def test_issuance_beyond_the_programme_reserve_is_refused(bare_fund, cases_stand_in):
    bare_fund.reserveForProgramme(1, 2 * FACE_VALUE, {"from": cases_stand_in})
    with brownie.reverts(f"CommunityFundInsufficientReserve: 1, {3 * FACE_VALUE}, {2 * FACE_VALUE}"):
        bare_fund.recordIssuance(1, 2, 3, 0, {"from": cases_stand_in})
    with brownie.reverts(f"CommunityFundInsufficientReserve: 9, {FACE_VALUE}, 0"):
        bare_fund.recordIssuance(9, 1, 1, 0, {"from": cases_stand_in})


def test_a_round_is_reserved_only_once_while_open(bare_fund, vote_stand_in):
    bare_fund.reserveForRound(1, 1_000, {"from": vote_stand_in})
    with brownie.reverts("CommunityFundAlreadyReserved: 1"):
        bare_fund.reserveForRound(1, 1_000, {"from": vote_stand_in})


def test_an_unreserved_round_cannot_be_settled_or_released(bare_fund, vote_stand_in):
    with brownie.reverts("CommunityFundUnknownRound: 5"):
        bare_fund.settleRound(5, 0, {"from": vote_stand_in})
    with brownie.reverts("CommunityFundUnknownRound: 5"):
        bare_fund.releaseRound(5, {"from": vote_stand_in})


def test_a_round_reserve_closes_once(bare_fund, vote_stand_in):
    bare_fund.reserveForRound(1, 1_000, {"from": vote_stand_in})
    tx = bare_fund.settleRound(1, 400, {"from": vote_stand_in})
    assert_event(tx, "RoundSettled", roundId=1, committedKopiyky=400, returnedKopiyky=600)
    with brownie.reverts("CommunityFundUnknownRound: 1"):
        bare_fund.settleRound(1, 400, {"from": vote_stand_in})
    with brownie.reverts("CommunityFundUnknownRound: 1"):
        bare_fund.releaseRound(1, {"from": vote_stand_in})


# ---------------------------------------------------------------- round reserves (through BalancedVote)


def test_a_round_reserves_its_fund_from_the_token_fund_first(vote, fund, council, earned):
    before = ledger_of(fund)
    assert before["tokenFund"] >= 60_000
    tx = vote.createRound(round_params_now(60_000), {"from": council})
    round_id = tx.events["RoundCreated"]["roundId"]
    assert_event(tx, "RoundReserved", roundId=round_id, fromTokenFund=60_000, fromAvailable=0)
    assert fund.roundReserve(round_id).dict() == {"fromTokenFund": 60_000, "fromAvailable": 0, "open": True}
    after = ledger_of(fund)
    assert after["tokenFund"] == before["tokenFund"] - 60_000
    assert after["available"] == before["available"]
    assert after["roundReserves"] == before["roundReserves"] + 60_000


def test_a_round_beyond_the_token_fund_takes_the_rest_from_available_capital(vote, fund, council, earned):
    before = ledger_of(fund)
    token_fund = before["tokenFund"]
    tx = vote.createRound(round_params_now(token_fund + 150_000), {"from": council})
    round_id = tx.events["RoundCreated"]["roundId"]
    assert_event(tx, "RoundReserved", roundId=round_id, fromTokenFund=token_fund, fromAvailable=150_000)
    after = ledger_of(fund)
    assert after["tokenFund"] == 0
    assert after["available"] == before["available"] - 150_000
    assert after["roundReserves"] == before["roundReserves"] + token_fund + 150_000


def test_a_round_beyond_token_fund_and_available_capital_is_refused(vote, fund, council, earned):
    ledger = fund.ledger()
    have = ledger["tokenFund"] + ledger["available"]
    with brownie.reverts(f"CommunityFundInsufficientCapital: {have + 1}, {have}"):
        vote.createRound(round_params_now(have + 1), {"from": council})


def test_a_round_with_no_votes_returns_its_whole_fund(vote, fund, council, alice, earned):
    before = ledger_of(fund)
    round_id, tx = run_round(vote, council, [(alice, 30_000, 0)], [], fund_kopiyky=50_000)
    assert_event(tx, "RoundSettled", roundId=round_id, committedKopiyky=0, returnedKopiyky=50_000)
    after = ledger_of(fund)
    assert after["committed"] == before["committed"]
    assert after["available"] == before["available"] + 50_000
    assert after["tokenFund"] == before["tokenFund"] - 50_000


def test_cancelling_a_round_returns_its_fund_where_it_came_from(vote, fund, council, alice, earned):
    before = ledger_of(fund)
    token_fund = before["tokenFund"]
    round_id, _ = run_round(
        vote, council, [(alice, 30_000, 0)], [(alice, [1], [3])], fund_kopiyky=token_fund + 7, finalise=False
    )
    tx = vote.cancelRound(round_id, {"from": council})
    assert_event(tx, "RoundReleased", roundId=round_id, toTokenFund=token_fund, toAvailable=7)
    assert ledger_of(fund) == before
    assert fund.roundReserve(round_id)["open"] is False


def test_finalising_commits_the_funded_amounts_and_returns_the_rest(fund, granted):
    before, after = granted["before"], granted["after"]
    assert_event(
        granted["finalised"],
        "RoundSettled",
        roundId=granted["round"],
        committedKopiyky=100_000,
        returnedKopiyky=10_000,
    )
    assert after["committed"] == before["committed"] + 100_000
    assert after["roundReserves"] == before["roundReserves"]
    # 100,000 came from the token fund and 10,000 from available capital; the 10,000 not funded returns to
    # available capital (the RV voted was burned).
    assert after["tokenFund"] == before["tokenFund"] - 100_000
    assert after["available"] == before["available"]
    assert fund.roundReserve(granted["round"])["open"] is False


# ---------------------------------------------------------------- grants


def test_a_grant_waits_for_the_round_to_be_finalised(vote, fund, council, alice, earned):
    round_id, _ = run_round(
        vote, council, [(alice, 30_000, 0)], [(alice, [1], [1])], fund_kopiyky=50_000, finalise=False
    )
    with brownie.reverts(f"CommunityFundProjectNotPayable: {round_id}, 1"):
        fund.payGrant(round_id, 1, h("too-early"), {"from": council})
    chain.sleep(7 * DAY + 1)
    vote.cancelRound(round_id, {"from": council})
    with brownie.reverts(f"CommunityFundProjectNotPayable: {round_id}, 1"):
        fund.payGrant(round_id, 1, h("cancelled"), {"from": council})


def test_treasurer_pays_a_funded_project_as_a_grant(fund, council, granted):
    round_id = granted["round"]
    before = ledger_of(fund)
    cycle, all_time = fund.impact(1)["grantsKopiyky"], fund.impact(0)["grantsKopiyky"]
    tx = fund.payGrant(round_id, 2, h("grant-receipt-2"), {"from": council})
    assert_event(
        tx, "GrantPaid", roundId=round_id, projectId=2, amountKopiyky=50_000, receiptHash=h("grant-receipt-2")
    )
    after = ledger_of(fund)
    assert after["committed"] == before["committed"] - 50_000
    assert after["grantsPaid"] == before["grantsPaid"] + 50_000
    assert fund.impact(1)["grantsKopiyky"] == cycle + 50_000
    assert fund.impact(0)["grantsKopiyky"] == all_time + 50_000
    assert fund.isProjectSettled(round_id, 2)
    assert fund.isReceiptUsed(h("grant-receipt-2"))


def test_only_the_treasurer_pays_grants(fund, bob, granted):
    with brownie.reverts(not_treasurer(bob)):
        fund.payGrant(granted["round"], 2, h("grant-receipt"), {"from": bob})


def test_a_grant_is_paid_only_once(fund, council, granted):
    round_id = granted["round"]
    fund.payGrant(round_id, 1, h("grant-receipt-1"), {"from": council})
    with brownie.reverts(f"CommunityFundProjectNotPayable: {round_id}, 1"):
        fund.payGrant(round_id, 1, h("grant-receipt-1-again"), {"from": council})
    with brownie.reverts(f"CommunityFundProjectNotPayable: {round_id}, 1"):
        fund.releaseProjectFunds(round_id, 1, {"from": council})


def test_an_unfunded_project_is_not_paid(fund, council, granted):
    round_id = granted["round"]
    with brownie.reverts(f"CommunityFundProjectNotPayable: {round_id}, 3"):
        fund.payGrant(round_id, 3, h("grant-receipt-3"), {"from": council})


def test_a_grant_for_an_unknown_round_or_project_is_refused(fund, council, granted):
    unknown_round = granted["round"] + 1
    with brownie.reverts(f"BalancedVoteUnknownRound: {unknown_round}"):
        fund.payGrant(unknown_round, 1, h("receipt"), {"from": council})
    with brownie.reverts(f"BalancedVoteUnknownProject: {granted['round']}, 5"):
        fund.payGrant(granted["round"], 5, h("receipt"), {"from": council})


def test_a_project_with_a_loan_is_not_paid_as_a_grant(fund, council, granted):
    round_id = granted["round"]
    with brownie.reverts(f"CommunityFundProjectNotPayable: {round_id}, 4"):
        fund.payGrant(round_id, 4, h("grant-receipt"), {"from": council})


def test_a_grant_needs_a_new_receipt(fund, council, granted):
    round_id = granted["round"]
    with brownie.reverts("CommunityFundZeroHash: "):
        fund.payGrant(round_id, 1, "0x" + "00" * 32, {"from": council})
    with brownie.reverts(f"CommunityFundDuplicateReceipt: {h('receipt-capital-1')}"):
        fund.payGrant(round_id, 1, h("receipt-capital-1"), {"from": council})


def test_treasurer_releases_a_funded_projects_money_to_available_capital(fund, council, granted):
    round_id = granted["round"]
    before = ledger_of(fund)
    tx = fund.releaseProjectFunds(round_id, 2, {"from": council})
    assert_event(tx, "ProjectFundsReleased", roundId=round_id, projectId=2, amountKopiyky=50_000)
    after = ledger_of(fund)
    assert after["committed"] == before["committed"] - 50_000
    assert after["available"] == before["available"] + 50_000
    assert fund.isProjectSettled(round_id, 2)
    with brownie.reverts(f"CommunityFundProjectNotPayable: {round_id}, 2"):
        fund.payGrant(round_id, 2, h("after-release"), {"from": council})


def test_only_the_treasurer_releases_project_funds(fund, alice, granted):
    with brownie.reverts(not_treasurer(alice)):
        fund.releaseProjectFunds(granted["round"], 1, {"from": alice})


def test_an_unfunded_projects_money_cannot_be_released(fund, council, granted):
    round_id = granted["round"]
    with brownie.reverts(f"CommunityFundProjectNotPayable: {round_id}, 3"):
        fund.releaseProjectFunds(round_id, 3, {"from": council})


def test_the_ledger_balances_after_a_round_and_its_grants(fund, council, granted):
    round_id = granted["round"]
    fund.payGrant(round_id, 1, h("grant-1"), {"from": council})
    fund.releaseProjectFunds(round_id, 2, {"from": council})
    fund.releaseProjectFunds(round_id, 4, {"from": council})
    ledger = ledger_of(fund)
    assert ledger["committed"] == granted["before"]["committed"]
    assert ledger_total(ledger) == ledger["deposits"]


# ---------------------------------------------------------------- impact ratio


def test_impact_ratio_is_zero_before_any_rv_is_issued(fund, council, capital):
    fund.openCycle(h("quiet-cycle"), {"from": council})
    assert fund.impactRatioBps(2) == 0


def test_impact_ratio_of_the_second_pilot_is_4_5788(cases, fund, council, verifiers, capital, residents):
    """(UAH 349,470 of cases + UAH 97,650 of RV) / UAH 97,650 = 4.57880..., in basis points 45,788."""
    fund.openCycle(h("pilot-2"), {"from": council})
    programme_id, _ = new_programme(
        cases,
        council,
        verifiers,
        reward=1_953,
        case_value=34_947_000,
        token_cap=1_953,
        per_resident_cap=1_953,
    )
    cases.submitCase(programme_id, h("pilot-cases"), {"from": residents[0]})
    cases.approveCase(cases.caseCount(), {"from": verifiers[0]})
    assert fund.impact(2)["rvIssuedKopiyky"] == 9_765_000
    assert fund.impactRatioBps(2) == 45_788


def test_impact_ratio_rounds_down(cases, fund, council, verifiers, capital, residents):
    """Case value 1 kopiyka on 3 RV: (1 + 15,000) / 15,000 = 1.000066... gives 10,000, not 10,001."""
    fund.openCycle(h("tiny"), {"from": council})
    programme_id, _ = new_programme(
        cases, council, verifiers, reward=3, case_value=1, token_cap=3, per_resident_cap=3
    )
    cases.submitCase(programme_id, h("tiny-case"), {"from": residents[0]})
    cases.approveCase(cases.caseCount(), {"from": verifiers[0]})
    assert fund.impactRatioBps(2) == 10_000


def test_all_time_impact_ratio_sums_every_cycle(cases, fund, council, verifiers, programme, carol):
    """Every case of programme 1 is worth 400 UAH for 2 RV (100 UAH): 5.0 in each cycle and in all time."""
    earn(cases, verifiers[0], carol, 1, tag="cycle-1")
    fund.openCycle(h("cycle-2"), {"from": council})
    earn(cases, verifiers[0], carol, 1, tag="cycle-2")
    assert fund.impactRatioBps(1) == fund.impactRatioBps(2) == fund.impactRatioBps(0) == 50_000
    assert fund.impact(2)["rvIssuedKopiyky"] == 2 * FACE_VALUE
