"""Verifiable deployments (issue 17): `scripts/deploy.py` on the live-registered local Anvil keeps each shared
contract's standard-JSON input and metadata beside the manifest and submits them to Sourcify (here a stand-in
on this machine that checks every request as Sourcify's API v2 defines it); `cts verify-deployment`
recompiles them and finds the chain's code identical, and names the contract when a stored source or a
manifest address is wrong. One deployment for the module; each recompilation is of what it checks only."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import dev_key
from eth_account import Account
from test_live_deployment import LIVE_CHAIN_ID, LIVE_PORT, ROOT, deploy_command
from web3 import HTTPProvider, Web3

from cts.chain.bytecode import base58, sha256_hex, split_metadata
from cts.chain.localnode import LocalNode
from cts.chain.manifest import load_manifest
from cts.chain.verify import check_wiring

SHARED = {
    "CTSForwarder",
    "ResidentRegistry",
    "RVToken",
    "UsefulCaseContract",
    "BalancedVote",
    "CommunityFund",
    "ProjectDelivery",
    "CoFinancing",
    "HromadaFactory",
}
# The request body of POST /v2/verify/{chainId}/{address} (Sourcify's apiv2.yaml, StdJSONVerificationRequest).
BODY_FIELDS = {"stdJsonInput", "compilerVersion", "contractIdentifier", "creationTransactionHash"}
REQUIRED_FIELDS = {"stdJsonInput", "compilerVersion", "contractIdentifier"}
INPUT_FIELDS = {"language", "sources", "settings"}


@dataclass
class SourcifyStandIn:
    """What the stand-in was sent: every well-formed request, and what was wrong with the others."""

    url: str
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # address -> body
    refused: list[str] = field(default_factory=list)
    jobs: dict[str, str] = field(default_factory=dict)  # verification id -> address


def request_problems(path: str, content_type: str, body: Any) -> list[str]:
    """Why Sourcify would refuse this verification request (an empty list: it would take it)."""
    problems = []
    if content_type != "application/json":
        problems.append(f"Content-Type {content_type!r}")
    if not re.fullmatch(rf"/v2/verify/{LIVE_CHAIN_ID}/0x[0-9a-fA-F]{{40}}", path):
        problems.append(f"path {path}")
    if not isinstance(body, dict) or not set(body) >= REQUIRED_FIELDS or not set(body) <= BODY_FIELDS:
        return [*problems, f"body fields {sorted(body) if isinstance(body, dict) else body!r}"]
    std = body["stdJsonInput"]
    if set(std) - INPUT_FIELDS or std.get("language") != "Solidity":
        problems.append(f"stdJsonInput fields {sorted(std)}, language {std.get('language')!r}")
    if not all(isinstance(s.get("content"), str) for s in std.get("sources", {}).values()):
        problems.append("a source without its content")
    if not re.fullmatch(r"\d+\.\d+\.\d+\+commit\.[0-9a-f]{8}", body["compilerVersion"]):
        problems.append(f"compilerVersion {body['compilerVersion']!r}")
    source, _, name = body["contractIdentifier"].rpartition(":")
    if source not in std.get("sources", {}) or not name:
        problems.append(f"contractIdentifier {body['contractIdentifier']!r} names no source of the input")
    tx = body.get("creationTransactionHash")
    if tx is not None and not re.fullmatch(r"0x[0-9a-f]{64}", tx):
        problems.append(f"creationTransactionHash {tx!r}")
    return problems


@pytest.fixture(scope="module")
def sourcify() -> Iterator[SourcifyStandIn]:
    standin = SourcifyStandIn(url="")

    class Handler(BaseHTTPRequestHandler):
        def reply(self, status: int, answer: dict[str, Any]) -> None:
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            problems = request_problems(self.path, self.headers.get("Content-Type", ""), body)
            if problems:
                standin.refused.append(f"{self.path}: {'; '.join(problems)}")
                self.reply(400, {"customCode": "invalid_request", "message": "; ".join(problems)})
                return
            address = self.path.rsplit("/", 1)[1]
            standin.accepted[Web3.to_checksum_address(address)] = body
            job = str(uuid.uuid4())
            standin.jobs[job] = address
            self.reply(202, {"verificationId": job})

        def do_GET(self) -> None:
            job = self.path.removeprefix("/v2/verify/")
            if job not in standin.jobs:
                self.reply(404, {"customCode": "not_found", "message": job})
                return
            contract = {"match": "exact_match", "chainId": str(LIVE_CHAIN_ID), "address": standin.jobs[job]}
            self.reply(200, {"isJobCompleted": True, "verificationId": job, "contract": contract})

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield standin
    server.shutdown()


@dataclass
class Deployed:
    w3: Web3
    url: str
    manifest_path: Path


@pytest.fixture(scope="module")
def deployed(sourcify: SourcifyStandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    shutil.rmtree(ROOT / "build" / "deployments" / str(LIVE_CHAIN_ID), ignore_errors=True)
    node = LocalNode(kind="anvil", port=LIVE_PORT, chain_id=LIVE_CHAIN_ID)
    node.start()
    try:
        folder = tmp_path_factory.mktemp("verifiable")
        council = Account.from_key(dev_key(1)).address
        config = folder / "hromadas.yaml"
        hromada = {"key": "testville", "name": "Testville", "council": council, "registrar": council}
        config.write_text(yaml.safe_dump({"hromadas": [hromada]}))
        command, environment = deploy_command(config, folder / "deployments")
        environment["CTS_SOURCIFY_URL"] = sourcify.url
        done = subprocess.run(
            command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600, check=False
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        w3 = Web3(HTTPProvider(node.url))
        yield Deployed(w3, node.url, folder / "deployments" / f"{LIVE_CHAIN_ID}.json")
    finally:
        node.stop()
        shutil.rmtree(ROOT / "build" / "deployments" / str(LIVE_CHAIN_ID), ignore_errors=True)


def verify(deployed: Deployed, manifest_path: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    command = [str(ROOT / ".venv" / "bin" / "cts"), "verify-deployment", "--rpc", deployed.url]
    command += ["--manifest", str(manifest_path)]
    for name in contracts:
        command += ["--contract", name]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


def copy_manifest(deployed: Deployed, folder: Path) -> tuple[Path, dict[str, Any]]:
    """A copy of the deployment's manifest and files that a test may tamper with."""
    shutil.copytree(deployed.manifest_path.parent, folder, dirs_exist_ok=True)
    path = folder / deployed.manifest_path.name
    return path, json.loads(path.read_text())


