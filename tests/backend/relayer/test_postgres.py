"""Several relayer instances sharing one queue: two worker processes, one PostgreSQL database, one chain,
500 resident actions. No sponsor nonce is used twice, nothing is lost, nothing is done twice.

Needs a PostgreSQL server (CTS_TEST_POSTGRES_URL, default the local trust-authenticated one); skipped,
with the reason, when none answers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import build_env, dev_key, h
from eth_account import Account
from eth_utils.crypto import keccak
from sqlalchemy import select
from web3 import Web3

from cts.chain.client import Sender
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.core.db import upgrade_database
from cts.models import ActionStatus, Batch, BatchStatus, RelayAction

CTS = str(Path(sys.executable).with_name("cts"))
ACTIONS = 500

pytestmark = pytest.mark.postgres


def test_two_workers_share_one_postgres_queue_without_collisions(
    postgres_database_url: str,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: Any,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
) -> None:
    upgrade_database(postgres_database_url)
    env = build_env(
        make_settings,
        tmp_path,
        node.url,
        w3,
        deployer,
        shared_manifest,
        residents=ACTIONS,
        registrar=deployer.address,
        database_url=postgres_database_url,
        relayer_actions_per_window=1000,
        relayer_batch_size=25,
    )
    with env.client:
        # Test set-up, not the system under test: the registrar registers the 500 residents in batches.
        residents = env.people.residents
        for start in range(0, ACTIONS, 200):
            chunk = residents[start : start + 200]
            deployer.send(
                env.hromada.registry.functions.addResidents(
                    [r.wallet.address for r in chunk], [keccak(text=f"pg-id-{r.id}") for r in chunk]
                )
            )
        programme = env.open_programme(reward=1, token_cap=10_000, per_resident_cap=10)
        env.worker.release_leases()

        for n, resident in enumerate(residents):
            response = env.act(
                resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h(f"pg-{n}")}
            )
            assert response.status_code == 202, response.text

        sponsors = [dev_key(16), dev_key(17)]
        processes = [_start_worker(env.settings, key) for key in sponsors]
        for process in processes:
            _, err = process.communicate(timeout=600)
            assert process.returncode == 0, err[-3000:]

        with env.app.state.session_factory() as session:
            statuses = session.scalars(
                select(RelayAction.status).where(RelayAction.kind == "submitCase")
            ).all()
            assert len(statuses) == ACTIONS
            assert set(statuses) == {ActionStatus.CONFIRMED}  # nothing lost
            batches = session.scalars(select(Batch)).all()
            by_sponsor: dict[str, list[int]] = defaultdict(list)
            for batch in batches:
                by_sponsor[batch.sponsor].append(batch.nonce)
                assert batch.status == BatchStatus.CONFIRMED
            for nonces in by_sponsor.values():
                assert len(nonces) == len(set(nonces))  # no nonce used twice
                assert sorted(nonces) == list(range(min(nonces), min(nonces) + len(nonces)))  # no gap
            case_sponsors = set(
                session.scalars(
                    select(Batch.sponsor)
                    .join(RelayAction, RelayAction.batch_id == Batch.id)
                    .where(RelayAction.kind == "submitCase")
                ).all()
            )
            # Both processes did part of the work, each with its own sponsor account.
            assert case_sponsors == {Account.from_key(key).address for key in sponsors}

        events = env.hromada.cases.events.CaseSubmitted().get_logs(from_block=0)
        evidences = [e["args"]["evidenceHash"] for e in events]
        assert len(evidences) == ACTIONS and len(set(evidences)) == ACTIONS  # each exactly once
    env.worker.release_leases()


def _start_worker(settings: Settings, sponsor_key: str) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        "CTS_ENVIRONMENT": settings.environment,
        "CTS_DATABASE_URL": settings.database_url,
        "CTS_MASTER_KEY": settings.master_key.get_secret_value(),
        "CTS_MANIFEST_PATH": str(settings.manifest_path),
        "CTS_RPC_URL": settings.rpc_url,
        "CTS_RELAYER_SPONSOR_KEYS": sponsor_key,
        "CTS_RELAYER_BATCH_SIZE": "25",
        "CTS_RELAYER_POLL_SECONDS": "0.05",
    }
    return subprocess.Popen(
        [CTS, "relayer", "run", "--until-idle", "--timeout", "500"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
