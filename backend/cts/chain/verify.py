"""`cts verify-deployment`: do a manifest's addresses run the published source?

For every shared contract the manifest records verification files for, the stored standard-JSON input is
recompiled with the recorded solc and the runtime bytecode compared with `eth_getCode` at the address: the
same byte for byte, immutables aside (masked where solc's `immutableReferences` says the constructor wrote
them), the CBOR metadata tail included, so even a changed comment differs. Every hromada contract must be
an EIP-1167 clone of the implementation the manifest records for it, and the factory must clone exactly
the recorded implementations.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak
from web3 import HTTPProvider, Web3

from cts.chain.bytecode import (
    BytecodeError,
    base58,
    clone_implementation,
    immutable_values,
    mask_immutables,
    sha256_hex,
    split_metadata,
)
from cts.chain.manifest import Manifest, ManifestError, load_manifest
from cts.chain.sources import CompilationError, compile_standard

IMPLEMENTATION_OF = {
    "registry": "ResidentRegistry",
    "token": "RVToken",
    "usefulCases": "UsefulCaseContract",
    "balancedVote": "BalancedVote",
    "fund": "CommunityFund",
    "delivery": "ProjectDelivery",
    "coFinancing": "CoFinancing",
}
FACTORY_GETTERS = {
    "forwarder": "CTSForwarder",
    "registryImplementation": "ResidentRegistry",
    "tokenImplementation": "RVToken",
    "usefulCasesImplementation": "UsefulCaseContract",
    "balancedVoteImplementation": "BalancedVote",
    "fundImplementation": "CommunityFund",
    "deliveryImplementation": "ProjectDelivery",
    "coFinancingImplementation": "CoFinancing",
}


@dataclass(frozen=True)
class Finding:
    """One address checked: `ok` says whether it runs what the manifest says it runs."""

    label: str
    address: str
    ok: bool
    detail: str


def check_contract(w3: Web3, manifest_dir: Path, name: str, entry: dict[str, Any]) -> Finding:
    """Recompile one shared contract from its stored input and compare with the code at its address."""
    address = Web3.to_checksum_address(entry["address"])
    record = entry.get("verification")
    if not record:
        return Finding(name, address, False, "DIFFERS: the manifest records no standard-JSON input for it")
    files = {kind: (manifest_dir / record[kind]).read_bytes() for kind in ("input", "metadata")}
    for kind, data in files.items():
        if sha256_hex(data) != record[f"{kind}_sha256"]:
            return Finding(
                name, address, False, f"DIFFERS: {record[kind]} is not the file the manifest hashed"
            )
    path, contract = record["contract"].rsplit(":", 1)
    output = compile_standard(json.loads(files["input"]), record["compiler"])
    compiled = output["contracts"][path][contract]
    runtime = compiled["evm"]["deployedBytecode"]
    expected = bytes.fromhex(runtime["object"])
    references = runtime.get("immutableReferences", {})
    onchain = bytes(w3.eth.get_code(address))
    if not onchain:
        return Finding(name, address, False, "DIFFERS: no code at this address")
    if len(onchain) != len(expected):
        return Finding(
            name, address, False, f"DIFFERS: {len(onchain)} bytes on chain, {len(expected)} compiled"
        )
    masked_onchain, masked_expected = (
        mask_immutables(onchain, references),
        mask_immutables(expected, references),
    )
    if masked_onchain != masked_expected:
        try:
            same_body = split_metadata(masked_onchain).body == split_metadata(masked_expected).body
        except BytecodeError:
            same_body = False
        what = "only in the metadata hash (other sources, e.g. comments)" if same_body else "in the code"
        return Finding(name, address, False, f"DIFFERS from {record['contract']} compiled: {what}")
    ipfs = base58(split_metadata(onchain).metadata["ipfs"])
    if compiled["metadata"].encode() != files["metadata"] or ipfs != record.get("metadata_ipfs"):
        return Finding(name, address, False, "DIFFERS: the stored metadata is not the one compiled")
    values = ", ".join(immutable_values(onchain, references))
    return Finding(
        name, address, True, f"identical ({record['contract']}, metadata {ipfs}; immutables {values})"
    )


def check_wiring(w3: Web3, manifest: Manifest) -> list[Finding]:
    """The factory's immutables and each hromada clone's target, against the manifest's implementations."""
    shared = {name: Web3.to_checksum_address(entry["address"]) for name, entry in manifest.shared.items()}
    findings = []
    if "HromadaFactory" in shared:
        factory = shared["HromadaFactory"]
        wrong = []
        for getter, name in FACTORY_GETTERS.items():
            answer = w3.eth.call({"to": factory, "data": Web3.to_hex(keccak(text=f"{getter}()")[:4])})
            if Web3.to_checksum_address(bytes(answer)[-20:]) != shared.get(name):
                wrong.append(getter)
        detail = (
            f"DIFFERS: {', '.join(wrong)} not the manifest's"
            if wrong
            else "clones the manifest's implementations"
        )
        findings.append(Finding("HromadaFactory wiring", factory, not wrong, detail))
    for key, hromada in manifest.hromadas.items():
        for role, address in hromada.contracts.items():
            implementation = IMPLEMENTATION_OF[role]
            target = clone_implementation(bytes(w3.eth.get_code(Web3.to_checksum_address(address))))
            label = f"{key} {role}"
            if target is None:
                findings.append(Finding(label, address, False, "DIFFERS: not an EIP-1167 clone"))
            elif Web3.to_checksum_address(target) != shared.get(implementation):
                findings.append(
                    Finding(label, address, False, f"DIFFERS: a clone of {target}, not {implementation}")
                )
            else:
                findings.append(Finding(label, address, True, f"EIP-1167 clone of {implementation}"))
    return findings


