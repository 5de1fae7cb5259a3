"""The chain goes away and comes back: queued actions wait and then complete; meanwhile residents see a
clear status and new actions get 503 with a retry hint."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import RelayEnv, build_env, h
from web3 import HTTPProvider, Web3

from cts.chain.client import Sender, wait_until
from cts.chain.deploy import deploy_shared
from cts.chain.localnode import LocalNode, free_port
from cts.core.config import Settings


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
                assert "waiting" in action["message"].lower()
            status = env.client.get("/api/relayer/status").json()
            assert status["chain_reachable"] is False and status["queued"] == len(ids)
            assert any("does not answer" in alert for alert in status["alerts"])
            refused = env.act(
                residents[0], "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("x")}
            )
            assert refused.status_code == 503 and "Retry-After" in refused.headers

            own_node.start()  # it comes back, with its chain
            assert wait_until(
                lambda: all(env.status(r, i)["status"] == "confirmed" for r, i in ids), timeout=60
            )
        finally:
            stop.set()
            worker.join(timeout=30)
        assert env.hromada.cases.functions.caseCount().call() == len(ids)
    env.worker.release_leases()
