"""The operator onboards hromadas while the service runs (no restart), by the API or by `cts hromada add`,
sets their gas budgets and sees the service's health, and nothing of a hromada's private data."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORD, RelayEnv, build_many
from web3 import Web3

from cts.chain.client import Sender
from cts.chain.deploy import HromadaSpec, onboard
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.models import User


@pytest.fixture
def served(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: Any,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
) -> Iterator[RelayEnv]:
    (env,) = build_many(make_settings, tmp_path, node.url, w3, deployer, shared_manifest, count=1)
    with env.client:
        yield env
    env.worker.release_leases()


def make_operator(env: RelayEnv) -> dict[str, str]:
    with env.app.state.session_factory() as session:
        operator = session.get(User, env.people.outsider.id)
        assert operator is not None
        operator.is_operator = True
        session.commit()
    return {"Authorization": f"Bearer {env.token(env.people.outsider)}"}


def new_hromada(env: RelayEnv, deployer: Sender, shared_manifest: Manifest) -> tuple[str, Manifest]:
    """A hromada the factory deployed after the service started, in a manifest of its own."""
    key = f"nova-{secrets.token_hex(3)}"
    manifest = Manifest(chain_id=shared_manifest.chain_id, shared=shared_manifest.shared, hromadas={})
    council = env.people.council.wallet.address
    onboard(deployer, manifest, HromadaSpec(key=key, name=f"Нова {key}", council=council, registrar=council))
    return key, manifest


def test_the_operator_onboards_a_hromada_through_the_api_without_a_restart(
    served: RelayEnv, deployer: Sender, shared_manifest: Manifest
) -> None:
    env = served
    key, manifest = new_hromada(env, deployer, shared_manifest)
    # The council's first account: the one whose wallet the deployment named council (an existing account).
    body = {
        "manifest": manifest.to_json(),
        "key": key,
        "daily_gas_budget": 123_456_789,
        "council_login": env.people.council.email,
    }
    council = {"Authorization": f"Bearer {env.token(env.people.council)}"}
    refused = env.client.post(
        "/api/operator/hromadas", json=body, headers={**council, "Idempotency-Key": "op-1-refused"}
    )
    assert refused.status_code == 403  # a council is no operator
    operator = make_operator(env)
    added = env.client.post(
        "/api/operator/hromadas", json=body, headers={**operator, "Idempotency-Key": "op-1-added"}
    )
    assert added.status_code == 201, added.text
    assert added.json()["slug"] == key and added.json()["daily_gas_budget"] == 123_456_789
    # The running service acts for it at once: its council registers a resident there.
    registered = env.client.post(
        f"/api/h/{key}/residents",
        json={"address": Web3.to_checksum_address("0x" + "42" * 20), "identity_check": "id-nova-1"},
        headers={**council, "Idempotency-Key": "nova-register-1"},
    )
    assert registered.status_code == 202, registered.text
    env.worker.drain()
    assert {h["slug"] for h in env.client.get("/api/hromadas").json()} == {env.slug, key}
    assert env.status(env.people.council, registered.json()["id"])["status"] == "confirmed"
    # A council account can also be made new with the hromada (its address then needs the chain's roles).
    other, other_manifest = new_hromada(env, deployer, shared_manifest)
    fresh = {
        "manifest": other_manifest.to_json(),
        "key": other,
        "council": {"email": f"rada@{other}.example", "password": PASSWORD, "display_name": "Рада"},
    }
    made = env.client.post(
        "/api/operator/hromadas", json=fresh, headers={**operator, "Idempotency-Key": "op-2-added"}
    )
    assert made.status_code == 201, made.text
    login = env.client.post("/api/auth/login", json={"login": f"rada@{other}.example", "password": PASSWORD})
    me = env.client.get("/api/auth/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert me.json()["roles"] == [{"hromada": other, "role": "council"}]


def test_the_operators_health_view_has_queues_and_gas_and_no_persons_data(served: RelayEnv) -> None:
    env = served
    env.register(env.people.residents[0])
    health = env.client.get("/api/operator/health", headers=make_operator(env))
    assert health.status_code == 200
    text = health.text
    assert env.slug in text and "gas_spent_last_24h" in text
    for person in (env.people.council, env.people.residents[0]):
        assert person.email not in text and person.wallet.address not in text
    budget = env.client.put(
        f"/api/operator/hromadas/{env.slug}/budget", json={"daily_gas_budget": 1}, headers=make_operator(env)
    )
    assert budget.status_code == 200 and budget.json()["daily_gas_budget"] == 1
    assert (
        env.client.get(
            "/api/operator/health", headers={"Authorization": f"Bearer {env.token(env.people.council)}"}
        ).status_code
        == 403
    )


def test_cts_hromada_add_and_list_on_the_command_line(
    served: RelayEnv, deployer: Sender, shared_manifest: Manifest, tmp_path: Path
) -> None:
    env = served
    key, manifest = new_hromada(env, deployer, shared_manifest)
    manifest.save(tmp_path / "new.json")
    (tmp_path / "password").write_text(PASSWORD + "\n")
    environment = {
        **os.environ,
        "CTS_DATABASE_URL": env.settings.database_url,
        "CTS_MASTER_KEY": env.settings.master_key.get_secret_value(),
        "CTS_PASSWORD_HASH_TIME_COST": "1",
        "CTS_PASSWORD_HASH_MEMORY_KIB": "8",
        "CTS_PASSWORD_HASH_PARALLELISM": "1",
    }

    def cts(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cts.cli", *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )

    added = cts(
        "hromada",
        "add",
        str(tmp_path / "new.json"),
        "--council-login",
        env.people.council.email,
        "--daily-gas-budget",
        "1_000_000",
    )
    assert added.returncode == 0, added.stderr
    assert f"/h/{key}" in added.stdout and "an existing account" in added.stdout
    listed = cts("hromada", "list")
    assert listed.returncode == 0 and key in listed.stdout and env.slug in listed.stdout
    assert cts("hromada", "budget", key, "2000000").returncode == 0
    again = cts("hromada", "add", str(tmp_path / "new.json"), "--council-login", "+380000")
    assert again.returncode == 2 and "+380000" not in again.stdout
    # The council of the first hromada is the council of the new one too: one account, two hromadas.
    me = env.client.get("/api/auth/me", headers={"Authorization": f"Bearer {env.token(env.people.council)}"})
    roles = {(r["hromada"], r["role"]) for r in me.json()["roles"]}
    assert roles == {(env.slug, "council"), (key, "council")}
    health = json.loads(env.client.get("/api/operator/health", headers=make_operator(env)).text)
    assert {h["slug"]: h["daily_gas_budget"] for h in health["by_hromada"]}[key] == 2_000_000
