"""An honest history of one hromada, acted out with web3 on the test chain, for the audit to check.

What happens (every kind of state change the audit replays):
- the council deposits capital twice (donor, local budget) and creates two programmes (quorum 1 and 2);
- the registrar registers eight residents in one batch; residents submit cases, the council records one as
  coordinator; verifiers approve in a batch and one by one, reject some (quorum no longer reachable); a case
  stays pending; a verifier is added and removed; programme B is paused and resumed; cycle 2 is opened;
- a resident is suspended and reinstated, another suspended for good, a third migrated to a new key;
- four loans: one pitched in round 1 and approved by its result (its principal scaled to the funded
  amount), disbursed, partly repaid, then defaulted; one approved by the council, disbursed, repaid in full;
  one rejected; one approved and cancelled;
- round 1 (quadratic funding): four projects, one screened ineligible, ballots with revisions (changing
  projects and amounts) and a withdrawal, by a migrated resident too; finalised; a grant paid, a project's
  funds released;
- round 2 (greedy by weight): cancelled during voting; one voter refunded, one not (RV stays in escrow);
- round 3 (proportional to weight): finalised after more cases; a grant paid;
- programme A is closed (its unused reserve returns).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chain_time import DAY, h, now, travel
from web3 import Web3

from cts.chain.client import HromadaHandles, Sender

QUADRATIC, PROPORTIONAL, GREEDY = 0, 1, 2
DONOR, LOCAL_BUDGET = 0, 1


@dataclass
class HonestHistory:
    """What the test needs to know about the acted-out history."""

    handles: HromadaHandles
    residents: list[str]
    migrated_to: str
    last_block: int = 0
    rounds: dict[str, int] = field(default_factory=dict)
    loans: dict[str, int] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)


class Actors:
    def __init__(self, w3: Web3) -> None:
        accounts = w3.eth.accounts
        self.w3 = w3
        self.council = Sender(w3, accounts[0])
        self.registrar = Sender(w3, accounts[1])
        self.verifier = Sender(w3, accounts[2])
        self.second_verifier = Sender(w3, accounts[3])
        self.residents = [Sender(w3, a) for a in accounts[4:12]]
        self.new_key = Sender(w3, accounts[14])
        self.extra_verifier = accounts[15]


def _round_params(w3: Web3, fund: int, projects: int, rule: int, label: str) -> tuple[Any, ...]:
    t = now(w3)
    return (fund, t, t + DAY, t + 2 * DAY, t + 4 * DAY, projects, h(label), (rule, 1, 3, 0, False))


def _vote(
    w3: Web3, hromada: HromadaHandles, actors: Actors, round_id: int, projects: int, ineligible: int = 0
) -> None:
    """Move a round from pitching through screening (all eligible but `ineligible`) to voting."""
    travel(w3, DAY + 1)
    for project_id in range(1, projects + 1):
        eligible = project_id != ineligible
        reason = 0 if eligible else 4
        actors.council.send(hromada.vote.functions.screenProject(round_id, project_id, eligible, reason))
    travel(w3, DAY + 1)


def act_out(w3: Web3, hromada: HromadaHandles) -> HonestHistory:
    a = Actors(w3)
    r = a.residents
    fund, cases, vote, registry = hromada.fund, hromada.cases, hromada.vote, hromada.registry
    history = HonestHistory(handles=hromada, residents=[s.address for s in r], migrated_to=a.new_key.address)

    # Capital, two programmes, residents.
    a.council.send(fund.functions.deposit(1_000_000, DONOR, h("donor-agreement"), h("receipt-1")))
    a.council.send(fund.functions.deposit(500_000, LOCAL_BUDGET, h("budget-decision"), h("receipt-2")))
    start = now(w3)
    verifiers = [a.verifier.address, a.second_verifier.address]
    a.council.send(
        cases.functions.createProgramme(
            ("Clean the park", h("programme-a"), 2, 30_000, 40, 6, start, start + 365 * DAY, 1, verifiers)
        )
    )
    a.council.send(
        cases.functions.createProgramme(
            (
                "Weave camouflage nets",
                h("programme-b"),
                3,
                100_000,
                30,
                9,
                start,
                start + 365 * DAY,
                2,
                verifiers,
            )
        )
    )
    a.registrar.send(
        registry.functions.addResidents([s.address for s in r], [h(f"identity-{i}") for i in range(len(r))])
    )

    # Programme A (quorum 1): eight cases; five approved in a batch, one alone, one rejected, one pending.
    for i, resident in enumerate(r):
        resident.send(cases.functions.submitCase(1, h(f"evidence-a-{i}")))
    a.verifier.send(cases.functions.approveCases([1, 2, 3, 4, 5]))
    a.second_verifier.send(cases.functions.approveCase(6))
    a.verifier.send(cases.functions.rejectCase(7, 3))
    a.second_verifier.send(cases.functions.rejectCase(7, 3))
    a.council.send(cases.functions.addVerifier(1, a.extra_verifier))
    a.council.send(cases.functions.removeVerifier(1, a.extra_verifier))
    r[0].send(cases.functions.submitCase(1, h("evidence-a-8")))  # case 9
    a.second_verifier.send(cases.functions.approveCase(9))

    # Cycle 2; programme B (quorum 2): a recorded case, a rejection, a batch approved by both verifiers.
    a.council.send(fund.functions.openCycle(h("cycle-2")))
    a.council.send(cases.functions.recordCase(2, r[0].address, h("evidence-b-0")))  # case 10
    r[1].send(cases.functions.submitCase(2, h("evidence-b-1")))  # case 11
    r[2].send(cases.functions.submitCase(2, h("evidence-b-2")))  # case 12
    r[3].send(cases.functions.submitCase(2, h("evidence-b-3")))  # case 13
    a.council.send(cases.functions.pauseProgramme(2))
    a.council.send(cases.functions.resumeProgramme(2))
    a.verifier.send(cases.functions.approveCases([10, 12, 13]))
    a.second_verifier.send(cases.functions.approveCases([10, 12, 13]))
    a.verifier.send(cases.functions.approveCase(11))
    a.second_verifier.send(cases.functions.rejectCase(11, 5))

    # Residents' lives: suspension and reinstatement, a suspension for good, a migration with its RV.
    a.registrar.send(registry.functions.suspendResident(r[5].address, 2))
    a.registrar.send(registry.functions.reinstateResident(r[5].address))
    a.registrar.send(registry.functions.suspendResident(r[7].address, 9))
    a.registrar.send(registry.functions.migrateResident(r[4].address, a.new_key.address))
    migrated = a.new_key

    # Loans: 1 pitched in round 1; 2 approved by the council; 3 rejected; 4 approved then cancelled.
    r[2].send(fund.functions.applyForLoan([30_000, 30_000], [30 * DAY, 60 * DAY], h("plan-1")))
    r[3].send(fund.functions.applyForLoan([20_000, 20_000], [30 * DAY, 60 * DAY], h("plan-2")))
    r[1].send(fund.functions.applyForLoan([10_000], [30 * DAY], h("plan-3")))
    r[0].send(fund.functions.applyForLoan([15_000], [30 * DAY], h("plan-4")))
    a.council.send(fund.functions.approveLoan(2))
    a.council.send(fund.functions.disburseLoan(2, h("disbursed-2")))
    a.council.send(fund.functions.rejectLoan(3, 7))
    a.council.send(fund.functions.approveLoan(4))
    a.council.send(fund.functions.cancelLoan(4))
    history.loans = {"by_round": 1, "repaid": 2, "rejected": 3, "cancelled": 4}

    # Round 1: quadratic funding, four projects (the last screened out), ballots revised and withdrawn.
    a.council.send(vote.functions.createRound(_round_params(w3, 100_000, 4, QUADRATIC, "round-1")))
    r[2].send(vote.functions.pitchProject(1, 60_000, h("r1-p1"), 1))
    r[0].send(vote.functions.pitchProject(1, 30_000, h("r1-p2"), 0))
    r[1].send(vote.functions.pitchProject(1, 50_000, h("r1-p3"), 0))
    r[3].send(vote.functions.pitchProject(1, 20_000, h("r1-p4"), 0))
    _vote(w3, hromada, a, 1, 4, ineligible=4)
    r[0].send(vote.functions.castBallot(1, [1, 2], [2, 3]))
    r[1].send(vote.functions.castBallot(1, [3], [2]))
    r[2].send(vote.functions.castBallot(1, [1], [5]))
    r[3].send(vote.functions.castBallot(1, [1, 2, 3], [1, 1, 1]))
    r[0].send(vote.functions.castBallot(1, [2, 3], [4, 1]))  # revision: other projects
    migrated.send(vote.functions.castBallot(1, [2], [2]))
    r[5].send(vote.functions.castBallot(1, [1, 3], [1, 1]))
    r[3].send(vote.functions.withdrawBallot(1))
    r[0].send(vote.functions.castBallot(1, [1, 2], [1, 5]))  # revision: more RV, back to project 1
    travel(w3, 2 * DAY + 1)
    a.verifier.send(vote.functions.finalise(1))
    a.council.send(fund.functions.payGrant(1, 2, h("grant-1-2")))
    a.council.send(fund.functions.releaseProjectFunds(1, 3))
    a.verifier.send(fund.functions.approveLoanByRound(1, 1, 1))
    a.council.send(fund.functions.disburseLoan(1, h("disbursed-1")))
    history.rounds["quadratic"] = 1

    # Repayments; loan 1 falls behind and is written off.
    travel(w3, 31 * DAY)
    a.council.send(fund.functions.recordRepayment(2, 20_000, h("repaid-2-1")))
    a.council.send(fund.functions.recordRepayment(1, 10_000, h("repaid-1-1")))
    travel(w3, 30 * DAY)
    a.council.send(fund.functions.recordRepayment(2, 20_000, h("repaid-2-2")))
    a.council.send(fund.functions.markDefaulted(1))

    # More RV for the later rounds.
    for i, (resident, evidence) in enumerate(((r[1], "a-9"), (r[2], "a-10"), (r[5], "a-11"), (r[3], "a-12"))):
        resident.send(cases.functions.submitCase(1, h(f"evidence-{evidence}")))
        a.verifier.send(cases.functions.approveCase(14 + i))

    # Round 2: greedy by weight, cancelled during voting; one refund paid, one left in escrow.
    a.council.send(vote.functions.createRound(_round_params(w3, 50_000, 3, GREEDY, "round-2")))
    r[0].send(vote.functions.pitchProject(2, 20_000, h("r2-p1"), 0))
    r[5].send(vote.functions.pitchProject(2, 30_000, h("r2-p2"), 0))
    _vote(w3, hromada, a, 2, 2)
    r[3].send(vote.functions.castBallot(2, [1, 2], [2, 3]))
    r[0].send(vote.functions.castBallot(2, [1], [1]))
    a.council.send(vote.functions.cancelRound(2))
    a.verifier.send(vote.functions.refund(2, [4]))  # resident 4 is r[3]
    history.rounds["cancelled"] = 2

    # Round 3: proportional to weight, finalised; a grant paid.
    a.council.send(vote.functions.createRound(_round_params(w3, 40_000, 3, PROPORTIONAL, "round-3")))
    r[1].send(vote.functions.pitchProject(3, 25_000, h("r3-p1"), 0))
    r[2].send(vote.functions.pitchProject(3, 30_000, h("r3-p2"), 0))
    r[5].send(vote.functions.pitchProject(3, 10_000, h("r3-p3"), 0))
    _vote(w3, hromada, a, 3, 3)
    r[1].send(vote.functions.castBallot(3, [1, 3], [1, 1]))
    r[2].send(vote.functions.castBallot(3, [2], [2]))
    r[5].send(vote.functions.castBallot(3, [1, 2], [1, 1]))
    r[3].send(vote.functions.castBallot(3, [1, 2, 3], [2, 2, 1]))
    travel(w3, 2 * DAY + 1)
    a.verifier.send(vote.functions.finalise(3))
    a.council.send(fund.functions.payGrant(3, 2, h("grant-3-2")))
    history.rounds["proportional"] = 3

    a.council.send(cases.functions.closeProgramme(1))
    history.last_block = w3.eth.block_number
    return history
