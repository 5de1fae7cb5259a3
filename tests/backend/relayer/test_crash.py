"""Crash safety: the worker is killed with SIGKILL at each point between writing a batch down and recording
its receipt; after a restart every accepted action is executed on chain exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import RelayEnv, h
from sqlalchemy import select

from cts.models import Batch, BatchStatus, RelayAction

CTS = str(Path(sys.executable).with_name("cts"))


def worker_process(env: RelayEnv, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    """`cts relayer run --until-idle` in its own process, configured like the test's app."""
    settings = env.settings
    environment = {
        **os.environ,
        "CTS_ENVIRONMENT": settings.environment,
        "CTS_DATABASE_URL": settings.database_url,
        "CTS_MASTER_KEY": settings.master_key.get_secret_value(),
        "CTS_MANIFEST_PATH": str(settings.manifest_path),
        "CTS_RPC_URL": settings.rpc_url,
        "CTS_RELAYER_SPONSOR_KEYS": ",".join(settings.sponsor_keys()),
        "CTS_RELAYER_LEASE_SECONDS": "1",
        "CTS_RELAYER_POLL_SECONDS": "0.05",
    }
    environment.pop("CTS_RELAYER_FAULT", None)
    if fault:
        environment["CTS_RELAYER_FAULT"] = fault
    return subprocess.run(
        [CTS, "relayer", "run", "--until-idle", "--timeout", "60"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def submit(env: RelayEnv, label: str) -> str:
    resident = env.people.residents[0]
    response = env.act(resident, "POST", "/api/cases", {"programme_id": 1, "evidence_hash": h(label)})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def prepared(env: RelayEnv) -> Batch:
    with env.app.state.session_factory() as session:
        batch = session.scalars(select(Batch).order_by(Batch.id.desc())).first()
        assert batch is not None
        _ = batch.attempts
        session.expunge_all()
        return batch


def cases_of(env: RelayEnv, evidence: str) -> int:
    """How many CaseSubmitted events carry this evidence (the chain's own count of executions)."""
    cases = env.hromada.cases
    logs = cases.events.CaseSubmitted().get_logs(from_block=0)
    return sum(1 for log in logs if "0x" + log["args"]["evidenceHash"].hex() == h(evidence))


@pytest.fixture
def ready(env: RelayEnv) -> RelayEnv:
    env.register(env.people.residents[0])
    env.open_programme()
    env.worker.release_leases()
    return env


@pytest.mark.parametrize("fault", ["after_persist", "after_raw_send", "after_send"])
def test_killed_worker_restarts_and_every_action_runs_exactly_once(ready: RelayEnv, fault: str) -> None:
    env = ready
    action_id = submit(env, f"crash-{fault}")
    killed = worker_process(env, fault=fault)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]

    batch = prepared(env)
    attempt_hash = batch.attempts[-1].tx_hash
    sent = _known(env, attempt_hash)
    if fault == "after_persist":
        assert batch.status == BatchStatus.PREPARED and not sent  # written down, never sent
    elif fault == "after_raw_send":
        assert batch.status == BatchStatus.PREPARED and sent  # sent, but the outbox does not know it yet
    else:
        assert batch.status == BatchStatus.SENT and sent  # sent and marked; its receipt never recorded
    assert env.status(env.people.residents[0], action_id)["status"] == "submitted"

    time.sleep(1.2)  # the dead worker's lease on the sponsor account expires
    restarted = worker_process(env)
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    final = env.status(env.people.residents[0], action_id)
    assert final["status"] == "confirmed"
    assert final["tx_hash"] == attempt_hash  # the very transaction written down before the crash
    assert cases_of(env, f"crash-{fault}") == 1
    with env.app.state.session_factory() as session:
        assert len(session.scalars(select(Batch).where(Batch.id >= batch.id)).all()) == 1
        assert session.scalars(select(RelayAction).where(RelayAction.public_id == action_id)).one().tries == 1


def _known(env: RelayEnv, tx_hash: str) -> bool:
    try:
        env.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
    except Exception:
        return False
    return True
