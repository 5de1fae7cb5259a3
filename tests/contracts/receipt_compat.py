"""Brownie 1.22 and Anvil under load: a mined transaction taken for dropped.

`TransactionReceipt.wait` waits until the sender's nonce moves past the transaction's, then asks for the
transaction once; when that finds nothing it declares the transaction "dropped without known
replacement". A busy Anvil can count the nonce as used a moment before it serves the transaction (the
relayer met the same window: docs/relayer.md, "Never twice"), and a test then fails on a transaction that
was mined. `install()` makes `wait` ask again for a few seconds before it gives up; everything else is
Brownie's own code.
"""

import time

from brownie.network import transaction
from brownie.network.web3 import web3
from web3.exceptions import TransactionNotFound

PATIENCE_SECONDS = 10.0


def _wait(self, required_confs: int) -> None:
    if required_confs < 1:
        return
    if self.confirmations > required_confs:
        print(f"This transaction already has {self.confirmations} confirmations.")
        return
    if self.nonce is not None:
        while web3.eth.get_transaction_count(str(self.sender)) <= self.nonce:
            time.sleep(1)
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        try:
            tx: dict = web3.eth.get_transaction(self.txid)
            break
        except TransactionNotFound:
            if self.nonce is not None and time.monotonic() > deadline:
                self.status = transaction.Status(-2)
                self._confirmed.set()
                return
            time.sleep(0.1 if self.nonce is not None else 1)
    self._await_confirmation(tx["blockNumber"], required_confs)


def install() -> None:
    transaction.TransactionReceipt.wait = _wait
