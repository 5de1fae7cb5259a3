"""ProjectDelivery: plans, reports, acceptance and tranches, and every way they are refused.

Flags have their own file (test_delivery_flags.py); the invariants are in test_delivery_stateful.py.
"""

import brownie
import pytest
from brownie import CommunityFund, accounts
from cts_errors import error
from cts_helpers import DAY, h
from delivery_helpers import (
    ACCEPTED,
    FUNDED,
    OVERDUE,
    PAID,
    PLANNED,
    REJECTED,
    REPORTED,
    TREASURER_ROLE,
    due_dates,
    funded_round,
    report,
    set_plan,
    split,
)
from fund_helpers import assert_event, ledger_of, now, sleep_until
from test_fund_capital import CLONE_PREFIX, CLONE_SUFFIX


@pytest.fixture(scope="module")
def round_id(fund, vote, cases, council, verifiers, programme, alice, bob, carol):
    return funded_round(fund, vote, cases, council, verifiers, alice, bob, carol)


@pytest.fixture(scope="module")
def planned(delivery, council, round_id):
    """Alice's project 1 (30,000) planned in three milestones of 10,000."""
    set_plan(delivery, council, round_id, 1, [10_000, 10_000, 10_000])
    return round_id


# ---------------------------------------------------------------- plans


def test_council_sets_a_plan_whose_shares_sum_to_the_funded_amount(delivery, council, round_id):
    dates = due_dates(3)
    tx = delivery.setPlan(round_id, 1, dates, [7_000, 13_000, 10_000], h("plan-doc"), {"from": council})
    assert_event(
        tx,
        "DeliveryPlanSet",
        roundId=round_id,
        projectId=1,
        milestones=3,
        fundedKopiyky=30_000,
        planHash=h("plan-doc"),
    )
    planned = tx.events["MilestonePlanned"]
    assert [(e["index"], e["dueAt"], e["shareKopiyky"]) for e in planned] == [
        (0, dates[0], 7_000),
        (1, dates[1], 13_000),
        (2, dates[2], 10_000),
    ]
    assert delivery.hasPlan(round_id, 1)
    assert [tuple(m) for m in delivery.plan(round_id, 1)] == [
        (dates[0], 7_000, PLANNED, 0),
        (dates[1], 13_000, PLANNED, 0),
        (dates[2], 10_000, PLANNED, 0),
    ]
    assert delivery.milestoneState(round_id, 1, 2) == PLANNED


def test_shares_that_divide_unevenly_lose_no_kopiyka(delivery, council, round_id):
    shares = split(FUNDED[2], 3)
    assert shares == [16_666, 16_666, 16_668]
    set_plan(delivery, council, round_id, 2, shares)
    assert sum(m[1] for m in delivery.plan(round_id, 2)) == FUNDED[2]


def test_only_the_funds_treasurer_sets_a_plan(delivery, fund, council, round_id, alice):
    with brownie.reverts(error("ProjectDeliveryUnauthorised", alice, TREASURER_ROLE)):
        set_plan(delivery, alice, round_id, 1, [30_000])
    # The fund's treasurer is the council here: granting the role there grants it here.
    fund.grantRole(TREASURER_ROLE, alice, {"from": council})
    set_plan(delivery, alice, round_id, 1, [30_000])
    assert delivery.hasPlan(round_id, 1)


def test_a_plan_for_an_unknown_round_or_project_is_refused(delivery, council, round_id):
    with brownie.reverts(error("BalancedVoteUnknownRound", round_id + 1)):
        set_plan(delivery, council, round_id + 1, 1, [30_000])
    with brownie.reverts(error("BalancedVoteUnknownProject", round_id, 9)):
        set_plan(delivery, council, round_id, 9, [30_000])


def test_an_unfunded_project_or_a_loan_gets_no_plan(delivery, council, round_id):
    with brownie.reverts(error("ProjectDeliveryNotPlannable", round_id, 3)):
        set_plan(delivery, council, round_id, 3, [10_000])
    with brownie.reverts(error("ProjectDeliveryNotPlannable", round_id, 4)):
        set_plan(delivery, council, round_id, 4, [20_000])


def test_a_project_paid_in_one_go_gets_no_plan(delivery, fund, council, round_id):
    fund.payGrant(round_id, 1, h("one-go"), {"from": council})
    with brownie.reverts(error("ProjectDeliveryNotPlannable", round_id, 1)):
        set_plan(delivery, council, round_id, 1, [30_000])


