"""What the relayer pays for: the hromada's own contracts, the functions people use, and who may ask.

Anything else (another contract, another function, a function of another role) is refused before it
costs anything. The role check here is the service's; the contracts check roles again on chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode
from eth_utils.abi import function_signature_to_4byte_selector
from web3.contract import Contract

from cts.chain.client import HromadaHandles
from cts.models import Role
from cts.relayer.errors import NotSponsoredError

EVERYONE = frozenset(Role)
RESIDENTS = frozenset({Role.RESIDENT})
VERIFIERS = frozenset({Role.VERIFIER, Role.COORDINATOR})
COORDINATORS = frozenset({Role.COORDINATOR})
COUNCIL = frozenset({Role.COUNCIL})
PARTNERS = frozenset({Role.PARTNER})

# (contract key, function name) -> roles that may have the relayer send it.
SPONSORED: dict[tuple[str, str], frozenset[Role]] = {
    ("registry", "addResident"): COUNCIL,
    ("registry", "addResidents"): COUNCIL,
    ("registry", "suspendResident"): COUNCIL,
    ("registry", "reinstateResident"): COUNCIL,
    ("registry", "migrateResident"): COUNCIL,
    ("registry", "releaseResident"): COUNCIL,  # a resident who moved away (see docs/design.md)
    ("registry", "addMovedResident"): COUNCIL,  # a resident who moved here, with a link to the first record
    ("usefulCases", "submitCase"): RESIDENTS,
    # The council too: it imports coordinators' paper journals (cts.journals), with the contract's coordinator
    # role that onboarding gives its address.
    ("usefulCases", "recordCase"): COORDINATORS | COUNCIL,
    ("usefulCases", "approveCase"): VERIFIERS,
    ("usefulCases", "approveCases"): VERIFIERS,
    ("usefulCases", "rejectCase"): VERIFIERS,
    ("usefulCases", "settleCase"): EVERYONE,
    ("usefulCases", "createProgramme"): COUNCIL,
    ("usefulCases", "pauseProgramme"): COUNCIL,
    ("usefulCases", "resumeProgramme"): COUNCIL,
    ("usefulCases", "closeProgramme"): COUNCIL,
    ("usefulCases", "addVerifier"): COUNCIL,
    ("usefulCases", "removeVerifier"): COUNCIL,
    ("usefulCases", "setQuorum"): COUNCIL,
    ("usefulCases", "grantRole"): COUNCIL,  # the coordinator role (the only role the API grants)
    ("balancedVote", "pitchProject"): RESIDENTS,
    ("balancedVote", "castBallot"): RESIDENTS,
    ("balancedVote", "withdrawBallot"): RESIDENTS,
    ("balancedVote", "createRound"): COUNCIL,
    ("balancedVote", "setRules"): COUNCIL,
    ("balancedVote", "screenProject"): COUNCIL,
    ("balancedVote", "cancelRound"): COUNCIL,
    ("balancedVote", "finalise"): EVERYONE,
    ("balancedVote", "refund"): EVERYONE,
    ("fund", "applyForLoan"): RESIDENTS,
    ("fund", "approveLoanByRound"): EVERYONE,
    ("fund", "deposit"): COUNCIL,
    ("fund", "openCycle"): COUNCIL,
    ("fund", "payGrant"): COUNCIL,
    ("fund", "releaseProjectFunds"): COUNCIL,
    ("fund", "approveLoan"): COUNCIL,
    ("fund", "rejectLoan"): COUNCIL,
    ("fund", "cancelLoan"): COUNCIL,
    ("fund", "disburseLoan"): COUNCIL,
    ("fund", "recordRepayment"): COUNCIL,
    ("fund", "markDefaulted"): COUNCIL,
    # Delivery of funded projects (docs/delivery.md): the owner reports, residents flag, the council decides,
    # answers and pays. The contract checks again that the reporter is the project's owner.
    ("delivery", "reportMilestone"): RESIDENTS,
    ("delivery", "flagReport"): RESIDENTS,
    ("delivery", "setPlan"): COUNCIL,
    ("delivery", "acceptReport"): COUNCIL,
    ("delivery", "rejectReport"): COUNCIL,
    ("delivery", "answerFlag"): COUNCIL,
    ("delivery", "payTranche"): COUNCIL,
    # Co-financing (docs/cofinancing.md): the council keeps the partners, the stablecoins it accepts and the
    # pledges' fulfilments; anyone records a lapse. Partners' own pledges come with their accounts.
    ("coFinancing", "registerPartner"): COUNCIL,
    ("coFinancing", "setPartnerActive"): COUNCIL,
    ("coFinancing", "acceptToken"): COUNCIL,
    ("coFinancing", "fulfilPledge"): COUNCIL,
    ("coFinancing", "releaseToken"): COUNCIL,
    ("coFinancing", "lapsePledge"): EVERYONE,
    # A partner pledges and withdraws through the service; the contract checks that the sender is a
    # registered, active partner. A stablecoin pledge comes as a request signed by the partner's own wallet,
    # which approved the tokens itself: the token's approve is a call to another contract, which the relayer
    # never pays for, so from a custodial wallet the simulation refuses it (no allowance).
    ("coFinancing", "pledge"): PARTNERS,
    ("coFinancing", "pledgeToken"): PARTNERS,
    ("coFinancing", "cancelPledge"): PARTNERS,
}


@dataclass(frozen=True)
class SponsoredCall:
    contract: str
    function: str
    roles: frozenset[Role]


@dataclass(frozen=True)
class SponsoredFunction:
    """A function a role may have the relayer send: its contract and its ABI fragment (for a wallet)."""

    contract: str
    address: str
    abi: dict[str, Any]


@dataclass(frozen=True)
class _Function:
    name: str
    input_types: tuple[str, ...]  # canonical ABI types, for eth_abi
    input_names: tuple[str, ...]


def _selectors(contract: Contract) -> dict[bytes, _Function]:
    table: dict[bytes, _Function] = {}
    abi: list[dict[str, Any]] = list(contract.abi)  # type: ignore[arg-type]
    for item in abi:
        if item.get("type") != "function":
            continue
        inputs = item.get("inputs", [])
        types = tuple(_canonical(i) for i in inputs)
        selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
        table[selector] = _Function(str(item["name"]), types, tuple(str(i["name"]) for i in inputs))
    return table


def _canonical(item: dict[str, object]) -> str:
    kind = str(item["type"])
    if kind.startswith("tuple"):
        components = item["components"]
        assert isinstance(components, list)
        return f"({','.join(_canonical(c) for c in components)}){kind[len('tuple') :]}"
    return kind


class Allowlist:
    """(target address, selector) -> the sponsored call, for one hromada's contracts."""

    def __init__(self, hromada: HromadaHandles) -> None:
        contracts = {
            "registry": hromada.registry,
            "token": hromada.token,
            "usefulCases": hromada.cases,
            "balancedVote": hromada.vote,
            "fund": hromada.fund,
            "delivery": hromada.delivery,
            "coFinancing": hromada.co_financing,
        }
        self._contracts = contracts
        self._table: dict[tuple[str, bytes], SponsoredCall] = {}
        self._inputs: dict[tuple[str, bytes], _Function] = {}
        for key, contract in contracts.items():
            for selector, function in _selectors(contract).items():
                roles = SPONSORED.get((key, function.name))
                if roles is not None:
                    sponsored = SponsoredCall(key, function.name, roles)
                    self._table[(contract.address.lower(), selector)] = sponsored
                    self._inputs[(key, selector)] = function

    def check(self, target: str, calldata: bytes, role: Role) -> SponsoredCall:
        """The sponsored call that `calldata` to `target` is; NotSponsoredError if none, or not for `role`."""
        call = self._table.get((target.lower(), bytes(calldata[:4])))
        if call is None:
            raise NotSponsoredError("The relayer does not pay for calls to this contract or function.")
        if role not in call.roles:
            raise NotSponsoredError(f"Your role may not ask the relayer for {call.function}.")
        return call

    def functions_for(self, role: Role) -> list[SponsoredFunction]:
        """The functions ``role`` may have the relayer send, with their contracts' addresses and ABIs."""
        found: list[SponsoredFunction] = []
        for key, contract in self._contracts.items():
            abi: list[dict[str, Any]] = list(contract.abi)  # type: ignore[arg-type]
            for item in abi:
                roles = SPONSORED.get((key, str(item.get("name"))))
                if item.get("type") == "function" and roles is not None and role in roles:
                    found.append(SponsoredFunction(key, contract.address, dict(item)))
        return found

    def arguments(self, call: SponsoredCall, calldata: bytes) -> dict[str, Any]:
        """The named arguments of an allowed call (its calldata decoded with the contract's ABI).

        eth_abi with the input types worked out once: web3's decode_function_input looked the function up
        and rebuilt its decoder on every call, a quarter of the time of accepting an action."""
        function = self._inputs[(call.contract, bytes(calldata[:4]))]
        values = decode(function.input_types, bytes(calldata[4:]))
        return dict(zip(function.input_names, values, strict=True))