def verify_deployment(w3: Web3, manifest_path: Path, only: set[str] | None = None) -> list[Finding]:
    """Every check of the manifest (or of the shared contracts named in `only`, and no wiring)."""
    manifest = load_manifest(manifest_path)
    if w3.eth.chain_id != manifest.chain_id:
        raise ManifestError(
            f"{manifest_path} is for chain {manifest.chain_id}, the RPC serves {w3.eth.chain_id}"
        )
    unknown = (only or set()) - set(manifest.shared)
    if unknown:
        raise ManifestError(
            f"no {', '.join(sorted(unknown))} in the manifest (it has {', '.join(manifest.shared)})"
        )
    findings = [
        check_contract(w3, manifest_path.parent, name, entry)
        for name, entry in manifest.shared.items()
        if only is None or name in only
    ]
    return findings + (check_wiring(w3, manifest) if only is None else [])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rpc", required=True, help="JSON-RPC URL of the chain the manifest describes")
    parser.add_argument("--manifest", required=True, type=Path, help="deployments/<chain id>.json")
    parser.add_argument(
        "--contract", action="append", help="check only this shared contract (repeatable; skips the clones)"
    )


def command(args: argparse.Namespace) -> int:
    w3 = Web3(HTTPProvider(args.rpc, request_kwargs={"timeout": 60}))
    try:
        findings = verify_deployment(w3, args.manifest, set(args.contract) if args.contract else None)
    except (ManifestError, CompilationError, OSError, KeyError, ValueError) as error:
        print(f"cts verify-deployment: {error}", file=sys.stderr)
        return 2
    width = max((len(f.label) for f in findings), default=0)
    for finding in findings:
        print(f"  {finding.label:<{width}}  {finding.address}  {finding.detail}")
    bad = [f.label for f in findings if not f.ok]
    if bad:
        print(
            f"cts verify-deployment: {len(bad)} of {len(findings)} differ: {', '.join(bad)}", file=sys.stderr
        )
        return 1
    print(f"cts verify-deployment: all {len(findings)} addresses run the published source")
    return 0
