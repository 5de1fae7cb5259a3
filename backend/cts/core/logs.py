"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to.

Every request gets an id (the caller's ``X-Request-ID`` when it is well-formed, else a fresh one), returned
in the response's ``X-Request-ID`` header and put in every log line written while the request is handled,
so one grep finds all of a request's lines, in the API and in the proxy in front of it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy or a client typically sends (a UUID, a hex or base64url token): anything else, too long or
# with characters that could forge a log line or a header, is replaced by a fresh id, never echoed.
_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,128}")

request_id_var: ContextVar[str | None] = ContextVar("cts_request_id", default=None)
access_logger = logging.getLogger("cts.access")

# The attributes every LogRecord has, and uvicorn's terminal colours; the rest came from `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id", "color_message"}


def request_id_of(header: str | None) -> str:
    """The caller's id if well-formed, else a new one (32 hex digits)."""
    if header is not None and _WELL_FORMED.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (None outside a request) on every record a handler emits."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON: time (UTC, ISO 8601), level, logger, message, request id, and
    whatever the caller passed in ``extra=``; an exception's traceback under "exc_info"."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                line[name] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a record is emitted, not the one it was made with: a command run
    in-process by a test would otherwise keep writing to that test's captured stream after it was closed."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        return sys.stderr


def configure_logging(json_lines: bool, level: int = logging.INFO) -> None:
    """The root logger writes to stderr: JSON lines (the services) or plain text (the tools run by hand)."""
    handler = StderrHandler()
    handler.addFilter(RequestIdFilter())
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for chatty in ("httpx", "alembic", "web3", "urllib3"):  # a line per request or migration step otherwise
        logging.getLogger(chatty).setLevel(logging.WARNING)


class RequestIdMiddleware:
    """Gives each HTTP request its id (in a context variable, which the request's log lines read), returns
    it in the response header, and logs one access line per request (method, path, status, duration)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = request_id_of(incoming)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500  # if the app fails before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_logger.info(
                "%s %s %d",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],  # never the query string: it may carry a token
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            request_id_var.reset(token)
