"""CoFinancing: partners, pledges, cancellations, fulfilments and lapses, and every way they are refused.

The invariants (totals per state, the money pledged, the freeze once voting opens) are in
test_cofinancing_stateful.py.
"""

import brownie
import pytest
from brownie import CoFinancing, accounts
from cofinancing_helpers import (
    BUSINESS,
    CANCELLED,
    DIASPORA,
    EQUIPMENT,
    FINALISED,
    FULFILLED,
    INTERNATIONAL_DONOR,
    LABOUR_HOURS,
    LAPSED,
    MATERIALS,
    MONEY,
    NGO,
    OPEN,
    PREMISES,
    ROUND_CANCELLED,
    TALLYING,
    TREASURER_ROLE,
    VOTING,
    finalise,
    make_pledge,
    open_round,
    register,
    to_screening,
    to_tallying,
    to_voting,
)
from cts_errors import ZERO_ADDRESS, error
from cts_helpers import h, sign_forward_request
from fund_helpers import assert_event, earn, now

ZERO_HASH = b"\x00" * 32


@pytest.fixture(scope="module")
def business():
    """A local business with its own wallet: partner 1."""
    return accounts[11]


@pytest.fixture(scope="module")
def ngo():
    """An NGO: partner 2."""
    return accounts[12]


@pytest.fixture(scope="module")
def partners(cofinancing, council, business, ngo):
    register(cofinancing, council, business, BUSINESS)
    register(cofinancing, council, ngo, NGO)
    return [business, ngo]


@pytest.fixture(scope="module")
def round_id(vote, cases, council, verifiers, programme, residents, capital, partners, alice):
    """A round in pitching (projects 1, 2 and 3); Alice has RV to vote for projects 1 and 2."""
    earn(cases, verifiers[0], alice, 5, tag="cofinancing")
    return open_round(vote, council, residents)


def totals(cofinancing, round_id, project_id):
    """[(count, value)] of every pledge, then open, fulfilled, cancelled, lapsed."""
    return [tuple(t) for t in cofinancing.pledgeTotals(round_id, project_id)]


# ---------------------------------------------------------------- partners


def test_council_registers_partners_of_every_sector(cofinancing, council):
    for sector, account in enumerate(accounts[11:16], start=1):
        tx = cofinancing.registerPartner(account, sector, h(f"profile-{sector}"), {"from": council})
        assert tx.return_value == sector
        assert_event(
            tx,
            "PartnerRegistered",
            partnerId=sector,
            account=account,
            sector=sector,
            profileHash=h(f"profile-{sector}"),
        )
        assert tuple(cofinancing.partner(sector)) == (
            account,
            sector,
            True,
            "0x" + h(f"profile-{sector}").hex(),
        )
        assert cofinancing.partnerOf(account) == sector
    assert cofinancing.partnerCount() == DIASPORA
    assert cofinancing.partnerOf(accounts[16]) == 0


def test_registering_a_partner_is_refused(cofinancing, council, partners, business, outsider):
    with brownie.reverts(error("CoFinancingUnauthorised", outsider, TREASURER_ROLE)):
        cofinancing.registerPartner(outsider, BUSINESS, h("profile"), {"from": outsider})
    with brownie.reverts("CoFinancingZeroAddress: "):
        cofinancing.registerPartner(ZERO_ADDRESS, BUSINESS, h("profile"), {"from": council})
    for sector in (0, DIASPORA + 1, 255):
        with brownie.reverts(error("CoFinancingInvalidSector", sector)):
            cofinancing.registerPartner(outsider, sector, h("profile"), {"from": council})
    with brownie.reverts("CoFinancingZeroHash: "):
        cofinancing.registerPartner(outsider, BUSINESS, ZERO_HASH, {"from": council})
    with brownie.reverts(error("CoFinancingAlreadyPartner", business, 1)):
        cofinancing.registerPartner(business, INTERNATIONAL_DONOR, h("again"), {"from": council})
    assert cofinancing.partnerCount() == 2


