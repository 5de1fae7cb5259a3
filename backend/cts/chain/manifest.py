"""Deployment manifests: where a chain's CTS contracts are.

A manifest is the JSON file `deployments/<chain id>.json` written by `scripts/deploy.py` (Brownie, public
networks) or by `cts.chain.deploy` (local chains). The backend and `cts audit` find every contract from it.
Schema 1:

    {"schema": 1, "chain_id": 1337, "network": "...", "deployer": "0x...",
     "shared": {"CTSForwarder": {"address": "0x...", "tx": "0x...", "block": 1, ...}, ...,
                "HromadaFactory": {...}},
     "hromadas": {"<key>": {"name": "...", "hromada_id": 1, "council": "0x...", "registrar": "0x...",
                            "face_value_kopiyky": 5000, "block": 9,
                            "contracts": {"registry": "0x...", "token": "0x...", "usefulCases": "0x...",
                                          "balancedVote": "0x...", "fund": "0x...", "delivery": "0x...",
                                          "coFinancing": "0x..."}}},
     "steps": {...}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address

SCHEMA = 1
CONTRACT_KEYS = ("registry", "token", "usefulCases", "balancedVote", "fund", "delivery", "coFinancing")


class ManifestError(ValueError):
    """Raised when a manifest is missing, malformed, or does not name what was asked for."""


@dataclass(frozen=True)
class HromadaEntry:
    """One onboarded hromada as a manifest records it."""

    key: str
    name: str
    hromada_id: int
    contracts: dict[str, str]
    council: str | None = None
    registrar: str | None = None
    face_value_kopiyky: int | None = None
    block: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "hromada_id": self.hromada_id,
            "council": self.council,
            "registrar": self.registrar,
            "face_value_kopiyky": self.face_value_kopiyky,
            "block": self.block,
            "contracts": dict(self.contracts),
        }


@dataclass
class Manifest:
    chain_id: int
    shared: dict[str, dict[str, Any]]
    hromadas: dict[str, HromadaEntry]
    network: str | None = None
    deployer: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def forwarder(self) -> str:
        return self._shared_address("CTSForwarder")

    @property
    def factory(self) -> str:
        return self._shared_address("HromadaFactory")

    @property
    def first_block(self) -> int:
        """The block of the first deployment: log scans need not start earlier."""
        blocks = [int(e["block"]) for e in self.shared.values() if e.get("block") is not None]
        return min(blocks, default=0)

    def hromada(self, key_or_address: str | None = None) -> HromadaEntry:
        """A hromada by key, by name, or by the address of any of its contracts; the only one if None."""
        if key_or_address is None:
            if len(self.hromadas) != 1:
                known = ", ".join(self.hromadas)
                raise ManifestError(f"the manifest holds {len(self.hromadas)} hromadas; name one of: {known}")
            return next(iter(self.hromadas.values()))
        if key_or_address in self.hromadas:
            return self.hromadas[key_or_address]
        for entry in self.hromadas.values():
            if entry.name == key_or_address:
                return entry
            if key_or_address.lower() in (a.lower() for a in entry.contracts.values()):
                return entry
        raise ManifestError(
            f"no hromada {key_or_address!r} in the manifest (known: {', '.join(self.hromadas)})"
        )

    def _shared_address(self, name: str) -> str:
        try:
            return to_checksum_address(self.shared[name]["address"])
        except KeyError:
            raise ManifestError(f"the manifest has no {name}") from None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.extra,
            "schema": SCHEMA,
            "chain_id": self.chain_id,
            "network": self.network,
            "deployer": self.deployer,
            "shared": self.shared,
            "hromadas": {key: entry.to_json() for key, entry in self.hromadas.items()},
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        tmp.replace(path)


def parse_manifest(data: dict[str, Any]) -> Manifest:
    if data.get("schema") != SCHEMA:
        raise ManifestError(f"unknown manifest schema {data.get('schema')!r} (this version reads {SCHEMA})")
    try:
        hromadas = {
            key: HromadaEntry(
                key=key,
                name=entry["name"],
                hromada_id=int(entry["hromada_id"]),
                contracts={k: to_checksum_address(entry["contracts"][k]) for k in CONTRACT_KEYS},
                council=entry.get("council"),
                registrar=entry.get("registrar"),
                face_value_kopiyky=entry.get("face_value_kopiyky"),
                block=entry.get("block"),
            )
            for key, entry in data.get("hromadas", {}).items()
        }
        known = {"schema", "chain_id", "network", "deployer", "shared", "hromadas"}
        return Manifest(
            chain_id=int(data["chain_id"]),
            shared=dict(data["shared"]),
            hromadas=hromadas,
            network=data.get("network"),
            deployer=data.get("deployer"),
            extra={k: v for k, v in data.items() if k not in known},
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ManifestError(f"malformed manifest: {error}") from None


def load_manifest(path: str | Path) -> Manifest:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ManifestError(f"no manifest at {path}") from None
    except json.JSONDecodeError as error:
        raise ManifestError(f"{path} is not JSON: {error}") from None
    return parse_manifest(data)
