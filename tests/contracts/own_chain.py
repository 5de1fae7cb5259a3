"""Contract tests own their chain: they never share it with another run, and a refused revert is an error.

Brownie 1.22 starts a development network's node (Ganache on 8555, Anvil on 8556) unless something already
answers on that port, and then it *attaches* to it ("Attached to local RPC client listening at ..."). Two
runs at once on one node then undo each other: each reverts to its own snapshots (Ganache numbers
snapshots by their place in one list, reused after every revert, so one run's revert deletes or replaces
the other's), and both send from the same accounts ("transaction underpriced", "Tx dropped without known
replacement"). And `brownie.network.rpc.ganache.revert` (and `.anvil.revert`) ignore the node's answer, so
a revert the node refused went unnoticed: a stateful example started from the end of another while its
model started afresh. `make fuzz` met exactly this when a second `make test` attached to its Ganache
(docs/toolchain.md, "Fuzzing").

`install()` makes a refused revert an error naming the snapshot; `refuse_a_shared_node()` stops the run
before its first test when Brownie attached to a node it did not start.
"""

import pytest
from brownie.network import rpc
from brownie.network.rpc import anvil, ganache
from brownie.network.web3 import web3


class RevertNotDone(RuntimeError):
    """Raised when the node did not revert to the snapshot asked for."""


def _checked_revert(request):
    def revert(snapshot_id) -> None:
        if request("evm_revert", [snapshot_id]) is not True:
            raise RevertNotDone(
                f"evm_revert({snapshot_id}) was refused: the node no longer holds that snapshot (is another "
                f"run using this node?), and the chain stayed at block {web3.eth.block_number}"
            )

    return revert


def install() -> None:
    ganache.revert = _checked_revert(ganache._request)
    anvil.revert = _checked_revert(anvil._request)


def refuse_a_shared_node() -> None:
    if rpc.is_active() and not rpc.is_child():
        pytest.exit(
            f"a node already answers at {web3.provider.endpoint_uri} and Brownie attached to it instead of "
            "starting its own: another test run (make test, make fuzz, bin/brownie test) is using this "
            "network. Wait for it to finish; two runs on one node undo each other's snapshots and nonces.",
            returncode=3,
        )
