"""Finding a hromada's five contracts and the block where its history starts.

A hromada is named by a deployment manifest (a path, or `--manifest` plus a key, a name or an address) or
by the address of any one of its contracts. Whatever names it, the wiring is read back from the contracts
themselves (the token knows the other four, each of them knows the token), so a wrong or stale manifest is
caught rather than trusted. The first block is `--from-block`, else the manifest's onboarding block, else
the block where the token's code appeared (found by bisection with eth_getCode), confirmed by the factory's
HromadaOnboarded event in that block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode

from cts.audit.abi import (
    CONTRACTS,
    canonical_type,
    checksum,
    decode_result,
    encode_call,
    event_topic,
    to_python,
)
from cts.audit.errors import AuditError, HromadaNotFoundError, RetriesExhaustedError, RpcError
from cts.audit.rpc import RpcClient
from cts.chain.artifacts import load_artifact
from cts.chain.manifest import ManifestError, load_manifest

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
# EIP-1167 minimal proxy runtime code around the implementation's address.
_CLONE_PREFIX = bytes.fromhex("363d3d373d3d3d363d73")
_CLONE_SUFFIX = bytes.fromhex("5af43d82803e903d91602b57fd5bf3")
_IMPLEMENTATION_GETTERS = {
    "registry": "registryImplementation",
    "token": "tokenImplementation",
    "usefulCases": "usefulCasesImplementation",
    "balancedVote": "balancedVoteImplementation",
    "fund": "fundImplementation",
    "delivery": "deliveryImplementation",
    "coFinancing": "coFinancingImplementation",
}


@dataclass
class Hromada:
    """Where a hromada lives on the chain and what is known about its origin."""

    contracts: dict[str, str]
    chain_id: int
    start_block: int
    name: str | None = None
    key: str | None = None
    hromada_id: int | None = None
    factory: str | None = None
    onboarded_block: int | None = None
    # Contract key -> the implementation its EIP-1167 clone delegates to (None: not a minimal clone).
    implementations: dict[str, str | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        name = self.name or "(unnamed)"
        return f"{name} (token {self.contracts['token']})"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "key": self.key,
            "hromada_id": self.hromada_id,
            "chain_id": self.chain_id,
            "factory": self.factory,
            "onboarded_block": self.onboarded_block,
            "start_block": self.start_block,
            "contracts": dict(self.contracts),
            "implementations": dict(self.implementations),
            "notes": list(self.notes),
        }


def _call(client: RpcClient, artifact: str, address: str, function: str, *args: Any) -> Any:
    data = client.request(
        "eth_call", [{"to": address, "data": encode_call(artifact, function, args)}, "latest"]
    )
    return decode_result(artifact, function, str(data))


def _try_call(client: RpcClient, artifact: str, address: str, function: str) -> Any:
    """The view's value, or None when the contract does not answer it (a revert, or an undecodable answer)."""
    try:
        return _call(client, artifact, address, function)
    except RetriesExhaustedError:
        raise
    except Exception:  # a revert (RpcError) or eth_abi's decoding error: this is not that contract
        return None


def clone_target(code: bytes) -> str | None:
    """The implementation an EIP-1167 minimal clone delegates to, or None for other code."""
    if len(code) == 45 and code.startswith(_CLONE_PREFIX) and code.endswith(_CLONE_SUFFIX):
        return checksum("0x" + code[10:30].hex())
    return None


