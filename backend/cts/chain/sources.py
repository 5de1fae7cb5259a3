"""The verification files of a deployment: per contract, solc's standard-JSON input and its metadata.

`scripts/deploy.py` writes them next to the manifest (`deployments/<chain id>/<Contract>.input.json` and
`.metadata.json`) and records their paths and hashes in the manifest's entry of the contract; Sourcify,
an Etherscan-family explorer or `cts verify-deployment` recompile a contract from its input alone.

Each input holds exactly the sources solc's metadata lists for the contract (those it reaches through its
imports), with their content, and the settings Brownie compiled with (optimizer, runs, evmVersion,
remappings, libraries): compiled, it gives the same bytecode and the same metadata, hence the same hash
in the code's CBOR tail that Sourcify needs for an exact match. Imported from Brownie's environment too,
so it needs only py-solc-x and eth-utils, which both environments have.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
from eth_utils.crypto import keccak
from solcx.install import get_executable

from cts.chain.bytecode import base58, ipfs_multihash, sha256_hex, split_metadata

# What a check needs of the output; outputSelection changes neither the bytecode nor the metadata.
OUTPUT_SELECTION = {
    "*": {
        "*": [
            "abi",
            "metadata",
            "evm.bytecode.object",
            "evm.deployedBytecode.object",
            "evm.deployedBytecode.immutableReferences",
        ]
    }
}
# Settings that change the bytecode or the metadata; the others (outputSelection) are left out.
BYTECODE_SETTINGS = ("evmVersion", "optimizer", "remappings", "libraries", "viaIR", "metadata")


class CompilationError(RuntimeError):
    """Raised when solc is missing, is another version than the one asked for, or reports errors."""


@dataclass(frozen=True)
class VerificationFiles:
    """One contract's standard-JSON input and the metadata solc wrote for it (kept byte for byte)."""

    name: str
    contract: str  # the fully qualified name, "contracts/RVToken.sol:RVToken"
    input: dict[str, Any]
    metadata: str


def solc_binary(version: str) -> Path:
    """The solc of `version` ("0.8.28+commit.7893614a") where py-solc-x keeps it, checked to be that build."""
    short = version.split("+")[0]
    try:
        binary = get_executable(short)
    except Exception as error:  # py-solc-x: SolcNotInstalled, or an unparsable version
        raise CompilationError(
            f"solc {short} is not installed ({error}); `make setup` installs it (tools/solc/install.sh)"
        ) from None
    # The binary py-solc-x itself would run, asked only its version.
    answer = subprocess.run(  # noqa: S603
        [str(binary), "--version"], capture_output=True, text=True, check=False
    ).stdout
    if f"Version: {version}" not in answer:
        raise CompilationError(f"{binary} is not solc {version}: it answers {answer.strip()!r}")
    return binary


def compile_standard(input_json: dict[str, Any], version: str, root: Path | None = None) -> dict[str, Any]:
    """solc's output for a standard-JSON input; `root` lets it read imported files under that folder."""
    try:
        output: dict[str, Any] = solcx.compile_standard(
            input_json,
            base_path=root,
            allow_paths=[str(root)] if root is not None else None,
            solc_binary=solc_binary(version),
        )
    except solcx.exceptions.SolcError as error:
        raise CompilationError(f"solc refused the input: {error}") from None
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompilationError("; ".join(e.get("formattedMessage", e.get("message", "")) for e in errors))
    return output


