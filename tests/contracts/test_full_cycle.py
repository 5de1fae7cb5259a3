"""A whole revolving cycle through the five contracts: capital, programme, cases, RV, vote, loan, repaid."""

from brownie import chain
from cts_helpers import DAY, FACE_VALUE, h, programme_params, round_params, rules


def test_capital_becomes_rv_then_a_funded_loan_then_capital_again(
    cases, vote, fund, token, council, verifiers, residents, capital
):
    alice, bob, carol = residents
    # A programme reserves its cap x face value.
    cases.createProgramme(programme_params(chain.time(), verifiers, token_cap=100), {"from": council})
    assert fund.programmeReserve(1) == 100 * FACE_VALUE
    # Alice and Bob each do a useful case; a verifier approves both in one batch.
    cases.submitCase(1, h("photo-alice"), {"from": alice})
    cases.submitCase(1, h("photo-bob"), {"from": bob})
    tx = cases.approveCases([1, 2], {"from": verifiers[0]})
    assert len(tx.events["CaseApproved"]) == 2
    assert token.balanceOf(alice) == 2 and token.balanceOf(bob) == 2
    ledger = fund.ledger()
    assert ledger["tokenFund"] == 4 * FACE_VALUE
    # Carol, an entrepreneur, applies for a loan and pitches it in a round.
    fund.applyForLoan([10_000, 10_000], [30 * DAY, 60 * DAY], h("bakery-plan"), {"from": carol})
    vote.createRound(round_params(chain.time(), fund=20_000, round_rules=rules(rule=2)), {"from": council})
    vote.pitchProject(1, 20_000, h("bakery"), 1, {"from": carol})
    chain.sleep(DAY + 1)
    vote.screenProject(1, 1, True, 0, {"from": council})
    chain.sleep(DAY + 1)
    vote.castBallot(1, [1], [2], {"from": alice})
    vote.castBallot(1, [1], [1], {"from": bob})
    assert token.balanceOf(vote) == 3
    chain.sleep(7 * DAY + 1)
    finalised = vote.finalise(1, {"from": carol})
    assert finalised.events["RoundFinalised"]["totalFundedKopiyky"] == 20_000
    assert token.totalSupply() == 1  # Bob's unspent RV; the 3 voted were burned
    # The round's result approves the loan; it is disbursed and repaid.
    fund.approveLoanByRound(1, 1, 1, {"from": alice})
    fund.disburseLoan(1, h("receipt-disburse"), {"from": council})
    fund.recordRepayment(1, 10_000, h("receipt-repay-1"), {"from": council})
    fund.recordRepayment(1, 10_000, h("receipt-repay-2"), {"from": council})
    assert fund.loanState(1) == 6  # Repaid
    ledger = fund.ledger()
    assert ledger["loansOutstanding"] == 0
    total = sum(
        ledger[k]
        for k in (
            "available",
            "programmeReserves",
            "tokenFund",
            "roundReserves",
            "committed",
            "loansOutstanding",
            "grantsPaid",
            "writtenOff",
        )
    )
    assert total == ledger["deposits"] == capital
    impact = fund.impact(0)
    assert impact["casesApproved"] == 2
    assert impact["lentKopiyky"] == impact["repaidKopiyky"] == 20_000
    # value 2 x 40,000 + token fund 4 x 5,000 over token fund 20,000 = 5.0
    assert fund.impactRatioBps(0) == 50_000