def wiring_from_address(client: RpcClient, address: str) -> dict[str, str]:
    """The seven contracts, found from any one of them through the contracts' own getters."""
    address = checksum(address)
    if not client.get_code(address):
        raise HromadaNotFoundError(f"no contract at {address} on this chain")
    token: str | None = None
    if _try_call(client, "RVToken", address, "faceValueKopiyky") is not None:
        token = address
    else:
        token = _try_call(client, "CommunityFund", address, "token")
    if not token:
        # ProjectDelivery and CoFinancing name only their fund, which names the token.
        fund = _try_call(client, "ProjectDelivery", address, "fund")
        token = _try_call(client, "CommunityFund", fund, "token") if fund else None
    if not token:
        raise HromadaNotFoundError(
            f"{address} is not a CTS contract (it answers neither token() nor as a token)"
        )
    contracts = {"token": checksum(token)}
    for key, getter in (
        ("registry", "registry"),
        ("usefulCases", "usefulCases"),
        ("balancedVote", "balancedVote"),
        ("fund", "fund"),
    ):
        found = _try_call(client, "RVToken", token, getter)
        if not found:
            raise HromadaNotFoundError(f"the token at {token} does not answer {getter}(): not a CTS RV token")
        contracts[key] = checksum(found)
    delivery = _try_call(client, "CommunityFund", contracts["fund"], "delivery")
    if not delivery:
        raise HromadaNotFoundError(
            f"the fund at {contracts['fund']} does not answer delivery(): not a CTS fund"
        )
    contracts["delivery"] = checksum(delivery)
    co_financing = _try_call(client, "BalancedVote", contracts["balancedVote"], "coFinancing")
    if not co_financing:
        raise HromadaNotFoundError(
            f"the vote at {contracts['balancedVote']} does not answer coFinancing(): not a CTS vote"
        )
    contracts["coFinancing"] = checksum(co_financing)
    check_wiring(client, contracts)
    if address not in contracts.values():
        raise HromadaNotFoundError(f"{address} names token {token}, whose hromada does not include {address}")
    return {key: contracts[key] for key in CONTRACTS}


def check_wiring(client: RpcClient, contracts: dict[str, str]) -> None:
    """Each contract must name the same token (and the token the same four): else it is no hromada."""
    for key in ("registry", "usefulCases", "balancedVote", "fund"):
        named = _try_call(client, CONTRACTS[key], contracts[key], "token")
        if named is None or checksum(named) != contracts["token"]:
            raise HromadaNotFoundError(
                f"the {key} contract {contracts[key]} names token {named}, not {contracts['token']}: "
                "these contracts are not one hromada"
            )
    for key in ("registry", "usefulCases", "balancedVote", "fund"):
        named = _try_call(client, "RVToken", contracts["token"], key)
        if named is None or checksum(named) != contracts[key]:
            raise HromadaNotFoundError(
                f"the token {contracts['token']} names {key} {named}, not {contracts[key]}: stale manifest?"
            )
    named_fund = _try_call(client, "ProjectDelivery", contracts["delivery"], "fund")
    named_delivery = _try_call(client, "CommunityFund", contracts["fund"], "delivery")
    if named_fund is None or checksum(named_fund) != contracts["fund"]:
        raise HromadaNotFoundError(
            f"the delivery contract {contracts['delivery']} names fund {named_fund}, not {contracts['fund']}"
        )
    if named_delivery is None or checksum(named_delivery) != contracts["delivery"]:
        raise HromadaNotFoundError(
            f"the fund {contracts['fund']} names delivery {named_delivery}, not {contracts['delivery']}"
        )
    named_fund = _try_call(client, "CoFinancing", contracts["coFinancing"], "fund")
    named_co_financing = _try_call(client, "BalancedVote", contracts["balancedVote"], "coFinancing")
    if named_fund is None or checksum(named_fund) != contracts["fund"]:
        raise HromadaNotFoundError(
            f"the co-financing contract {contracts['coFinancing']} names fund {named_fund}, "
            f"not {contracts['fund']}"
        )
    if named_co_financing is None or checksum(named_co_financing) != contracts["coFinancing"]:
        raise HromadaNotFoundError(
            f"the vote {contracts['balancedVote']} names co-financing {named_co_financing}, "
            f"not {contracts['coFinancing']}"
        )


def creation_block(client: RpcClient, address: str, head: int) -> int:
    """The first block at which `address` has code (bisection over eth_getCode at past blocks)."""
    low, high = 0, head
    if not client.get_code(address, head):
        raise HromadaNotFoundError(f"no code at {address} at block {head}")
    while low < high:
        middle = (low + high) // 2
        if client.get_code(address, middle):
            high = middle
        else:
            low = middle + 1
    return low