def test_council_deactivates_and_reactivates_a_partner(cofinancing, council, partners, business):
    tx = cofinancing.setPartnerActive(1, False, {"from": council})
    assert_event(tx, "PartnerActiveSet", partnerId=1, active=False)
    assert cofinancing.partner(1)[2] is False
    tx = cofinancing.setPartnerActive(1, True, {"from": council})
    assert_event(tx, "PartnerActiveSet", partnerId=1, active=True)
    assert tuple(cofinancing.partner(1)) == (business, BUSINESS, True, "0x" + h(f"partner-{business}").hex())


def test_setting_a_partner_active_is_refused(cofinancing, council, partners, outsider):
    with brownie.reverts(error("CoFinancingUnauthorised", outsider, TREASURER_ROLE)):
        cofinancing.setPartnerActive(1, False, {"from": outsider})
    for unknown in (0, 3):
        with brownie.reverts(error("CoFinancingUnknownPartner", unknown)):
            cofinancing.setPartnerActive(unknown, False, {"from": council})
        with brownie.reverts(error("CoFinancingUnknownPartner", unknown)):
            cofinancing.partner(unknown)
    with brownie.reverts(error("CoFinancingPartnerActiveUnchanged", 1, True)):
        cofinancing.setPartnerActive(1, True, {"from": council})


# ---------------------------------------------------------------- pledges


def test_a_partner_pledges_money_and_resources_in_kind(cofinancing, round_id, business, ngo):
    tx = cofinancing.pledge(round_id, 1, MONEY, 12_000, False, h("agreement-money"), {"from": business})
    assert tx.return_value == 1
    assert_event(
        tx,
        "Pledged",
        roundId=round_id,
        projectId=1,
        partnerId=1,
        pledgeId=1,
        kind=MONEY,
        valueKopiyky=12_000,
        conditional=False,
        agreementHash=h("agreement-money"),
    )
    assert tuple(cofinancing.pledgeOf(1)) == (
        1,
        round_id,
        1,
        MONEY,
        False,
        OPEN,
        12_000,
        "0x" + h("agreement-money").hex(),
        "0x" + ZERO_HASH.hex(),
    )
    kinds = (MATERIALS, EQUIPMENT, LABOUR_HOURS, PREMISES)
    for pledge_id, kind in enumerate(kinds, start=2):
        tx = make_pledge(cofinancing, ngo, round_id, 1, kind, 1_000 * kind, conditional=True)
        assert tx.return_value == pledge_id
        assert tx.events["Pledged"]["partnerId"] == 2
        assert tuple(cofinancing.pledgeOf(pledge_id))[3:6] == (kind, True, OPEN)
    make_pledge(cofinancing, ngo, round_id, 2, MONEY, 5_000)
    # In-kind values never count as money: only the money pledges to project 1 do.
    assert cofinancing.pledgedMoney(round_id, 1) == 12_000
    assert cofinancing.pledgedMoney(round_id, 2) == 5_000
    assert cofinancing.pledgedMoney(round_id, 3) == 0
    in_kind = sum(1_000 * kind for kind in kinds)
    assert totals(cofinancing, round_id, 1) == [
        (5, 12_000 + in_kind),
        (5, 12_000 + in_kind),
        (0, 0),
        (0, 0),
        (0, 0),
    ]
    assert cofinancing.pledgeCount() == 6


def test_a_pledge_is_refused(cofinancing, council, round_id, business, ngo, outsider):
    with brownie.reverts(error("CoFinancingNotPartner", outsider)):
        make_pledge(cofinancing, outsider, round_id, 1)
    cofinancing.setPartnerActive(2, False, {"from": council})
    with brownie.reverts(error("CoFinancingPartnerInactive", 2)):
        make_pledge(cofinancing, ngo, round_id, 1, MATERIALS)
    for kind in (0, PREMISES + 1):
        with brownie.reverts(error("CoFinancingInvalidKind", kind)):
            make_pledge(cofinancing, business, round_id, 1, kind)
    with brownie.reverts("CoFinancingZeroValue: "):
        make_pledge(cofinancing, business, round_id, 1, MONEY, 0)
    with brownie.reverts("CoFinancingZeroHash: "):
        cofinancing.pledge(round_id, 1, MONEY, 1_000, False, ZERO_HASH, {"from": business})
    with brownie.reverts(error("BalancedVoteUnknownRound", round_id + 1)):
        make_pledge(cofinancing, business, round_id + 1, 1)
    with brownie.reverts(error("BalancedVoteUnknownProject", round_id, 4)):
        make_pledge(cofinancing, business, round_id, 4)
    assert cofinancing.pledgeCount() == 0


