"""Every request has an id: the caller's X-Request-ID when well-formed, else a fresh one; it comes back in the
response header and is in every JSON log line written while the request is handled."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI

from cts.core.logs import JsonFormatter, RequestIdFilter

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@pytest.fixture
def json_log(app: FastAPI) -> Iterator[io.StringIO]:
    """The root logger's lines as the services write them (cts.core.logs), into a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    client_log = logging.getLogger("httpx")  # the test's own client, not the service (quiet there too)
    old_client_level = client_log.level
    client_log.setLevel(logging.WARNING)

    # A route that logs, as the relayer's and the pages' code does while handling a request.
    @app.get("/api/test-logs")
    def logs() -> dict[str, str]:
        logging.getLogger("cts.test").warning("working on it", extra={"step": 2})
        return {"ok": "yes"}

    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        client_log.setLevel(old_client_level)


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_a_well_formed_request_id_is_kept_and_in_every_log_line(
    client: TestClient, json_log: io.StringIO
) -> None:
    incoming = "3f9c1b7e-5d2a-4c8e-9b0f-1a2b3c4d5e6f"
    response = client.get("/api/test-logs", headers={"X-Request-ID": incoming})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == incoming
    logged = lines(json_log)
    mine = [line for line in logged if line["request_id"] == incoming]
    assert [line["logger"] for line in mine] == ["cts.test", "cts.access"]
    assert mine[0]["message"] == "working on it" and mine[0]["step"] == 2 and mine[0]["level"] == "WARNING"
    assert mine[1]["status"] == 200 and mine[1]["path"] == "/api/test-logs" and mine[1]["method"] == "GET"
    assert all(line["request_id"] is not None for line in logged)  # nothing of the request logged without


def test_without_an_id_each_request_gets_its_own(client: TestClient, json_log: io.StringIO) -> None:
    first = client.get("/api/test-logs").headers["X-Request-ID"]
    second = client.get("/api/hromadas").headers["X-Request-ID"]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second
    ids = [line["request_id"] for line in lines(json_log)]
    assert ids == [first, first, second]


@pytest.mark.parametrize(
    "bad",
    [
        "short",  # too short to be unique
        "x" * 129,  # too long
        "abc def ghi",  # a space
        'id"},{"level":"ERROR"',  # a forged log field
        "id;drop table",  # anything outside letters, digits, . _ -
        "ідентифікатор-запиту",  # not ASCII
    ],
)
def test_a_malformed_request_id_is_replaced_not_echoed(
    client: TestClient, json_log: io.StringIO, bad: str
) -> None:
    response = client.get("/api/test-logs", headers={"X-Request-ID": bad.encode()})
    assert response.status_code == 200
    given = response.headers["X-Request-ID"]
    assert given != bad and len(given) == 32 and int(given, 16) >= 0
    logged = lines(json_log)
    assert {line["request_id"] for line in logged} == {given}
    assert bad not in json_log.getvalue()


def test_refused_and_failed_requests_have_ids_too(client: TestClient, json_log: io.StringIO) -> None:
    refused = client.get("/api/actions")  # not signed in
    assert refused.status_code == 401
    assert len(refused.headers["X-Request-ID"]) == 32
    assert lines(json_log)[-1]["status"] == 401
