"""Partners and their pledges, recomputed from CoFinancing's events alone (docs/cofinancing.md).

What the audit needs from them:

- the money pledged to each project (open and fulfilled money pledges), which the co-financing rule subtracts
  from the project's ask when the round is finalised (`pledged_money`);
- every pledge's life: made once, then fulfilled, cancelled or lapsed at most once; an event that moves a
  pledge that is not open, or a lapse of a pledge whose project the vote chose, is a difference;
- the stablecoin escrow: what each token's escrow must hold (the open stablecoin pledges), and that each
  pledge's tokens came in once and went out once, in full;
- figures per sector (money and in-kind value pledged and fulfilled), for the public figures and the report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cts.audit.abi import CONTRACTS, Event
from cts.audit.model import Difference

# ICoFinancing's codes.
SECTORS = {1: "business", 2: "local_budget", 3: "ngo", 4: "international_donor", 5: "diaspora"}
KINDS = {1: "money", 2: "materials", 3: "equipment", 4: "labour_hours", 5: "premises", 6: "stablecoin"}
MONEY, STABLECOIN = 1, 6
OPEN, FULFILLED, CANCELLED, LAPSED = "open", "fulfilled", "cancelled", "lapsed"
# ICoFinancing.PledgeStatus, as pledgeOf(id).status answers it.
STATUS_CODES = {OPEN: 1, FULFILLED: 2, CANCELLED: 3, LAPSED: 4}


@dataclass
class Partner:
    id: int
    account: str
    sector: int
    active: bool = True


@dataclass
class Pledge:
    id: int
    partner_id: int
    round_id: int
    project_id: int
    kind: int
    value_kopiyky: int
    conditional: bool
    status: str = OPEN
    token: str | None = None  # a stablecoin pledge's token and amount, from TokenEscrowed
    amount: int = 0
    paid_out: bool = False


class CoFinancingHistory:
    """CoFinancing's state as its events say it is; fed by History.apply in chain order.

    `chosen(round_id, project_id)` answers whether the vote chose a project of a finalised round, as the
    recomputed vote says (History knows the rounds); a lapse of a chosen project's pledge is a difference.
    """

    def __init__(self, anomalies: list[Difference], chosen: Callable[[int, int], bool]) -> None:
        self.anomalies = anomalies
        self.chosen = chosen
        self.partners: dict[int, Partner] = {}
        self.pledges: dict[int, Pledge] = {}
        self.accepted_tokens: set[str] = set()
        self.escrowed: dict[str, int] = defaultdict(int)  # token -> tokens the open stablecoin pledges hold
        self._money: dict[tuple[int, int], int] = defaultdict(int)  # (round, project) -> money pledged
        self._handlers: dict[str, Callable[[Event], None]] = {
            "PartnerRegistered": self._partner_registered,
            "PartnerActiveSet": self._partner_active_set,
            "Pledged": self._pledged,
            "PledgeCancelled": lambda e: self._close(e, CANCELLED),
            "PledgeFulfilled": lambda e: self._close(e, FULFILLED),
            "PledgeLapsed": lambda e: self._close(e, LAPSED),
            "TokenAccepted": self._token_accepted,
            "TokenEscrowed": self._token_escrowed,
            "TokenPaidOut": self._token_paid_out,
        }

    EVENTS = (
        "PartnerRegistered",
        "PartnerActiveSet",
        "Pledged",
        "PledgeCancelled",
        "PledgeFulfilled",
        "PledgeLapsed",
        "TokenAccepted",
        "TokenEscrowed",
        "TokenPaidOut",
    )

    def apply(self, event: Event) -> None:
        self._handlers[event.name](event)

    # ------------------------------------------------------------------ what the vote reads

    def pledged_money(self, round_id: int) -> dict[int, int]:
        """Per project of the round: the open and fulfilled money pledged to it now."""
        return {project: money for (rnd, project), money in self._money.items() if rnd == round_id}

    # ------------------------------------------------------------------ figures

    def figures(self, rounds: Mapping[int, tuple[int, int]] | None = None) -> dict[str, Any]:
        """Per sector: pledges made, their value, and the value fulfilled, in money and in kind (kopiyky);
        stablecoin pledges are counted at the donor's own valuation, apart from both. Per round with pledges
        (`rounds`: round id -> (its fund, what the vote gave), in kopiyky): the leverage, all the value the
        round moved (the vote's part and every fulfilled pledge) over its fund, in basis points."""
        sectors: dict[str, dict[str, int]] = {
            name: {
                "pledges": 0,
                "money_pledged": 0,
                "money_fulfilled": 0,
                "in_kind_pledged": 0,
                "in_kind_fulfilled": 0,
                "stablecoin_pledged": 0,
                "stablecoin_fulfilled": 0,
            }
            for name in SECTORS.values()
        }
        for pledge in self.pledges.values():
            row = sectors[SECTORS[self.partners[pledge.partner_id].sector]]
            part = (
                "money" if pledge.kind == MONEY else "stablecoin" if pledge.kind == STABLECOIN else "in_kind"
            )
            row["pledges"] += 1
            if pledge.status in (OPEN, FULFILLED):
                row[f"{part}_pledged"] += pledge.value_kopiyky
            if pledge.status == FULFILLED:
                row[f"{part}_fulfilled"] += pledge.value_kopiyky
        leverage = []
        for round_id in sorted({p.round_id for p in self.pledges.values()}):
            fund, funded = (rounds or {}).get(round_id, (0, 0))
            fulfilled = sum(
                p.value_kopiyky
                for p in self.pledges.values()
                if p.round_id == round_id and p.status == FULFILLED
            )
            leverage.append(
                {
                    "round_id": round_id,
                    "fund_kopiyky": fund,
                    "funded_by_vote_kopiyky": funded,
                    "fulfilled_pledges_kopiyky": fulfilled,
                    "leverage_bps": (funded + fulfilled) * 10_000 // fund if fund else 0,
                }
            )
        return {
            "partners": len(self.partners),
            "pledges": len(self.pledges),
            "by_sector": sectors,
            "leverage": leverage,
            "escrowed": {token: amount for token, amount in self.escrowed.items() if amount},
        }

    # ------------------------------------------------------------------ events

    def _expect(self, figure: str, expected: Any, found: Any, event: Event) -> None:
        if expected != found:
            source = f"{CONTRACTS.get(event.contract, event.contract)}.{event.name} event, tx {event.tx_hash}"
            self.anomalies.append(Difference(figure, expected, found, source, event.block))

    def _partner_registered(self, e: Event) -> None:
        pid = e.args["partnerId"]
        self._expect("coFinancing: partner ids are sequential", len(self.partners) + 1, pid, e)
        self.partners[pid] = Partner(pid, e.args["account"], e.args["sector"])

    def _partner_active_set(self, e: Event) -> None:
        self.partners[e.args["partnerId"]].active = e.args["active"]

    def _pledged(self, e: Event) -> None:
        a = e.args
        pid = a["pledgeId"]
        self._expect("coFinancing: pledge ids are sequential", len(self.pledges) + 1, pid, e)
        self._expect(
            f"pledge {pid}: partner {a['partnerId']} registered", True, a["partnerId"] in self.partners, e
        )
        pledge = Pledge(
            pid, a["partnerId"], a["roundId"], a["projectId"], a["kind"], a["valueKopiyky"], a["conditional"]
        )
        self.pledges[pid] = pledge
        if pledge.kind == MONEY:
            self._money[(pledge.round_id, pledge.project_id)] += pledge.value_kopiyky

    def _close(self, e: Event, status: str) -> None:
        pledge = self.pledges[e.args["pledgeId"]]
        self._expect(f"pledge {pledge.id}: open before it is {status}", OPEN, pledge.status, e)
        self._expect(
            f"pledge {pledge.id}: round and project",
            (pledge.round_id, pledge.project_id),
            (e.args["roundId"], e.args["projectId"]),
            e,
        )
        if status == LAPSED:
            self._expect(f"pledge {pledge.id}: conditional, to lapse", True, pledge.conditional, e)
            self._expect(
                f"pledge {pledge.id}: lapsed although the vote chose round {pledge.round_id}, "
                f"project {pledge.project_id}",
                False,
                self.chosen(pledge.round_id, pledge.project_id),
                e,
            )
        if pledge.kind == MONEY and status in (CANCELLED, LAPSED):
            self._money[(pledge.round_id, pledge.project_id)] -= pledge.value_kopiyky
        pledge.status = status

    def _token_accepted(self, e: Event) -> None:
        if e.args["accepted"]:
            self.accepted_tokens.add(e.args["token"])
        else:
            self.accepted_tokens.discard(e.args["token"])

    def _token_escrowed(self, e: Event) -> None:
        pledge = self.pledges[e.args["pledgeId"]]
        self._expect(f"pledge {pledge.id}: a stablecoin pledge", STABLECOIN, pledge.kind, e)
        self._expect(f"pledge {pledge.id}: escrowed once", None, pledge.token, e)
        self._expect(f"pledge {pledge.id}: token accepted", True, e.args["token"] in self.accepted_tokens, e)
        pledge.token, pledge.amount = e.args["token"], e.args["amount"]
        self.escrowed[pledge.token] += pledge.amount

    def _token_paid_out(self, e: Event) -> None:
        pledge = self.pledges[e.args["pledgeId"]]
        self._expect(f"pledge {pledge.id}: paid out once", False, pledge.paid_out, e)
        self._expect(f"pledge {pledge.id}: escrow paid out in full", pledge.amount, e.args["amount"], e)
        self._expect(f"pledge {pledge.id}: token paid out", pledge.token, e.args["token"], e)
        self._expect(
            f"pledge {pledge.id}: paid out when it left the open state", True, pledge.status != OPEN, e
        )
        if pledge.status in (CANCELLED, LAPSED):
            donor = self.partners[pledge.partner_id].account
            self._expect(f"pledge {pledge.id}: tokens back to the donor", donor, e.args["to"], e)
        pledge.paid_out = True
        if pledge.token is not None:
            self.escrowed[pledge.token] -= pledge.amount
