"""Brownie 1.22 and Anvil under load: a mined transaction taken for dropped.

Brownie confirms a transaction in `TransactionReceipt._await_confirmation` (run for every transaction
it sends): when the sender's nonce has moved past the transaction's and the receipt is not there, it
declares the transaction "dropped without known replacement". A busy Anvil counts the nonce as used a
moment before it serves the receipt (the relayer met the same window: docs/relayer.md, "Never
twice"), and a test then fails on a transaction that was mined. `install()` lets the receipt trail
the nonce for up to thirty seconds before Brownie's own check runs; everything else is Brownie's own code.
"""

import time

from brownie.network import transaction
from brownie.network.web3 import web3
from web3.exceptions import TransactionNotFound

PATIENCE_SECONDS = 30.0  # 10 s was once too little with five test suites sharing two cores
_brownie_await_confirmation = transaction.TransactionReceipt._await_confirmation


def _receipt_is_there(txid: str) -> bool:
    try:
        return web3.eth.get_transaction_receipt(txid)["blockHash"] is not None
    except TransactionNotFound:
        return False


def _await_confirmation(self, block_number=None, required_confs: int = 1) -> None:
    if self.nonce is not None:
        deadline = time.monotonic() + PATIENCE_SECONDS
        while (
            time.monotonic() < deadline
            and web3.eth.get_transaction_count(str(self.sender)) > self.nonce
            and not _receipt_is_there(self.txid)
        ):
            time.sleep(0.1)
    _brownie_await_confirmation(self, block_number, required_confs)


def install() -> None:
    transaction.TransactionReceipt._await_confirmation = _await_confirmation
