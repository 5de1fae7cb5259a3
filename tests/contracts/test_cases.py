"""Useful cases: submission by residents and coordinators, verifiers' decisions with a k-of-n quorum,
minting on quorum, caps, and batch approval.

Programme 1 (the `programme` fixture): reward 2 RV, value 400 UAH, cap 100 RV, 10 per resident, quorum 1 of
the 3 verifiers, open for 30 days. `quorum_two` adds a programme needing 2 approvals of the same 3 verifiers.
Alice, Bob and Carol are residents 1, 2 and 3.
"""

import functools
import itertools

import brownie
import pytest
from brownie import accounts, chain
from case_helpers import (
    APPROVED,
    CLOSED,
    ENDED,
    OPEN,
    PAUSED,
    REJECTED,
    SCHEDULED,
    UNDECIDED,
    as_dict,
    create_programme,
    hex32,
    now,
    unchanged,
)
from cts_errors import (
    CASE_APPROVED,
    CASE_PENDING,
    CASE_REJECTED,
    MIGRATED,
    NONE,
    SUSPENDED,
    ZERO_ADDRESS,
    error,
)
from cts_helpers import DAY, FACE_VALUE, REASON_DUPLICATE_PHOTO, REASON_FRAUD, h, sign_forward_request

REWARD = 2  # RV per case in programme 1 and in `quorum_two`
CASE_VALUE = 40_000  # kopiyky per case in programme 1 and in `quorum_two`
REASON_SUSPENDED = 5  # a registry suspension reason

# Programme 1 exists in every test: created with the module's deployment, before any snapshot revert.
pytestmark = pytest.mark.usefixtures("programme")


@pytest.fixture(scope="module")
def quorum_two(cases, council, verifiers, programme):
    """A programme like programme 1 whose cases need 2 approvals of its 3 verifiers."""
    return create_programme(
        cases, council, verifiers, title="Helping displaced people", quorum=2, metadata="displaced-2023"
    )


@pytest.fixture(scope="module")
def alice_new_key():
    """The address Alice is migrated to when she loses her key."""
    return accounts[11]


@pytest.fixture
def nothing_changes(cases, fund, token):
    """`with nothing_changes(programmes=[1], case_ids=[1]), brownie.reverts(...)`: nothing changed."""
    return functools.partial(unchanged, cases, fund, token)


_photos = itertools.count(1)


class _SignedOnce:
    """The forwarder as `sign_forward_request` reads it, its EIP-712 domain read once for many requests."""

    def __init__(self, forwarder):
        self._domain = forwarder.eip712Domain()

    def eip712Domain(self):
        return self._domain


def submit(cases, resident, programme_id=1, evidence=None):
    """The resident submits a case (with fresh evidence unless given) and gets its id."""
    evidence = evidence or f"photo-{next(_photos)}"
    return cases.submitCase(programme_id, h(evidence), {"from": resident}).return_value


# ---------------------------------------------------------------- submitCase


def test_a_resident_submits_a_pending_case_with_its_evidence(cases, alice):
    tx = cases.submitCase(1, h("photo-park"), {"from": alice})
    assert tx.return_value == 1
    assert tx.events["CaseSubmitted"] == {
        "caseId": 1,
        "programmeId": 1,
        "residentId": 1,
        "resident": alice,
        "submittedBy": alice,
        "evidenceHash": hex32(h("photo-park")),
    }
    assert as_dict(cases.caseOf(1)) == {
        "programmeId": 1,
        "residentId": 1,
        "approvals": 0,
        "rejections": 0,
        "status": CASE_PENDING,
        "submittedAt": tx.timestamp,
        "submittedBy": str(alice),
        "evidenceHash": h("photo-park"),
    }
    assert cases.caseCount() == 1
    assert cases.programme(1)["casesSubmitted"] == 1


def test_case_ids_increase_across_programmes(cases, alice, bob, quorum_two):
    assert submit(cases, alice, 1) == 1
    assert submit(cases, bob, quorum_two) == 2
    assert submit(cases, alice, quorum_two) == 3
    assert cases.caseCount() == 3
    assert cases.programme(1)["casesSubmitted"] == 1
    assert cases.programme(quorum_two)["casesSubmitted"] == 2


def test_only_active_residents_submit_cases(cases, registry, registrar, alice, outsider, nothing_changes):
    registry.suspendResident(alice, REASON_SUSPENDED, {"from": registrar})
    with nothing_changes(programmes=[1]):
        with brownie.reverts(error("ResidentRegistryNotActive", outsider, NONE)):
            cases.submitCase(1, h("photo"), {"from": outsider})
        with brownie.reverts(error("ResidentRegistryNotActive", alice, SUSPENDED)):
            cases.submitCase(1, h("photo"), {"from": alice})


