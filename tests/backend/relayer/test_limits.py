"""Abuse controls and an unreachable chain: 429 with Retry-After, 503 with Retry-After, nothing queued."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from conftest import RelayEnv, build_env
from sqlalchemy import func, select
from web3 import Web3

from cts.chain.client import Sender
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.hromadas import HromadaDirectory
from cts.models import RelayAction


def count(env: RelayEnv) -> int:
    with env.app.state.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(RelayAction)) or 0)


def test_per_user_rate_limit_is_429_with_retry_after(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: Any,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
) -> None:
    env = build_env(
        make_settings, tmp_path, node.url, w3, deployer, shared_manifest, relayer_staff_actions_per_window=2
    )
    with env.client:
        council = env.people.council
        for n in range(2):
            response = env.act(
                council,
                "POST",
                "/api/residents",
                {"user_id": env.people.residents[n].id, "identity_check": f"id-{n}"},
            )
            assert response.status_code == 202
        response = env.act(
            council,
            "POST",
            "/api/residents",
            {"user_id": env.people.residents[2].id, "identity_check": "id-2"},
        )
        assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
        assert count(env) == 2
    env.worker.release_leases()


def test_daily_gas_budget_is_429(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: Any,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
) -> None:
    env = build_env(
        make_settings,
        tmp_path,
        node.url,
        w3,
        deployer,
        shared_manifest,
        relayer_staff_daily_gas_budget=300_000,
    )
    with env.client:
        council = env.people.council
        first = env.act(
            council,
            "POST",
            "/api/residents",
            {"user_id": env.people.residents[0].id, "identity_check": "id-a"},
        )
        assert first.status_code == 202
        second = env.act(
            council,
            "POST",
            "/api/residents",
            {"user_id": env.people.residents[1].id, "identity_check": "id-b"},
        )
        assert second.status_code == 429 and second.json()["code"] == "gas_budget_exceeded"
        # It says how much is left, what the action needs and when the first action's gas comes back.
        params = second.json()["params"]
        assert params["limit_gas"] == 300_000
        with env.app.state.session_factory() as session:
            spent = session.scalars(select(RelayAction)).one()
            assert params["remaining_gas"] == 300_000 - spent.gas
            assert params["needed_gas"] > params["remaining_gas"]
            renews = spent.created_at + timedelta(days=1)
        assert params["renews_at"] == int(renews.timestamp())
        assert abs(int(second.headers["Retry-After"]) - 24 * 3600) < 120
        assert count(env) == 1
    env.worker.release_leases()


def test_unreachable_chain_is_503_with_retry_after_and_nothing_queued(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: Any,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
) -> None:
    env = build_env(make_settings, tmp_path, node.url, w3, deployer, shared_manifest)
    with env.client:
        env.worker.chain.w3.provider.endpoint_uri = "http://127.0.0.1:9"  # type: ignore[attr-defined]
        env.app.state.settings = env.settings.model_copy(update={"rpc_url": "http://127.0.0.1:9"})
        env.app.state.directory = HromadaDirectory(env.app.state.settings)
        response = env.act(
            env.people.council,
            "POST",
            "/api/residents",
            {"user_id": env.people.residents[0].id, "identity_check": "id-z"},
        )
        assert response.status_code == 503
        assert response.json()["code"] == "chain_unavailable"
        assert int(response.headers["Retry-After"]) >= 1
        assert count(env) == 0
        status = env.client.get(env.scoped("/api/relayer/status")).json()
        assert status["chain_reachable"] is False and status["alerts"]
