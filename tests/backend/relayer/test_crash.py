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

from cts.chain.client import wait_until
from cts.core.config import Settings
from cts.models import Batch, BatchStatus, RelayAction, SponsorAccount

CTS = str(Path(sys.executable).with_name("cts"))


def worker_environment(env: RelayEnv, fault: str | None = None, lease: str = "1") -> dict[str, str]:
    """The environment of a `cts relayer run` configured like the test's app."""
    settings = env.settings
    environment = {
        **os.environ,
        "CTS_ENVIRONMENT": settings.environment,
        "CTS_DATABASE_URL": settings.database_url,
        "CTS_MASTER_KEY": settings.master_key.get_secret_value(),
        "CTS_MANIFEST_PATH": str(settings.manifest_path),
        "CTS_RPC_URL": settings.rpc_url,
        "CTS_RELAYER_SPONSOR_KEYS": ",".join(settings.sponsor_keys()),
        "CTS_RELAYER_LEASE_SECONDS": lease,
        "CTS_RELAYER_POLL_SECONDS": "0.05",
    }
    environment.pop("CTS_RELAYER_FAULT", None)
    if fault:
        environment["CTS_RELAYER_FAULT"] = fault
    return environment


def worker_process(env: RelayEnv, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    """`cts relayer run --until-idle` in its own process, configured like the test's app."""
    return subprocess.run(
        [CTS, "relayer", "run", "--until-idle", "--timeout", "60"],
        env=worker_environment(env, fault),
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


def lease_owner(env: RelayEnv) -> str | None:
    with env.app.state.session_factory() as session:
        account = session.scalars(select(SponsorAccount)).first()
        return None if account is None else account.lease_owner


def test_a_worker_killed_mid_batch_is_replaced_and_its_batch_resumed_within_seconds(
    ready: RelayEnv, tmp_path: Path
) -> None:
    """Two `cts relayer run` processes for one sponsor account, with the default lease (renewed while a worker
    lives): the one holding it dies with SIGKILL right after writing a batch down; the other takes over
    when the lease runs out and sends that very batch, a few seconds after the death."""
    env = ready
    lease = Settings.model_fields["relayer_lease_seconds"].default
    assert lease <= 5
    logs = [open(tmp_path / f"worker-{n}.log", "w") for n in (1, 2)]  # noqa: SIM115
    first = subprocess.Popen(
        [CTS, "relayer", "run"],
        env=worker_environment(env, fault="after_persist", lease=str(lease)),
        stdout=logs[0],
        stderr=subprocess.STDOUT,
    )
    standby = None
    try:
        assert wait_until(lambda: lease_owner(env) is not None, timeout=30)
        holder = lease_owner(env)
        standby = subprocess.Popen(
            [CTS, "relayer", "run"],
            env=worker_environment(env, lease=str(lease)),
            stdout=logs[1],
            stderr=subprocess.STDOUT,
        )
        time.sleep(2 * lease)  # the standby waits; the heartbeat keeps the first one's lease
        assert lease_owner(env) == holder and first.poll() is None
        action_id = submit(env, "standby-takes-over")
        first.wait(timeout=30)
        died = time.monotonic()
        assert first.returncode == -signal.SIGKILL
        assert wait_until(
            lambda: env.status(env.people.residents[0], action_id)["status"] == "confirmed",
            timeout=30,
            interval=0.05,
        )
        recovered = time.monotonic() - died
        assert recovered < lease + 3, f"recovered {recovered:.1f} s after the kill"
        assert lease_owner(env) not in (None, holder)
        assert cases_of(env, "standby-takes-over") == 1
        with env.app.state.session_factory() as session:
            batch = session.scalars(select(Batch).order_by(Batch.id.desc())).first()
            assert batch is not None and batch.status == BatchStatus.CONFIRMED and len(batch.attempts) == 1
    finally:
        for process in (first, standby):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        for log in logs:
            log.close()