def onboarding_event(client: RpcClient, block: int, token: str) -> dict[str, Any] | None:
    """The factory's HromadaOnboarded event for this token in `block` (any factory), decoded."""
    topic = event_topic("HromadaFactory", "HromadaOnboarded")
    abi = next(
        i
        for i in load_artifact("HromadaFactory").abi
        if i.get("type") == "event" and i["name"] == "HromadaOnboarded"
    )
    data_items = [i for i in abi["inputs"] if not i.get("indexed")]
    for log in client.get_logs(block, block, [], [topic]):
        values = abi_decode([canonical_type(i) for i in data_items], bytes.fromhex(str(log["data"])[2:]))
        args = {i["name"]: to_python(i, v) for i, v in zip(data_items, values, strict=True)}
        if checksum(args["contracts"]["token"]) == checksum(token):
            args["hromadaId"] = int(log["topics"][1], 16)
            args["factory"] = checksum(log["address"])
            return args
    return None


def locate_hromada(
    client: RpcClient,
    target: str | None,
    manifest_path: str | Path | None = None,
    from_block: int | None = None,
    head: int | None = None,
) -> Hromada:
    """Resolve what the command line names into a Hromada, its wiring checked on chain."""
    chain_id = client.chain_id()
    head = client.block_number() if head is None else head
    manifest = None
    entry = None
    if manifest_path is None and target is not None and not _ADDRESS.match(target) and Path(target).is_file():
        manifest_path, target = target, None
    if manifest_path is not None:
        try:
            manifest = load_manifest(manifest_path)
            entry = manifest.hromada(target)
        except ManifestError as error:
            raise HromadaNotFoundError(str(error)) from None
        if manifest.chain_id != chain_id:
            raise HromadaNotFoundError(
                f"the manifest {manifest_path} is for chain {manifest.chain_id}; the node is chain {chain_id}"
            )
        contracts = {key: checksum(entry.contracts[key]) for key in CONTRACTS}
        for key, address in contracts.items():
            if not client.get_code(address):
                raise HromadaNotFoundError(f"the manifest's {key} {address} has no code on chain {chain_id}")
        check_wiring(client, contracts)
    elif target is not None and _ADDRESS.match(target):
        contracts = wiring_from_address(client, target)
    else:
        raise HromadaNotFoundError(
            "name the hromada by a manifest path, by --manifest with a key or name, or by a contract address"
        )

    hromada = Hromada(contracts=contracts, chain_id=chain_id, start_block=0)
    if entry is not None:
        hromada.name, hromada.key, hromada.hromada_id = entry.name, entry.key, entry.hromada_id
        hromada.onboarded_block = entry.block
        try:
            hromada.factory = manifest.factory if manifest is not None else None
        except ManifestError:
            hromada.factory = None

    if hromada.onboarded_block is None:
        try:
            hromada.onboarded_block = creation_block(client, contracts["token"], head)
        except (RpcError, AuditError) as error:
            hromada.notes.append(f"could not find the creation block by bisection ({error}); scanning from 0")
    if hromada.onboarded_block is not None:
        event = onboarding_event(client, hromada.onboarded_block, contracts["token"])
        if event is None:
            hromada.notes.append(
                f"no HromadaOnboarded event for this token in block {hromada.onboarded_block}"
            )
        else:
            if hromada.factory is not None and hromada.factory != event["factory"]:
                hromada.notes.append(
                    f"onboarded by factory {event['factory']}, not the manifest's {hromada.factory}"
                )
            hromada.factory = event["factory"]
            hromada.name = hromada.name or event["name"]
            hromada.hromada_id = hromada.hromada_id or event["hromadaId"]
            if any(checksum(event["contracts"][k]) != contracts[k] for k in CONTRACTS):
                raise HromadaNotFoundError(
                    f"the factory's HromadaOnboarded event names other contracts: {event['contracts']}"
                )

    for key, address in contracts.items():
        hromada.implementations[key] = clone_target(client.get_code(address))
    if from_block is not None:
        hromada.start_block = from_block
        if hromada.onboarded_block is not None and from_block > hromada.onboarded_block:
            hromada.notes.append(
                f"scanning from block {from_block}, after the onboarding block {hromada.onboarded_block}: "
                "earlier events are missing, so figures will differ"
            )
    elif hromada.onboarded_block is not None:
        hromada.start_block = hromada.onboarded_block
    return hromada


def factory_implementations(client: RpcClient, factory: str) -> dict[str, str | None]:
    """The implementations the factory clones, by contract key (None when a getter does not answer)."""
    return {
        key: (lambda v: checksum(v) if v else None)(_try_call(client, "HromadaFactory", factory, getter))
        for key, getter in _IMPLEMENTATION_GETTERS.items()
    }
