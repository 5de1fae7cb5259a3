"""Views read a few hundred at a time through ViewBatch (one eth_call with a state override) answer exactly
as views read one eth_call each; a node that refuses overrides is read view by view, and the audit agrees."""

from __future__ import annotations

import pytest
from audit_history import HonestHistory
from eth_abi.abi import encode as abi_encode
from limiting_proxy import LimitingProxy

from cts.audit.abi import decode_view_batch, encode_view_batch
from cts.audit.rpc import RpcClient
from cts.audit.views import View, ViewReader
from cts.cli import main


def test_the_batch_calldata_is_the_abi_encoding() -> None:
    calls = [
        ("0x" + "11" * 20, b""),
        ("0x" + "ab" * 20, bytes(range(4))),
        ("0x" + "cd" * 20, bytes(range(33))),
        ("0x" + "ef" * 20, bytes(64)),
    ]
    encoded = bytes.fromhex(encode_view_batch(calls)[2:])
    assert encoded[4:] == abi_encode(["(address,bytes)[]"], [[(a, d) for a, d in calls]])
    assert bytes.fromhex(encode_view_batch([])[2:])[4:] == abi_encode(["(address,bytes)[]"], [[]])


def test_the_batch_answer_is_parsed_as_the_abi_decodes_it() -> None:
    answers = [(True, b""), (False, bytes(range(4))), (True, bytes(range(33))), (True, bytes(64))]
    encoded = "0x" + abi_encode(["(bool,bytes)[]"], [answers]).hex()
    assert decode_view_batch(encoded) == answers
    assert decode_view_batch("0x" + abi_encode(["(bool,bytes)[]"], [[]]).hex()) == []


# The last answer's 70 bytes are padded to 96: cutting 27 bytes or more cuts into them.
@pytest.mark.parametrize("cut", [27, 64, 200, 470])
def test_a_truncated_batch_answer_is_refused_not_misread(cut: int) -> None:
    answers = [(True, bytes(range(40))), (True, bytes(range(70)))]
    encoded = "0x" + abi_encode(["(bool,bytes)[]"], [answers]).hex()
    with pytest.raises(ValueError):
        decode_view_batch(encoded[: -2 * cut])


def _views(honest: HonestHistory) -> list[View]:
    residents = [*honest.residents, honest.migrated_to, "0x" + "00" * 19 + "01"]
    views = [View("token", "balanceOf", (address,)) for address in residents]
    views += [View("registry", "residentOf", (address,)) for address in residents]
    views += [View("usefulCases", "caseOf", (case,)) for case in (1, 2, 3, 10**6)]  # the last is unknown
    views += [View("usefulCases", "programme", (1,)), View("usefulCases", "verifiersOf", (1,))]
    views += [View("usefulCases", "programme", (10**6,))]  # reverts
    views += [View("balancedVote", "voterOf", (1, resident)) for resident in range(1, 6)]
    views += [View("fund", "ledger"), View("balancedVote", "previewAllocation", (1,))]
    return views


def test_views_in_one_call_answer_as_views_one_call_each(honest: HonestHistory, rpc_url: str) -> None:
    views = _views(honest)
    contracts = honest.handles.entry.contracts
    with RpcClient(rpc_url) as batched_client, RpcClient(rpc_url) as plain_client:
        block = batched_client.block_number()
        batched = ViewReader(batched_client, contracts, block)
        plain = ViewReader(plain_client, contracts, block)
        plain.batched = False
        sent = batched_client.requests_sent, plain_client.requests_sent
        ours, theirs = batched.read(views), plain.read(views)
        assert batched.batched is True
        # One eth_call for all the views, as the plain reader's one JSON-RPC batch of len(views) eth_calls.
        assert (batched_client.requests_sent, plain_client.requests_sent) == (sent[0] + 1, sent[1] + 1)
    assert [a.ok for a in ours] == [a.ok for a in theirs]
    assert [a.value for a in ours] == [a.value for a in theirs]
    failed = [(view, a, b) for view, a, b in zip(views, ours, theirs, strict=True) if not a.ok]
    assert {view.args for view, _, _ in failed} == {(10**6,)}  # the unknown case and programme
    for _, a, b in failed:
        revert_data = a.failure.rsplit(" data ", 1)[1] if a.failure else ""
        assert len(revert_data) >= 10 and revert_data in (b.failure or "")


@pytest.mark.parametrize("workers", [1, 4])
def test_a_node_without_overrides_is_read_view_by_view_and_the_audit_agrees(
    honest: HonestHistory, rpc_url: str, capsys: pytest.CaptureFixture[str], workers: int
) -> None:
    contracts = honest.handles.entry.contracts
    with LimitingProxy(rpc_url, max_range=10**9, refuse_overrides=True) as proxy:
        with RpcClient(proxy.url) as client:
            reader = ViewReader(client, contracts, client.block_number(), batch_size=5, workers=workers)
            answers = reader.read(_views(honest))
        assert reader.batched is False and sum(a.ok for a in answers) == len(answers) - 2
        # Refused once, then never asked again (batches already in flight may each be refused once).
        assert 1 <= proxy.refused_overrides <= workers
        code = main(["audit", "--rpc", proxy.url, "--hromada", honest.handles.token.address, "--quiet"])
    assert code == 0, capsys.readouterr().out