def test_after_a_migration_only_the_new_address_submits_as_the_same_resident(
    cases, registry, registrar, alice, alice_new_key, nothing_changes
):
    registry.migrateResident(alice, alice_new_key, {"from": registrar})
    with (
        nothing_changes(programmes=[1]),
        brownie.reverts(error("ResidentRegistryNotActive", alice, MIGRATED)),
    ):
        cases.submitCase(1, h("photo"), {"from": alice})
    tx = cases.submitCase(1, h("photo"), {"from": alice_new_key})
    assert tx.events["CaseSubmitted"]["residentId"] == 1
    assert tx.events["CaseSubmitted"]["resident"] == alice_new_key


def test_a_case_for_an_unknown_programme_reverts(cases, alice, nothing_changes):
    with nothing_changes(), brownie.reverts(error("UsefulCaseUnknownProgramme", 9)):
        cases.submitCase(9, h("photo"), {"from": alice})


def test_cases_are_submitted_only_while_the_programme_is_open(
    cases, council, verifiers, alice, nothing_changes
):
    scheduled = create_programme(cases, council, verifiers, start=now() + DAY)
    with (
        nothing_changes(programmes=[scheduled]),
        brownie.reverts(error("UsefulCaseUnexpectedProgrammeState", scheduled, SCHEDULED, OPEN)),
    ):
        cases.submitCase(scheduled, h("photo"), {"from": alice})
    cases.pauseProgramme(1, {"from": council})
    with (
        nothing_changes(programmes=[1]),
        brownie.reverts(error("UsefulCaseUnexpectedProgrammeState", 1, PAUSED, OPEN)),
    ):
        cases.submitCase(1, h("photo"), {"from": alice})
    cases.resumeProgramme(1, {"from": council})
    chain.sleep(31 * DAY)
    chain.mine()
    with (
        nothing_changes(programmes=[1]),
        brownie.reverts(error("UsefulCaseUnexpectedProgrammeState", 1, ENDED, OPEN)),
    ):
        cases.submitCase(1, h("photo"), {"from": alice})
    cases.closeProgramme(1, {"from": council})
    with (
        nothing_changes(programmes=[1]),
        brownie.reverts(error("UsefulCaseUnexpectedProgrammeState", 1, CLOSED, OPEN)),
    ):
        cases.submitCase(1, h("photo"), {"from": alice})


def test_a_case_needs_evidence(cases, alice, nothing_changes):
    with nothing_changes(programmes=[1]), brownie.reverts(error("UsefulCaseZeroHash")):
        cases.submitCase(1, b"\x00" * 32, {"from": alice})


def test_evidence_is_used_once_across_programmes_and_residents(
    cases, coordinator, alice, bob, quorum_two, nothing_changes
):
    submit(cases, alice, 1, "photo-park")
    duplicate = error("UsefulCaseDuplicateEvidence", h("photo-park"), 1)
    with nothing_changes(programmes=[1, quorum_two], case_ids=[1]):
        with brownie.reverts(duplicate):
            cases.submitCase(1, h("photo-park"), {"from": alice})
        with brownie.reverts(duplicate):
            cases.submitCase(quorum_two, h("photo-park"), {"from": bob})
        with brownie.reverts(duplicate):
            cases.recordCase(quorum_two, bob, h("photo-park"), {"from": coordinator})


def test_a_case_is_refused_once_the_programme_cap_is_reached(
    cases, council, verifiers, alice, bob, carol, nothing_changes
):
    programme_id = create_programme(cases, council, verifiers, token_cap=4, per_resident_cap=2)
    first, second = submit(cases, alice, programme_id), submit(cases, bob, programme_id)
    cases.approveCases([first, second], {"from": verifiers[0]})
    with (
        nothing_changes(programmes=[programme_id]),
        brownie.reverts(error("UsefulCaseProgrammeCapExceeded", programme_id, 4, REWARD, 4)),
    ):
        cases.submitCase(programme_id, h("photo-carol"), {"from": carol})


def test_a_case_is_refused_once_the_resident_reached_their_cap(cases, verifiers, alice, bob, nothing_changes):
    case_ids = [submit(cases, alice) for _ in range(5)]
    cases.approveCases(case_ids, {"from": verifiers[0]})
    assert cases.earnedBy(1, 1) == 10
    with (
        nothing_changes(programmes=[1]),
        brownie.reverts(error("UsefulCaseResidentCapExceeded", 1, 1, 10, REWARD, 10)),
    ):
        cases.submitCase(1, h("photo-sixth"), {"from": alice})
    assert submit(cases, bob) == 6


