"""Audit fixtures: CTS on the session's local chain and one honest hromada history, acted out once.

Tests that corrupt the chain (storage writes) do it inside `chain_snapshot`, which reverts the chain
afterwards, so every test sees the same honest history.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from audit_history import HonestHistory, act_out
from web3 import Web3

from cts.chain.client import Sender
from cts.chain.deploy import HromadaSpec, deploy_shared, onboard
from cts.chain.localnode import LocalNode
from cts.chain.manifest import Manifest


@pytest.fixture(scope="session")
def audit_manifest(w3: Web3) -> Manifest:
    return deploy_shared(Sender(w3, w3.eth.accounts[0]))


@pytest.fixture(scope="session")
def honest(w3: Web3, audit_manifest: Manifest) -> HonestHistory:
    """One hromada with a whole honest history (see audit_history.py)."""
    handles = onboard(
        Sender(w3, w3.eth.accounts[0]),
        audit_manifest,
        HromadaSpec(
            key="audited", name="Audited Hromada", council=w3.eth.accounts[0], registrar=w3.eth.accounts[1]
        ),
    )
    return act_out(w3, handles)


@pytest.fixture(scope="session")
def manifest_path(
    honest: HonestHistory, audit_manifest: Manifest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("manifest") / "deployment.json"
    audit_manifest.save(path)
    return path


@pytest.fixture
def chain_snapshot(w3: Web3, honest: HonestHistory) -> Iterator[None]:
    """Everything the test does to the chain is undone afterwards (evm_snapshot / evm_revert)."""
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    yield
    assert w3.provider.make_request("evm_revert", [snapshot])["result"]  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def rpc_url(node: LocalNode) -> str:
    return node.url
