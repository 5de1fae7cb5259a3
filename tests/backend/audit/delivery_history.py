"""A hromada whose funded projects are being delivered, acted out with web3 on the test chain.

Round 1 (greedy by weight) funds three grants: project 1 (resident 0, 30,000 kopiyky), project 2 (resident 1,
20,000) and project 3 (resident 0, 10,000). Then:
- project 1 is planned in three milestones of 10,000 due in 10, 20 and 30 days; milestone 1 is reported with
  two receipts (files a and b of RECEIPT_FILES, listed by their SHA-256 as the service does), flagged by
  resident 2, answered, accepted and paid; milestone 2 is reported with receipt c and flagged by resident 3,
  unanswered;
- project 2 is planned in two milestones of 10,000 due in 10 and 40 days; milestone 1 is reported and
  rejected;
- project 3 has no plan and is paid in one go (payGrant);
- 15 days pass: project 2's milestone 1 is overdue; project 1's milestone 2 is not due yet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from audit_history import DAY, GREEDY, h, now, travel
from web3 import Web3

from cts.chain.client import HromadaHandles, Sender

FUNDED = {1: 30_000, 2: 20_000, 3: 10_000}
# The receipts' files (PDFs, as the service keeps them) and the reports that list them.
RECEIPT_FILES = {
    "a": b"%PDF-1.4\n% receipt a: 40 bags of cement, TOV Budmat, EDRPOU 12345678\n%%EOF\n",
    "b": b"%PDF-1.4\n% receipt b: delivery of the cement\n%%EOF\n",
    "c": b"%PDF-1.4\n% receipt c: roofing sheets\n%%EOF\n",
}


def receipt_hash(name: str) -> bytes:
    """A receipt's hash on chain: the SHA-256 of its file."""
    return hashlib.sha256(RECEIPT_FILES[name]).digest()


@dataclass
class DeliveryHistory:
    handles: HromadaHandles
    council: Sender
    owners: dict[int, Sender]
    round_id: int = 1


def act_out_delivery(w3: Web3, hromada: HromadaHandles) -> DeliveryHistory:
    accounts = w3.eth.accounts
    council, registrar, verifier = Sender(w3, accounts[0]), Sender(w3, accounts[1]), Sender(w3, accounts[2])
    r = [Sender(w3, a) for a in accounts[4:8]]
    fund, cases, vote, delivery = hromada.fund, hromada.cases, hromada.vote, hromada.delivery

    council.send(fund.functions.deposit(1_000_000, 0, h("delivery-donor"), h("delivery-receipt-1")))
    start = now(w3)
    council.send(
        cases.functions.createProgramme(
            (
                "Clean the park",
                h("delivery-programme"),
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
        hromada.registry.functions.addResidents([s.address for s in r], [h(f"d-id-{i}") for i in range(4)])
    )
    for i, resident in enumerate(r * 2):
        resident.send(cases.functions.submitCase(1, h(f"delivery-evidence-{i}")))
    verifier.send(cases.functions.approveCases(list(range(1, 9))))  # 4 RV each

    t = now(w3)
    council.send(
        vote.functions.createRound(
            (60_000, t, t + DAY, t + 2 * DAY, t + 4 * DAY, 3, h("d-round"), (GREEDY, 1, 3, 0, False))
        )
    )
    for owner, ask, label in ((r[0], 30_000, "p1"), (r[1], 20_000, "p2"), (r[0], 10_000, "p3")):
        owner.send(vote.functions.pitchProject(1, ask, h(f"d-{label}"), 0))
    travel(w3, DAY + 1)
    for project_id in (1, 2, 3):
        council.send(vote.functions.screenProject(1, project_id, True, 0))
    travel(w3, DAY + 1)
    r[2].send(vote.functions.castBallot(1, [1, 2, 3], [1, 1, 1]))
    travel(w3, 2 * DAY + 1)
    council.send(vote.functions.finalise(1))

    t = now(w3)
    council.send(
        delivery.functions.setPlan(
            1, 1, [t + 10 * DAY, t + 20 * DAY, t + 30 * DAY], [10_000, 10_000, 10_000], h("plan-1")
        )
    )
    council.send(
        delivery.functions.setPlan(1, 2, [t + 10 * DAY, t + 40 * DAY], [10_000, 10_000], h("plan-2"))
    )
    r[0].send(
        delivery.functions.reportMilestone(1, 1, 0, h("report-1-1"), [receipt_hash("a"), receipt_hash("b")])
    )
    r[2].send(delivery.functions.flagReport(1, 2, h("looks overpriced")))
    council.send(delivery.functions.answerFlag(1, h("three quotes were compared")))
    council.send(delivery.functions.acceptReport(1, 1, 0))
    council.send(delivery.functions.payTranche(1, 1, 0, h("tranche-1-1")))
    r[0].send(delivery.functions.reportMilestone(1, 1, 1, h("report-1-2"), [receipt_hash("c")]))
    r[3].send(delivery.functions.flagReport(2, 1, h("the roof is not done")))
    r[1].send(delivery.functions.reportMilestone(1, 2, 0, h("report-2-1"), []))
    council.send(delivery.functions.rejectReport(1, 2, 0, 4))
    council.send(fund.functions.payGrant(1, 3, h("grant-3")))
    travel(w3, 15 * DAY)
    return DeliveryHistory(handles=hromada, council=council, owners={1: r[0], 2: r[1]})
