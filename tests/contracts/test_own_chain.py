"""Regression of what `make fuzz` found on Ganache: a second test run attached to the fuzzer's node, the two
undid each other's snapshots, and Brownie took every refused revert for done (own_chain.py)."""

import pytest
from brownie import chain, web3
from brownie.network.rpc import anvil, ganache
from own_chain import RevertNotDone

NEVER_TAKEN = hex(10**6)  # a snapshot id the node never gave out


def test_a_revert_the_node_refuses_is_an_error_and_the_chain_is_left_as_it_was(token):
    backend = ganache if "ganache" in web3.client_version.lower() else anvil
    height = chain.height
    with pytest.raises(RevertNotDone, match=f"evm_revert\\({NEVER_TAKEN}\\) was refused"):
        backend.revert(NEVER_TAKEN)
    assert chain.height == height