def build_inputs(
    root: Path, targets: dict[str, str], settings: dict[str, Any], version: str
) -> dict[str, VerificationFiles]:
    """Each target's standard-JSON input and metadata, from one compilation of the checkout's files.

    `targets` maps a contract name to its source file ("contracts/RVToken.sol"); `settings` are the
    compiler settings the contracts were built with. Every source is read from `root` and checked
    against the keccak-256 solc recorded for it in the metadata.
    """
    compiled = {
        "language": "Solidity",
        "sources": {path: {"content": (root / path).read_text()} for path in sorted(set(targets.values()))},
        "settings": {**_bytecode_settings(settings), "outputSelection": OUTPUT_SELECTION},
    }
    output = compile_standard(compiled, version, root)
    files = {}
    for name, path in targets.items():
        metadata_text = output["contracts"][path][name]["metadata"]
        metadata = json.loads(metadata_text)
        sources = {}
        for unit, recorded in metadata["sources"].items():
            content = (root / unit).read_bytes()
            if "0x" + keccak(content).hex().removeprefix("0x") != recorded["keccak256"]:
                raise CompilationError(f"{unit} changed on disk while {name} was being compiled")
            sources[unit] = {"content": content.decode()}
        input_json = {
            "language": "Solidity",
            "sources": sources,
            "settings": deepcopy(compiled["settings"]),
        }
        files[name] = VerificationFiles(name, f"{path}:{name}", input_json, metadata_text)
    return files


def _bytecode_settings(settings: dict[str, Any]) -> dict[str, Any]:
    return {key: deepcopy(settings[key]) for key in BYTECODE_SETTINGS if settings.get(key) is not None}


def write_files(folder: Path, manifest_dir: Path, files: VerificationFiles, version: str) -> dict[str, Any]:
    """Write a contract's two files under `folder`; returns the manifest's record of them."""
    folder.mkdir(parents=True, exist_ok=True)
    input_bytes = (json.dumps(files.input, indent=1, sort_keys=True) + "\n").encode()
    metadata_bytes = files.metadata.encode()  # as solc wrote it: its IPFS hash is in the bytecode
    input_path = folder / f"{files.name}.input.json"
    metadata_path = folder / f"{files.name}.metadata.json"
    input_path.write_bytes(input_bytes)
    metadata_path.write_bytes(metadata_bytes)
    return {
        "contract": files.contract,
        "compiler": version,
        "input": input_path.relative_to(manifest_dir).as_posix(),
        "input_sha256": sha256_hex(input_bytes),
        "metadata": metadata_path.relative_to(manifest_dir).as_posix(),
        "metadata_sha256": sha256_hex(metadata_bytes),
        "metadata_ipfs": base58(ipfs_multihash(metadata_bytes)),
    }


def files_intact(manifest_dir: Path, record: dict[str, Any] | None) -> bool:
    """Whether a manifest's record of verification files names files that exist with those hashes."""
    if not record:
        return False
    for kind in ("input", "metadata"):
        path = manifest_dir / record[kind]
        if not path.is_file() or sha256_hex(path.read_bytes()) != record[f"{kind}_sha256"]:
            return False
    return True


def record_sources(
    root: Path,
    shared: dict[str, dict[str, Any]],
    manifest_dir: Path,
    chain_id: int,
    targets: dict[str, str],
    settings: dict[str, Any],
    version: str,
    get_code: Callable[[str], bytes],
) -> list[str]:
    """Write the verification files of every shared contract whose files are missing; returns their names.

    `root` is the checkout the contracts were compiled from. Each contract's entry in `shared` (the
    manifest's) gets a `verification` record. The metadata hash in
    the code at the contract's address must be that of the metadata written, or nothing is recorded: the
    files would not verify what is deployed.
    """
    missing = [
        name for name, entry in shared.items() if not files_intact(manifest_dir, entry.get("verification"))
    ]
    if not missing:
        return []
    built = build_inputs(root, {name: targets[name] for name in missing}, settings, version)
    for name in missing:
        record = write_files(manifest_dir / str(chain_id), manifest_dir, built[name], version)
        address = shared[name]["address"]
        onchain = base58(split_metadata(get_code(address)).metadata["ipfs"])
        if onchain != record["metadata_ipfs"]:
            raise CompilationError(
                f"{name} at {address} carries the metadata hash {onchain}, but this checkout compiles it to "
                f"{record['metadata_ipfs']}: it was deployed from other sources"
            )
        shared[name]["verification"] = record
    return missing
