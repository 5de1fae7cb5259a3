"""CommunityFund: interest-free loans from application to repayment or write-off, and approval by a round.

Module fixtures accumulate state (capital, earned RV, finalised rounds with loan projects), so tests take
loan ids from events and assert changes of the ledger rather than its absolute values.
"""

import brownie
import pytest
from cts_helpers import DAY, h
from fund_helpers import (
    GREEDY,
    PROPORTIONAL,
    ST_ACTIVE,
    ST_APPLIED,
    ST_APPROVED,
    ST_CANCELLED,
    ST_DEFAULTED,
    ST_OVERDUE,
    ST_REJECTED,
    ST_REPAID,
    STATUS_APPLIED,
    assert_event,
    earn,
    hx,
    ledger_of,
    not_treasurer,
    run_round,
    sleep_until,
)

HOUR = 60 * 60
PLAN = (10_000, 10_000)  # two instalments of 100 UAH ...
DUE = (30 * DAY, 60 * DAY)  # ... due 30 and 60 days after disbursement
ZERO_HASH = "0x" + "00" * 32


@pytest.fixture(scope="module")
def entrepreneur(residents, capital):
    """Carol (resident 3) borrows; the fund holds 10,000,000 UAH."""
    return residents[2]


@pytest.fixture(scope="module")
def voters(cases, verifiers, programme, alice, bob):
    """Alice holds 10 RV and Bob 2 RV to vote with."""
    earn(cases, verifiers[0], alice, 5)
    earn(cases, verifiers[0], bob, 1)
    return alice, bob


@pytest.fixture(scope="module")
def loan_round(fund, vote, council, entrepreneur, voters):
    """A finalised greedy round of 80,000 where Alice voted for projects 1, 2, 3 and 5:
    1: Carol's loan A (20,000), funded;   2: Bob's grant (20,000), funded;
    3: Bob's loan B (20,000), funded;     4: Carol's loan C (10,000), no votes, unfunded;
    5: Carol's loan A again (20,000), funded."""
    alice, bob = voters
    carol = entrepreneur
    loan_a = apply_for(fund, carol, meta="workshop")
    loan_b = apply_for(fund, bob, meta="bakery")
    loan_c = apply_for(fund, carol, (5_000, 5_000), meta="kiosk")
    round_id, _ = run_round(
        vote,
        council,
        [
            (carol, 20_000, loan_a),
            (bob, 20_000, 0),
            (bob, 20_000, loan_b),
            (carol, 10_000, loan_c),
            (carol, 20_000, loan_a),
        ],
        [(alice, [1, 2, 3, 5], [1, 1, 1, 1])],
        fund_kopiyky=80_000,
        rule=GREEDY,
    )
    return {"round": round_id, "a": loan_a, "b": loan_b, "c": loan_c}


@pytest.fixture(scope="module")
def halved_round(fund, vote, council, entrepreneur, voters):
    """A finalised round of 30,000 shared in proportion to weight between two equally supported loan projects
    asking 30,000 each, so each was funded 15,000: 1: Carol's loan D (7,001 + 11,000 + 11,999);
    2: Bob's loan E (1 + 29,999)."""
    alice, bob = voters
    carol = entrepreneur
    loan_d = apply_for(fund, carol, (7_001, 11_000, 11_999), (30 * DAY, 60 * DAY, 90 * DAY), meta="sewing")
    loan_e = apply_for(fund, bob, (1, 29_999), meta="repairs")
    round_id, _ = run_round(
        vote,
        council,
        [(carol, 30_000, loan_d), (bob, 30_000, loan_e)],
        [(alice, [1, 2], [2, 2])],
        fund_kopiyky=30_000,
        rule=PROPORTIONAL,
    )
    return {"round": round_id, "d": loan_d, "e": loan_e}


def apply_for(fund, who, instalments=PLAN, offsets=DUE, *, meta="plan"):
    """`who` applies for a loan; returns its id."""
    tx = fund.applyForLoan(list(instalments), list(offsets), h(meta), {"from": who})
    return tx.events["LoanApplied"]["loanId"]


def approved(fund, council, who, instalments=PLAN, offsets=DUE):
    loan_id = apply_for(fund, who, instalments, offsets)
    fund.approveLoan(loan_id, {"from": council})
    return loan_id


