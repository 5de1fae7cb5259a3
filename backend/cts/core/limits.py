"""Limits that keep one request from taking the service down: the interpreter's recursion limit, and the
size and nesting depth of a request body, checked before anything parses it.

Why both: ``py_ecc`` (imported by the Ethereum libraries) raises Python's recursion limit to 100,000 at
import. With that limit, parsing about 80,000 nested JSON brackets overflows the C stack before Python can
raise ``RecursionError``, and the process dies with a segmentation fault. Restoring the limit turns that
into an exception; refusing deep or large bodies before parsing means the parser never sees them.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

# CPython's own default. Nothing CTS runs needs more: Jinja2, pydantic and web3 stay far below it.
RECURSION_LIMIT = 1_000
# The deepest JSON any CTS endpoint accepts is 3 levels (a ballot's allocations); 32 leaves room for
# wallets and tools that wrap requests, and is far below what any parser struggles with.
MAX_JSON_DEPTH = 32
# The largest JSON body of the API (a programme with 32 verifiers, a batch of 200 case ids) is a few KiB.
MAX_JSON_BYTES = 64 * 1024


def max_form_bytes(evidence_max_bytes: int) -> int:
    """The largest form post: above the pages' own limit (two evidence files and the other fields, see
    ``cts.web.deps.read_form``), which answers with a page; this one only stops what no form can be."""
    return 2 * evidence_max_bytes + 2 * 1024 * 1024


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def restore_recursion_limit() -> None:
    """Import ``py_ecc`` now (its import raises the limit) and set the limit back to CPython's default.

    Call it once the service's modules are imported (``create_app``, the command line): an import after
    this call can no longer raise the limit behind our back, since ``py_ecc`` is already imported.
    """
    import py_ecc  # noqa: F401  (imported for its side effect, so that it happens before the reset)

    sys.setrecursionlimit(RECURSION_LIMIT)


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text, without parsing it (strings skipped).

    Linear in the body's length and iterative: safe on any input, including malformed JSON."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", body)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    return deepest


def _is_json(content_type: str) -> bool:
    """FastAPI parses a body as JSON when it has no content type or an application/(...+)json one."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class RequestLimitsMiddleware:
    """Refuse a request body that is too large (413) or JSON nested too deeply (400) before the
    application reads it. The body is read here, counted as it arrives, and handed on unchanged."""

    def __init__(self, app: ASGIApp, *, max_form_bytes: int) -> None:
        self.app = app
        self.max_form_bytes = max_form_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        is_json = _is_json(headers.get("content-type", ""))
        limit = MAX_JSON_BYTES if is_json else self.max_form_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send, 413, "payload_too_large", _too_large(limit))
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, send, 413, "payload_too_large", _too_large(limit))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if is_json and json_depth(body) > MAX_JSON_DEPTH:
            detail = f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)."
            await self._refuse(scope, send, 400, "too_deeply_nested", detail)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as the server would

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, status: int, code: str, detail: str) -> None:
        # The same shape as every API error; a page gets the sentence as plain text.
        if scope["path"] == "/api" or scope["path"].startswith("/api/"):
            body = json.dumps({"detail": detail, "code": code}).encode()
            content_type = b"application/json"
        else:
            body = detail.encode()
            content_type = b"text/plain; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                # The rest of an oversized body is not read: close rather than leave it in the connection.
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _too_large(limit: int) -> str:
    return f"The request body is too large (at most {limit // 1024} KiB)."
