"""Residents flag a milestone's report; the council answers every flag before the tranche is paid."""

import brownie
import pytest
from cts_errors import error
from cts_helpers import h
from delivery_helpers import (
    ACCEPTED,
    PAID,
    REASON_NOT_DONE,
    REASON_OVERPRICED,
    TREASURER_ROLE,
    funded_round,
    report,
    set_plan,
)
from fund_helpers import assert_event

ZERO = "0x" + "00" * 32


@pytest.fixture(scope="module")
def reported(fund, vote, cases, delivery, council, verifiers, programme, alice, bob, carol):
    """Alice's project 1 planned in two milestones of 15,000, milestone 0 reported (report 1)."""
    round_id = funded_round(fund, vote, cases, council, verifiers, alice, bob, carol)
    set_plan(delivery, council, round_id, 1, [15_000, 15_000])
    report(delivery, alice, round_id, 1, 0)
    return round_id


def test_a_resident_flags_a_report(delivery, reported, bob):
    tx = delivery.flagReport(1, REASON_OVERPRICED, h("bob: the paint cost twice the market"), {"from": bob})
    assert_event(
        tx,
        "ReportFlagged",
        flagId=1,
        reportId=1,
        residentId=2,
        reasonCode=REASON_OVERPRICED,
        reasonHash=h("bob: the paint cost twice the market"),
    )
    assert tx.return_value == 1
    flag = delivery.flag(1)
    assert tuple(flag) == (
        1,
        2,
        REASON_OVERPRICED,
        False,
        "0x" + h("bob: the paint cost twice the market").hex(),
        ZERO,
    )
    assert tuple(delivery.report(1))[3:5] == (1, 1)  # open flags, flags
    assert delivery.hasFlagged(1, 2)
    assert delivery.flagCount() == 1


def test_a_resident_flags_a_report_once(delivery, reported, bob):
    delivery.flagReport(1, REASON_OVERPRICED, h("first"), {"from": bob})
    with brownie.reverts(error("ProjectDeliveryAlreadyFlagged", 1, 2)):
        delivery.flagReport(1, REASON_NOT_DONE, h("second"), {"from": bob})
    assert tuple(delivery.report(1))[3:5] == (1, 1)


def test_the_owner_and_other_residents_may_each_flag(delivery, reported, alice, bob, carol):
    for who in (alice, bob, carol):
        delivery.flagReport(1, REASON_NOT_DONE, h(f"flag by {who}"), {"from": who})
    assert tuple(delivery.report(1))[3:5] == (3, 3)


def test_a_non_resident_cannot_flag(delivery, registry, registrar, reported, outsider, carol):
    with brownie.reverts(error("ResidentRegistryNotActive", outsider, 0)):
        delivery.flagReport(1, REASON_NOT_DONE, h("outsider"), {"from": outsider})
    registry.suspendResident(carol, 1, {"from": registrar})
    with brownie.reverts(error("ResidentRegistryNotActive", carol, 2)):
        delivery.flagReport(1, REASON_NOT_DONE, h("suspended"), {"from": carol})
    assert delivery.flagCount() == 0


def test_a_malformed_flag_is_refused(delivery, reported, bob):
    with brownie.reverts("ProjectDeliveryZeroReasonCode: "):
        delivery.flagReport(1, 0, h("reason"), {"from": bob})
    with brownie.reverts("ProjectDeliveryZeroHash: "):
        delivery.flagReport(1, REASON_NOT_DONE, ZERO, {"from": bob})
    for unknown in (0, 2):
        with brownie.reverts(error("ProjectDeliveryUnknownReport", unknown)):
            delivery.flagReport(unknown, REASON_NOT_DONE, h("reason"), {"from": bob})


def test_only_the_current_report_can_be_flagged(delivery, council, reported, alice, bob):
    delivery.rejectReport(reported, 1, 0, 4, {"from": council})
    report(delivery, alice, reported, 1, 0, tag="second")
    with brownie.reverts(error("ProjectDeliveryReportNotFlaggable", 1)):
        delivery.flagReport(1, REASON_NOT_DONE, h("old"), {"from": bob})
    delivery.flagReport(2, REASON_NOT_DONE, h("new"), {"from": bob})


def test_an_unanswered_flag_holds_the_tranche(delivery, council, reported, bob):
    delivery.flagReport(1, REASON_OVERPRICED, h("why"), {"from": bob})
    delivery.acceptReport(reported, 1, 0, {"from": council})
    with brownie.reverts(error("ProjectDeliveryUnansweredFlags", 1, 1)):
        delivery.payTranche(reported, 1, 0, h("tranche"), {"from": council})
    tx = delivery.answerFlag(1, h("council: three quotes attached"), {"from": council})
    assert_event(tx, "FlagAnswered", flagId=1, reportId=1, answerHash=h("council: three quotes attached"))
    assert tuple(delivery.flag(1))[3:] == (
        True,
        "0x" + h("why").hex(),
        "0x" + h("council: three quotes attached").hex(),
    )
    assert tuple(delivery.report(1))[3:5] == (0, 1)
    delivery.payTranche(reported, 1, 0, h("tranche"), {"from": council})
    assert delivery.milestoneState(reported, 1, 0) == PAID


def test_a_flag_after_acceptance_holds_the_tranche_too(delivery, council, reported, bob):
    delivery.acceptReport(reported, 1, 0, {"from": council})
    delivery.flagReport(1, REASON_NOT_DONE, h("late flag"), {"from": bob})
    with brownie.reverts(error("ProjectDeliveryUnansweredFlags", 1, 1)):
        delivery.payTranche(reported, 1, 0, h("tranche"), {"from": council})
    assert delivery.milestoneState(reported, 1, 0) == ACCEPTED


def test_a_paid_milestones_report_is_no_longer_flaggable(delivery, council, reported, bob):
    delivery.acceptReport(reported, 1, 0, {"from": council})
    delivery.payTranche(reported, 1, 0, h("tranche"), {"from": council})
    with brownie.reverts(error("ProjectDeliveryReportNotFlaggable", 1)):
        delivery.flagReport(1, REASON_NOT_DONE, h("too late"), {"from": bob})


def test_only_the_council_answers_once_with_a_hash(delivery, council, reported, bob):
    delivery.flagReport(1, REASON_NOT_DONE, h("why"), {"from": bob})
    with brownie.reverts(error("ProjectDeliveryUnauthorised", bob, TREASURER_ROLE)):
        delivery.answerFlag(1, h("self-answer"), {"from": bob})
    with brownie.reverts("ProjectDeliveryZeroHash: "):
        delivery.answerFlag(1, ZERO, {"from": council})
    for unknown in (0, 2):
        with brownie.reverts(error("ProjectDeliveryUnknownFlag", unknown)):
            delivery.answerFlag(unknown, h("answer"), {"from": council})
    delivery.answerFlag(1, h("answer"), {"from": council})
    with brownie.reverts(error("ProjectDeliveryFlagAlreadyAnswered", 1)):
        delivery.answerFlag(1, h("again"), {"from": council})
    assert delivery.report(1)[3] == 0


def test_flag_views_refuse_unknown_ids(delivery, reported):
    with brownie.reverts(error("ProjectDeliveryUnknownFlag", 1)):
        delivery.flag(1)
    with brownie.reverts(error("ProjectDeliveryUnknownReport", 2)):
        delivery.report(2)