def test_money_is_pledged_only_before_voting_and_in_kind_until_the_round_closes(
    cofinancing, vote, council, round_id, business, alice
):
    make_pledge(cofinancing, business, round_id, 1, MONEY, 1_000)
    to_screening(vote, round_id)
    make_pledge(cofinancing, business, round_id, 1, MONEY, 2_000)
    to_voting(vote, council, round_id)
    with brownie.reverts(error("CoFinancingMoneyFrozen", round_id, VOTING)):
        make_pledge(cofinancing, business, round_id, 1, MONEY, 3_000)
    make_pledge(cofinancing, business, round_id, 1, MATERIALS, 3_000)
    to_tallying(vote, round_id, alice)
    with brownie.reverts(error("CoFinancingMoneyFrozen", round_id, TALLYING)):
        make_pledge(cofinancing, business, round_id, 1, MONEY, 4_000)
    make_pledge(cofinancing, business, round_id, 1, LABOUR_HOURS, 4_000)
    vote.finalise(round_id, {"from": council})
    for kind in (MONEY, PREMISES):
        with brownie.reverts(error("CoFinancingRoundClosed", round_id, FINALISED)):
            make_pledge(cofinancing, business, round_id, 3, kind, 5_000)
    assert cofinancing.pledgedMoney(round_id, 1) == 3_000
    assert cofinancing.pledgeCount() == 4


def test_no_pledge_to_an_ineligible_project_nor_in_a_cancelled_round(
    cofinancing, vote, council, round_id, business
):
    to_screening(vote, round_id)
    vote.screenProject(round_id, 3, False, 7, {"from": council})
    vote.screenProject(round_id, 2, True, 0, {"from": council})
    with brownie.reverts(error("CoFinancingProjectIneligible", round_id, 3)):
        make_pledge(cofinancing, business, round_id, 3, MATERIALS)
    make_pledge(cofinancing, business, round_id, 2, MONEY)  # eligible
    make_pledge(cofinancing, business, round_id, 1, MONEY)  # still pitched
    vote.cancelRound(round_id, {"from": council})
    with brownie.reverts(error("CoFinancingRoundClosed", round_id, ROUND_CANCELLED)):
        make_pledge(cofinancing, business, round_id, 1, MATERIALS)


def test_a_custodial_partner_pledges_and_cancels_through_the_forwarder(
    cofinancing, forwarder, council, round_id, relayer
):
    olena = accounts.add("0x" + h("olena's custodial key").hex())
    register(cofinancing, council, olena, DIASPORA)
    data = cofinancing.pledge.encode_input(round_id, 2, MONEY, 7_500, True, h("olena-agreement"))
    request = sign_forward_request(
        forwarder, olena.private_key, olena, cofinancing, data, deadline=now() + 3600
    )
    tx = forwarder.execute(request, {"from": relayer})
    assert_event(tx, "Pledged", roundId=round_id, projectId=2, partnerId=3, pledgeId=1, valueKopiyky=7_500)
    assert cofinancing.pledgeOf(1)[0] == 3
    assert cofinancing.pledgedMoney(round_id, 2) == 7_500
    data = cofinancing.cancelPledge.encode_input(1)
    request = sign_forward_request(
        forwarder, olena.private_key, olena, cofinancing, data, deadline=now() + 3600
    )
    tx = forwarder.execute(request, {"from": relayer})
    assert_event(tx, "PledgeCancelled", pledgeId=1, roundId=round_id, projectId=2)
    assert cofinancing.pledgedMoney(round_id, 2) == 0


