"""Declare the project's Brownie networks in ~/.brownie/network-config.yaml (idempotent).

Brownie keeps networks per user, not per project, so a fresh machine has none of ours.
Run with the Brownie environment's Python (``make`` does it). It rewrites only our own
entries and only when they differ, so running it again costs nothing.

Why our own networks rather than Brownie's ``development`` / ``ganache-cli``:
- Brownie starts Ganache with hardfork istanbul, which rejects PUSH0 (shanghai bytecode).
- Fixed ports apart from 8545, so a test run never attaches to the demo chain by accident.
- Fixed chain ids and mnemonic, so addresses in tests and manifests are reproducible.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml

# Moves every fixed port below by this much, so that two checkouts (each with its own HOME, where Brownie
# keeps its networks) can run their contract tests at once without one attaching to the other's node.
PORT_OFFSET = int(os.environ.get("CTS_TEST_PORT_OFFSET", "0"))

# The well-known development mnemonic (Hardhat/Anvil): never hold real funds with it.
DEV_MNEMONIC = "test test test test test test test test test test test junk"

_COMMON = {
    "evm_version": "shanghai",
    "mnemonic": DEV_MNEMONIC,
    "accounts": 20,
    "default_balance": 1_000_000,
    "gas_limit": 30_000_000,
}

DEVELOPMENT_NETWORKS = [
    {
        "name": "CTS Ganache 7 (shanghai, tests)",
        "id": "cts-ganache",
        # --logging.quiet: Brownie pipes Ganache's stdout and never reads it; a chatty
        # Ganache would fill the pipe and stall.
        "cmd": "ganache --logging.quiet",
        "host": "http://127.0.0.1",
        "cmd_settings": {**_COMMON, "port": 8555 + PORT_OFFSET, "chain_id": 1337, "network_id": 1337},
    },
    {
        "name": "CTS Anvil (shanghai, tests)",
        "id": "cts-anvil",
        # Nothing on disk: see backend/cts/chain/localnode.py (snapshots keep their own copy of the state).
        "cmd": "anvil --max-persisted-states 0",
        "host": "http://127.0.0.1",
        "cmd_settings": {**_COMMON, "port": 8556 + PORT_OFFSET, "chain_id": 31337},
    },
    {
        "name": "CTS Anvil with step traces (`make gas-trace`)",
        "id": "cts-anvil-trace",
        # --steps-tracing: without it, debug_traceTransaction has no steps (tests/contracts/gas_trace.py).
        "cmd": "anvil --max-persisted-states 0 --steps-tracing",
        "host": "http://127.0.0.1",
        "cmd_settings": {**_COMMON, "port": 8557 + PORT_OFFSET, "chain_id": 31337},
    },
    {
        "name": "CTS demo chain (Ganache 7, `make demo`)",
        "id": "cts-demo",
        "cmd": "ganache --logging.quiet",
        "host": "http://127.0.0.1",
        "cmd_settings": {**_COMMON, "port": 8545, "chain_id": 1337, "network_id": 1337},
    },
]


# Public testnets and L2s where hromadas are deployed (scripts/deploy.py). RPC URLs come from the
# environment (Brownie expands $VARS in `host`); explorers are used by publish_source with ETHERSCAN_TOKEN.
LIVE_NETWORKS = [
    {
        "name": "Sepolia (CTS)",
        "id": "cts-sepolia",
        "chainid": 11155111,
        "host": "$CTS_RPC_SEPOLIA",
        "explorer": "https://api.etherscan.io/v2/api?chainid=11155111",
    },
    {
        "name": "Base Sepolia (CTS)",
        "id": "cts-base-sepolia",
        "chainid": 84532,
        "host": "$CTS_RPC_BASE_SEPOLIA",
        "explorer": "https://api.etherscan.io/v2/api?chainid=84532",
    },
    {
        "name": "OP Sepolia (CTS)",
        "id": "cts-op-sepolia",
        "chainid": 11155420,
        "host": "$CTS_RPC_OP_SEPOLIA",
        "explorer": "https://api.etherscan.io/v2/api?chainid=11155420",
    },
    {
        "name": "Arbitrum Sepolia (CTS)",
        "id": "cts-arbitrum-sepolia",
        "chainid": 421614,
        "host": "$CTS_RPC_ARBITRUM_SEPOLIA",
        "explorer": "https://api.etherscan.io/v2/api?chainid=421614",
    },
    {
        "name": "Polygon Amoy (CTS)",
        "id": "cts-polygon-amoy",
        "chainid": 80002,
        "host": "$CTS_RPC_POLYGON_AMOY",
        "explorer": "https://api.etherscan.io/v2/api?chainid=80002",
    },
    # A local Anvil registered as a *live* network (no `cmd`: Brownie attaches, never starts it), with
    # its own chain id: the test of the public-network path (tests/backend/deploy).
    {
        "name": "Local chain as a live network (CTS tests)",
        "id": "cts-live-local",
        "chainid": 31999,
        "host": f"http://127.0.0.1:{8565 + PORT_OFFSET}",
    },
]
LIVE_GROUP = "CTS"


def network_config_path() -> Path:
    # Importing brownie creates ~/.brownie/network-config.yaml on a fresh machine.
    from brownie._config import _get_data_folder

    return _get_data_folder() / "network-config.yaml"


def merge(config: dict, wanted: list[dict]) -> bool:
    """Put each wanted network in the development section; return whether anything changed."""
    development = config.setdefault("development", []) or []
    config["development"] = development
    changed = False
    for network in wanted:
        index = next((i for i, n in enumerate(development) if n.get("id") == network["id"]), None)
        if index is None:
            development.append(network)
            changed = True
        elif development[index] != network:
            development[index] = network
            changed = True
    return changed


def merge_live(config: dict, wanted: list[dict]) -> bool:
    """Put each wanted network in our own group of the live section; return whether anything changed."""
    live = config.setdefault("live", []) or []
    config["live"] = live
    group = next((g for g in live if g.get("name") == LIVE_GROUP), None)
    if group is None:
        group = {"name": LIVE_GROUP, "networks": []}
        live.append(group)
    networks = group.setdefault("networks", [])
    changed = False
    for network in wanted:
        index = next((i for i, n in enumerate(networks) if n.get("id") == network["id"]), None)
        if index is None:
            networks.append(network)
            changed = True
        elif networks[index] != network:
            networks[index] = network
            changed = True
    return changed


def main() -> int:
    path = network_config_path()
    config = yaml.safe_load(path.read_text()) or {}
    changed_live = merge_live(config, LIVE_NETWORKS)
    if merge(config, DEVELOPMENT_NETWORKS) or changed_live:
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        ids = [n["id"] for n in DEVELOPMENT_NETWORKS + LIVE_NETWORKS]
        print(f"brownie networks: {', '.join(ids)} written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