def disbursed(fund, council, who, instalments=PLAN, offsets=DUE):
    """An active loan; returns (id, disbursement tx)."""
    loan_id = approved(fund, council, who, instalments, offsets)
    return loan_id, fund.disburseLoan(loan_id, h(f"disbursement-{loan_id}"), {"from": council})


def state_error(loan_id, current, expected):
    return f"CommunityFundUnexpectedLoanState: {loan_id}, {current}, {expected}"


# ---------------------------------------------------------------- applying


def test_an_active_resident_applies_for_a_loan(fund, entrepreneur):
    before = ledger_of(fund)
    tx = fund.applyForLoan([10_000, 10_000], [30 * DAY, 60 * DAY], h("bakery-plan"), {"from": entrepreneur})
    loan_id = fund.loanCount()
    assert_event(
        tx,
        "LoanApplied",
        loanId=loan_id,
        applicantId=3,
        applicant=entrepreneur,
        principal=20_000,
        metadataHash=h("bakery-plan"),
    )
    loan = fund.loan(loan_id)
    assert loan["applicantId"] == 3 and loan["applicant"] == entrepreneur
    assert loan["status"] == STATUS_APPLIED
    assert loan["appliedAt"] == tx.timestamp and loan["disbursedAt"] == 0
    assert loan["roundId"] == loan["projectId"] == 0
    assert loan["principal"] == 20_000 and loan["repaid"] == 0
    assert loan["metadataHash"] == hx("bakery-plan")
    assert list(loan["instalments"]) == [10_000, 10_000]
    assert list(loan["dueOffsets"]) == [30 * DAY, 60 * DAY]
    assert fund.loanState(loan_id) == ST_APPLIED
    assert fund.outstanding(loan_id) == 0
    assert ledger_of(fund) == before


def test_someone_not_registered_cannot_apply(fund, outsider):
    with brownie.reverts(f"ResidentRegistryNotActive: {outsider.address.lower()}, 0"):
        fund.applyForLoan(list(PLAN), list(DUE), h("plan"), {"from": outsider})


def test_a_suspended_resident_cannot_apply(fund, registry, registrar, entrepreneur):
    registry.suspendResident(entrepreneur, 4, {"from": registrar})
    with brownie.reverts(f"ResidentRegistryNotActive: {entrepreneur.address.lower()}, 2"):
        fund.applyForLoan(list(PLAN), list(DUE), h("plan"), {"from": entrepreneur})


INVALID_SCHEDULES = {
    "empty": ([], []),
    "longer-than-max-instalments": ([100] * 61, [DAY * (i + 1) for i in range(61)]),
    "more-due-times-than-instalments": ([100, 100], [DAY, 2 * DAY, 3 * DAY]),
    "fewer-due-times-than-instalments": ([100, 100], [DAY]),
    "a-zero-instalment": ([100, 0, 100], [DAY, 2 * DAY, 3 * DAY]),
    "due-at-disbursement": ([100], [0]),
    "two-instalments-due-together": ([100, 100], [DAY, DAY]),
    "due-times-out-of-order": ([100, 100, 100], [DAY, 3 * DAY, 2 * DAY]),
    "principal-beyond-128-bits": ([2**128 - 1, 1], [DAY, 2 * DAY]),
}


@pytest.mark.parametrize("schedule", INVALID_SCHEDULES.values(), ids=INVALID_SCHEDULES.keys())
def test_an_invalid_schedule_is_refused(fund, entrepreneur, schedule):
    instalments, offsets = schedule
    with brownie.reverts("CommunityFundInvalidSchedule: "):
        fund.applyForLoan(instalments, offsets, h("plan"), {"from": entrepreneur})


def test_a_schedule_of_max_instalments_is_accepted(fund, entrepreneur):
    count = fund.MAX_INSTALMENTS()
    assert count == 60
    loan_id = apply_for(fund, entrepreneur, [100] * count, [DAY * (i + 1) for i in range(count)])
    assert fund.loan(loan_id)["principal"] == 100 * count
    assert len(fund.loan(loan_id)["instalments"]) == count


def test_an_application_needs_a_metadata_hash(fund, entrepreneur):
    with brownie.reverts("CommunityFundZeroHash: "):
        fund.applyForLoan(list(PLAN), list(DUE), ZERO_HASH, {"from": entrepreneur})