def test_a_case_relayed_through_the_forwarder_is_the_residents_own(
    cases, registry, forwarder, registrar, relayer
):
    dana = accounts.add("0x" + h("dana's custodial key").hex())
    registry.addResident(dana, h("identity-check-dana"), {"from": registrar})
    data = cases.submitCase.encode_input(1, h("photo-dana"))
    request = sign_forward_request(forwarder, dana.private_key, dana, cases, data, deadline=now() + 3600)
    tx = forwarder.execute(request, {"from": relayer})
    event = tx.events["CaseSubmitted"]
    assert (event["residentId"], event["resident"], event["submittedBy"]) == (4, dana, dana)
    assert cases.caseOf(1)["submittedBy"] == dana


# ---------------------------------------------------------------- recordCase


def test_a_coordinator_records_a_case_for_an_offline_resident(cases, coordinator, alice):
    tx = cases.recordCase(1, alice, h("paper-form-17"), {"from": coordinator})
    assert tx.return_value == 1
    assert tx.events["CaseSubmitted"] == {
        "caseId": 1,
        "programmeId": 1,
        "residentId": 1,
        "resident": alice,
        "submittedBy": coordinator,
        "evidenceHash": hex32(h("paper-form-17")),
    }
    case = cases.caseOf(1)
    assert (case["residentId"], case["submittedBy"], case["status"]) == (1, coordinator, CASE_PENDING)


def test_only_coordinators_record_cases(cases, verifiers, alice, bob, outsider, nothing_changes):
    role = cases.COORDINATOR_ROLE()
    with nothing_changes(programmes=[1]):
        for caller in (outsider, verifiers[0], alice):
            with brownie.reverts(error("AccessControlUnauthorizedAccount", caller, role)):
                cases.recordCase(1, bob, h("paper-form"), {"from": caller})


def test_a_coordinator_records_only_for_an_active_resident(
    cases, registry, registrar, coordinator, alice, outsider, nothing_changes
):
    with nothing_changes(programmes=[1]), brownie.reverts(error("ResidentRegistryNotActive", outsider, NONE)):
        cases.recordCase(1, outsider, h("paper-form"), {"from": coordinator})
    registry.suspendResident(alice, REASON_SUSPENDED, {"from": registrar})
    with (
        nothing_changes(programmes=[1]),
        brownie.reverts(error("ResidentRegistryNotActive", alice, SUSPENDED)),
    ):
        cases.recordCase(1, alice, h("paper-form"), {"from": coordinator})


def test_a_coordinator_cannot_record_in_a_paused_programme(
    cases, council, coordinator, alice, nothing_changes
):
    cases.pauseProgramme(1, {"from": council})
    with (
        nothing_changes(programmes=[1]),
        brownie.reverts(error("UsefulCaseUnexpectedProgrammeState", 1, PAUSED, OPEN)),
    ):
        cases.recordCase(1, alice, h("paper-form"), {"from": coordinator})


# ---------------------------------------------------------------- approveCase with a quorum of one


def test_one_approval_of_a_quorum_of_one_mints_the_reward(cases, fund, token, verifiers, alice):
    submit(cases, alice)
    ledger = fund.ledger()
    tx = cases.approveCase(1, {"from": verifiers[0]})
    assert tx.events["CaseApprovedBy"] == {"caseId": 1, "verifier": verifiers[0]}
    assert tx.events["CaseApproved"] == {
        "caseId": 1,
        "programmeId": 1,
        "residentId": 1,
        "resident": alice,
        "rvMinted": REWARD,
        "valueKopiyky": CASE_VALUE,
    }
    assert tx.events["Transfer"] == {"from": ZERO_ADDRESS, "to": alice, "value": REWARD}
    assert tx.events["IssuanceRecorded"] == {
        "programmeId": 1,
        "cycleId": 1,
        "cases": 1,
        "rv": REWARD,
        "kopiyky": REWARD * FACE_VALUE,
        "caseValueKopiyky": CASE_VALUE,
    }
    assert token.balanceOf(alice) == REWARD
    assert cases.earnedBy(1, 1) == REWARD
    case = cases.caseOf(1)
    assert (case["status"], case["approvals"], case["rejections"]) == (CASE_APPROVED, 1, 0)
    # The deciding approval is not stored (the case's status refuses any other): its event names the verifier.
    assert tx.events["CaseApprovedBy"] == {"caseId": 1, "verifier": verifiers[0]}
    assert cases.decisionOf(1, verifiers[0]) == UNDECIDED
    figures = cases.programme(1)
    assert (figures["casesApproved"], figures["rvMinted"], figures["valueApprovedKopiyky"]) == (
        1,
        2,
        CASE_VALUE,
    )
    assert fund.ledger()["tokenFund"] == ledger["tokenFund"] + REWARD * FACE_VALUE
    assert fund.ledger()["programmeReserves"] == ledger["programmeReserves"] - REWARD * FACE_VALUE


