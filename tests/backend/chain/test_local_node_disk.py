"""A local Anvil leaves nothing on disk: its history beyond the blocks it keeps in memory is dropped, not
written under ~/.foundry (where nothing removed it: 211 MB per `make test`, 74 GB in one long replay)."""

from __future__ import annotations

from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from cts.chain.localnode import LocalNode

IN_MEMORY_BLOCKS = 500  # Anvil's default; older states went to disk


def _files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def test_a_long_chain_writes_no_state_under_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with LocalNode(kind="anvil", chain_id=31337) as node:
        w3 = Web3(HTTPProvider(node.url))
        sender, receiver = w3.eth.accounts[:2]
        # Blocks with a state change each: Anvil keeps a state per block.
        for _ in range(IN_MEMORY_BLOCKS + 100):
            w3.eth.send_transaction({"from": sender, "to": receiver, "value": 1})
        assert w3.eth.block_number >= IN_MEMORY_BLOCKS + 100
        assert w3.eth.get_balance(receiver) == 10**24 + IN_MEMORY_BLOCKS + 100
        # Recent history is still there for the worker's reads at the head and a block before it.
        head = w3.eth.block_number
        assert w3.eth.get_balance(receiver, head - 1) == w3.eth.get_balance(receiver) - 1
        assert _files_under(tmp_path / ".foundry") == []
    assert _files_under(tmp_path / ".foundry") == []


def test_a_node_keeping_few_states_refuses_old_state_and_keeps_every_log(tmp_path: Path) -> None:
    recent = 8
    with LocalNode(kind="anvil", recent_states=recent) as node:
        w3 = Web3(HTTPProvider(node.url))
        sender, receiver = w3.eth.accounts[:2]
        start = w3.eth.block_number
        for _ in range(3 * recent):
            w3.eth.send_transaction({"from": sender, "to": receiver, "value": 1})
        head = w3.eth.block_number
        assert w3.eth.get_balance(receiver, head - 1) == w3.eth.get_balance(receiver) - 1
        # An old state is refused, never answered wrong.
        answer = w3.provider.make_request("eth_getBalance", [receiver, hex(start + 1)])  # type: ignore[arg-type]
        assert "BlockOutOfRangeError" in answer["error"]["message"]
        # Blocks and their transactions stay.
        blocks = [w3.eth.get_block(number) for number in range(start + 1, head + 1)]
        assert [len(block["transactions"]) for block in blocks] == [1] * (head - start)
    assert _files_under(tmp_path / ".foundry") == []
