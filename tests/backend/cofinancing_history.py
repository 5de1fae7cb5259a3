"""A hromada with a round under the co-financing rule, acted out with web3 on the test chain
(docs/cofinancing.md).

Shared by the audit's test (tests/backend/audit/test_cofinancing_audit.py) and the auditors' in-browser
verifier's (tests/backend/web/test_verify_cofinanced.py). Round 1 is greedy, co-financed, 60,000 kopiyky, with
projects 1 (30,000), 2 (40,000) and 3 (10,000):
- a business pledges 10,000 in money to project 1 (fulfilled) and materials worth 15,000 to project 2
  (fulfilled);
- the local budget pledges 20,000 in money to project 2, and 5,000 more that it cancels before voting;
- an NGO pledges 10,000 in money to project 3, conditionally; nobody votes for project 3, so it lapses;
- a diaspora donor escrows 2.5 of a stablecoin (an OpenZeppelin ERC-20 deployed here) for project 1, valued at
  102.50 UAH, released to the contractor after the vote.
Residents vote for projects 1 and 2: the vote gives each its gap, 20,000, where without the rule project 1
would not fit beside project 2.
"""

from __future__ import annotations

from dataclasses import dataclass

from chain_time import DAY, h, now, travel
from web3 import Web3

from cts.chain.client import HromadaHandles, Sender

GREEDY = 2
FUNDED = {1: 20_000, 2: 20_000, 3: 0}  # what the vote gives each project: its gap
PLEDGED_MONEY = {1: 10_000, 2: 20_000, 3: 0}  # at the end (project 3's pledge lapsed)


MONEY, MATERIALS, STABLECOIN = 1, 2, 6
BUSINESS, LOCAL_BUDGET, NGO, DIASPORA = 1, 2, 3, 5
GIFT = 25 * 10**5  # 2.5 of a stablecoin of 6 decimals, valued by the donor at 102.50 UAH
GIFT_KOPIYKY = 10_250


@dataclass
class CoFinanced:
    handles: HromadaHandles
    token: str
    payee: str


def act_out_co_financing(w3: Web3, hromada: HromadaHandles) -> CoFinanced:
    """Acts out the module's story on a freshly onboarded hromada (accounts 0 to 12 of the node)."""
    a = w3.eth.accounts
    council, registrar, verifier = Sender(w3, a[0]), Sender(w3, a[1]), Sender(w3, a[2])
    residents = [Sender(w3, x) for x in a[4:7]]
    business, budget, ngo, donor = (Sender(w3, x) for x in a[8:12])
    payee = a[12]
    fund, cases, vote, co = hromada.fund, hromada.cases, hromada.vote, hromada.co_financing

    council.send(fund.functions.deposit(1_000_000, 0, h("co-donor"), h("co-receipt")))
    start = now(w3)
    council.send(
        cases.functions.createProgramme(
            (
                "Clean the park",
                h("co-programme"),
                2,
                30_000,
                40,
                6,
                start,
                start + 365 * DAY,
                1,
                [verifier.address],
            )
        )
    )
    registrar.send(
        hromada.registry.functions.addResidents(
            [r.address for r in residents], [h(f"co-id-{i}") for i in range(3)]
        )
    )
    for i, resident in enumerate(residents):
        resident.send(cases.functions.submitCase(1, h(f"co-evidence-{i}")))
    verifier.send(cases.functions.approveCases([1, 2, 3]))

    for partner, sector in ((business, BUSINESS), (budget, LOCAL_BUDGET), (ngo, NGO), (donor, DIASPORA)):
        council.send(co.functions.registerPartner(partner.address, sector, h(f"profile-{partner.address}")))
    token = Sender(w3, a[0]).deploy("PlainERC20")
    donor.send(token.functions.mint(donor.address, 10 * GIFT))
    donor.send(token.functions.approve(co.address, GIFT))
    council.send(co.functions.acceptToken(token.address, True))

    t = now(w3)
    council.send(
        vote.functions.createRound(
            (60_000, t, t + DAY, t + 2 * DAY, t + 4 * DAY, 3, h("co-round"), (GREEDY, 1, 3, 0, True))
        )
    )
    for owner, ask, label in (
        (residents[0], 30_000, "p1"),
        (residents[1], 40_000, "p2"),
        (residents[2], 10_000, "p3"),
    ):
        owner.send(vote.functions.pitchProject(1, ask, h(f"co-{label}"), 0))
    business.send(co.functions.pledge(1, 1, MONEY, 10_000, False, h("business-money")))  # pledge 1
    business.send(co.functions.pledge(1, 2, MATERIALS, 15_000, False, h("business-cement")))  # 2
    budget.send(co.functions.pledge(1, 2, MONEY, 20_000, False, h("budget-money")))  # 3
    budget.send(co.functions.pledge(1, 2, MONEY, 5_000, False, h("budget-extra")))  # 4, cancelled
    ngo.send(co.functions.pledge(1, 3, MONEY, 10_000, True, h("ngo-money")))  # 5, lapses
    donor.send(co.functions.pledgeToken(1, 1, token.address, GIFT, GIFT_KOPIYKY, h("donor-gift")))  # 6
    budget.send(co.functions.cancelPledge(4))
    travel(w3, DAY + 1)
    for project_id in (1, 2, 3):
        council.send(vote.functions.screenProject(1, project_id, True, 0))
    travel(w3, DAY + 1)
    residents[0].send(vote.functions.castBallot(1, [1, 2], [1, 1]))
    residents[1].send(vote.functions.castBallot(1, [2], [1]))
    travel(w3, 2 * DAY + 1)
    council.send(vote.functions.finalise(1))
    ngo.send(co.functions.lapsePledge(5))
    council.send(co.functions.fulfilPledge(1, h("business-bank-statement")))
    council.send(co.functions.fulfilPledge(2, h("cement-delivery-note")))
    council.send(co.functions.releaseToken(6, payee, h("donor-transfer")))
    return CoFinanced(hromada, token.address, payee)