def test_a_plan_waits_for_the_round_to_be_finalised(delivery, vote, council, round_id, alice):
    from fund_helpers import run_round

    open_round, _ = run_round(vote, council, [(alice, 5_000, 0)], [], fund_kopiyky=5_000, finalise=False)
    with brownie.reverts(error("ProjectDeliveryNotPlannable", open_round, 1)):
        set_plan(delivery, council, open_round, 1, [5_000])


def test_shares_must_sum_to_the_funded_amount(delivery, council, round_id):
    with brownie.reverts(error("ProjectDeliveryShareSumMismatch", 29_999, 30_000)):
        set_plan(delivery, council, round_id, 1, [10_000, 19_999])
    with brownie.reverts(error("ProjectDeliveryShareSumMismatch", 30_001, 30_000)):
        set_plan(delivery, council, round_id, 1, [10_000, 20_001])
    assert not delivery.hasPlan(round_id, 1)


def test_a_malformed_plan_is_refused(delivery, council, round_id):
    dates = due_dates(2)
    bad = [
        ([], []),  # no milestones
        (dates, [30_000]),  # lengths differ
        (dates, [30_000, 0]),  # a zero share
        ([dates[1], dates[0]], [10_000, 20_000]),  # dates not increasing
        ([dates[0], dates[0]], [10_000, 20_000]),  # two milestones due at once
        ([now() - DAY, dates[0]], [10_000, 20_000]),  # due in the past
        (due_dates(25, step=DAY), split(30_000, 25)),  # more than MAX_MILESTONES
    ]
    for bad_dates, shares in bad:
        with brownie.reverts("ProjectDeliveryInvalidPlan: "):
            delivery.setPlan(round_id, 1, bad_dates, shares, h("plan"), {"from": council})
    with brownie.reverts("ProjectDeliveryZeroHash: "):
        delivery.setPlan(round_id, 1, [dates[0]], [30_000], "0x" + "00" * 32, {"from": council})
    assert not delivery.hasPlan(round_id, 1)


def test_twenty_four_milestones_are_allowed(delivery, council, round_id):
    set_plan(delivery, council, round_id, 1, split(30_000, 24), dates=due_dates(24, step=DAY))
    assert len(delivery.plan(round_id, 1)) == 24


def test_a_plan_is_set_once(delivery, council, planned):
    with brownie.reverts(error("ProjectDeliveryAlreadyPlanned", planned, 1)):
        set_plan(delivery, council, planned, 1, [30_000])


def test_a_planned_project_is_not_paid_in_one_go(fund, council, planned):
    with brownie.reverts(error("CommunityFundProjectHasPlan", planned, 1)):
        fund.payGrant(planned, 1, h("one-go"), {"from": council})


# ---------------------------------------------------------------- reports


def test_the_owner_reports_a_milestone_with_its_receipts(delivery, planned, alice):
    receipts = [h("receipt-a"), h("receipt-b")]
    tx = delivery.reportMilestone(planned, 1, 0, h("report-0"), receipts, {"from": alice})
    event = tx.events["MilestoneReported"][0]
    assert (event["roundId"], event["projectId"], event["index"], event["reportId"], event["ownerId"]) == (
        planned,
        1,
        0,
        1,
        1,
    )
    assert event["reportHash"] == "0x" + h("report-0").hex()
    assert list(event["receiptHashes"]) == ["0x" + r.hex() for r in receipts]
    assert tx.return_value == 1
    assert tuple(delivery.report(1)) == (planned, 1, 0, 0, 0, "0x" + h("report-0").hex())
    assert tuple(delivery.plan(planned, 1)[0])[2:] == (REPORTED, 1)
    assert delivery.milestoneState(planned, 1, 0) == REPORTED
    assert delivery.reportCount() == 1


def test_a_report_without_receipts_is_accepted_as_given(delivery, planned, alice):
    report(delivery, alice, planned, 1, 0, receipts=0)
    assert delivery.milestoneState(planned, 1, 0) == REPORTED


def test_only_the_owner_reports(delivery, planned, bob, outsider):
    with brownie.reverts(error("ProjectDeliveryNotOwner", bob, planned, 1)):
        report(delivery, bob, planned, 1, 0)
    with brownie.reverts(error("ResidentRegistryNotActive", outsider, 0)):
        report(delivery, outsider, planned, 1, 0)