# ---------------------------------------------------------------- approving, rejecting, cancelling


def test_treasurer_approves_a_loan_from_available_capital(fund, council, entrepreneur):
    loan_id = apply_for(fund, entrepreneur)
    before = ledger_of(fund)
    tx = fund.approveLoan(loan_id, {"from": council})
    assert_event(tx, "LoanApproved", loanId=loan_id, principal=20_000, roundId=0, projectId=0)
    after = ledger_of(fund)
    assert after["available"] == before["available"] - 20_000
    assert after["committed"] == before["committed"] + 20_000
    assert fund.loanState(loan_id) == ST_APPROVED
    assert fund.outstanding(loan_id) == 0


def test_only_the_treasurer_approves_loans(fund, entrepreneur):
    loan_id = apply_for(fund, entrepreneur)
    with brownie.reverts(not_treasurer(entrepreneur)):
        fund.approveLoan(loan_id, {"from": entrepreneur})


def test_a_loan_beyond_available_capital_is_not_approved(fund, council, entrepreneur):
    available = fund.ledger()["available"]
    loan_id = apply_for(fund, entrepreneur, [available + 1], [DAY])
    with brownie.reverts(f"CommunityFundInsufficientCapital: {available + 1}, {available}"):
        fund.approveLoan(loan_id, {"from": council})


def test_only_an_application_is_approved(fund, council, entrepreneur):
    loan_id = approved(fund, council, entrepreneur)
    with brownie.reverts(state_error(loan_id, ST_APPROVED, ST_APPLIED)):
        fund.approveLoan(loan_id, {"from": council})
    rejected = apply_for(fund, entrepreneur)
    fund.rejectLoan(rejected, 1, {"from": council})
    with brownie.reverts(state_error(rejected, ST_REJECTED, ST_APPLIED)):
        fund.approveLoan(rejected, {"from": council})


def test_an_unknown_loan_is_refused(fund, council, entrepreneur):
    apply_for(fund, entrepreneur)
    unknown = fund.loanCount() + 1
    with brownie.reverts("CommunityFundUnknownLoan: 0"):
        fund.approveLoan(0, {"from": council})
    with brownie.reverts(f"CommunityFundUnknownLoan: {unknown}"):
        fund.approveLoan(unknown, {"from": council})
    for view in (fund.loan, fund.loanState, fund.outstanding):
        with brownie.reverts(f"CommunityFundUnknownLoan: {unknown}"):
            view(unknown)


def test_treasurer_rejects_an_application_with_a_reason(fund, council, entrepreneur):
    loan_id = apply_for(fund, entrepreneur)
    before = ledger_of(fund)
    tx = fund.rejectLoan(loan_id, 3, {"from": council})
    assert_event(tx, "LoanRejected", loanId=loan_id, reasonCode=3)
    assert fund.loanState(loan_id) == ST_REJECTED
    assert ledger_of(fund) == before


def test_a_rejection_needs_a_reason_code(fund, council, entrepreneur):
    loan_id = apply_for(fund, entrepreneur)
    with brownie.reverts("CommunityFundZeroReasonCode: "):
        fund.rejectLoan(loan_id, 0, {"from": council})


def test_only_an_application_is_rejected(fund, council, entrepreneur):
    loan_id = approved(fund, council, entrepreneur)
    with brownie.reverts(state_error(loan_id, ST_APPROVED, ST_APPLIED)):
        fund.rejectLoan(loan_id, 3, {"from": council})


def test_only_the_treasurer_rejects_loans(fund, entrepreneur, outsider):
    loan_id = apply_for(fund, entrepreneur)
    with brownie.reverts(not_treasurer(outsider)):
        fund.rejectLoan(loan_id, 3, {"from": outsider})


def test_cancelling_an_approved_loan_returns_its_money_to_available_capital(fund, council, entrepreneur):
    loan_id = approved(fund, council, entrepreneur)
    before = ledger_of(fund)
    tx = fund.cancelLoan(loan_id, {"from": council})
    assert_event(tx, "LoanCancelled", loanId=loan_id, returnedKopiyky=20_000)
    after = ledger_of(fund)
    assert after["committed"] == before["committed"] - 20_000
    assert after["available"] == before["available"] + 20_000
    assert fund.loanState(loan_id) == ST_CANCELLED


