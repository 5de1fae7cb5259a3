"""The project runs and deploys from any folder: a fresh clone under a path with a dotted folder and a
space, reached directly and through a symlink, deploys a hromada with scripts/deploy.py.

eth-brownie turns a script's absolute path into a module name, so a dotted folder (~/.cache/...) broke
`brownie run` ("No module named 'root.'"), and a symlinked checkout was "not part of an active
project" (tools/brownie_cli.py, docs/toolchain.md "Any folder"). The clone is of the repository at
HEAD; what `make setup` would build (the two virtual environments, node_modules) is borrowed from this
checkout, and build/ is copied, so the test takes seconds rather than a full set-up.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from web3 import HTTPProvider, Web3

from cts.chain.localnode import LocalNode, free_port
from cts.web.demo import dev_key

ROOT = Path(__file__).resolve().parents[2]
NETWORK, CHAIN_ID = "cts-live-local", 31999  # tools/setup_networks.py: a local chain as a live network
DEV_NETWORK, DEV_CHAIN_ID = "cts-anvil", 31337  # a chain Brownie starts itself


@pytest.fixture
def chain() -> Iterator[LocalNode]:
    with LocalNode(kind="anvil", chain_id=CHAIN_ID) as node:
        yield node


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A clone of this repository at HEAD in `<tmp>/.cache/cts clone`, ready to run Brownie."""
    target = tmp_path / ".cache" / "cts clone"
    target.parent.mkdir()
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True, timeout=120)
    for borrowed in (".venv-brownie", ".venv", "node_modules"):
        (target / borrowed).symlink_to(ROOT / borrowed, target_is_directory=True)
    for built in ("contracts", "interfaces"):
        shutil.copytree(ROOT / "build" / built, target / "build" / built)
    return target


def brownie_home(home: Path, rpc_url: str) -> dict[str, str]:
    """An empty HOME with the project's Brownie networks (as `make setup` writes them), the local live
    network pointed at this test's chain and the Anvil that Brownie starts moved to a free port (the
    contract tests use its usual one); the compiler stays where `make setup` put it."""
    solcx = os.environ.get("SOLCX_BINARY_PATH", str(Path.home() / ".solcx"))
    environment = {**os.environ, "HOME": str(home), "SOLCX_BINARY_PATH": solcx}
    home.mkdir()
    subprocess.run(
        [str(ROOT / ".venv-brownie" / "bin" / "python"), str(ROOT / "tools" / "setup_networks.py")],
        env=environment,
        check=True,
        capture_output=True,
        timeout=120,
    )
    config_path = home / ".brownie" / "network-config.yaml"
    config = yaml.safe_load(config_path.read_text())
    for group in config["live"]:
        for network in group["networks"]:
            if network["id"] == NETWORK:
                network["host"] = rpc_url
    for network in config["development"]:
        if network["id"] == DEV_NETWORK:
            network["cmd_settings"]["port"] = free_port()
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    return environment


def test_a_clone_under_a_dotted_folder_with_a_space_deploys_a_hromada(
    chain: LocalNode, clone: Path, tmp_path: Path
) -> None:
    council = Web3().eth.account.from_key(dev_key(1)).address
    verifier = Web3().eth.account.from_key(dev_key(3)).address
    hromadas = tmp_path / "hromadas.yaml"
    hromadas.write_text(
        yaml.safe_dump(
            {
                "hromadas": [
                    {
                        "key": "dotville",
                        "name": "Dotville",
                        "token_symbol": "RV-DOT",
                        "face_value_kopiyky": 5000,
                        "council": council,
                        "registrar": council,
                        "deposits": [
                            {
                                "amount_kopiyky": 10_000_000,
                                "source": "donor",
                                "source_ref": "D",
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
                                "verifiers": [verifier],
                            }
                        ],
                    }
                ]
            }
        )
    )
    manifest_dir = tmp_path / "manifests"
    environment = {
        **brownie_home(tmp_path / "home", chain.url),
        "CTS_MANIFEST_DIR": str(manifest_dir),
        "CTS_CONFIRMATIONS": "1",
        "CTS_DEPLOYER_KEY": dev_key(0),
    }

    def deploy(checkout: Path, script: str, network: str = NETWORK) -> str:
        done = subprocess.run(
            [str(checkout / "bin" / "brownie"), "run", script, "main", str(hromadas), "--network", network],
            cwd=checkout,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
        return done.stdout

    # From the clone itself, the script named as the README names it.
    output = deploy(clone, "scripts/deploy.py")
    assert "deploy: done" in output
    manifest = json.loads((manifest_dir / f"{CHAIN_ID}.json").read_text())
    w3 = Web3(HTTPProvider(chain.url))
    assert len(manifest["shared"]) == 9  # the forwarder, seven implementations, the factory
    for entry in manifest["shared"].values():
        assert w3.eth.get_code(entry["address"])
    hromada = manifest["hromadas"]["dotville"]
    assert hromada["council"] == council and hromada["hromada_id"] == 1

    # Through a symlink to the clone, the script by its absolute path: the same deployment, found
    # complete, nothing sent.
    link = tmp_path / "link to.clone"
    link.symlink_to(clone, target_is_directory=True)
    nonce = w3.eth.get_transaction_count(Web3().eth.account.from_key(dev_key(0)).address)
    output = deploy(link, str(link / "scripts" / "deploy.py"))
    assert "deploy: done" in output
    assert w3.eth.get_transaction_count(Web3().eth.account.from_key(dev_key(0)).address) == nonce
    assert json.loads((manifest_dir / f"{CHAIN_ID}.json").read_text())["hromadas"] == manifest["hromadas"]

    # On a development chain that Brownie starts itself (it walks sys.modules while it does).
    output = deploy(link, str(link / "scripts" / "deploy.py"), DEV_NETWORK)
    assert "deploy: done" in output
    assert json.loads((manifest_dir / f"{DEV_CHAIN_ID}.json").read_text())["hromadas"]["dotville"]
