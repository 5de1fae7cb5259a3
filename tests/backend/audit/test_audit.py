"""`cts audit` on a real chain: it agrees with an honest history and names every figure the chain changes.

The dishonest chains are made by writing contract storage with the node's own RPC (anvil_setStorageAt on
Anvil, evm_setAccountStorageAt on Ganache), inside a snapshot that is reverted after the test. Storage slots
follow the contracts' declaration order (OpenZeppelin 5's upgradeable bases keep their state in ERC-7201
namespaces, so a contract's own variables start at slot 0); every test first checks that the slot holds
the value the view returns, so a wrong slot fails loudly instead of passing by accident.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest
from audit_history import DAY, PROPORTIONAL, HonestHistory, h, now, travel
from eth_utils.crypto import keccak
from web3 import Web3

from cts.audit.audit import OLDER_COLLECTIONS_EVERY, YOUNG_COLLECTION_EVERY, fewer_collections, run_audit
from cts.audit.errors import HromadaNotFoundError
from cts.audit.locate import locate_hromada
from cts.audit.rpc import RpcClient
from cts.chain.client import Sender
from cts.chain.manifest import Manifest
from cts.cli import main

MASK_128 = (1 << 128) - 1
# Storage slots of the contracts' own variables (see the contracts' declaration order).
# BalancedVote: registry 0, token 1, fund 2, coFinancing 3, _rounds 4, _projects 5, _tallies 6.
VOTE_PROJECTS_SLOT = 5
VOTE_TALLIES_SLOT = 6
FUND_LEDGER_SLOT = (
    4  # CommunityFund._ledger: registry 0, token 1, usefulCases 2, balancedVote 3, _ledger 4..12
)
# OpenZeppelin 5's ERC20 storage (ERC-7201 "openzeppelin.storage.ERC20"); _balances is its first member.
ERC20_STORAGE = 0x52C63247E1F47DB19D5CE0460030C497F067CA4CEBF71BA98EEADABE20BACE00


def mapping_slot(key: int | str, base: int) -> int:
    encoded_key = bytes.fromhex(key[2:].rjust(64, "0")) if isinstance(key, str) else key.to_bytes(32, "big")
    return int.from_bytes(keccak(encoded_key + base.to_bytes(32, "big")), "big")


def read_slot(w3: Web3, address: str, slot: int) -> int:
    return int.from_bytes(w3.eth.get_storage_at(address, slot), "big")


def write_slot(w3: Web3, address: str, slot: int, value: int) -> None:
    """Overwrite one storage word and mine a block, so that the state read at the new head includes it."""
    word = "0x" + value.to_bytes(32, "big").hex()
    key = "0x" + slot.to_bytes(32, "big").hex()
    client = w3.client_version.lower()
    method = "evm_setAccountStorageAt" if "ganache" in client else "anvil_setStorageAt"
    answer = w3.provider.make_request(method, [address, key, word])  # type: ignore[arg-type]
    assert "error" not in answer, answer
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def audit(rpc_url: str, *arguments: str) -> int:
    return main(["audit", "--rpc", rpc_url, "--quiet", *arguments])


def test_audit_agrees_with_an_honest_history(
    honest: HonestHistory, rpc_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "audit.json"
    assert audit(rpc_url, "--hromada", honest.handles.vote.address, "--json", str(out)) == 0
    printed = capsys.readouterr().out
    assert "AGREE:" in printed
    assert "round 1 (finalised, quadratic funding)" in printed
    assert "round 2 (cancelled, greedy by weight)" in printed
    report = json.loads(out.read_text())
    assert report["verdict"] == "agree" and report["differences"] == []
    assert report["checked"] > 300
    figures = report["figures"]
    # What the history did, as the audit recomputed it from events.
    assert figures["residents"] == {"registered": 8, "active": 7, "suspended": 1, "migrated": 1, "moved": 0}
    assert figures["moves"] == []
    assert [p["cases_approved"] for p in figures["programmes"]] == [11, 3]
    assert [p["cases_rejected"] for p in figures["programmes"]] == [1, 1]
    assert [p["cases_pending"] for p in figures["programmes"]] == [1, 0]
    assert figures["token"]["total_minted"] == 22 + 9
    rounds = {r["id"]: r for r in figures["rounds"]}
    assert rounds[1]["voters"] == 5 and rounds[1]["ballot_changes"] == 9
    assert rounds[2]["refunded_rv"] == 5 and rounds[2]["escrowed_now_rv"] == 1
    assert figures["token"]["held_by_vote_contract"] == 1
    assert [loan["status"] for loan in figures["fund"]["loans"]] == [
        "defaulted",
        "repaid",
        "rejected",
        "cancelled",
    ]
    assert figures["fund"]["ledger_identity_holds"]
    assert set(figures["fund"]["impact"]) == {"all", "1", "2"}


def test_the_collector_thresholds_are_restored_after_an_audit_that_agrees_or_fails(
    honest: HonestHistory, rpc_url: str
) -> None:
    """The audit runs Python's cyclic collector less often while it works (fewer_collections), and gives the
    process back its thresholds afterwards, also when it stops with an error (the web pages run audits in
    the service's own process)."""
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    with RpcClient(rpc_url) as client:
        original = client.block_number

        def block_number() -> int:
            seen.append(gc.get_threshold())
            return original()

        client.block_number = block_number  # type: ignore[method-assign]
        assert run_audit(client, honest.handles.vote.address).ok
        with pytest.raises(HromadaNotFoundError):
            run_audit(client, "0x000000000000000000000000000000000000dEaD")
    assert seen[0] == (YOUNG_COLLECTION_EVERY, *OLDER_COLLECTIONS_EVERY) != before
    assert gc.get_threshold() == before


def test_audits_that_overlap_in_two_threads_leave_the_collector_as_it_was() -> None:
    """Two audits of the web pages' threads: the first starts, the second starts, the first ends while the
    second still runs, then the second ends. The thresholds stay the audit's until the last one ends, then
    are the process's own again (not the audit's, which the second had found when it started)."""
    before = gc.get_threshold()
    first, second = fewer_collections(), fewer_collections()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold() == (YOUNG_COLLECTION_EVERY, *OLDER_COLLECTIONS_EVERY)
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before


def test_the_hromada_is_found_from_any_of_its_contracts(honest: HonestHistory, rpc_url: str) -> None:
    entry = honest.handles.entry
    with RpcClient(rpc_url) as client:
        for address in entry.contracts.values():
            found = locate_hromada(client, address)
            assert found.contracts == entry.contracts
            assert (
                found.start_block == entry.block
            )  # by bisection of eth_getCode, confirmed by the factory event
            assert found.name == entry.name and found.hromada_id == entry.hromada_id
            assert all(found.implementations.values())


def test_the_hromada_is_found_from_a_manifest(
    honest: HonestHistory, rpc_url: str, manifest_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = honest.handles.entry
    assert audit(rpc_url, "--hromada", str(manifest_path)) == 0  # its only hromada
    assert audit(rpc_url, "--manifest", str(manifest_path), "--hromada", entry.key) == 0
    assert audit(rpc_url, "--manifest", str(manifest_path), "--hromada", entry.name) == 0
    assert f"hromada {entry.name}" in capsys.readouterr().out


def test_a_manifest_for_another_chain_or_a_stranger_address_is_refused(
    honest: HonestHistory,
    rpc_url: str,
    audit_manifest: Manifest,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = audit_manifest.to_json()
    data["chain_id"] = 999
    other = tmp_path / "other-chain.json"
    other.write_text(json.dumps(data))
    assert audit(rpc_url, "--hromada", str(other)) == 2
    assert "is for chain 999" in capsys.readouterr().err
    assert audit(rpc_url, "--hromada", audit_manifest.forwarder) == 2
    assert "not a CTS contract" in capsys.readouterr().err
    with RpcClient(rpc_url) as client, pytest.raises(HromadaNotFoundError, match="no contract at"):
        locate_hromada(client, "0x000000000000000000000000000000000000dEaD")


def test_a_changed_funded_amount_is_named_with_both_values_and_the_block(
    w3: Web3, honest: HonestHistory, rpc_url: str, chain_snapshot: None, capsys: pytest.CaptureFixture[str]
) -> None:
    vote = honest.handles.vote
    funded = vote.functions.project(1, 2).call()[7]
    slot = mapping_slot(2, mapping_slot(1, VOTE_PROJECTS_SLOT)) + 3  # status, reasonCode, loanId, funded
    word = read_slot(w3, vote.address, slot)
    assert (word >> 88) & MASK_128 == funded
    write_slot(w3, vote.address, slot, (word & ~(MASK_128 << 88)) | ((funded + 12_345) << 88))
    block = w3.eth.block_number

    assert audit(rpc_url, "--hromada", vote.address) == 1
    printed = capsys.readouterr().out
    assert "DIFFER: 1 of" in printed
    assert (
        f"round 1, project 2: funded: expected {funded}, found {funded + 12_345} "
        f"(BalancedVote.project(1, 2).funded, block {block})"
    ) in printed


def test_a_changed_tally_weight_is_named(
    w3: Web3, honest: HonestHistory, rpc_url: str, chain_snapshot: None, capsys: pytest.CaptureFixture[str]
) -> None:
    vote = honest.handles.vote
    weight = vote.functions.tally(3, 1).call()[0]
    slot = mapping_slot(1, mapping_slot(3, VOTE_TALLIES_SLOT))  # weight (uint128) | credits | supporters
    word = read_slot(w3, vote.address, slot)
    assert word & MASK_128 == weight
    write_slot(w3, vote.address, slot, (word & ~MASK_128) | (weight + 1))

    assert audit(rpc_url, "--hromada", vote.address) == 1
    printed = capsys.readouterr().out
    expected = f"round 3, project 1, tally: weight: expected {weight}, found {weight + 1}"
    assert f"{expected} (BalancedVote.tally(3, 1).weight" in printed


def test_a_changed_fund_bucket_breaks_the_ledger_and_is_named(
    w3: Web3, honest: HonestHistory, rpc_url: str, chain_snapshot: None, capsys: pytest.CaptureFixture[str]
) -> None:
    fund = honest.handles.fund
    ledger = fund.functions.ledger().call()
    slot = FUND_LEDGER_SLOT + 1  # deposits, then available
    assert read_slot(w3, fund.address, slot) == ledger[1]
    write_slot(w3, fund.address, slot, ledger[1] + 100)

    assert audit(rpc_url, "--hromada", fund.address) == 1
    printed = capsys.readouterr().out
    expected = f"fund ledger: available: expected {ledger[1]}, found {ledger[1] + 100}"
    assert f"{expected} (CommunityFund.ledger().available" in printed
    assert (
        f"fund ledger identity on chain: deposits = sum of the other buckets: expected {ledger[0] + 100}"
        in printed
    )


def test_a_changed_rv_balance_is_named(
    w3: Web3, honest: HonestHistory, rpc_url: str, chain_snapshot: None, capsys: pytest.CaptureFixture[str]
) -> None:
    token = honest.handles.token
    holder = honest.residents[3]
    balance = token.functions.balanceOf(holder).call()
    slot = mapping_slot(holder, ERC20_STORAGE)
    assert read_slot(w3, token.address, slot) == balance
    write_slot(w3, token.address, slot, balance + 7)

    assert audit(rpc_url, "--hromada", token.address) == 1
    assert f"RV balance of {holder}: expected {balance}, found {balance + 7}" in capsys.readouterr().out


def test_a_finalisation_from_tampered_tallies_is_caught_in_its_events(
    w3: Web3, honest: HonestHistory, rpc_url: str, chain_snapshot: None
) -> None:
    """The chain itself acts on a tampered weight: its ProjectFunded and RoundFinalised events then
    disagree with the allocation that the ballots imply, and the audit says so, event by event."""
    council, voter, other = (
        Sender(w3, w3.eth.accounts[0]),
        Sender(w3, honest.residents[3]),
        Sender(w3, honest.residents[1]),
    )
    vote = honest.handles.vote
    t = now(w3)
    council.send(
        vote.functions.createRound(
            (20_000, t, t + DAY, t + 2 * DAY, t + 4 * DAY, 2, h("round-4"), (PROPORTIONAL, 1, 2, 0, False))
        )
    )
    voter.send(vote.functions.pitchProject(4, 15_000, h("r4-p1"), 0))
    other.send(vote.functions.pitchProject(4, 15_000, h("r4-p2"), 0))
    travel(w3, DAY + 1)
    council.send(vote.functions.screenProject(4, 1, True, 0))
    council.send(vote.functions.screenProject(4, 2, True, 0))
    travel(w3, DAY + 1)
    voter.send(vote.functions.castBallot(4, [1, 2], [1, 1]))
    slot = mapping_slot(2, mapping_slot(4, VOTE_TALLIES_SLOT))
    word = read_slot(w3, vote.address, slot)
    write_slot(
        w3, vote.address, slot, (word & ~MASK_128) | (3 * (word & MASK_128))
    )  # project 2 triples its weight
    travel(w3, 2 * DAY + 1)
    council.send(vote.functions.finalise(4))

    with RpcClient(rpc_url) as client:
        result = run_audit(client, vote.address)
    by_source = {(d.figure, d.source.split(" event")[0]) for d in result.differences}
    assert ("round 4, project 1: funded (kopiyky)", "BalancedVote.ProjectFunded") in by_source
    assert ("round 4, project 2: weight", "BalancedVote.ProjectFunded") in by_source
    assert ("round 4, project 2, tally: weight", "BalancedVote.tally(4, 2).weight") in {
        (d.figure, d.source) for d in result.differences
    }
    # Both projects got 1 credit from the same voter: equal weights, equal shares of the 20,000 fund.
    funded = {d.figure: d.expected for d in result.differences if d.figure.endswith("funded (kopiyky)")}
    assert funded["round 4, project 1: funded (kopiyky)"] == 10_000