def test_only_an_approved_loan_is_cancelled(fund, council, entrepreneur):
    applied = apply_for(fund, entrepreneur)
    with brownie.reverts(state_error(applied, ST_APPLIED, ST_APPROVED)):
        fund.cancelLoan(applied, {"from": council})
    active, _ = disbursed(fund, council, entrepreneur)
    with brownie.reverts(state_error(active, ST_ACTIVE, ST_APPROVED)):
        fund.cancelLoan(active, {"from": council})


def test_only_the_treasurer_cancels_loans(fund, council, entrepreneur):
    loan_id = approved(fund, council, entrepreneur)
    with brownie.reverts(not_treasurer(entrepreneur)):
        fund.cancelLoan(loan_id, {"from": entrepreneur})


# ---------------------------------------------------------------- disbursing


def test_disbursing_moves_the_principal_from_committed_to_outstanding(fund, council, entrepreneur):
    loan_id = approved(fund, council, entrepreneur)
    before = ledger_of(fund)
    lent_cycle, lent_all_time = fund.impact(1)["lentKopiyky"], fund.impact(0)["lentKopiyky"]
    tx = fund.disburseLoan(loan_id, h("bank-transfer-1"), {"from": council})
    assert_event(
        tx, "LoanDisbursed", loanId=loan_id, cycleId=1, amountKopiyky=20_000, receiptHash=h("bank-transfer-1")
    )
    assert fund.loan(loan_id)["disbursedAt"] == tx.timestamp
    assert fund.loanState(loan_id) == ST_ACTIVE
    assert fund.outstanding(loan_id) == 20_000
    after = ledger_of(fund)
    assert after["committed"] == before["committed"] - 20_000
    assert after["loansOutstanding"] == before["loansOutstanding"] + 20_000
    assert fund.impact(1)["lentKopiyky"] == lent_cycle + 20_000
    assert fund.impact(0)["lentKopiyky"] == lent_all_time + 20_000


def test_only_an_approved_loan_is_disbursed(fund, council, entrepreneur):
    applied = apply_for(fund, entrepreneur)
    with brownie.reverts(state_error(applied, ST_APPLIED, ST_APPROVED)):
        fund.disburseLoan(applied, h("receipt-a"), {"from": council})
    active, _ = disbursed(fund, council, entrepreneur)
    with brownie.reverts(state_error(active, ST_ACTIVE, ST_APPROVED)):
        fund.disburseLoan(active, h("receipt-b"), {"from": council})
    cancelled = approved(fund, council, entrepreneur)
    fund.cancelLoan(cancelled, {"from": council})
    with brownie.reverts(state_error(cancelled, ST_CANCELLED, ST_APPROVED)):
        fund.disburseLoan(cancelled, h("receipt-c"), {"from": council})


def test_a_disbursement_needs_a_new_receipt(fund, council, entrepreneur):
    loan_id = approved(fund, council, entrepreneur)
    with brownie.reverts("CommunityFundZeroHash: "):
        fund.disburseLoan(loan_id, ZERO_HASH, {"from": council})
    with brownie.reverts(f"CommunityFundDuplicateReceipt: {h('receipt-capital-1')}"):
        fund.disburseLoan(loan_id, h("receipt-capital-1"), {"from": council})


def test_only_the_treasurer_disburses_loans(fund, council, entrepreneur):
    loan_id = approved(fund, council, entrepreneur)
    with brownie.reverts(not_treasurer(entrepreneur)):
        fund.disburseLoan(loan_id, h("receipt"), {"from": entrepreneur})


# ---------------------------------------------------------------- repaying


def test_a_partial_repayment_reduces_what_is_owed(fund, council, entrepreneur):
    loan_id, _ = disbursed(fund, council, entrepreneur)
    before = ledger_of(fund)
    repaid_cycle, repaid_all_time = fund.impact(1)["repaidKopiyky"], fund.impact(0)["repaidKopiyky"]
    tx = fund.recordRepayment(loan_id, 7_500, h("repayment-1"), {"from": council})
    assert_event(
        tx,
        "LoanRepaid",
        loanId=loan_id,
        cycleId=1,
        amountKopiyky=7_500,
        outstanding=12_500,
        receiptHash=h("repayment-1"),
    )
    assert fund.outstanding(loan_id) == 12_500
    assert fund.loan(loan_id)["repaid"] == 7_500
    assert fund.loanState(loan_id) == ST_ACTIVE
    after = ledger_of(fund)
    assert after["loansOutstanding"] == before["loansOutstanding"] - 7_500
    assert after["available"] == before["available"] + 7_500
    assert fund.impact(1)["repaidKopiyky"] == repaid_cycle + 7_500
    assert fund.impact(0)["repaidKopiyky"] == repaid_all_time + 7_500


