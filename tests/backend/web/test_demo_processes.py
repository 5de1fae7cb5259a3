"""`cts demo` as a user runs it: the chain, the API, the relayer worker and the notifications in processes of
their own, a child that dies restarted while the others go on, the master key kept in a file, and Ctrl-C
stopping them all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import select

from cts.chain.client import wait_until
from cts.chain.localnode import free_port
from cts.core.db import build_engine, build_session_factory
from cts.models import User
from cts.web.demo import DemoFiles, Driver, relayer_for

CTS = str(Path(sys.executable).with_name("cts"))


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def ids(folder: Path) -> dict[str, int]:
    result: dict[str, int] = json.loads((folder / "processes.json").read_text())
    return result


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def demo_driver(folder: Path) -> Driver:
    """Acts in the running demo as its pages do (through the relayer service, which only queues), and
    waits for the demo's own worker process to send it."""
    environment = dict(
        line.split("=", 1) for line in (folder / "demo.env").read_text().splitlines() if "=" in line
    )
    settings = DemoFiles(folder, environment["CTS_RPC_URL"]).settings()
    factory = build_session_factory(build_engine(settings.database_url))
    return Driver(settings, factory, relayer_for(settings, factory, "rudky"), timeout=60)


def user(driver: Driver, email: str) -> User:
    with driver.session_factory() as session:
        found = session.scalars(select(User).where(User.email == email)).one()
        _ = found.wallet.address
        session.expunge_all()
        return found


def test_the_demo_runs_its_parts_as_processes_restarts_a_dead_one_and_stops_them_all(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    port = free_port()
    output = tmp_path / "demo.out"
    with open(output, "w") as log:
        demo = subprocess.Popen(
            [CTS, "demo", "--var", str(folder), "--port", str(port), "--chain-port", str(free_port())],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    said: Callable[[], str] = output.read_text
    seen: set[int] = set()
    try:
        assert wait_until(lambda: "CTS demo is ready" in said() or demo.poll() is not None, timeout=300)
        assert demo.poll() is None, said()
        for secret in ("master-key", "sponsor-keys"):
            assert (folder / secret).stat().st_mode & 0o777 == 0o600
            assert (folder / secret).read_text().strip() not in said()
        assert "CTS_MASTER_KEY_FILE=" in (folder / "demo.env").read_text()
        first = ids(folder)
        assert set(first) == {"api", "worker", "notify", "chain"} and all(
            alive(pid) for pid in first.values()
        )
        assert len(set(first.values())) == 4 and demo.pid not in first.values()
        seen.update(first.values())
        docs = f"http://127.0.0.1:{port}/api/docs"
        assert answers(docs)

        # The API dies: the demo starts it again; the worker is not touched.
        os.kill(first["api"], signal.SIGKILL)
        assert wait_until(lambda: ids(folder)["api"] != first["api"] and answers(docs), timeout=60)
        assert ids(folder)["worker"] == first["worker"] and alive(first["worker"])
        seen.add(ids(folder)["api"])
        assert "api exited" in said()

        # The worker dies: the demo starts it again, and an action queued now is sent by the new one.
        driver = demo_driver(folder)
        olena = user(driver, "olena@rudky.demo.example")
        os.kill(first["worker"], signal.SIGKILL)
        assert wait_until(lambda: ids(folder)["worker"] != first["worker"], timeout=30)
        seen.add(ids(folder)["worker"])
        assert alive(ids(folder)["worker"])
        vote = driver.hromada.vote.functions
        # The demo's round open for voting (round 1 is last year's; the co-financed one is open for pitching).
        (voting,) = [n for n in range(1, int(vote.roundCount().call()) + 1) if vote.roundState(n).call() == 3]
        credits = vote.tally(voting, 1).call()[1]
        driver.do(olena, vote.castBallot(voting, [1], [2]))
        assert vote.tally(voting, 1).call()[1] == credits + 2
        assert "worker exited" in said()

        # Ctrl-C: every child stops with the demo, the chain too.
        os.killpg(demo.pid, signal.SIGINT)
        assert demo.wait(timeout=60) == 0, said()
        assert wait_until(lambda: not any(alive(pid) for pid in seen), timeout=15), [
            pid for pid in seen if alive(pid)
        ]
        assert not answers(docs)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)  # its children follow it (their parent-death signal)
            demo.wait(timeout=30)
        time.sleep(0.5)
        for pid in seen:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