# ---------------------------------------------------------------- cancellations


def test_a_partner_cancels_an_open_money_pledge_before_voting(cofinancing, vote, round_id, business):
    make_pledge(cofinancing, business, round_id, 1, MONEY, 10_000)
    make_pledge(cofinancing, business, round_id, 1, MONEY, 4_000)
    to_screening(vote, round_id)
    tx = cofinancing.cancelPledge(1, {"from": business})
    assert_event(tx, "PledgeCancelled", pledgeId=1, roundId=round_id, projectId=1)
    assert cofinancing.pledgeOf(1)[5] == CANCELLED
    assert cofinancing.pledgedMoney(round_id, 1) == 4_000
    assert totals(cofinancing, round_id, 1) == [(2, 14_000), (1, 4_000), (0, 0), (1, 10_000), (0, 0)]


def test_in_kind_pledges_are_cancelled_until_fulfilled_money_ones_only_before_voting(
    cofinancing, vote, council, round_id, business, alice
):
    make_pledge(cofinancing, business, round_id, 1, MONEY, 10_000)
    make_pledge(cofinancing, business, round_id, 1, MATERIALS, 2_000)
    make_pledge(cofinancing, business, round_id, 1, EQUIPMENT, 3_000)
    to_voting(vote, council, round_id)
    with brownie.reverts(error("CoFinancingMoneyFrozen", round_id, VOTING)):
        cofinancing.cancelPledge(1, {"from": business})
    cofinancing.cancelPledge(2, {"from": business})
    finalise(vote, council, round_id, alice)
    with brownie.reverts(error("CoFinancingMoneyFrozen", round_id, FINALISED)):
        cofinancing.cancelPledge(1, {"from": business})
    tx = cofinancing.cancelPledge(3, {"from": business})
    assert_event(tx, "PledgeCancelled", pledgeId=3, roundId=round_id, projectId=1)
    assert cofinancing.pledgedMoney(round_id, 1) == 10_000
    assert totals(cofinancing, round_id, 1) == [(3, 15_000), (1, 10_000), (0, 0), (2, 5_000), (0, 0)]


def test_money_pledges_are_cancelled_in_a_cancelled_round(cofinancing, vote, council, round_id, business):
    make_pledge(cofinancing, business, round_id, 2, MONEY, 10_000)
    to_voting(vote, council, round_id)
    vote.cancelRound(round_id, {"from": council})
    cofinancing.cancelPledge(1, {"from": business})
    assert cofinancing.pledgedMoney(round_id, 2) == 0


def test_an_inactive_partner_still_cancels(cofinancing, council, round_id, business):
    make_pledge(cofinancing, business, round_id, 1, MATERIALS, 2_000)
    cofinancing.setPartnerActive(1, False, {"from": council})
    cofinancing.cancelPledge(1, {"from": business})
    assert cofinancing.pledgeOf(1)[5] == CANCELLED


def test_cancelling_is_refused(cofinancing, council, round_id, business, ngo, outsider):
    make_pledge(cofinancing, business, round_id, 1, MONEY, 1_000)
    make_pledge(cofinancing, business, round_id, 1, MATERIALS, 1_000)
    for unknown in (0, 3):
        with brownie.reverts(error("CoFinancingUnknownPledge", unknown)):
            cofinancing.cancelPledge(unknown, {"from": business})
        with brownie.reverts(error("CoFinancingUnknownPledge", unknown)):
            cofinancing.pledgeOf(unknown)
    for who in (ngo, outsider, council):
        with brownie.reverts(error("CoFinancingNotPledger", who, 1)):
            cofinancing.cancelPledge(1, {"from": who})
    cofinancing.cancelPledge(1, {"from": business})
    with brownie.reverts(error("CoFinancingPledgeNotOpen", 1, CANCELLED)):
        cofinancing.cancelPledge(1, {"from": business})
    cofinancing.fulfilPledge(2, h("delivery-note"), {"from": council})
    with brownie.reverts(error("CoFinancingPledgeNotOpen", 2, FULFILLED)):
        cofinancing.cancelPledge(2, {"from": business})