def test_the_last_repayment_completes_the_loan(fund, council, entrepreneur):
    before = ledger_of(fund)
    loan_id, _ = disbursed(fund, council, entrepreneur)
    fund.recordRepayment(loan_id, 10_000, h("repayment-1"), {"from": council})
    tx = fund.recordRepayment(loan_id, 10_000, h("repayment-2"), {"from": council})
    assert tx.events["LoanRepaid"]["outstanding"] == 0
    assert fund.loanState(loan_id) == ST_REPAID
    assert fund.outstanding(loan_id) == 0
    after = ledger_of(fund)
    assert after["loansOutstanding"] == before["loansOutstanding"]
    assert after["available"] == before["available"]


def test_a_repayment_beyond_what_is_owed_is_refused(fund, council, entrepreneur):
    loan_id, _ = disbursed(fund, council, entrepreneur)
    with brownie.reverts(f"CommunityFundRepaymentTooLarge: {loan_id}, 20001, 20000"):
        fund.recordRepayment(loan_id, 20_001, h("too-much"), {"from": council})
    fund.recordRepayment(loan_id, 15_000, h("repayment-1"), {"from": council})
    with brownie.reverts(f"CommunityFundRepaymentTooLarge: {loan_id}, 5001, 5000"):
        fund.recordRepayment(loan_id, 5_001, h("too-much"), {"from": council})


def test_a_repayment_of_nothing_is_refused(fund, council, entrepreneur):
    loan_id, _ = disbursed(fund, council, entrepreneur)
    with brownie.reverts("CommunityFundZeroAmount: "):
        fund.recordRepayment(loan_id, 0, h("nothing"), {"from": council})


def test_a_repayment_needs_a_new_receipt(fund, council, entrepreneur):
    loan_id, _ = disbursed(fund, council, entrepreneur)
    with brownie.reverts("CommunityFundZeroHash: "):
        fund.recordRepayment(loan_id, 1_000, ZERO_HASH, {"from": council})
    with brownie.reverts(f"CommunityFundDuplicateReceipt: {h(f'disbursement-{loan_id}')}"):
        fund.recordRepayment(loan_id, 1_000, h(f"disbursement-{loan_id}"), {"from": council})


def test_only_an_active_or_overdue_loan_is_repaid(fund, council, entrepreneur):
    waiting = approved(fund, council, entrepreneur)
    with brownie.reverts(state_error(waiting, ST_APPROVED, ST_ACTIVE)):
        fund.recordRepayment(waiting, 1_000, h("early"), {"from": council})
    finished, _ = disbursed(fund, council, entrepreneur, [5_000], [DAY])
    fund.recordRepayment(finished, 5_000, h("all"), {"from": council})
    with brownie.reverts(state_error(finished, ST_REPAID, ST_ACTIVE)):
        fund.recordRepayment(finished, 1, h("more"), {"from": council})
    lost, disbursement = disbursed(fund, council, entrepreneur, [5_000], [DAY])
    sleep_until(disbursement.timestamp + DAY + HOUR)
    fund.markDefaulted(lost, {"from": council})
    with brownie.reverts(state_error(lost, ST_DEFAULTED, ST_ACTIVE)):
        fund.recordRepayment(lost, 1_000, h("late"), {"from": council})


def test_repayments_count_in_the_cycle_they_are_recorded_in(fund, council, entrepreneur):
    loan_id, _ = disbursed(fund, council, entrepreneur)
    lent = fund.impact(1)["lentKopiyky"]
    fund.openCycle(h("cycle-2"), {"from": council})
    tx = fund.recordRepayment(loan_id, 5_000, h("repayment-1"), {"from": council})
    assert tx.events["LoanRepaid"]["cycleId"] == 2
    assert fund.impact(2)["repaidKopiyky"] == 5_000
    assert fund.impact(2)["lentKopiyky"] == 0
    assert fund.impact(1)["lentKopiyky"] == lent


