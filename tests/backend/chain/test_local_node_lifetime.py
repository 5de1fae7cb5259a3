"""A local node started by the project goes when the process that started it goes: a test run, benchmark,
replay or demo killed outright (SIGKILL, so no clean-up of its own runs) leaves no node running, with
gigabytes of state after a large replay (issue 22)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

import httpx
import pytest

from cts.chain.client import wait_until

STARTER = """
import time
from cts.chain.localnode import LocalNode
node = LocalNode(kind=KIND).start()
print(node.url, node.process.pid, flush=True)
time.sleep(600)
"""


def answers(url: str) -> bool:
    try:
        payload = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
        return httpx.post(url, json=payload, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize("kind", ["anvil", "ganache"])
def test_a_node_stops_when_the_process_that_started_it_is_killed(kind: str) -> None:
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER.replace("KIND", repr(kind))], stdout=subprocess.PIPE, text=True
    )
    assert starter.stdout is not None
    url, pid = starter.stdout.readline().split()
    try:
        assert url.startswith("http://127.0.0.1:") and answers(url)
        starter.kill()
        starter.wait()
        assert wait_until(lambda: not answers(url), timeout=15), f"the {kind} node outlived its parent"
    finally:
        starter.kill()
        with contextlib.suppress(ProcessLookupError):  # when this test fails, it leaves nothing either
            os.killpg(int(pid), signal.SIGKILL)
