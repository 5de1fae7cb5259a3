"""Log scans in bounded ranges against a node that behaves like a public provider.

`LimitingProxy` is a real JSON-RPC endpoint in front of the test chain that enforces what hosted providers
enforce: it refuses eth_getLogs over more than `max_range` blocks ("query returned more than 10000
results") and answers every `fail_every`-th request with HTTP 503. The scan must halve its ranges, retry,
and still read exactly the logs that one unlimited request reads.
"""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from audit_history import HonestHistory

from cts.audit.errors import RetriesExhaustedError
from cts.audit.rpc import RpcClient
from cts.audit.scan import ScanStats, scan_logs
from cts.cli import main


class LimitingProxy:
    def __init__(self, upstream: str, max_range: int, fail_every: int = 0) -> None:
        self.upstream = upstream
        self.max_range = max_range
        self.fail_every = fail_every
        self.requests = itertools.count(1)
        self.refused_ranges = 0
        self.failures = 0
        self.http = httpx.Client(timeout=30)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, answer = proxy.answer(json.loads(body))
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, request: Any) -> tuple[int, Any]:
        if self.fail_every and next(self.requests) % self.fail_every == 0:
            self.failures += 1
            return 503, {"message": "service unavailable"}
        single = request if isinstance(request, dict) else None
        if single is not None and single.get("method") == "eth_getLogs":
            query = single["params"][0]
            span = int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1
            if span > self.max_range:
                self.refused_ranges += 1
                error = {"code": -32005, "message": "query returned more than 10000 results"}
                return 200, {"jsonrpc": "2.0", "id": single["id"], "error": error}
        return 200, self.http.post(self.upstream, json=request).json()

    def __enter__(self) -> LimitingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.http.close()


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