def test_only_the_treasurer_records_repayments(fund, council, entrepreneur):
    loan_id, _ = disbursed(fund, council, entrepreneur)
    with brownie.reverts(not_treasurer(entrepreneur)):
        fund.recordRepayment(loan_id, 1_000, h("self-reported"), {"from": entrepreneur})


# ---------------------------------------------------------------- overdue and default


def test_a_loan_becomes_overdue_when_an_instalment_falls_due_unpaid(fund, council, entrepreneur):
    loan_id, disbursement = disbursed(fund, council, entrepreneur)
    sleep_until(disbursement.timestamp + 30 * DAY - HOUR)
    assert fund.loanState(loan_id) == ST_ACTIVE
    sleep_until(disbursement.timestamp + 30 * DAY + HOUR)
    assert fund.loanState(loan_id) == ST_OVERDUE
    assert fund.outstanding(loan_id) == 20_000


def test_catching_up_makes_an_overdue_loan_active_again(fund, council, entrepreneur):
    loan_id, disbursement = disbursed(fund, council, entrepreneur)
    sleep_until(disbursement.timestamp + 30 * DAY + HOUR)
    fund.recordRepayment(loan_id, 10_000, h("first-instalment"), {"from": council})
    assert fund.loanState(loan_id) == ST_ACTIVE
    sleep_until(disbursement.timestamp + 60 * DAY + HOUR)
    assert fund.loanState(loan_id) == ST_OVERDUE
    fund.recordRepayment(loan_id, 10_000, h("second-instalment"), {"from": council})
    assert fund.loanState(loan_id) == ST_REPAID


def test_part_of_a_due_instalment_leaves_the_loan_overdue(fund, council, entrepreneur):
    loan_id, disbursement = disbursed(fund, council, entrepreneur)
    sleep_until(disbursement.timestamp + 30 * DAY + HOUR)
    fund.recordRepayment(loan_id, 9_999, h("almost"), {"from": council})
    assert fund.loanState(loan_id) == ST_OVERDUE


def test_paying_ahead_keeps_a_loan_active_past_its_due_times(fund, council, entrepreneur):
    loan_id, disbursement = disbursed(fund, council, entrepreneur)
    fund.recordRepayment(loan_id, 12_000, h("ahead"), {"from": council})
    sleep_until(disbursement.timestamp + 30 * DAY + HOUR)
    assert fund.loanState(loan_id) == ST_ACTIVE
    sleep_until(disbursement.timestamp + 60 * DAY + HOUR)
    assert fund.loanState(loan_id) == ST_OVERDUE


def test_an_overdue_loan_is_written_off(fund, council, entrepreneur):
    loan_id, disbursement = disbursed(fund, council, entrepreneur)
    fund.recordRepayment(loan_id, 5_000, h("some"), {"from": council})
    sleep_until(disbursement.timestamp + 30 * DAY + HOUR)
    before = ledger_of(fund)
    written_off = fund.impact(0)["writtenOffKopiyky"]
    tx = fund.markDefaulted(loan_id, {"from": council})
    assert_event(tx, "LoanDefaulted", loanId=loan_id, cycleId=1, writtenOffKopiyky=15_000)
    after = ledger_of(fund)
    assert after["loansOutstanding"] == before["loansOutstanding"] - 15_000
    assert after["writtenOff"] == before["writtenOff"] + 15_000
    assert fund.impact(1)["writtenOffKopiyky"] == fund.impact(0)["writtenOffKopiyky"] == written_off + 15_000
    assert fund.loanState(loan_id) == ST_DEFAULTED
    assert fund.outstanding(loan_id) == 0
    assert fund.loan(loan_id)["repaid"] == 5_000


def test_only_an_overdue_loan_is_defaulted(fund, council, entrepreneur):
    applied = apply_for(fund, entrepreneur)
    with brownie.reverts(state_error(applied, ST_APPLIED, ST_OVERDUE)):
        fund.markDefaulted(applied, {"from": council})
    active, disbursement = disbursed(fund, council, entrepreneur)
    with brownie.reverts(state_error(active, ST_ACTIVE, ST_OVERDUE)):
        fund.markDefaulted(active, {"from": council})
    fund.recordRepayment(active, 20_000, h("all"), {"from": council})
    sleep_until(disbursement.timestamp + 60 * DAY + HOUR)
    with brownie.reverts(state_error(active, ST_REPAID, ST_OVERDUE)):
        fund.markDefaulted(active, {"from": council})