def test_only_the_programmes_verifiers_decide(cases, council, coordinator, outsider, alice, nothing_changes):
    submit(cases, alice)
    other_verifier = accounts[12]
    create_programme(cases, council, [other_verifier])
    with nothing_changes(programmes=[1], case_ids=[1]):
        for caller in (outsider, coordinator, council, other_verifier):
            with brownie.reverts(error("UsefulCaseNotVerifier", 1, caller)):
                cases.approveCase(1, {"from": caller})
            with brownie.reverts(error("UsefulCaseNotVerifier", 1, caller)):
                cases.rejectCase(1, REASON_FRAUD, {"from": caller})


def test_a_verifier_cannot_decide_a_case_of_their_own(
    cases, registry, registrar, coordinator, verifiers, alice, nothing_changes
):
    registry.addResident(verifiers[0], h("identity-check-verifier-0"), {"from": registrar})  # resident 4
    own = submit(cases, verifiers[0])
    recorded_for_them = cases.recordCase(1, verifiers[0], h("paper-form"), {"from": coordinator}).return_value
    someone_elses = submit(cases, alice)
    with nothing_changes(programmes=[1], case_ids=[own, recorded_for_them, someone_elses]):
        for case_id in (own, recorded_for_them):
            with brownie.reverts(error("UsefulCaseSelfApproval", case_id, verifiers[0])):
                cases.approveCase(case_id, {"from": verifiers[0]})
            with brownie.reverts(error("UsefulCaseSelfApproval", case_id, verifiers[0])):
                cases.rejectCase(case_id, REASON_FRAUD, {"from": verifiers[0]})
            # In a batch too, after a case the verifier may decide (who they are is asked once per batch).
            with brownie.reverts(error("UsefulCaseSelfApproval", case_id, verifiers[0])):
                cases.approveCases([someone_elses, case_id], {"from": verifiers[0]})
    assert cases.approveCase(own, {"from": verifiers[1]}).events["CaseApproved"]["residentId"] == 4


def test_a_verifier_cannot_decide_a_case_they_recorded_as_coordinator(
    cases, council, verifiers, alice, nothing_changes
):
    cases.grantRole(cases.COORDINATOR_ROLE(), verifiers[0], {"from": council})
    case_id = cases.recordCase(1, alice, h("paper-form"), {"from": verifiers[0]}).return_value
    with nothing_changes(programmes=[1], case_ids=[case_id]):
        with brownie.reverts(error("UsefulCaseSelfApproval", case_id, verifiers[0])):
            cases.approveCase(case_id, {"from": verifiers[0]})
        with brownie.reverts(error("UsefulCaseSelfApproval", case_id, verifiers[0])):
            cases.rejectCase(case_id, REASON_FRAUD, {"from": verifiers[0]})


def test_an_approved_case_can_no_longer_be_decided(cases, verifiers, alice, nothing_changes):
    submit(cases, alice)
    cases.approveCase(1, {"from": verifiers[0]})
    with nothing_changes(programmes=[1], case_ids=[1]):
        with brownie.reverts(error("UsefulCaseNotPending", 1, CASE_APPROVED)):
            cases.approveCase(1, {"from": verifiers[1]})
        with brownie.reverts(error("UsefulCaseNotPending", 1, CASE_APPROVED)):
            cases.rejectCase(1, REASON_FRAUD, {"from": verifiers[1]})


def test_no_decision_in_a_paused_programme(cases, council, verifiers, alice, nothing_changes):
    submit(cases, alice)
    cases.pauseProgramme(1, {"from": council})
    with nothing_changes(programmes=[1], case_ids=[1]):
        with brownie.reverts(error("UsefulCaseUnexpectedProgrammeState", 1, PAUSED, OPEN)):
            cases.approveCase(1, {"from": verifiers[0]})
        with brownie.reverts(error("UsefulCaseUnexpectedProgrammeState", 1, PAUSED, OPEN)):
            cases.rejectCase(1, REASON_FRAUD, {"from": verifiers[0]})


