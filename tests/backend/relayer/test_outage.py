"""The chain goes away and comes back: queued actions wait and then complete; meanwhile residents see a
clear status and new actions get 503 with a retry hint."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RelayEnv, build_env, h
from web3 import HTTPProvider, Web3

from cts.chain.client import Sender, wait_until
from cts.chain.deploy import deploy_shared
from cts.chain.localnode import LocalNode, free_port
from cts.core.config import Settings
from cts.web.demo import Driver, relayer_for


@pytest.fixture
def own_node(tmp_path: Path) -> Iterator[LocalNode]:
    """A chain of this test's own that can be stopped and started again with its state (Anvil --state)."""
    node = LocalNode(kind="anvil", port=free_port(), state_path=tmp_path / "chain-state.json")
    node.start()
    yield node
    node.stop()


def test_actions_wait_while_the_chain_is_away_then_complete(
    own_node: LocalNode, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    w3 = Web3(HTTPProvider(own_node.url, request_kwargs={"timeout": 5}))
    deployer = Sender(w3, w3.eth.accounts[0])
    env: RelayEnv = build_env(make_settings, tmp_path, own_node.url, w3, deployer, deploy_shared(deployer))
    with env.client:
        residents = env.people.residents
        env.register(*residents)
        programme = env.open_programme()
        ids = []
        for n, resident in enumerate(residents):
            response = env.act(
                resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h(f"o{n}")}
            )
            assert response.status_code == 202
            ids.append((resident, response.json()["id"]))

        own_node.stop()  # the node goes away with the actions still queued
        stop = threading.Event()
        worker = threading.Thread(target=env.worker.run_forever, args=(stop,), daemon=True)
        worker.start()
        try:
            time.sleep(1.0)
            for resident, action_id in ids:
                action = env.status(resident, action_id)
                assert action["status"] == "queued"
                assert "чекає" in action["message"]  # "waiting", in the resident's language
            status = env.client.get(env.scoped("/api/relayer/status")).json()
            assert status["chain_reachable"] is False and status["queued"] == len(ids)
            assert any("does not answer" in alert for alert in status["alerts"])
            refused = env.act(
                residents[0], "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("x")}
            )
            assert refused.status_code == 503 and 1 <= int(refused.headers["Retry-After"]) <= 5

            own_node.start()  # it comes back, with its chain
            assert wait_until(
                lambda: all(env.status(r, i)["status"] == "confirmed" for r, i in ids), timeout=60
            )
        finally:
            stop.set()
            worker.join(timeout=30)
        assert env.hromada.cases.functions.caseCount().call() == len(ids)
    env.worker.release_leases()


def queue_cases(env: RelayEnv, label: str) -> tuple[int, list[tuple[Any, str]]]:
    residents = env.people.residents
    env.register(*residents)
    programme = env.open_programme()
    ids = []
    for n, resident in enumerate(residents):
        body = {"programme_id": programme, "evidence_hash": h(f"{label}{n}")}
        response = env.act(resident, "POST", "/api/cases", body)
        assert response.status_code == 202, response.text
        ids.append((resident, response.json()["id"]))
    return programme, ids


def all_confirmed(env: RelayEnv, ids: list[tuple[Any, str]]) -> bool:
    return all(env.status(resident, action_id)["status"] == "confirmed" for resident, action_id in ids)