def test_each_shared_contract_keeps_its_input_and_metadata_whose_hash_the_code_carries(
    deployed: Deployed,
) -> None:
    manifest = json.loads(deployed.manifest_path.read_text())
    assert set(manifest["shared"]) == SHARED
    for name, entry in manifest["shared"].items():
        record = entry["verification"]
        assert record["compiler"] == "0.8.28+commit.7893614a"
        assert record["input"] == f"{LIVE_CHAIN_ID}/{name}.input.json"
        input_bytes = (deployed.manifest_path.parent / record["input"]).read_bytes()
        metadata_bytes = (deployed.manifest_path.parent / record["metadata"]).read_bytes()
        assert sha256_hex(input_bytes) == record["input_sha256"]
        assert sha256_hex(metadata_bytes) == record["metadata_sha256"]
        input_json, metadata = json.loads(input_bytes), json.loads(metadata_bytes)
        path = record["contract"].rsplit(":", 1)[0]
        assert metadata["settings"]["compilationTarget"] == {path: name}
        assert set(input_json["sources"]) == set(metadata["sources"])
        settings = input_json["settings"]
        assert settings["evmVersion"] == "shanghai"
        assert settings["optimizer"] == {"enabled": True, "runs": 200}
        # What Sourcify checks for an exact match: the code's CBOR tail carries the metadata's IPFS hash.
        code = bytes(deployed.w3.eth.get_code(entry["address"]))
        assert base58(split_metadata(code).metadata["ipfs"]) == record["metadata_ipfs"]