def test_pending_cases_of_a_closed_programme_can_no_longer_be_decided(
    cases, council, verifiers, alice, nothing_changes
):
    submit(cases, alice)
    cases.closeProgramme(1, {"from": council})
    with nothing_changes(programmes=[1], case_ids=[1]):
        with brownie.reverts(error("UsefulCaseUnexpectedProgrammeState", 1, CLOSED, OPEN)):
            cases.approveCase(1, {"from": verifiers[0]})
        with brownie.reverts(error("UsefulCaseUnexpectedProgrammeState", 1, CLOSED, OPEN)):
            cases.approveCases([1], {"from": verifiers[0]})
        with brownie.reverts(error("UsefulCaseUnexpectedProgrammeState", 1, CLOSED, OPEN)):
            cases.rejectCase(1, REASON_FRAUD, {"from": verifiers[0]})


def test_a_case_may_be_approved_after_the_programme_ended(cases, token, verifiers, alice):
    submit(cases, alice)
    chain.sleep(31 * DAY)
    chain.mine()
    assert cases.programmeState(1) == ENDED
    tx = cases.approveCase(1, {"from": verifiers[0]})
    assert tx.events["CaseApproved"]["rvMinted"] == REWARD
    assert token.balanceOf(alice) == REWARD


def test_deciding_an_unknown_case_reverts(cases, verifiers, alice, nothing_changes):
    submit(cases, alice)
    with nothing_changes(programmes=[1], case_ids=[1]):
        for unknown in (0, 2):
            with brownie.reverts(error("UsefulCaseUnknownCase", unknown)):
                cases.approveCase(unknown, {"from": verifiers[0]})
            with brownie.reverts(error("UsefulCaseUnknownCase", unknown)):
                cases.rejectCase(unknown, REASON_FRAUD, {"from": verifiers[0]})
            with brownie.reverts(error("UsefulCaseUnknownCase", unknown)):
                cases.caseOf(unknown)


def test_a_rejection_needs_a_reason_code(cases, verifiers, alice, nothing_changes):
    submit(cases, alice)
    with nothing_changes(programmes=[1], case_ids=[1]), brownie.reverts(error("UsefulCaseZeroReasonCode")):
        cases.rejectCase(1, 0, {"from": verifiers[0]})
    assert cases.decisionOf(1, verifiers[0]) == UNDECIDED


def test_the_reward_goes_to_the_residents_current_address_after_a_migration(
    cases, registry, token, registrar, verifiers, alice, alice_new_key
):
    submit(cases, alice)
    registry.migrateResident(alice, alice_new_key, {"from": registrar})
    tx = cases.approveCase(1, {"from": verifiers[0]})
    assert tx.events["CaseApproved"]["resident"] == alice_new_key
    assert tx.events["Transfer"] == {"from": ZERO_ADDRESS, "to": alice_new_key, "value": REWARD}
    assert token.balanceOf(alice_new_key) == REWARD
    assert token.balanceOf(alice) == 0


def test_the_per_resident_cap_follows_the_resident_across_a_migration(
    cases, registry, registrar, verifiers, alice, alice_new_key, nothing_changes
):
    cases.approveCases([submit(cases, alice) for _ in range(5)], {"from": verifiers[0]})
    registry.migrateResident(alice, alice_new_key, {"from": registrar})
    with (
        nothing_changes(programmes=[1]),
        brownie.reverts(error("UsefulCaseResidentCapExceeded", 1, 1, 10, REWARD, 10)),
    ):
        cases.submitCase(1, h("photo-new-key"), {"from": alice_new_key})


def test_a_suspended_residents_case_is_approved_only_once_reinstated(
    cases, registry, token, registrar, verifiers, alice, nothing_changes
):
    submit(cases, alice)
    registry.suspendResident(alice, REASON_SUSPENDED, {"from": registrar})
    with (
        nothing_changes(programmes=[1], case_ids=[1]),
        brownie.reverts(error("UsefulCaseResidentNotActive", 1, 1)),
    ):
        cases.approveCase(1, {"from": verifiers[0]})
    assert cases.decisionOf(1, verifiers[0]) == UNDECIDED
    registry.reinstateResident(alice, {"from": registrar})
    cases.approveCase(1, {"from": verifiers[0]})
    assert token.balanceOf(alice) == REWARD


# ---------------------------------------------------------------- quorums of k of n