def test_a_suspended_owner_cannot_report(delivery, registry, registrar, planned, alice):
    registry.suspendResident(alice, 1, {"from": registrar})
    with brownie.reverts(error("ResidentRegistryNotActive", alice, 2)):
        report(delivery, alice, planned, 1, 0)


def test_milestones_are_reported_in_order(delivery, council, planned, alice):
    with brownie.reverts(error("ProjectDeliveryOutOfOrder", planned, 1, 1)):
        report(delivery, alice, planned, 1, 1)
    report(delivery, alice, planned, 1, 0)
    with brownie.reverts(error("ProjectDeliveryOutOfOrder", planned, 1, 1)):
        report(delivery, alice, planned, 1, 1)
    delivery.acceptReport(planned, 1, 0, {"from": council})
    report(delivery, alice, planned, 1, 1)
    assert delivery.milestoneState(planned, 1, 1) == REPORTED


def test_a_reported_milestone_is_not_reported_again_until_rejected(delivery, planned, alice):
    report(delivery, alice, planned, 1, 0)
    with brownie.reverts(error("ProjectDeliveryUnexpectedMilestoneState", planned, 1, 0, REPORTED)):
        report(delivery, alice, planned, 1, 0, tag="again")


def test_a_malformed_report_is_refused(delivery, planned, alice):
    zero = "0x" + "00" * 32
    with brownie.reverts("ProjectDeliveryZeroHash: "):
        delivery.reportMilestone(planned, 1, 0, zero, [], {"from": alice})
    with brownie.reverts("ProjectDeliveryZeroHash: "):
        delivery.reportMilestone(planned, 1, 0, h("r"), [h("a"), zero], {"from": alice})
    with brownie.reverts(error("ProjectDeliveryTooManyReceipts", 65, 64)):
        delivery.reportMilestone(planned, 1, 0, h("r"), [h(f"r{i}") for i in range(65)], {"from": alice})
    assert delivery.reportCount() == 0


def test_a_report_for_an_unknown_milestone_or_plan_is_refused(delivery, planned, alice, bob):
    with brownie.reverts(error("ProjectDeliveryUnknownMilestone", planned, 1, 3)):
        report(delivery, alice, planned, 1, 3)
    with brownie.reverts(error("ProjectDeliveryNoPlan", planned, 2)):
        report(delivery, bob, planned, 2, 0)
    with brownie.reverts(error("ProjectDeliveryNoPlan", planned, 3)):
        report(delivery, alice, planned, 3, 0)


# ---------------------------------------------------------------- acceptance


def test_the_council_accepts_a_report(delivery, council, planned, alice):
    report(delivery, alice, planned, 1, 0)
    tx = delivery.acceptReport(planned, 1, 0, {"from": council})
    assert_event(tx, "ReportAccepted", roundId=planned, projectId=1, index=0, reportId=1)
    assert delivery.milestoneState(planned, 1, 0) == ACCEPTED


def test_the_council_rejects_a_report_with_a_reason_and_the_owner_reports_again(
    delivery, council, planned, alice
):
    report(delivery, alice, planned, 1, 0)
    with brownie.reverts("ProjectDeliveryZeroReasonCode: "):
        delivery.rejectReport(planned, 1, 0, 0, {"from": council})
    tx = delivery.rejectReport(planned, 1, 0, 4, {"from": council})
    assert_event(tx, "ReportRejected", roundId=planned, projectId=1, index=0, reportId=1, reasonCode=4)
    assert delivery.milestoneState(planned, 1, 0) == REJECTED
    tx = report(delivery, alice, planned, 1, 0, tag="second")
    assert tx.return_value == 2
    assert tuple(delivery.plan(planned, 1)[0])[2:] == (REPORTED, 2)


def test_only_the_council_accepts_or_rejects(delivery, planned, alice):
    report(delivery, alice, planned, 1, 0)
    with brownie.reverts(error("ProjectDeliveryUnauthorised", alice, TREASURER_ROLE)):
        delivery.acceptReport(planned, 1, 0, {"from": alice})
    with brownie.reverts(error("ProjectDeliveryUnauthorised", alice, TREASURER_ROLE)):
        delivery.rejectReport(planned, 1, 0, 4, {"from": alice})


