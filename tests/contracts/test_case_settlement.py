"""settleCase: a pending case is decided again after the council changed the quorum or the verifier set."""

import brownie
from brownie import web3
from cts_helpers import h, programme_params


def _programme_2_of_3(cases, council, verifiers):
    # The latest block's time: after a snapshot revert on Anvil, Brownie's chain.time() runs ahead of it.
    now = web3.eth.get_block("latest").timestamp
    cases.createProgramme(programme_params(now, verifiers, quorum=2), {"from": council})
    return cases.programmeCount()


def test_a_case_stuck_after_a_verifier_left_is_rejected_by_settlement(
    cases, council, verifiers, residents, capital
):
    programme = _programme_2_of_3(cases, council, verifiers)
    cases.submitCase(programme, h("stuck-1"), {"from": residents[0]})
    cases.approveCase(1, {"from": verifiers[0]})
    cases.rejectCase(1, 4, {"from": verifiers[1]})
    cases.removeVerifier(
        programme, verifiers[2], {"from": council}
    )  # now 1 approval, 1 rejection, n = 2, k = 2
    assert cases.caseOf(1)["status"] == 1  # still pending: nobody can decide it any more
    tx = cases.settleCase(1, {"from": residents[1]})  # anyone may settle
    assert tx.events["CaseRejected"]["caseId"] == 1
    assert cases.caseOf(1)["status"] == 3


def test_lowering_the_quorum_lets_settlement_approve_and_reward(
    cases, council, verifiers, residents, capital, token
):
    programme = _programme_2_of_3(cases, council, verifiers)
    cases.submitCase(programme, h("stuck-2"), {"from": residents[0]})
    cases.approveCase(1, {"from": verifiers[0]})
    cases.setQuorum(programme, 1, {"from": council})
    tx = cases.settleCase(1, {"from": residents[2]})
    assert tx.events["CaseApproved"]["rvMinted"] == 2
    assert token.balanceOf(residents[0]) == 2


def test_a_case_that_meets_no_rule_is_not_settleable(cases, council, verifiers, residents, capital):
    programme = _programme_2_of_3(cases, council, verifiers)
    cases.submitCase(programme, h("open"), {"from": residents[0]})
    cases.approveCase(1, {"from": verifiers[0]})
    with brownie.reverts("UsefulCaseNotSettleable: 1, 1, 0, 2"):
        cases.settleCase(1, {"from": residents[1]})
    assert cases.caseOf(1)["status"] == 1
    with brownie.reverts("UsefulCaseUnknownCase: 9"):
        cases.settleCase(9, {"from": residents[1]})


def test_a_decided_case_cannot_be_settled_again(cases, council, verifiers, residents, capital):
    programme = _programme_2_of_3(cases, council, verifiers)
    cases.submitCase(programme, h("done"), {"from": residents[0]})
    cases.approveCase(1, {"from": verifiers[0]})
    cases.approveCase(1, {"from": verifiers[1]})
    with brownie.reverts("UsefulCaseNotPending: 1, 2"):
        cases.settleCase(1, {"from": residents[1]})