def test_the_first_of_two_needed_approvals_mints_nothing(cases, token, verifiers, alice, quorum_two):
    case_id = submit(cases, alice, quorum_two)
    tx = cases.approveCase(case_id, {"from": verifiers[0]})
    assert tx.events["CaseApprovedBy"] == {"caseId": case_id, "verifier": verifiers[0]}
    assert "CaseApproved" not in tx.events
    case = cases.caseOf(case_id)
    assert (case["status"], case["approvals"]) == (CASE_PENDING, 1)
    assert cases.decisionOf(case_id, verifiers[0]) == APPROVED
    assert token.totalSupply() == 0
    assert cases.programme(quorum_two)["casesApproved"] == 0


def test_the_second_approval_reaches_the_quorum_and_mints(cases, token, verifiers, alice, quorum_two):
    case_id = submit(cases, alice, quorum_two)
    cases.approveCase(case_id, {"from": verifiers[0]})
    tx = cases.approveCase(case_id, {"from": verifiers[2]})
    assert tx.events["CaseApprovedBy"] == {"caseId": case_id, "verifier": verifiers[2]}
    assert tx.events["CaseApproved"] == {
        "caseId": case_id,
        "programmeId": quorum_two,
        "residentId": 1,
        "resident": alice,
        "rvMinted": REWARD,
        "valueKopiyky": CASE_VALUE,
    }
    case = cases.caseOf(case_id)
    assert (case["status"], case["approvals"]) == (CASE_APPROVED, 2)
    assert token.balanceOf(alice) == REWARD
    assert cases.programme(quorum_two)["rvMinted"] == REWARD


def test_a_verifier_decides_a_case_only_once(cases, verifiers, alice, quorum_two, nothing_changes):
    case_id = submit(cases, alice, quorum_two)
    cases.approveCase(case_id, {"from": verifiers[0]})
    cases.rejectCase(case_id, REASON_DUPLICATE_PHOTO, {"from": verifiers[1]})
    with nothing_changes(programmes=[quorum_two], case_ids=[case_id]):
        for verifier in verifiers[:2]:
            with brownie.reverts(error("UsefulCaseAlreadyDecided", case_id, verifier)):
                cases.approveCase(case_id, {"from": verifier})
            with brownie.reverts(error("UsefulCaseAlreadyDecided", case_id, verifier)):
                cases.rejectCase(case_id, REASON_FRAUD, {"from": verifier})


def test_a_case_named_twice_in_a_batch_is_decided_once(cases, verifiers, bob, quorum_two, nothing_changes):
    case_id = submit(cases, bob, quorum_two)
    with (
        nothing_changes(programmes=[quorum_two], case_ids=[case_id]),
        brownie.reverts(error("UsefulCaseAlreadyDecided", case_id, verifiers[0])),
    ):
        cases.approveCases([case_id, case_id], {"from": verifiers[0]})


def test_one_rejection_leaves_a_case_needing_two_of_three_pending(cases, verifiers, alice, quorum_two):
    case_id = submit(cases, alice, quorum_two)
    tx = cases.rejectCase(case_id, REASON_DUPLICATE_PHOTO, {"from": verifiers[0]})
    assert tx.events["CaseRejectedBy"] == {
        "caseId": case_id,
        "verifier": verifiers[0],
        "reasonCode": REASON_DUPLICATE_PHOTO,
    }
    assert "CaseRejected" not in tx.events
    case = cases.caseOf(case_id)
    assert (case["status"], case["rejections"]) == (CASE_PENDING, 1)
    assert cases.decisionOf(case_id, verifiers[0]) == REJECTED


def test_a_case_is_rejected_once_its_quorum_can_no_longer_be_reached(cases, verifiers, alice, quorum_two):
    case_id = submit(cases, alice, quorum_two)
    cases.rejectCase(case_id, REASON_DUPLICATE_PHOTO, {"from": verifiers[0]})
    tx = cases.rejectCase(case_id, REASON_FRAUD, {"from": verifiers[1]})  # 2 rejections > 3 - 2
    assert tx.events["CaseRejectedBy"] == {
        "caseId": case_id,
        "verifier": verifiers[1],
        "reasonCode": REASON_FRAUD,
    }
    assert tx.events["CaseRejected"] == {"caseId": case_id, "programmeId": quorum_two, "residentId": 1}
    case = cases.caseOf(case_id)
    assert (case["status"], case["rejections"]) == (CASE_REJECTED, 2)
    assert cases.programme(quorum_two)["casesRejected"] == 1