# ---------------------------------------------------------------- fulfilments


def test_council_records_pledges_fulfilled(cofinancing, vote, council, round_id, business, ngo, alice):
    make_pledge(cofinancing, business, round_id, 1, MONEY, 10_000, conditional=True)
    make_pledge(cofinancing, ngo, round_id, 1, LABOUR_HOURS, 6_000)
    to_voting(vote, council, round_id)
    tx = cofinancing.fulfilPledge(1, h("bank-statement"), {"from": council})
    assert_event(
        tx, "PledgeFulfilled", pledgeId=1, roundId=round_id, projectId=1, receiptHash=h("bank-statement")
    )
    assert cofinancing.pledgeOf(1)[5] == FULFILLED
    assert cofinancing.pledgeOf(1)[8] == "0x" + h("bank-statement").hex()
    assert cofinancing.receiptUsed(h("bank-statement"))
    assert not cofinancing.receiptUsed(h("timesheet"))
    # Fulfilled money is still money the project has.
    assert cofinancing.pledgedMoney(round_id, 1) == 10_000
    finalise(vote, council, round_id, alice)
    tx = cofinancing.fulfilPledge(2, h("timesheet"), {"from": council})
    assert_event(tx, "PledgeFulfilled", pledgeId=2, roundId=round_id, projectId=1, receiptHash=h("timesheet"))
    assert totals(cofinancing, round_id, 1) == [(2, 16_000), (0, 0), (2, 16_000), (0, 0), (0, 0)]


def test_fulfilling_is_refused(cofinancing, council, round_id, business, outsider):
    make_pledge(cofinancing, business, round_id, 1, MONEY, 1_000)
    make_pledge(cofinancing, business, round_id, 2, MONEY, 2_000)
    make_pledge(cofinancing, business, round_id, 3, PREMISES, 3_000)
    with brownie.reverts(error("CoFinancingUnauthorised", business, TREASURER_ROLE)):
        cofinancing.fulfilPledge(1, h("receipt"), {"from": business})
    for unknown in (0, 4):
        with brownie.reverts(error("CoFinancingUnknownPledge", unknown)):
            cofinancing.fulfilPledge(unknown, h("receipt"), {"from": council})
    with brownie.reverts("CoFinancingZeroHash: "):
        cofinancing.fulfilPledge(1, ZERO_HASH, {"from": council})
    cofinancing.fulfilPledge(1, h("receipt"), {"from": council})
    with brownie.reverts(error("CoFinancingReceiptUsed", h("receipt"))):
        cofinancing.fulfilPledge(2, h("receipt"), {"from": council})
    with brownie.reverts(error("CoFinancingPledgeNotOpen", 1, FULFILLED)):
        cofinancing.fulfilPledge(1, h("another-receipt"), {"from": council})
    cofinancing.cancelPledge(3, {"from": business})
    with brownie.reverts(error("CoFinancingPledgeNotOpen", 3, CANCELLED)):
        cofinancing.fulfilPledge(3, h("another-receipt"), {"from": council})


# ---------------------------------------------------------------- lapses


def test_conditional_pledges_to_an_unfunded_project_lapse(
    cofinancing, vote, council, round_id, business, ngo, alice, outsider
):
    make_pledge(cofinancing, business, round_id, 3, MONEY, 4_000, conditional=True)
    make_pledge(cofinancing, ngo, round_id, 3, MATERIALS, 9_000, conditional=True)
    make_pledge(cofinancing, ngo, round_id, 3, MONEY, 1_000)  # unconditional: stands
    to_voting(vote, council, round_id)
    finalise(vote, council, round_id, alice)
    assert vote.project(round_id, 3)[7] == 0
    tx = cofinancing.lapsePledge(1, {"from": outsider})
    assert_event(tx, "PledgeLapsed", pledgeId=1, roundId=round_id, projectId=3)
    tx = cofinancing.lapsePledge(2, {"from": outsider})
    assert_event(tx, "PledgeLapsed", pledgeId=2, roundId=round_id, projectId=3)
    assert [cofinancing.pledgeOf(i)[5] for i in (1, 2, 3)] == [LAPSED, LAPSED, OPEN]
    assert cofinancing.pledgedMoney(round_id, 3) == 1_000
    assert totals(cofinancing, round_id, 3) == [(3, 14_000), (1, 1_000), (0, 0), (0, 0), (2, 13_000)]


