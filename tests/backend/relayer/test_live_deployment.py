"""Deploying to a public network, tested against a local Anvil registered as a *live* Brownie network
(`cts-live-local`, chain id 31999): the deployer's key from the environment, EIP-1559 fees, confirmations,
a resumable manifest. Then the relayer finds everything from that manifest and a resident acts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import PASSWORD, dev_key, give_roles, h, make_people
from web3 import HTTPProvider, Web3

from cts.chain.localnode import LocalNode
from cts.core.config import Settings
from cts.core.db import build_engine, build_session_factory
from cts.relayer.context import ChainContext
from cts.relayer.worker import RelayerWorker

ROOT = Path(__file__).resolve().parents[3]
# tools/setup_networks.py declares this network's port, moved by the same offset.
LIVE_NETWORK, LIVE_CHAIN_ID = "cts-live-local", 31999
LIVE_PORT = 8565 + int(os.environ.get("CTS_TEST_PORT_OFFSET", "0"))
DEPLOYER_KEY = dev_key(0)


@pytest.fixture
def live_chain() -> Iterator[LocalNode]:
    # Brownie keeps its own records of live deployments per chain id; this chain is new every time.
    shutil.rmtree(ROOT / "build" / "deployments" / str(LIVE_CHAIN_ID), ignore_errors=True)
    node = LocalNode(kind="anvil", port=LIVE_PORT, chain_id=LIVE_CHAIN_ID)
    node.start()
    yield node
    node.stop()
    shutil.rmtree(ROOT / "build" / "deployments" / str(LIVE_CHAIN_ID), ignore_errors=True)


def deploy_command(
    config: Path, manifest_dir: Path, key: str | None = DEPLOYER_KEY
) -> tuple[list[str], dict[str, str]]:
    environment = {**os.environ, "CTS_MANIFEST_DIR": str(manifest_dir), "CTS_CONFIRMATIONS": "1"}
    environment.pop("CTS_DEPLOYER_KEY", None)
    if key:
        environment["CTS_DEPLOYER_KEY"] = key
    command = [
        str(ROOT / "bin" / "brownie"),
        "run",
        "scripts/deploy.py",
        "main",
        str(config),
        "--network",
        LIVE_NETWORK,
    ]
    return command, environment


def deploy(
    config: Path, manifest_dir: Path, key: str | None = DEPLOYER_KEY
) -> subprocess.CompletedProcess[str]:
    command, environment = deploy_command(config, manifest_dir, key)
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600, check=False
    )


def nonce(w3: Web3) -> int:
    return int(
        w3.eth.get_transaction_count(
            Web3.to_checksum_address(Web3().eth.account.from_key(DEPLOYER_KEY).address)
        )
    )


def test_deploy_resume_rerun_then_relay_and_audit(
    live_chain: LocalNode, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    w3 = Web3(HTTPProvider(live_chain.url))
    manifest_dir = tmp_path / "deployments"
    manifest_path = manifest_dir / f"{LIVE_CHAIN_ID}.json"
    settings = make_settings(
        manifest_path=manifest_path,
        rpc_url=live_chain.url,
        relayer_sponsor_keys=dev_key(5),
        hromada="testville",
    )
    factory = build_session_factory(build_engine(settings.database_url))
    people = make_people(factory, settings, residents=1)
    council = people.council.wallet.address
    config = tmp_path / "hromadas.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "hromadas": [
                    {
                        "key": "testville",
                        "name": "Testville",
                        "token_symbol": "RV-TST",
                        "face_value_kopiyky": 5000,
                        "council": council,
                        "registrar": council,
                        "deposits": [
                            {
                                "amount_kopiyky": 10_000_000,
                                "source": "donor",
                                "source_ref": "Donor",
                                "receipt": "R-1",
                            }
                        ],
                        "programmes": [
                            {
                                "title": "Park",
                                "reward_rv": 2,
                                "case_value_kopiyky": 40_000,
                                "token_cap_rv": 1000,
                                "per_resident_cap_rv": 20,
                                "days": 90,
                                "verifiers": [people.verifier.wallet.address],
                            }
                        ],
                    }
                ]
            }
        )
    )

    # Without a key, a live network is refused, with the reason, before anything is sent.
    refused = deploy(config, manifest_dir, key=None)
    assert refused.returncode != 0
    assert "no deployer key was given" in refused.stdout + refused.stderr
    assert nonce(w3) == 0

    # A deployment killed part way...
    command, environment = deploy_command(config, manifest_dir)
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if manifest_path.exists() and len(json.loads(manifest_path.read_text()).get("shared", {})) >= 3:
            break
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    partial = json.loads(manifest_path.read_text())
    assert 3 <= len(partial["shared"]) < 9 and not partial["hromadas"]  # of 9: forwarder, 7, factory
    # The kill may land while Brownie rewrites its own record of deployments (build/deployments/map.json,
    # written in place), and resuming then stopped at "JSONDecodeError: Expected object or value" before
    # scripts/deploy.py ran. Leave the record cut short, as such a kill does, every time.
    brownie_map = ROOT / "build" / "deployments" / "map.json"
    brownie_map.parent.mkdir(parents=True, exist_ok=True)
    brownie_map.write_text(f'{{"{LIVE_CHAIN_ID}": {{"ResidentRegistry": ["0x')

    # ...completes when run again, with nothing sent twice.
    resumed = deploy(config, manifest_dir)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    manifest = json.loads(manifest_path.read_text())
    assert set(manifest["shared"]) == {
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
    for entry in manifest["shared"].values():
        assert w3.eth.get_code(entry["address"]) and entry["code_hash"].startswith("0x")
        # The resumed run also wrote the verification files of the contracts the killed one deployed.
        assert (manifest_dir / entry["verification"]["input"]).is_file()
    step_nonces = sorted(step["nonce"] for step in manifest["steps"].values())
    assert step_nonces == list(range(len(step_nonces)))  # one transaction per step, none repeated
    assert nonce(w3) == len(step_nonces)  # and no other transaction was sent
    hromada = manifest["hromadas"]["testville"]
    assert hromada["council"] == council and hromada["hromada_id"] == 1

    # Running again sends nothing.
    before = nonce(w3)
    again = deploy(config, manifest_dir)
    assert again.returncode == 0, again.stderr[-2000:]
    assert nonce(w3) == before

    # The relayer finds everything from the manifest; the council registers a resident, who submits a case.
    from fastapi.testclient import TestClient

    from cts.api.main import create_app

    app = create_app(settings)  # onboards the manifest's hromada
    give_roles(app.state.session_factory, people, "testville")
    worker = RelayerWorker(settings, app.state.session_factory, ChainContext.from_settings(settings))
    resident = people.residents[0]
    with TestClient(app, base_url="https://testserver") as client:

        def act(user: Any, path: str, body: dict[str, Any]) -> str:
            token = client.post("/api/auth/login", json={"login": user.email, "password": PASSWORD}).json()[
                "access_token"
            ]
            response = client.post(
                "/api/h/testville/" + path.removeprefix("/api/"),
                json=body,
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": os.urandom(8).hex()},
            )
            assert response.status_code == 202, response.text
            worker.drain()
            status = client.get(
                f"/api/actions/{response.json()['id']}", headers={"Authorization": f"Bearer {token}"}
            ).json()
            assert status["status"] == "confirmed", status
            return str(status["tx_hash"])

        act(people.council, "/api/residents", {"user_id": resident.id, "identity_check": "passport check 42"})
        act(resident, "/api/cases", {"programme_id": 1, "evidence_hash": h("live-photo")})
    worker.release_leases()
    assert ChainContext.from_settings(settings).hromada.cases.functions.caseCount().call() == 1

    # An auditor, from the chain and the manifest alone, finds nothing amiss.
    audited = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "cts"),
            "audit",
            "--rpc",
            live_chain.url,
            "--hromada",
            str(manifest_path),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert audited.returncode == 0, audited.stdout[-3000:] + audited.stderr[-3000:]