def test_a_rejected_case_can_no_longer_be_decided(cases, verifiers, alice, quorum_two, nothing_changes):
    case_id = submit(cases, alice, quorum_two)
    cases.rejectCase(case_id, REASON_FRAUD, {"from": verifiers[0]})
    cases.rejectCase(case_id, REASON_FRAUD, {"from": verifiers[1]})
    with (
        nothing_changes(programmes=[quorum_two], case_ids=[case_id]),
        brownie.reverts(error("UsefulCaseNotPending", case_id, CASE_REJECTED)),
    ):
        cases.approveCase(case_id, {"from": verifiers[2]})


def test_two_approvals_after_one_rejection_still_reach_the_quorum(cases, token, verifiers, alice, quorum_two):
    case_id = submit(cases, alice, quorum_two)
    cases.rejectCase(case_id, REASON_DUPLICATE_PHOTO, {"from": verifiers[0]})
    cases.approveCase(case_id, {"from": verifiers[1]})
    tx = cases.approveCase(case_id, {"from": verifiers[2]})
    assert tx.events["CaseApproved"]["caseId"] == case_id
    case = cases.caseOf(case_id)
    assert (case["status"], case["approvals"], case["rejections"]) == (CASE_APPROVED, 2, 1)
    assert token.balanceOf(alice) == REWARD


def test_with_a_quorum_of_one_every_verifier_must_reject(cases, verifiers, alice):
    submit(cases, alice)
    for verifier in verifiers[:2]:
        assert "CaseRejected" not in cases.rejectCase(1, REASON_FRAUD, {"from": verifier}).events
    tx = cases.rejectCase(1, REASON_FRAUD, {"from": verifiers[2]})  # 3 rejections > 3 - 1
    assert tx.events["CaseRejected"] == {"caseId": 1, "programmeId": 1, "residentId": 1}
    assert cases.caseOf(1)["status"] == CASE_REJECTED


def test_with_a_unanimous_quorum_one_rejection_rejects(cases, council, verifiers, alice):
    cases.setQuorum(1, 3, {"from": council})
    submit(cases, alice)
    tx = cases.rejectCase(1, REASON_FRAUD, {"from": verifiers[1]})  # 1 rejection > 3 - 3
    assert tx.events["CaseRejected"] == {"caseId": 1, "programmeId": 1, "residentId": 1}


# ---------------------------------------------------------------- approveCases


def test_a_batch_holds_one_to_200_cases(cases, verifiers, nothing_changes):
    assert cases.MAX_BATCH() == 200
    with nothing_changes(programmes=[1]):
        with brownie.reverts(error("UsefulCaseEmptyBatch")):
            cases.approveCases([], {"from": verifiers[0]})
        with brownie.reverts(error("UsefulCaseBatchTooLarge", 201, 200)):
            cases.approveCases(list(range(1, 202)), {"from": verifiers[0]})


# The batches below cross a cap at their second case, after the first was approved: small, because Brownie
# traces every reverted transaction, slowly on Ganache.


def test_a_batch_crossing_the_programme_cap_approves_nothing(
    cases, council, verifiers, alice, bob, nothing_changes
):
    programme_id = create_programme(cases, council, verifiers, token_cap=2, per_resident_cap=2)
    # Pending cases do not count towards the caps: two cases of 2 RV are accepted under a cap of 2.
    case_ids = [submit(cases, alice, programme_id), submit(cases, bob, programme_id)]
    with (
        nothing_changes(programmes=[programme_id], case_ids=case_ids),
        brownie.reverts(error("UsefulCaseProgrammeCapExceeded", programme_id, 2, REWARD, 2)),
    ):
        cases.approveCases(case_ids, {"from": verifiers[0]})
    assert [cases.decisionOf(c, verifiers[0]) for c in case_ids] == [UNDECIDED, UNDECIDED]


def test_a_batch_crossing_a_residents_cap_approves_nothing(cases, council, verifiers, alice, nothing_changes):
    programme_id = create_programme(cases, council, verifiers, per_resident_cap=2)
    case_ids = [submit(cases, alice, programme_id), submit(cases, alice, programme_id)]
    with (
        nothing_changes(programmes=[programme_id], case_ids=case_ids),
        brownie.reverts(error("UsefulCaseResidentCapExceeded", programme_id, 1, 2, REWARD, 2)),
    ):
        cases.approveCases(case_ids, {"from": verifiers[0]})
    assert [cases.decisionOf(c, verifiers[0]) for c in case_ids] == [UNDECIDED, UNDECIDED]
    assert cases.earnedBy(programme_id, 1) == 0