def test_only_the_treasurer_defaults_loans(fund, council, entrepreneur):
    loan_id, disbursement = disbursed(fund, council, entrepreneur)
    sleep_until(disbursement.timestamp + 30 * DAY + HOUR)
    with brownie.reverts(not_treasurer(entrepreneur)):
        fund.markDefaulted(loan_id, {"from": entrepreneur})


def test_outstanding_is_owed_only_while_a_loan_is_active(fund, council, entrepreneur):
    loan_id = apply_for(fund, entrepreneur)
    assert fund.outstanding(loan_id) == 0
    fund.approveLoan(loan_id, {"from": council})
    assert fund.outstanding(loan_id) == 0
    disbursement = fund.disburseLoan(loan_id, h("paid-out"), {"from": council})
    assert fund.outstanding(loan_id) == 20_000
    fund.recordRepayment(loan_id, 4_000, h("part"), {"from": council})
    sleep_until(disbursement.timestamp + 30 * DAY + HOUR)
    assert fund.loanState(loan_id) == ST_OVERDUE
    assert fund.outstanding(loan_id) == 16_000
    fund.recordRepayment(loan_id, 16_000, h("rest"), {"from": council})
    assert fund.outstanding(loan_id) == 0


# ---------------------------------------------------------------- approval by a round


def test_anyone_approves_a_loan_by_the_project_it_funded(fund, council, outsider, loan_round):
    round_id, loan_id = loan_round["round"], loan_round["a"]
    before = ledger_of(fund)
    tx = fund.approveLoanByRound(loan_id, round_id, 1, {"from": outsider})
    assert_event(tx, "LoanApproved", loanId=loan_id, principal=20_000, roundId=round_id, projectId=1)
    loan = fund.loan(loan_id)
    assert loan["roundId"] == round_id and loan["projectId"] == 1
    assert fund.loanState(loan_id) == ST_APPROVED
    assert fund.isProjectSettled(round_id, 1)
    # The round's settlement already committed the money: approval moves nothing.
    assert ledger_of(fund) == before
    fund.disburseLoan(loan_id, h("bank-transfer"), {"from": council})
    assert ledger_of(fund)["committed"] == before["committed"] - 20_000


def test_a_loan_is_approved_only_by_its_applicants_own_project(fund, outsider, loan_round):
    round_id, loan_a, loan_b = loan_round["round"], loan_round["a"], loan_round["b"]
    for loan_id, project_id in ((loan_a, 2), (loan_a, 3), (loan_b, 1)):
        with brownie.reverts(f"CommunityFundLoanProjectMismatch: {loan_id}, {round_id}, {project_id}"):
            fund.approveLoanByRound(loan_id, round_id, project_id, {"from": outsider})


def test_a_project_is_paid_only_once(fund, council, outsider, loan_round):
    round_id, loan_id = loan_round["round"], loan_round["a"]
    fund.approveLoanByRound(loan_id, round_id, 1, {"from": outsider})
    with brownie.reverts(state_error(loan_id, ST_APPROVED, ST_APPLIED)):
        fund.approveLoanByRound(loan_id, round_id, 1, {"from": outsider})
    with brownie.reverts(f"CommunityFundProjectNotPayable: {round_id}, 1"):
        fund.payGrant(round_id, 1, h("grant-as-well"), {"from": council})
    with brownie.reverts(f"CommunityFundProjectNotPayable: {round_id}, 1"):
        fund.releaseProjectFunds(round_id, 1, {"from": council})


def test_a_loan_funded_twice_is_lent_once_and_the_other_funding_released(fund, council, outsider, loan_round):
    round_id, loan_id = loan_round["round"], loan_round["a"]
    fund.approveLoanByRound(loan_id, round_id, 5, {"from": outsider})
    with brownie.reverts(state_error(loan_id, ST_APPROVED, ST_APPLIED)):
        fund.approveLoanByRound(loan_id, round_id, 1, {"from": outsider})
    before = ledger_of(fund)
    fund.releaseProjectFunds(round_id, 1, {"from": council})
    after = ledger_of(fund)
    assert after["committed"] == before["committed"] - 20_000
    assert after["available"] == before["available"] + 20_000


