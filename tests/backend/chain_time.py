"""Small helpers for stories acted out with web3 on the test chain: a label's hash, the chain's clock, and
moving it on (the audit's, the delivery's and the co-financing's histories)."""

from __future__ import annotations

from eth_utils.crypto import keccak
from web3 import Web3

DAY = 24 * 60 * 60


def h(label: str) -> bytes:
    return keccak(text=label)


def travel(w3: Web3, seconds: int) -> None:
    w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def now(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])