def test_a_batch_with_one_undecidable_case_approves_nothing(cases, verifiers, alice, bob, nothing_changes):
    first, second = submit(cases, alice), submit(cases, bob)
    cases.approveCase(second, {"from": verifiers[1]})
    with (
        nothing_changes(programmes=[1], case_ids=[first, second]),
        brownie.reverts(error("UsefulCaseNotPending", second, CASE_APPROVED)),
    ):
        cases.approveCases([first, second], {"from": verifiers[0]})
    assert cases.decisionOf(first, verifiers[0]) == UNDECIDED


def test_a_batch_of_50_cases_mints_50_rewards_and_moves_the_ledger_exactly(
    cases, fund, token, registry, forwarder, council, registrar, relayer, verifiers
):
    # Three residents with custodial keys; the relayer sends their 50 cases in one executeBatch.
    custodial = [accounts.add("0x" + h(f"custodial-key-{i}").hex()) for i in range(3)]
    registry.addResidents(custodial, [h(f"identity-check-batch-{i}") for i in range(3)], {"from": registrar})
    programme_id = create_programme(cases, council, verifiers, token_cap=100, per_resident_cap=40)
    domain, deadline = _SignedOnce(forwarder), now() + DAY
    requests = [
        sign_forward_request(
            domain,
            custodial[i % 3].private_key,
            custodial[i % 3],
            cases,
            cases.submitCase.encode_input(programme_id, h(f"batch-photo-{i}")),
            deadline=deadline,
            gas=300_000,
            nonce=i // 3,
        )
        for i in range(50)
    ]
    submitted = forwarder.executeBatch(requests, ZERO_ADDRESS, {"from": relayer})
    case_ids = [event["caseId"] for event in submitted.events["CaseSubmitted"]]
    assert len(case_ids) == 50
    ledger, impact = fund.ledger(), fund.impact(0)
    assert fund.programmeReserve(programme_id) == 100 * FACE_VALUE

    tx = cases.approveCases(case_ids, {"from": verifiers[1]})

    assert len(tx.events["CaseApprovedBy"]) == len(tx.events["CaseApproved"]) == 50
    assert len(tx.events["Transfer"]) == 50
    # The fund is told once for the batch (one programme): 50 cases, their RV and their value together.
    assert tx.events["IssuanceRecorded"] == {
        "programmeId": programme_id,
        "cycleId": 1,
        "cases": 50,
        "rv": 50 * REWARD,
        "kopiyky": 50 * REWARD * FACE_VALUE,
        "caseValueKopiyky": 50 * CASE_VALUE,
    }
    assert fund.impact(0)["casesApproved"] == impact["casesApproved"] + 50
    assert fund.impact(0)["rvIssuedKopiyky"] == impact["rvIssuedKopiyky"] + 50 * REWARD * FACE_VALUE
    assert [e["caseId"] for e in tx.events["CaseApproved"]] == case_ids
    assert all(e["rvMinted"] == REWARD and e["valueKopiyky"] == CASE_VALUE for e in tx.events["CaseApproved"])
    figures = cases.programme(programme_id)
    assert figures["casesApproved"] == 50
    assert figures["rvMinted"] == 100 == figures["tokenCap"]
    assert figures["valueApprovedKopiyky"] == 50 * CASE_VALUE
    # 17, 17 and 16 cases of 2 RV to residents 4, 5 and 6
    assert [token.balanceOf(r) for r in custodial] == [34, 34, 32]
    assert [cases.earnedBy(programme_id, i) for i in (4, 5, 6)] == [34, 34, 32]
    assert token.totalSupply() == 100
    # The programme's whole reserve moved to the token fund; nothing else moved.
    assert fund.programmeReserve(programme_id) == 0
    after = fund.ledger()
    assert after["programmeReserves"] == ledger["programmeReserves"] - 100 * FACE_VALUE
    assert after["tokenFund"] == ledger["tokenFund"] + 100 * FACE_VALUE
    assert after["available"] == ledger["available"]
    assert after["deposits"] == ledger["deposits"]
    figures = fund.impact(0)
    assert figures["casesApproved"] == impact["casesApproved"] + 50
    assert figures["casesValueKopiyky"] == impact["casesValueKopiyky"] + 50 * CASE_VALUE
    assert figures["rvIssued"] == impact["rvIssued"] + 100
    assert figures["rvIssuedKopiyky"] == impact["rvIssuedKopiyky"] + 100 * FACE_VALUE
    # (2,000,000 + 500,000) / 500,000 = 5.0
    assert fund.impactRatioBps(0) == 50_000
