"""The stablecoin escrow of CoFinancing: a donor abroad pledges tokens the council accepts; they wait in the
contract, go to the project's payee once the vote chose it, and back to the donor if it did not (or if the
donor withdraws before the round is finalised). Tested with OpenZeppelin ERC-20s deployed on the local chain.
"""

import brownie
import pytest
from brownie import FeeOnTransferERC20, PlainERC20, accounts
from cofinancing_helpers import (
    CANCELLED,
    DIASPORA,
    FINALISED,
    FULFILLED,
    LAPSED,
    MONEY,
    OPEN,
    STABLECOIN,
    TREASURER_ROLE,
    finalise,
    make_pledge,
    open_round,
    register,
    to_voting,
)
from cts_errors import ZERO_ADDRESS, error
from cts_helpers import h
from fund_helpers import assert_event, earn

UNITS = 10**6  # a stablecoin of 6 decimals, as USDC
GIFT = 500 * UNITS
GIFT_KOPIYKY = 2_050_000  # the donor's valuation: 500 at 41 UAH


@pytest.fixture(scope="module")
def donor():
    """A diaspora donor with their own wallet: partner 1."""
    return accounts[13]


@pytest.fixture(scope="module")
def payee():
    """The contractor the council pays a project's escrow to."""
    return accounts[14]


@pytest.fixture(scope="module")
def stablecoin(cofinancing, council, donor):
    token = PlainERC20.deploy({"from": council})
    token.mint(donor, 10 * GIFT, {"from": donor})
    token.approve(cofinancing, 2**256 - 1, {"from": donor})
    return token


@pytest.fixture(scope="module")
def round_id(vote, cofinancing, cases, council, verifiers, programme, residents, capital, donor, alice):
    """A round in pitching (projects 1, 2 and 3); the donor is a partner; Alice has RV to vote for 1 and 2."""
    register(cofinancing, council, donor, DIASPORA)
    earn(cases, verifiers[0], alice, 5, tag="cofinancing-escrow")
    return open_round(vote, council, residents)


@pytest.fixture
def accepted(cofinancing, council, stablecoin):
    cofinancing.acceptToken(stablecoin, True, {"from": council})
    return stablecoin


def pledge_token(
    cofinancing, donor, round_id, project_id, token, amount=GIFT, value=GIFT_KOPIYKY, tag="gift"
):
    return cofinancing.pledgeToken(
        round_id, project_id, token, amount, value, h(f"{tag}-{round_id}-{project_id}"), {"from": donor}
    )


def held(token, cofinancing):
    return token.balanceOf(cofinancing), cofinancing.tokenEscrowed(token)


def test_the_council_chooses_the_stablecoins_it_accepts(cofinancing, council, stablecoin, outsider):
    assert not cofinancing.tokenAccepted(stablecoin)
    tx = cofinancing.acceptToken(stablecoin, True, {"from": council})
    assert_event(tx, "TokenAccepted", token=stablecoin, accepted=True)
    assert cofinancing.tokenAccepted(stablecoin)
    with brownie.reverts(error("CoFinancingTokenUnchanged", stablecoin, True)):
        cofinancing.acceptToken(stablecoin, True, {"from": council})
    with brownie.reverts("CoFinancingZeroAddress: "):
        cofinancing.acceptToken(ZERO_ADDRESS, True, {"from": council})
    with brownie.reverts(error("CoFinancingUnauthorised", outsider, TREASURER_ROLE)):
        cofinancing.acceptToken(stablecoin, False, {"from": outsider})
    cofinancing.acceptToken(stablecoin, False, {"from": council})
    assert not cofinancing.tokenAccepted(stablecoin)


def test_a_donor_pledges_a_stablecoin_into_the_escrow(cofinancing, round_id, accepted, donor):
    tx = pledge_token(cofinancing, donor, round_id, 1, accepted)
    assert tx.return_value == 1
    agreement = h(f"gift-{round_id}-1")
    assert_event(
        tx,
        "Pledged",
        roundId=round_id,
        projectId=1,
        partnerId=1,
        pledgeId=1,
        kind=STABLECOIN,
        valueKopiyky=GIFT_KOPIYKY,
        conditional=True,
        agreementHash=agreement,
    )
    assert_event(tx, "TokenEscrowed", pledgeId=1, token=accepted, amount=GIFT)
    assert held(accepted, cofinancing) == (GIFT, GIFT)
    assert accepted.balanceOf(donor) == 9 * GIFT
    assert tuple(cofinancing.escrowOf(1)) == (accepted, GIFT)
    p = cofinancing.pledgeOf(1)
    assert (p[3], p[4], p[5], p[6]) == (STABLECOIN, True, OPEN, GIFT_KOPIYKY)
    # Its value in hryvnias is the donor's own: it never counts in the gap.
    assert cofinancing.pledgedMoney(round_id, 1) == 0
    assert tuple(cofinancing.pledgeTotals(round_id, 1)[1]) == (1, GIFT_KOPIYKY)
    # A money pledge holds no tokens.
    make_pledge(cofinancing, donor, round_id, 2, MONEY, 1_000)
    assert tuple(cofinancing.escrowOf(2)) == (ZERO_ADDRESS, 0)


