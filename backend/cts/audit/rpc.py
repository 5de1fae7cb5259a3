"""A small JSON-RPC client for the audit: plain requests and batches, retried with backoff.

The audit talks to the node itself rather than through web3's middleware so that it controls exactly what
is retried (timeouts, dropped connections, HTTP 429 and 5xx, rate-limit answers), what means "this log
range is too large" (the scan halves it), and what is a real error. Batches keep tens of thousands of
view calls to a few hundred HTTP requests.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from cts.audit.errors import RangeTooLargeError, RetriesExhaustedError, RpcError, TransientRpcError

# What providers answer when an eth_getLogs range holds too many logs or spans too many blocks (Alchemy,
# Infura, QuickNode, Ankr, public nodes, geth's and erigon's own limits). Matched case-insensitively.
RANGE_TOO_LARGE_HINTS = (
    "too many",
    "more than",
    "query returned",
    "block range",
    "range is too",
    "range too",
    "exceed",
    "response size",
    "limit",
    "too large",
    "max results",
)
# JSON-RPC error codes that providers use for "slow down" or "try again".
TRANSIENT_CODES = {-32005, -32603, 429}
TRANSIENT_HINTS = (
    "rate limit",
    "timeout",
    "timed out",
    "try again",
    "temporarily",
    "header not found",
    "busy",
)
TRANSIENT_HTTP_STATUS = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class CallResult:
    """One answer of a batch: the result, or the node's error (a revert, for eth_call)."""

    result: Any = None
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def classify(method: str, error: dict[str, Any]) -> RpcError:
    """The audit's exception for a JSON-RPC error object."""
    code = error.get("code")
    message = str(error.get("message", ""))
    text = f"{message} {json.dumps(error.get('data', ''))}".lower()
    if "rate limit" in text or code == 429:
        return TransientRpcError(method, message, code)
    if method == "eth_getLogs" and any(hint in text for hint in RANGE_TOO_LARGE_HINTS):
        return RangeTooLargeError(method, message, code)
    if any(hint in text for hint in TRANSIENT_HINTS) or (code in TRANSIENT_CODES and method != "eth_call"):
        return TransientRpcError(method, message, code)
    return RpcError(method, message, code)


class RpcClient:
    """JSON-RPC over HTTP with retries: `retries` attempts, sleeping backoff, 2*backoff, 4*backoff..."""

    def __init__(
        self,
        url: str,
        timeout: float = 60,
        retries: int = 6,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.requests_sent = 0
        self.retried = 0
        # The scan and the view reader send from several threads; `x += 1` is not atomic between them.
        self._counting = threading.Lock()
        self._ids = itertools.count(1)
        self._http = httpx.Client(timeout=timeout, headers={"Content-Type": "application/json"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    def request(self, method: str, params: Sequence[Any]) -> Any:
        """One call; its result, or RpcError (RangeTooLargeError for a refused log range)."""
        return self._with_retries(method, lambda: self._request_once(method, params))

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[CallResult]:
        """Several calls in one HTTP request; per-call errors (reverts) come back, not raised."""
        if not calls:
            return []
        method = calls[0][0]
        return self._with_retries(method, lambda: self._batch_once(calls))  # type: ignore[no-any-return]

    def _with_retries(self, method: str, attempt: Callable[[], Any]) -> Any:
        last: Exception | None = None
        for number in range(self.retries):
            try:
                return attempt()
            except TransientRpcError as error:
                last = error
            if number + 1 < self.retries:
                with self._counting:
                    self.retried += 1
                self.sleep(self.backoff * 2**number)
        raise RetriesExhaustedError(f"{method} failed {self.retries} times; last error: {last}")

    def _post(self, method: str, payload: Any) -> Any:
        with self._counting:
            self.requests_sent += 1
        # The body is read as a stream, not kept on the response: httpx's response sits in a reference
        # cycle with its stream, so a body kept there (megabytes of logs) would wait for the cyclic collector,
        # which the audit runs seldom (cts.audit.audit.fewer_collections).
        try:
            with self._http.stream("POST", self.url, content=json.dumps(payload)) as response:
                status = response.status_code
                if status in TRANSIENT_HTTP_STATUS:
                    raise TransientRpcError(method, f"HTTP {status}", status)
                body = b"".join(response.iter_bytes())
        except (httpx.TimeoutException, httpx.TransportError) as error:
            raise TransientRpcError(method, f"{type(error).__name__}: {error}") from None
        try:
            return json.loads(body)
        except ValueError:
            if status >= 400:
                raise RpcError(method, f"HTTP {status}", status) from None
            raise TransientRpcError(method, "the answer is not JSON") from None

    def _request_once(self, method: str, params: Sequence[Any]) -> Any:
        answer = self._post(
            method, {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        )
        if not isinstance(answer, dict):
            raise RpcError(method, f"unexpected answer: {str(answer)[:200]}")
        if answer.get("error") is not None:
            raise classify(method, answer["error"])
        return answer.get("result")

    def _batch_once(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[CallResult]:
        ids = [next(self._ids) for _ in calls]
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": p}
            for i, (m, p) in zip(ids, calls, strict=True)
        ]
        method = calls[0][0]
        answer = self._post(method, payload)
        if isinstance(answer, dict):  # the whole batch was refused
            raise classify(method, answer.get("error") or {"message": str(answer)[:200]})
        by_id = {item.get("id"): item for item in answer}
        results = []
        for i, (m, _) in zip(ids, calls, strict=True):
            item = by_id.get(i)
            if item is None:
                raise TransientRpcError(m, f"the batch answer lacks request {i}")
            error = item.get("error")
            if error is not None:
                classified = classify(m, error)
                if isinstance(classified, TransientRpcError):
                    raise classified
                results.append(CallResult(error=error))
            else:
                results.append(CallResult(result=item.get("result")))
        return results

    # ------------------------------------------------------------------ conveniences

    def chain_id(self) -> int:
        return int(self.request("eth_chainId", []), 16)

    def block_number(self) -> int:
        return int(self.request("eth_blockNumber", []), 16)

    def get_code(self, address: str, block: int | str = "latest") -> bytes:
        tag = hex(block) if isinstance(block, int) else block
        return bytes.fromhex(str(self.request("eth_getCode", [address, tag]))[2:])

    def get_logs(
        self, from_block: int, to_block: int, addresses: Sequence[str], topics: Sequence[Any] | None = None
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"fromBlock": hex(from_block), "toBlock": hex(to_block)}
        if addresses:
            params["address"] = list(addresses)
        if topics:
            params["topics"] = list(topics)
        result = self.request("eth_getLogs", [params])
        return list(result or [])

    def block_timestamps(self, blocks: Sequence[int], batch_size: int = 200) -> dict[int, int]:
        stamps: dict[int, int] = {}
        unique = sorted(set(blocks))
        for start in range(0, len(unique), batch_size):
            part = unique[start : start + batch_size]
            answers = self.batch([("eth_getBlockByNumber", [hex(b), False]) for b in part])
            for block, answer in zip(part, answers, strict=True):
                if answer.ok and answer.result:
                    stamps[block] = int(answer.result["timestamp"], 16)
        return stamps
