"""Deploying CTS on a local chain from the backend (tests, `cts pilot`, benchmarks).

Public networks are deployed with `scripts/deploy.py` (Brownie: keys, fees, confirmations, resumable
manifests). This is the quick path for a throw-away chain: the same contracts in the same order, and a
manifest of the same schema, so everything downstream reads both alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from web3 import Web3

from cts.chain.client import HromadaHandles, Sender, contract_at, events_of
from cts.chain.manifest import CONTRACT_KEYS, HromadaEntry, Manifest

IMPLEMENTATIONS = (
    "ResidentRegistry",
    "RVToken",
    "UsefulCaseContract",
    "BalancedVote",
    "CommunityFund",
    "ProjectDelivery",
    "CoFinancing",
)


@dataclass(frozen=True)
class HromadaSpec:
    key: str
    name: str
    council: str
    registrar: str
    face_value_kopiyky: int = 5_000
    token_name: str | None = None
    token_symbol: str = "RV"  # noqa: S105 (a ticker, not a secret)


def _contracts_of(value: Any) -> dict[str, str]:
    """The HromadaContracts struct as web3 decodes it (a mapping by name, or a tuple in order)."""
    if isinstance(value, Mapping):
        return {key: str(value[key]) for key in CONTRACT_KEYS}
    return dict(zip(CONTRACT_KEYS, (str(v) for v in value), strict=True))


def deploy_shared(sender: Sender) -> Manifest:
    """The forwarder, the seven implementations and the factory; a manifest without hromadas yet."""
    w3 = sender.w3
    shared: dict[str, dict[str, object]] = {}

    def record(name: str, address: str) -> None:
        shared[name] = {"address": address, "block": w3.eth.block_number}

    forwarder = sender.deploy("CTSForwarder")
    record("CTSForwarder", forwarder.address)
    implementations = []
    for name in IMPLEMENTATIONS:
        contract = sender.deploy(name, forwarder.address)
        record(name, contract.address)
        implementations.append(contract.address)
    factory = sender.deploy("HromadaFactory", forwarder.address, tuple(implementations))
    record("HromadaFactory", factory.address)
    return Manifest(chain_id=w3.eth.chain_id, shared=shared, hromadas={}, deployer=sender.address)


def onboard(sender: Sender, manifest: Manifest, spec: HromadaSpec) -> HromadaHandles:
    """Onboard a hromada through the manifest's factory and add it to the manifest."""
    w3: Web3 = sender.w3
    factory = contract_at(w3, "HromadaFactory", manifest.factory)
    params = (
        spec.name,
        spec.token_name or f"RV {spec.name}",
        spec.token_symbol,
        spec.face_value_kopiyky,
        Web3.to_checksum_address(spec.council),
        Web3.to_checksum_address(spec.registrar),
    )
    receipt = sender.send(factory.functions.onboardHromada(params))
    assert not isinstance(receipt, bytes)
    event = events_of(factory, "HromadaOnboarded", receipt)[0]
    entry = HromadaEntry(
        key=spec.key,
        name=spec.name,
        hromada_id=int(event["hromadaId"]),
        contracts=_contracts_of(event["contracts"]),
        council=spec.council,
        registrar=spec.registrar,
        face_value_kopiyky=spec.face_value_kopiyky,
        block=receipt["blockNumber"],
    )
    manifest.hromadas[spec.key] = entry
    return HromadaHandles.from_entry(w3, entry)