def test_a_released_project_no_longer_approves_its_loan(fund, council, outsider, loan_round):
    round_id, loan_id = loan_round["round"], loan_round["b"]
    fund.releaseProjectFunds(round_id, 3, {"from": council})
    with brownie.reverts(f"CommunityFundProjectNotPayable: {round_id}, 3"):
        fund.approveLoanByRound(loan_id, round_id, 3, {"from": outsider})


def test_an_unfunded_project_does_not_approve_its_loan(fund, outsider, loan_round):
    round_id, loan_id = loan_round["round"], loan_round["c"]
    with brownie.reverts(f"CommunityFundProjectNotPayable: {round_id}, 4"):
        fund.approveLoanByRound(loan_id, round_id, 4, {"from": outsider})


def test_a_loan_approved_by_the_treasurer_is_not_approved_again_by_its_round(
    fund, council, outsider, loan_round
):
    round_id, loan_id = loan_round["round"], loan_round["b"]
    fund.approveLoan(loan_id, {"from": council})
    with brownie.reverts(state_error(loan_id, ST_APPROVED, ST_APPLIED)):
        fund.approveLoanByRound(loan_id, round_id, 3, {"from": outsider})
    tx = fund.releaseProjectFunds(round_id, 3, {"from": council})
    assert_event(tx, "ProjectFundsReleased", roundId=round_id, projectId=3, amountKopiyky=20_000)


def test_a_rejected_loan_is_not_approved_by_its_round(fund, council, outsider, loan_round):
    round_id, loan_id = loan_round["round"], loan_round["b"]
    fund.rejectLoan(loan_id, 2, {"from": council})
    with brownie.reverts(state_error(loan_id, ST_REJECTED, ST_APPLIED)):
        fund.approveLoanByRound(loan_id, round_id, 3, {"from": outsider})


def test_approval_by_round_waits_for_finalisation(fund, vote, council, entrepreneur, voters, outsider):
    loan_id = apply_for(fund, entrepreneur)
    round_id, _ = run_round(
        vote,
        council,
        [(entrepreneur, 20_000, loan_id)],
        [(voters[0], [1], [1])],
        fund_kopiyky=20_000,
        finalise=False,
    )
    with brownie.reverts(f"CommunityFundProjectNotPayable: {round_id}, 1"):
        fund.approveLoanByRound(loan_id, round_id, 1, {"from": outsider})


def test_partial_funding_scales_the_schedule_in_proportion(fund, outsider, halved_round):
    """Each instalment but the last is scaled and rounded down; the last takes what rounding left."""
    round_id, loan_id = halved_round["round"], halved_round["d"]
    tx = fund.approveLoanByRound(loan_id, round_id, 1, {"from": outsider})
    assert_event(tx, "LoanApproved", loanId=loan_id, principal=15_000, roundId=round_id, projectId=1)
    # 7,001 x 15,000 / 30,000 = 3,500.5 -> 3,500; 11,000 -> 5,500; last 15,000 - 9,000 = 6,000.
    expected = [7_001 * 15_000 // 30_000, 11_000 * 15_000 // 30_000]
    expected.append(15_000 - sum(expected))
    assert expected == [3_500, 5_500, 6_000]
    loan = fund.loan(loan_id)
    assert loan["principal"] == 15_000
    assert list(loan["instalments"]) == expected
    assert list(loan["dueOffsets"]) == [30 * DAY, 60 * DAY, 90 * DAY]


def test_scaling_keeps_an_instalment_rounded_to_zero(fund, council, outsider, halved_round, voters):
    round_id, loan_id = halved_round["round"], halved_round["e"]
    fund.approveLoanByRound(loan_id, round_id, 2, {"from": outsider})
    loan = fund.loan(loan_id)
    assert list(loan["instalments"]) == [0, 15_000]
    assert list(loan["dueOffsets"]) == [30 * DAY, 60 * DAY]
    disbursement = fund.disburseLoan(loan_id, h("bank-transfer"), {"from": council})
    sleep_until(disbursement.timestamp + 30 * DAY + HOUR)
    assert fund.loanState(loan_id) == ST_ACTIVE
    sleep_until(disbursement.timestamp + 60 * DAY + HOUR)
    assert fund.loanState(loan_id) == ST_OVERDUE
