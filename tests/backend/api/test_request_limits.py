"""One anonymous request must not stop the service (issue 14, point 1): a body nested 80,000 levels deep
made the `cts serve` process die with a segmentation fault. The server runs here as its own process, as
in production, so that a crash shows as a dead process rather than a dead test run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from cts.chain.localnode import free_port
from cts.core.limits import MAX_JSON_BYTES, MAX_JSON_DEPTH, RECURSION_LIMIT, json_depth

DEEP_BODY = b"[" * 80_000 + b"]" * 80_000  # 160 KB: what the outside probe sent


@pytest.fixture
def server(
    database_url: str, master_key: SecretStr, tmp_path: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {
        **os.environ,
        "CTS_DATABASE_URL": database_url,
        "CTS_MASTER_KEY": master_key.get_secret_value(),
        "CTS_VAR_DIR": str(tmp_path / "var"),
        "CTS_PASSWORD_HASH_TIME_COST": "1",
        "CTS_PASSWORD_HASH_MEMORY_KIB": "8",
        "CTS_PASSWORD_HASH_PARALLELISM": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "cts.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/openapi.json", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        assert time.monotonic() < deadline, "cts serve did not start"
        time.sleep(0.2)
    yield url, process
    process.terminate()
    process.wait(timeout=20)


@pytest.mark.parametrize("path", ["/api/auth/signup", "/api/auth/login", "/api/relay", "/api/cases"])
def test_a_deeply_nested_body_is_refused_and_the_server_lives(
    server: tuple[str, subprocess.Popen[bytes]], path: str
) -> None:
    url, process = server
    for content_type in ("application/json", None, "application/merge-patch+json"):
        headers = {"Idempotency-Key": "k" * 16, **({"Content-Type": content_type} if content_type else {})}
        response = httpx.post(url + path, content=DEEP_BODY, headers=headers, timeout=30)
        assert response.status_code in (400, 413), response.text
        assert response.json()["code"] in ("too_deeply_nested", "payload_too_large")
        assert process.poll() is None, "the server died"
    # Under the size limit, still too deep: refused for its depth, by name.
    shallow_enough = b"[" * 30_000 + b"]" * 30_000
    response = httpx.post(url + path, content=shallow_enough, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == "too_deeply_nested"
    assert httpx.get(f"{url}/api/openapi.json", timeout=10).status_code == 200


def test_a_body_too_large_is_refused_before_it_is_read(server: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, process = server
    big = b'{"login": "' + b"a" * (MAX_JSON_BYTES + 1) + b'", "password": "x"}'
    response = httpx.post(f"{url}/api/auth/login", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(200):
            yield b" " * 1024

    streamed = httpx.post(
        f"{url}/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"}, timeout=30
    )
    assert streamed.status_code == 413
    assert process.poll() is None
    # A normal request still works afterwards.
    login = httpx.post(f"{url}/api/auth/login", json={"login": "+380671234567", "password": "wrong password"})
    assert login.status_code == 401


def test_the_service_runs_with_pythons_own_recursion_limit() -> None:
    """The cause: importing the Ethereum libraries (py_ecc) raised the limit to 100,000, so the JSON parser
    overflowed the C stack before Python could raise RecursionError. A child process, so that a crash
    cannot take the test run with it."""
    script = (
        "import json, sys\n"
        "from cts.api.main import create_app\n"
        "from cts.core.limits import restore_recursion_limit\n"
        "restore_recursion_limit()\n"
        "print(sys.getrecursionlimit())\n"
        "try:\n"
        "    json.loads('[' * 80000 + ']' * 80000)\n"
        "except RecursionError:\n"
        "    print('RecursionError')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr  # -11 was the segmentation fault
    assert result.stdout.split() == [str(RECURSION_LIMIT), "RecursionError"]


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"", 0),
        (b'{"a": 1}', 1),
        (b'{"a": [{"b": []}]}', 4),
        (b'{"a": "[[[[[[[[[["}', 1),  # brackets inside a string do not count
        (b'{"a": "\\"[[[[["}', 1),  # nor after an escaped quote
        (b"]]]][", 1),  # malformed: never negative, never an error
        (b"[" * 40, 40),
    ],
)
def test_json_depth_is_measured_without_parsing(body: bytes, depth: int) -> None:
    assert json_depth(body) == depth
    assert MAX_JSON_DEPTH < 40