def test_sourcify_received_each_shared_contract_as_its_api_defines(
    deployed: Deployed, sourcify: SourcifyStandIn
) -> None:
    manifest = json.loads(deployed.manifest_path.read_text())
    assert sourcify.refused == []
    assert set(sourcify.accepted) == {entry["address"] for entry in manifest["shared"].values()}
    for entry in manifest["shared"].values():
        body = sourcify.accepted[entry["address"]]
        stored = json.loads((deployed.manifest_path.parent / entry["verification"]["input"]).read_text())
        assert body["stdJsonInput"] == {key: stored[key] for key in INPUT_FIELDS}
        assert body["contractIdentifier"] == entry["verification"]["contract"]
        assert body["creationTransactionHash"] == entry["tx"]
        assert entry["published"]["sourcify"]["match"] == "exact_match"


def test_verify_deployment_finds_every_address_runs_the_published_source(deployed: Deployed) -> None:
    done = verify(deployed, deployed.manifest_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for name in SHARED:
        assert any(line.split()[0] == name and "identical" in line for line in lines), done.stdout
    assert sum("EIP-1167 clone of" in line for line in lines) == 7  # the seven, CoFinancing among them
    assert any("HromadaFactory wiring" in line and "clones the manifest's" in line for line in lines)


def test_a_stored_source_changed_even_in_a_comment_is_reported_with_the_contract_named(
    deployed: Deployed, tmp_path: Path
) -> None:
    path, manifest = copy_manifest(deployed, tmp_path)
    record = manifest["shared"]["CTSForwarder"]["verification"]
    input_path = tmp_path / record["input"]
    input_json = json.loads(input_path.read_text())
    input_json["sources"]["contracts/CTSForwarder.sol"]["content"] += "\n// not what was deployed\n"
    input_path.write_text(json.dumps(input_json))
    # The file changed behind the manifest's back...
    done = verify(deployed, path, "CTSForwarder")
    assert done.returncode == 1
    assert "CTSForwarder" in done.stdout and "not the file the manifest hashed" in done.stdout
    # ...and with its hash updated too, the recompiled code tells it apart by its metadata hash.
    record["input_sha256"] = sha256_hex(input_path.read_bytes())
    path.write_text(json.dumps(manifest))
    done = verify(deployed, path, "CTSForwarder")
    assert done.returncode == 1
    line = next(line for line in done.stdout.splitlines() if line.split()[0] == "CTSForwarder")
    assert "DIFFERS" in line and "only in the metadata hash" in line
    assert "1 of 1 differ: CTSForwarder" in done.stderr


def test_a_manifest_address_of_another_contract_is_reported_with_the_contract_named(
    deployed: Deployed, tmp_path: Path
) -> None:
    path, manifest = copy_manifest(deployed, tmp_path)
    shared = manifest["shared"]
    shared["RVToken"]["address"] = shared["ResidentRegistry"]["address"]
    path.write_text(json.dumps(manifest))
    done = verify(deployed, path, "RVToken")
    assert done.returncode == 1
    line = next(line for line in done.stdout.splitlines() if line.split()[0] == "RVToken")
    assert "DIFFERS" in line


def test_a_clone_of_another_implementation_is_reported(deployed: Deployed, tmp_path: Path) -> None:
    path, manifest = copy_manifest(deployed, tmp_path)
    contracts = manifest["hromadas"]["testville"]["contracts"]
    contracts["token"], contracts["registry"] = contracts["registry"], contracts["token"]
    path.write_text(json.dumps(manifest))
    findings = {f.label: f for f in check_wiring(deployed.w3, load_manifest(path))}
    assert not findings["testville token"].ok and "not RVToken" in findings["testville token"].detail
    assert not findings["testville registry"].ok
    assert findings["testville fund"].ok and findings["HromadaFactory wiring"].ok