def test_only_a_reported_milestone_is_accepted_or_rejected(delivery, council, planned, alice):
    with brownie.reverts(error("ProjectDeliveryUnexpectedMilestoneState", planned, 1, 0, PLANNED)):
        delivery.acceptReport(planned, 1, 0, {"from": council})
    with brownie.reverts(error("ProjectDeliveryUnexpectedMilestoneState", planned, 1, 0, PLANNED)):
        delivery.rejectReport(planned, 1, 0, 4, {"from": council})
    report(delivery, alice, planned, 1, 0)
    delivery.acceptReport(planned, 1, 0, {"from": council})
    with brownie.reverts(error("ProjectDeliveryUnexpectedMilestoneState", planned, 1, 0, ACCEPTED)):
        delivery.acceptReport(planned, 1, 0, {"from": council})


def test_a_milestone_past_its_due_date_without_an_accepted_report_is_overdue(
    delivery, council, planned, alice
):
    due = delivery.plan(planned, 1)[0][0]
    report(delivery, alice, planned, 1, 0)
    sleep_until(due + 1)
    assert delivery.milestoneState(planned, 1, 0) == OVERDUE
    delivery.acceptReport(planned, 1, 0, {"from": council})
    assert delivery.milestoneState(planned, 1, 0) == ACCEPTED
    assert delivery.milestoneState(planned, 1, 1) == PLANNED


# ---------------------------------------------------------------- tranches


def accepted(delivery, council, owner, round_id, project_id, index):
    report(delivery, owner, round_id, project_id, index)
    delivery.acceptReport(round_id, project_id, index, {"from": council})


def test_the_council_pays_an_accepted_milestones_tranche(delivery, fund, council, planned, alice):
    accepted(delivery, council, alice, planned, 1, 0)
    before = ledger_of(fund)
    grants = fund.impact(0)["grantsKopiyky"]
    tx = delivery.payTranche(planned, 1, 0, h("tranche-0"), {"from": council})
    assert_event(
        tx,
        "TranchePaid",
        roundId=planned,
        projectId=1,
        index=0,
        amountKopiyky=10_000,
        receiptHash=h("tranche-0"),
    )
    assert_event(
        tx,
        "GrantTranchePaid",
        roundId=planned,
        projectId=1,
        amountKopiyky=10_000,
        paidKopiyky=10_000,
        receiptHash=h("tranche-0"),
    )
    after = ledger_of(fund)
    assert after["committed"] == before["committed"] - 10_000
    assert after["grantsPaid"] == before["grantsPaid"] + 10_000
    assert fund.impact(0)["grantsKopiyky"] == grants + 10_000
    assert delivery.paidKopiyky(planned, 1) == fund.grantTranchesPaid(planned, 1) == 10_000
    assert delivery.milestoneState(planned, 1, 0) == PAID
    assert not fund.isProjectSettled(planned, 1)


def test_the_last_tranche_settles_the_project_at_exactly_its_funded_amount(
    delivery, fund, council, planned, alice
):
    for index in range(3):
        accepted(delivery, council, alice, planned, 1, index)
        delivery.payTranche(planned, 1, index, h(f"tranche-{index}"), {"from": council})
    assert fund.grantTranchesPaid(planned, 1) == FUNDED[1]
    assert fund.isProjectSettled(planned, 1)
    with brownie.reverts(error("CommunityFundProjectNotPayable", planned, 1)):
        fund.releaseProjectFunds(planned, 1, {"from": council})


def test_a_tranche_is_not_paid_before_its_report_is_accepted(delivery, council, planned, alice):
    with brownie.reverts(error("ProjectDeliveryUnexpectedMilestoneState", planned, 1, 0, PLANNED)):
        delivery.payTranche(planned, 1, 0, h("early"), {"from": council})
    report(delivery, alice, planned, 1, 0)
    with brownie.reverts(error("ProjectDeliveryUnexpectedMilestoneState", planned, 1, 0, REPORTED)):
        delivery.payTranche(planned, 1, 0, h("early"), {"from": council})
    delivery.rejectReport(planned, 1, 0, 4, {"from": council})
    with brownie.reverts(error("ProjectDeliveryUnexpectedMilestoneState", planned, 1, 0, REJECTED)):
        delivery.payTranche(planned, 1, 0, h("early"), {"from": council})


