"""Chain fixtures: a fresh hromada per test module, on the session's shared deployment."""

from __future__ import annotations

import itertools

import pytest
from web3 import Web3

from cts.chain.client import HromadaHandles, Sender
from cts.chain.deploy import HromadaSpec, onboard
from cts.chain.manifest import Manifest

_names = itertools.count(1)


@pytest.fixture(scope="module")
def hromada(deployer: Sender, shared_manifest: Manifest, w3: Web3) -> HromadaHandles:
    """A new hromada (council = account 0, registrar = account 1) for each test module."""
    n = next(_names)
    return onboard(
        deployer,
        shared_manifest,
        HromadaSpec(
            key=f"h{n}", name=f"Hromada {n}", council=w3.eth.accounts[0], registrar=w3.eth.accounts[1]
        ),
    )
