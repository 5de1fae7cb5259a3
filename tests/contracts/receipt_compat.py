"""Brownie 1.22 and Anvil under load: a mined transaction taken for dropped.

Brownie confirms a transaction in `TransactionReceipt._await_confirmation` (run for every transaction
it sends): when the sender's nonce has moved past the transaction's and the receipt is not there, it
declares the transaction "dropped without known replacement". A busy Anvil counts the nonce as used a
moment before it serves the receipt (the relayer met the same window: docs/relayer.md, "Never
twice"), and a test then fails on a transaction that was mined. `install()` waits for the receipt before
Brownie's own check runs, and gives up (Brownie then says "dropped") only when the nonce has moved past
the transaction's for thirty seconds with no receipt; everything else is Brownie's own code.

A first version waited only while the nonce had already moved: when the nonce moved just after that
check, Brownie's first read saw it moved and no receipt, and a mined transaction was "dropped" again
(test_gas_snapshot.py on Anvil, a fresh-clone run of session 25).
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
        moved_at = None  # when the sender's nonce was first seen past this transaction's
        while not _receipt_is_there(self.txid):
            if moved_at is None and web3.eth.get_transaction_count(str(self.sender)) > self.nonce:
                moved_at = time.monotonic()
            if moved_at is not None and time.monotonic() - moved_at > PATIENCE_SECONDS:
                break  # replaced or dropped for real: Brownie's own check says so
            time.sleep(0.05)
    _brownie_await_confirmation(self, block_number, required_confs)


def install() -> None:
    transaction.TransactionReceipt._await_confirmation = _await_confirmation
