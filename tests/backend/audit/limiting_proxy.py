"""A real JSON-RPC endpoint in front of the test chain that behaves like a public provider.

`LimitingProxy` enforces what hosted providers enforce: it refuses eth_getLogs over more than `max_range`
blocks ("query returned more than 10000 results"), answers every `fail_every`-th request with HTTP 503, and
with `refuse_overrides` refuses an eth_call that carries a state override, as a node without them does.
"""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class LimitingProxy:
    def __init__(
        self, upstream: str, max_range: int, fail_every: int = 0, refuse_overrides: bool = False
    ) -> None:
        self.upstream = upstream
        self.max_range = max_range
        self.refuse_overrides = refuse_overrides
        self.refused_overrides = 0
        self.fail_every = fail_every
        self.requests = itertools.count(1)
        self.refused_ranges = 0
        self.failures = 0
        # The scan sends several ranges at once: the handler threads count under a lock.
        self.counting = threading.Lock()
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
        with self.counting:
            failing = bool(self.fail_every) and next(self.requests) % self.fail_every == 0
            self.failures += failing
        if failing:
            return 503, {"message": "service unavailable"}
        single = request if isinstance(request, dict) else None
        overriding = single is not None and single.get("method") == "eth_call" and len(single["params"]) > 2
        if self.refuse_overrides and single is not None and overriding:
            with self.counting:
                self.refused_overrides += 1
            error = {"code": -32602, "message": "too many arguments, want at most 2"}
            return 200, {"jsonrpc": "2.0", "id": single["id"], "error": error}
        if single is not None and single.get("method") == "eth_getLogs":
            query = single["params"][0]
            span = int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1
            if span > self.max_range:
                with self.counting:
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