def test_a_stablecoin_pledge_is_refused_and_nothing_moves(
    cofinancing, vote, council, round_id, stablecoin, donor, outsider
):
    other = PlainERC20.deploy({"from": council})
    with brownie.reverts(error("CoFinancingTokenNotAccepted", stablecoin)):
        pledge_token(cofinancing, donor, round_id, 1, stablecoin)
    cofinancing.acceptToken(stablecoin, True, {"from": council})
    with brownie.reverts(error("CoFinancingTokenNotAccepted", other)):
        pledge_token(cofinancing, donor, round_id, 1, other)
    with brownie.reverts("CoFinancingZeroValue: "):
        pledge_token(cofinancing, donor, round_id, 1, stablecoin, amount=0)
    with brownie.reverts("CoFinancingZeroValue: "):
        pledge_token(cofinancing, donor, round_id, 1, stablecoin, value=0)
    with brownie.reverts(error("CoFinancingNotPartner", outsider)):
        pledge_token(cofinancing, outsider, round_id, 1, stablecoin)
    with brownie.reverts(error("BalancedVoteUnknownProject", round_id, 4)):
        pledge_token(cofinancing, donor, round_id, 4, stablecoin)
    with brownie.reverts(error("ERC20InsufficientBalance", donor, 10 * GIFT, 11 * GIFT)):
        pledge_token(cofinancing, donor, round_id, 1, stablecoin, amount=11 * GIFT)
    # A token that delivers less than it is told to send (1 % burned on the way).
    fee = FeeOnTransferERC20.deploy({"from": council})
    fee.mint(donor, GIFT, {"from": donor})
    fee.approve(cofinancing, GIFT, {"from": donor})
    cofinancing.acceptToken(fee, True, {"from": council})
    with brownie.reverts(error("CoFinancingTokenAmountMismatch", GIFT, GIFT - GIFT // 100)):
        pledge_token(cofinancing, donor, round_id, 1, fee)
    vote.screenProject(round_id, 3, False, 7, {"from": council})
    with brownie.reverts(error("CoFinancingProjectIneligible", round_id, 3)):
        pledge_token(cofinancing, donor, round_id, 3, stablecoin)
    assert cofinancing.pledgeCount() == 0
    assert held(stablecoin, cofinancing) == (0, 0) and held(fee, cofinancing) == (0, 0)
    assert stablecoin.balanceOf(donor) == 10 * GIFT and fee.balanceOf(donor) == GIFT


def test_the_council_pays_the_escrow_to_the_project_the_vote_chose(
    cofinancing, vote, council, round_id, accepted, donor, payee, alice, outsider
):
    pledge_token(cofinancing, donor, round_id, 1, accepted)
    make_pledge(cofinancing, donor, round_id, 2, MONEY, 1_000)
    to_voting(vote, council, round_id)
    receipt = h("bank-transfer-to-contractor")
    with brownie.reverts(error("CoFinancingProjectNotChosen", round_id, 1)):
        cofinancing.releaseToken(1, payee, receipt, {"from": council})
    finalise(vote, council, round_id, alice)  # projects 1 and 2 funded
    with brownie.reverts(error("CoFinancingEscrowLocked", round_id, FINALISED)):
        cofinancing.cancelPledge(1, {"from": donor})
    with brownie.reverts(error("CoFinancingProjectChosen", round_id, 1)):
        cofinancing.lapsePledge(1, {"from": outsider})
    with brownie.reverts(error("CoFinancingWrongPledgeKind", 1, STABLECOIN)):
        cofinancing.fulfilPledge(1, receipt, {"from": council})
    with brownie.reverts(error("CoFinancingWrongPledgeKind", 2, MONEY)):
        cofinancing.releaseToken(2, payee, receipt, {"from": council})
    with brownie.reverts("CoFinancingZeroAddress: "):
        cofinancing.releaseToken(1, ZERO_ADDRESS, receipt, {"from": council})
    with brownie.reverts("CoFinancingZeroHash: "):
        cofinancing.releaseToken(1, payee, b"\x00" * 32, {"from": council})
    with brownie.reverts(error("CoFinancingUnauthorised", outsider, TREASURER_ROLE)):
        cofinancing.releaseToken(1, outsider, receipt, {"from": outsider})
    assert held(accepted, cofinancing) == (GIFT, GIFT)

    tx = cofinancing.releaseToken(1, payee, receipt, {"from": council})
    assert_event(tx, "PledgeFulfilled", pledgeId=1, roundId=round_id, projectId=1, receiptHash=receipt)
    assert_event(tx, "TokenPaidOut", pledgeId=1, token=accepted, to=payee, amount=GIFT)
    assert accepted.balanceOf(payee) == GIFT
    assert held(accepted, cofinancing) == (0, 0)
    assert cofinancing.pledgeOf(1)[5] == FULFILLED
    with brownie.reverts(error("CoFinancingPledgeNotOpen", 1, FULFILLED)):
        cofinancing.releaseToken(1, payee, h("again"), {"from": council})
    with brownie.reverts(error("CoFinancingReceiptUsed", receipt)):
        cofinancing.fulfilPledge(2, receipt, {"from": council})


def test_the_escrow_goes_back_to_the_donor(
    cofinancing, vote, council, round_id, accepted, donor, alice, outsider
):
    """Withdrawn before the round is finalised, or lapsed because the vote did not choose the project (3, for
    which nobody voted): each time the donor gets every token back, and only once."""
    pledge_token(cofinancing, donor, round_id, 1, accepted, tag="withdrawn")
    pledge_token(cofinancing, donor, round_id, 3, accepted, tag="lapsing")
    to_voting(vote, council, round_id)
    tx = cofinancing.cancelPledge(1, {"from": donor})  # while residents vote: it never counted in the gap
    assert_event(tx, "PledgeCancelled", pledgeId=1, roundId=round_id, projectId=1)
    assert_event(tx, "TokenPaidOut", pledgeId=1, token=accepted, to=donor, amount=GIFT)
    assert held(accepted, cofinancing) == (GIFT, GIFT)
    finalise(vote, council, round_id, alice)
    tx = cofinancing.lapsePledge(2, {"from": outsider})
    assert_event(tx, "PledgeLapsed", pledgeId=2, roundId=round_id, projectId=3)
    assert_event(tx, "TokenPaidOut", pledgeId=2, token=accepted, to=donor, amount=GIFT)
    assert accepted.balanceOf(donor) == 10 * GIFT
    assert held(accepted, cofinancing) == (0, 0)
    assert [cofinancing.pledgeOf(i)[5] for i in (1, 2)] == [CANCELLED, LAPSED]
    for pledge_id, status in ((1, CANCELLED), (2, LAPSED)):
        with brownie.reverts(error("CoFinancingPledgeNotOpen", pledge_id, status)):
            cofinancing.lapsePledge(pledge_id, {"from": outsider})


def test_a_cancelled_round_returns_the_escrow(
    cofinancing, vote, council, round_id, accepted, donor, outsider
):
    pledge_token(cofinancing, donor, round_id, 1, accepted)
    vote.cancelRound(round_id, {"from": council})
    cofinancing.lapsePledge(1, {"from": outsider})
    assert accepted.balanceOf(donor) == 10 * GIFT and held(accepted, cofinancing) == (0, 0)


def test_a_token_no_longer_accepted_still_leaves_the_escrow(
    cofinancing, vote, council, round_id, accepted, donor, payee, alice
):
    """The council stops accepting the token after a pledge: new pledges are refused, the open one is paid."""
    pledge_token(cofinancing, donor, round_id, 1, accepted)
    cofinancing.acceptToken(accepted, False, {"from": council})
    with brownie.reverts(error("CoFinancingTokenNotAccepted", accepted)):
        pledge_token(cofinancing, donor, round_id, 2, accepted)
    to_voting(vote, council, round_id)
    finalise(vote, council, round_id, alice)
    cofinancing.releaseToken(1, payee, h("paid"), {"from": council})
    assert accepted.balanceOf(payee) == GIFT
