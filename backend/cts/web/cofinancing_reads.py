"""What the pages show of co-financing (docs/cofinancing.md): the hromada's partners and their pledges, read
from its CoFinancing contract's views, with the names and descriptions the service published off chain under
the hashes the chain holds (a partner's profile, a pledge's agreement, a fulfilment's receipt)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from web3.types import RPCEndpoint

from cts.audit import cofinancing as audit
from cts.audit.abi import CONTRACTS, EventDecoder
from cts.relayer.errors import ChainUnavailableError
from cts.web.reads import ChainReader, RoundView, _name, call_struct, chain_read

# Codes on chain (contracts/interfaces/ICoFinancing.sol); the names key the pages' labels.
SECTORS = ("none", "business", "local_budget", "ngo", "donor", "diaspora")
PLEDGE_KINDS = ("none", "money", "materials", "equipment", "labour", "premises", "stablecoin")
PLEDGE_STATES = ("none", "open", "fulfilled", "cancelled", "lapsed")
MONEY = 1
STABLECOIN = 6
IN_KIND = tuple(range(2, 6))  # materials, equipment, labour hours, premises
# The audit's names of the sectors (its figures are keyed by them) -> the pages' label keys.
SECTOR_KEYS = {name: SECTORS[code] for code, name in audit.SECTORS.items()}


def gap_kopiyky(ask_kopiyky: int, money_kopiyky: int) -> int:
    """What the vote may give a project under the co-financing rule: its ask minus the money pledged to it
    (BalancedVote's `ask - min(ask, pledgedMoney)`)."""
    return ask_kopiyky - min(ask_kopiyky, money_kopiyky)


@dataclass(frozen=True)
class PartnerView:
    id: int
    account: str
    sector: str
    active: bool
    name: str
    about: str


@dataclass(frozen=True)
class PledgeView:
    id: int
    partner: PartnerView
    round_id: int
    project_id: int
    kind: str
    conditional: bool
    state: str
    value_kopiyky: int
    what: str  # the partner's own description, published under the agreement's hash
    receipt: str  # the council's note of the receipt, "" until fulfilled (or when not published here)

    @property
    def is_money(self) -> bool:
        return self.kind == "money"


@dataclass(frozen=True)
class ProjectCoFinancing:
    """A project's pledges and what they add up to (open and fulfilled; cancelled and lapsed ones count for
    nothing)."""

    pledges: list[PledgeView]

    def _standing(self, kinds: Iterable[str]) -> int:
        wanted = set(kinds)
        return sum(
            p.value_kopiyky for p in self.pledges if p.kind in wanted and p.state in ("open", "fulfilled")
        )

    @property
    def money_kopiyky(self) -> int:
        """The money pledged: what the co-financing rule takes off the project's ask."""
        return self._standing(["money"])

    @property
    def in_kind_kopiyky(self) -> int:
        return self._standing(PLEDGE_KINDS[k] for k in IN_KIND)

    @property
    def stablecoin_kopiyky(self) -> int:
        return self._standing(["stablecoin"])

    @property
    def total_kopiyky(self) -> int:
        return self.money_kopiyky + self.in_kind_kopiyky + self.stablecoin_kopiyky


class CoFinancingReader:
    """The hromada's CoFinancing contract as the pages read it."""

    def __init__(self, reader: ChainReader) -> None:
        self.reader = reader
        self.contract = reader.h.co_financing
        self._partners: dict[int, PartnerView] = {}

    def _partner(self, partner_id: int) -> PartnerView:
        if partner_id not in self._partners:
            p = call_struct(self.contract, "partner", partner_id)
            profile = self.reader.documents.load(bytes(p["profileHash"]))
            self._partners[partner_id] = PartnerView(
                id=partner_id,
                account=to_checksum_address(p["account"]),
                sector=_name(SECTORS, int(p["sector"])),
                active=bool(p["active"]),
                name=profile.title if profile else "",
                about=profile.description if profile else "",
            )
        return self._partners[partner_id]

    def _pledge(self, pledge_id: int) -> PledgeView:
        p = call_struct(self.contract, "pledgeOf", pledge_id)
        agreement = self.reader.documents.load(bytes(p["agreementHash"]))
        receipt = self.reader.documents.load(bytes(p["receiptHash"]))
        return PledgeView(
            id=pledge_id,
            partner=self._partner(int(p["partnerId"])),
            round_id=int(p["roundId"]),
            project_id=int(p["projectId"]),
            kind=_name(PLEDGE_KINDS, int(p["kind"])),
            conditional=bool(p["conditional"]),
            state=_name(PLEDGE_STATES, int(p["status"])),
            value_kopiyky=int(p["valueKopiyky"]),
            what=agreement.title if agreement else "",
            receipt=receipt.title if receipt else "",
        )

    @chain_read
    def partners(self) -> list[PartnerView]:
        count = int(self.contract.functions.partnerCount().call())
        return [self._partner(i) for i in range(1, count + 1)]

    @chain_read
    def partner_of(self, account: str) -> PartnerView | None:
        """The partner whose account this is, or None; read fresh (the council may have just stopped them)."""
        partner_id = int(self.contract.functions.partnerOf(account).call())
        if partner_id == 0:
            return None
        self._partners.pop(partner_id, None)
        return self._partner(partner_id)

    @chain_read
    def pledge(self, pledge_id: int) -> PledgeView:
        return self._pledge(pledge_id)

    @chain_read
    def pledges(
        self, round_id: int | None = None, project_id: int | None = None, partner_id: int | None = None
    ) -> list[PledgeView]:
        """Pledges, oldest first; filtered by their events' indexed topics, so a project's page reads only its
        own pledges."""
        filters = {
            name: value
            for name, value in (("roundId", round_id), ("projectId", project_id), ("partnerId", partner_id))
            if value is not None
        }
        logs = self.reader._logs(self.contract, "Pledged", **filters)
        return [self._pledge(int(log["args"]["pledgeId"])) for log in logs]

    def by_project(self, round_id: int) -> dict[int, ProjectCoFinancing]:
        """Each project of a round with its pledges (projects without any are absent)."""
        grouped: dict[int, list[PledgeView]] = defaultdict(list)
        for pledge in self.pledges(round_id=round_id):
            grouped[pledge.project_id].append(pledge)
        return {project: ProjectCoFinancing(pledges) for project, pledges in grouped.items()}

    @chain_read
    def pledged_money(self, round_id: int, project_id: int) -> int:
        """The money pledged to a project (open and fulfilled): what the co-financing rule takes off."""
        return int(self.contract.functions.pledgedMoney(round_id, project_id).call())

    @chain_read
    def chosen_by_vote(self, round_id: int, project_id: int) -> bool:
        return bool(self.contract.functions.chosenByVote(round_id, project_id).call())

    # ------------------------------------------------------------ the public figures

    @chain_read
    def history(self) -> audit.CoFinancingHistory:
        """The audit's own account of partners and pledges (cts.audit.cofinancing), fed with this contract's
        events in chain order, as `cts audit` feeds it: the public figures are the audit's figures, not a
        second computation of them."""
        response: Any = self.reader.chain.w3.provider.make_request(
            RPCEndpoint("eth_getLogs"),
            [
                {
                    "address": self.contract.address,
                    "fromBlock": hex(self.reader.start_block),
                    "toBlock": "latest",
                }
            ],
        )
        if "result" not in response:
            raise ChainUnavailableError()
        decoder = EventDecoder({"coFinancing": (self.contract.address, CONTRACTS["coFinancing"])})
        events = [event for event in map(decoder.decode, response["result"]) if event is not None]
        history = audit.CoFinancingHistory([], self.chosen_by_vote)
        for event in sorted(events, key=lambda e: (e.block, e.log_index)):
            if event.name in audit.CoFinancingHistory.EVENTS:
                history.apply(event)
        return history

    def figures(self, rounds: Iterable[RoundView]) -> dict[str, Any]:
        """`cts audit`'s co-financing figures: per sector the money, in-kind and stablecoin value pledged and
        fulfilled; per round with pledges its leverage (the vote's part and the fulfilled pledges over its
        fund, in basis points)."""
        return self.history().figures({r.id: (r.fund_kopiyky, r.total_funded_kopiyky) for r in rounds})
