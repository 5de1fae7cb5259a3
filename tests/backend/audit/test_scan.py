"""Log scans in bounded ranges against a node that behaves like a public provider.

`LimitingProxy` (limiting_proxy.py) refuses eth_getLogs over too many blocks and answers some requests with
HTTP 503. The scan must halve its ranges, retry, and still read exactly the logs that one unlimited request
reads, with several ranges in flight at once.
"""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
from audit_history import HonestHistory
from limiting_proxy import LimitingProxy

from cts.audit.errors import RetriesExhaustedError
from cts.audit.rpc import RpcClient
from cts.audit.scan import ScanStats, scan_logs
from cts.cli import main


@pytest.fixture
def addresses(honest: HonestHistory) -> list[str]:
    return list(honest.handles.entry.contracts.values())


def _scan(
    client: RpcClient, addresses: list[str], start: int, end: int, chunk: int
) -> tuple[list[Any], ScanStats]:
    stats = ScanStats(start, end)
    logs = [log for part in scan_logs(client, addresses, start, end, stats, chunk=chunk) for log in part]
    return logs, stats


def test_refused_ranges_are_halved_and_failures_retried_without_losing_a_log(
    honest: HonestHistory, rpc_url: str, addresses: list[str]
) -> None:
    start, end = honest.handles.entry.block or 0, honest.last_block
    with RpcClient(rpc_url) as direct:
        expected = direct.get_logs(start, end, addresses)
    with (
        LimitingProxy(rpc_url, max_range=7, fail_every=4) as proxy,
        RpcClient(proxy.url, backoff=0.001) as client,
    ):
        logs, stats = _scan(client, addresses, start, end, chunk=2_000)
    assert [(log["blockNumber"], log["logIndex"]) for log in logs] == [
        (log["blockNumber"], log["logIndex"]) for log in expected
    ]
    assert stats.logs == len(expected) > 200
    assert stats.halvings >= 5 and proxy.refused_ranges == stats.halvings
    assert stats.smallest_span <= 7
    assert proxy.failures > 0 and client.retried == proxy.failures


def test_a_small_chunk_pages_the_scan(honest: HonestHistory, rpc_url: str, addresses: list[str]) -> None:
    start, end = honest.handles.entry.block or 0, honest.last_block
    with RpcClient(rpc_url) as client:
        logs, stats = _scan(client, addresses, start, end, chunk=10)
        assert len(logs) == len(client.get_logs(start, end, addresses))
    assert stats.ranges == -(-(end - start + 1) // 10)


def test_a_node_that_keeps_failing_is_reported_after_the_retries(rpc_url: str, addresses: list[str]) -> None:
    with (
        LimitingProxy(rpc_url, max_range=10, fail_every=1) as proxy,
        RpcClient(proxy.url, retries=3, backoff=0.001) as client,
        pytest.raises(RetriesExhaustedError, match="eth_getLogs failed 3 times"),
    ):
        _scan(client, addresses, 0, 5, chunk=5)


def test_the_audit_agrees_through_a_limiting_provider(
    honest: HonestHistory, rpc_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with LimitingProxy(rpc_url, max_range=16) as proxy:
        code = main(["audit", "--rpc", proxy.url, "--hromada", honest.handles.token.address, "--quiet"])
    assert code == 0, capsys.readouterr().out
    assert proxy.refused_ranges > 0


def test_an_answer_is_not_left_for_the_cyclic_collector(
    honest: HonestHistory, rpc_url: str, addresses: list[str]
) -> None:
    """httpx's response object sits in a reference cycle with its stream. The client reads each body as a
    stream instead of keeping it on the response, so that the megabytes of a log range are freed once they
    are parsed, not when the cyclic collector next runs (the audit runs it seldom)."""
    start, end = honest.handles.entry.block or 0, honest.last_block
    gc.collect()
    gc.disable()
    try:
        with RpcClient(rpc_url) as client:
            logs = client.get_logs(start, end, addresses)
        size = len(json.dumps(logs))
        del logs
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        # Bytes are not tracked by the collector themselves: look for them among what the garbage holds.
        held = [r for o in gc.garbage for r in gc.get_referents(o)]
        bodies = [r for r in held if isinstance(r, bytes | bytearray) and len(r) > size // 2]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert size > 50_000 and bodies == []