def test_a_tranche_is_paid_once(delivery, council, planned, alice):
    accepted(delivery, council, alice, planned, 1, 0)
    delivery.payTranche(planned, 1, 0, h("tranche-0"), {"from": council})
    with brownie.reverts(error("ProjectDeliveryUnexpectedMilestoneState", planned, 1, 0, PAID)):
        delivery.payTranche(planned, 1, 0, h("tranche-0-again"), {"from": council})


def test_only_the_council_pays_a_tranche(delivery, council, planned, alice):
    accepted(delivery, council, alice, planned, 1, 0)
    with brownie.reverts(error("ProjectDeliveryUnauthorised", alice, TREASURER_ROLE)):
        delivery.payTranche(planned, 1, 0, h("tranche"), {"from": alice})


def test_a_tranche_needs_a_new_receipt(delivery, fund, council, planned, alice):
    accepted(delivery, council, alice, planned, 1, 0)
    with brownie.reverts("CommunityFundZeroHash: "):
        delivery.payTranche(planned, 1, 0, "0x" + "00" * 32, {"from": council})
    with brownie.reverts(error("CommunityFundDuplicateReceipt", h("receipt-capital-1"))):
        delivery.payTranche(planned, 1, 0, h("receipt-capital-1"), {"from": council})
    assert delivery.milestoneState(planned, 1, 0) == ACCEPTED
    assert fund.grantTranchesPaid(planned, 1) == 0


def test_releasing_a_planned_project_returns_only_what_was_not_paid(delivery, fund, council, planned, alice):
    accepted(delivery, council, alice, planned, 1, 0)
    delivery.payTranche(planned, 1, 0, h("tranche-0"), {"from": council})
    before = ledger_of(fund)
    tx = fund.releaseProjectFunds(planned, 1, {"from": council})
    assert_event(tx, "ProjectFundsReleased", roundId=planned, projectId=1, amountKopiyky=20_000)
    assert ledger_of(fund)["available"] == before["available"] + 20_000
    # Nothing more can be paid once the rest was released.
    accepted(delivery, council, alice, planned, 1, 1)
    with brownie.reverts(error("CommunityFundProjectNotPayable", planned, 1)):
        delivery.payTranche(planned, 1, 1, h("tranche-1"), {"from": council})


def test_only_the_delivery_contract_records_tranches(fund, council, planned):
    with brownie.reverts(error("CommunityFundUnauthorised", council)):
        fund.payGrantTranche(planned, 1, 10_000, h("direct"), {"from": council})


def test_the_fund_refuses_a_tranche_beyond_the_funded_amount(
    factory, registry, token, vote, council, planned
):
    """A fund clone whose delivery contract is a plain account: the fund's own limit, which the real
    delivery contract (its shares sum to the funded amount) never reaches."""
    stand_in = accounts[13]
    init_code = "0x" + CLONE_PREFIX + factory.fundImplementation()[2:].lower() + CLONE_SUFFIX
    bare = CommunityFund.at(council.transfer(data=init_code).contract_address)
    bare.initialize(
        (registry, token, accounts[11], vote, bare, stand_in, accounts[12]), council, {"from": council}
    )
    with brownie.reverts(error("CommunityFundOverpaid", planned, 1, 30_001, 30_000)):
        bare.payGrantTranche(planned, 1, 30_001, h("too-much"), {"from": stand_in})
    with brownie.reverts("CommunityFundZeroAmount: "):
        bare.payGrantTranche(planned, 1, 0, h("nothing"), {"from": stand_in})
    with brownie.reverts(error("CommunityFundProjectNotPayable", planned, 4)):
        bare.payGrantTranche(planned, 4, 1, h("a-loan"), {"from": stand_in})


def test_an_owner_who_moved_to_a_new_key_still_reports(delivery, registry, registrar, planned, alice):
    """The owner is the resident who pitched, by resident id: a migrated key keeps the project."""
    new_key = accounts[14]
    registry.migrateResident(alice, new_key, {"from": registrar})
    with brownie.reverts(error("ResidentRegistryNotActive", alice, 3)):
        report(delivery, alice, planned, 1, 0)
    tx = report(delivery, new_key, planned, 1, 0)
    assert tx.events["MilestoneReported"][0]["ownerId"] == 1