def test_conditional_pledges_lapse_in_a_cancelled_round(cofinancing, vote, council, round_id, business):
    make_pledge(cofinancing, business, round_id, 1, MONEY, 4_000, conditional=True)
    vote.cancelRound(round_id, {"from": council})
    cofinancing.lapsePledge(1, {"from": business})
    assert cofinancing.pledgeOf(1)[5] == LAPSED
    assert cofinancing.pledgedMoney(round_id, 1) == 0


def test_a_lapse_is_refused(cofinancing, vote, council, round_id, business, alice, outsider):
    make_pledge(cofinancing, business, round_id, 1, MONEY, 4_000, conditional=True)
    make_pledge(cofinancing, business, round_id, 3, MONEY, 1_000)
    make_pledge(cofinancing, business, round_id, 3, MATERIALS, 2_000, conditional=True)
    make_pledge(cofinancing, business, round_id, 3, EQUIPMENT, 3_000, conditional=True)
    for unknown in (0, 5):
        with brownie.reverts(error("CoFinancingUnknownPledge", unknown)):
            cofinancing.lapsePledge(unknown, {"from": outsider})
    to_voting(vote, council, round_id)
    with brownie.reverts(error("CoFinancingRoundNotClosed", round_id, VOTING)):
        cofinancing.lapsePledge(3, {"from": outsider})
    to_tallying(vote, round_id, alice)
    with brownie.reverts(error("CoFinancingRoundNotClosed", round_id, TALLYING)):
        cofinancing.lapsePledge(3, {"from": outsider})
    vote.finalise(round_id, {"from": council})
    with brownie.reverts(error("CoFinancingProjectChosen", round_id, 1)):
        cofinancing.lapsePledge(1, {"from": outsider})
    with brownie.reverts(error("CoFinancingUnconditional", 2)):
        cofinancing.lapsePledge(2, {"from": outsider})
    cofinancing.lapsePledge(3, {"from": outsider})
    with brownie.reverts(error("CoFinancingPledgeNotOpen", 3, LAPSED)):
        cofinancing.lapsePledge(3, {"from": outsider})
    cofinancing.fulfilPledge(4, h("equipment-lent"), {"from": council})
    with brownie.reverts(error("CoFinancingPledgeNotOpen", 4, FULFILLED)):
        cofinancing.lapsePledge(4, {"from": outsider})


# ---------------------------------------------------------------- deployment


def test_cofinancing_is_wired_to_the_fund_and_initialised_once(cofinancing, fund, vote, forwarder, outsider):
    assert cofinancing.fund() == fund
    assert cofinancing.trustedForwarder() == forwarder
    assert cofinancing.TREASURER_ROLE() == "0x" + TREASURER_ROLE.hex()
    contracts = (outsider,) * 7
    with brownie.reverts(revert_pattern="InvalidInitialization.*"):
        cofinancing.initialize(contracts, {"from": outsider})
    implementation = CoFinancing.deploy(forwarder, {"from": outsider})
    with brownie.reverts(revert_pattern="InvalidInitialization.*"):
        implementation.initialize(contracts, {"from": outsider})
    # The clone is EIP-1167's 45-byte proxy; the code is the implementation's, well under EIP-170's limit.
    assert len(brownie.web3.eth.get_code(cofinancing.address)) == 45
    size = len(brownie.web3.eth.get_code(implementation.address))
    print(f"CoFinancing deployed bytecode: {size:,} bytes")
    assert size < 24_576 * 3 // 4