def test_sending_resumes_within_two_seconds_of_the_nodes_return(
    own_node: LocalNode,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 10 s outage (long enough for the old back-off to reach 6.4 s): the worker asks the node every
    half second, so the queued actions are confirmed within 2 s of its return; the outage and the return
    are logged once each."""
    w3 = Web3(HTTPProvider(own_node.url, request_kwargs={"timeout": 5}))
    deployer = Sender(w3, w3.eth.accounts[0])
    env = build_env(make_settings, tmp_path, own_node.url, w3, deployer, deploy_shared(deployer))
    caplog.set_level(logging.WARNING, logger="cts.relayer.worker")
    with env.client:
        _, ids = queue_cases(env, "back-")
        own_node.stop()
        stop = threading.Event()
        worker = threading.Thread(target=env.worker.run_forever, args=(stop,), daemon=True)
        worker.start()
        try:
            time.sleep(10)
            assert not any(env.status(r, i)["status"] == "confirmed" for r, i in ids)
            own_node.start()  # returns once the node answers
            back = time.monotonic()
            assert wait_until(lambda: all_confirmed(env, ids), timeout=30, interval=0.05)
            resumed = time.monotonic() - back
        finally:
            stop.set()
            worker.join(timeout=30)
        assert resumed < 2, f"sending resumed {resumed:.2f} s after the node came back"
        lines = [r.getMessage() for r in caplog.records if r.name == "cts.relayer.worker"]
        assert sum("cannot be reached" in line for line in lines) == 1, lines
        assert sum("answers again" in line for line in lines) == 1, lines
    env.worker.release_leases()


def test_a_hung_node_is_an_outage_detected_by_timeout_and_sending_resumes_when_it_answers(
    own_node: LocalNode,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The node's process is stopped (SIGSTOP): connections are accepted, nothing is answered. Each call
    gives up after CTS_RPC_TIMEOUT_SECONDS: the worker logs the outage and waits, the API answers 503 with
    an honest Retry-After; after SIGCONT the queued actions are confirmed within 2 s."""
    assert own_node.process is not None
    w3 = Web3(HTTPProvider(own_node.url, request_kwargs={"timeout": 5}))
    deployer = Sender(w3, w3.eth.accounts[0])
    env = build_env(
        make_settings, tmp_path, own_node.url, w3, deployer, deploy_shared(deployer), rpc_timeout_seconds=1
    )
    caplog.set_level(logging.WARNING, logger="cts.relayer.worker")
    with env.client:
        programme, ids = queue_cases(env, "hung-")
        os.killpg(own_node.process.pid, signal.SIGSTOP)
        stop = threading.Event()
        worker = threading.Thread(target=env.worker.run_forever, args=(stop,), daemon=True)
        try:
            worker.start()
            started = time.monotonic()
            refused = env.act(
                env.people.residents[0],
                "POST",
                "/api/cases",
                {"programme_id": programme, "evidence_hash": h("z")},
            )
            answered = time.monotonic() - started
            assert refused.status_code == 503 and refused.json()["code"] == "chain_unavailable"
            assert 1 <= int(refused.headers["Retry-After"]) <= 5
            assert answered < 4, f"the API took {answered:.1f} s to say the chain is away"
            assert wait_until(
                lambda: any("did not answer in time" in r.getMessage() for r in caplog.records), timeout=10
            ), [r.getMessage() for r in caplog.records]
            time.sleep(2)
            assert not any(env.status(r, i)["status"] == "confirmed" for r, i in ids)
        finally:
            os.killpg(own_node.process.pid, signal.SIGCONT)
        back = time.monotonic()
        try:
            assert wait_until(lambda: all_confirmed(env, ids), timeout=30, interval=0.05)
            resumed = time.monotonic() - back
        finally:
            stop.set()
            worker.join(timeout=30)
        assert resumed < 2, f"sending resumed {resumed:.2f} s after the node answered again"
        assert env.hromada.cases.functions.caseCount().call() == len(ids)
    env.worker.release_leases()


def test_the_demo_and_replay_driver_rides_out_a_node_that_hangs_for_a_while(
    own_node: LocalNode, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """The driver of `cts demo` and `cts replay` runs worker passes itself. A pass whose call times out (the
    node hangs for longer than CTS_RPC_TIMEOUT_SECONDS) is run again, as the worker's own loop does, and
    every action is confirmed once the node answers; before, the timeout ended the whole replay."""
    assert own_node.process is not None
    w3 = Web3(HTTPProvider(own_node.url, request_kwargs={"timeout": 5}))
    deployer = Sender(w3, w3.eth.accounts[0])
    env = build_env(
        make_settings, tmp_path, own_node.url, w3, deployer, deploy_shared(deployer), rpc_timeout_seconds=1
    )
    with env.client:
        _, ids = queue_cases(env, "driver-")
        factory = env.app.state.session_factory
        driver = Driver(env.settings, factory, relayer_for(env.settings, factory, env.slug), env.worker, 30)
        os.killpg(own_node.process.pid, signal.SIGSTOP)
        resume = threading.Timer(2.5, os.killpg, (own_node.process.pid, signal.SIGCONT))
        resume.start()
        try:
            started = time.monotonic()
            driver.wait(*(action_id for _, action_id in ids))
        finally:
            resume.cancel()
            os.killpg(own_node.process.pid, signal.SIGCONT)
        assert time.monotonic() - started >= 2.5  # the passes during the hang timed out, and were run again
        assert all_confirmed(env, ids)
