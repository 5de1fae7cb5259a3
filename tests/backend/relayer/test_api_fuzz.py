"""A property-based fuzz of every route in the OpenAPI document (schemathesis over hypothesis), signed out
and signed in as each role, against a real local chain and a real SQLite file: no answer is a server error,
and none leaks a stack trace, SQL, a file path or key material.

Bounded so that `make test` stays fast: CTS_API_FUZZ_EXAMPLES examples per operation, mode and identity
(default 4), derandomised so that every run tries the same inputs. `make fuzz-api` (part of `make fuzz`)
sets it to 40 and randomises (CTS_FUZZ_RANDOM=1); a failure prints the operation, the identity and the
request to replay. Its own variable: the contracts' CTS_FUZZ_EXAMPLES (100) once leaked in here.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from conftest import RelayEnv, build_env
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from cts.chain.artifacts import REPO_ROOT
from cts.chain.client import Sender
from cts.chain.manifest import Manifest
from cts.core.config import Settings

EXAMPLES = int(os.environ.get("CTS_API_FUZZ_EXAMPLES", "4"))
RANDOMISED = os.environ.get("CTS_FUZZ_RANDOM") == "1"
IDENTITIES = ["anonymous", "resident", "verifier", "coordinator", "council", "outsider"]
# What must never appear in an answer: traces, SQL, paths, and the words of the libraries below us.
LEAKS = (
    "Traceback",
    'File "',
    "sqlalchemy",
    "sqlite3",
    "psycopg",
    "SELECT ",
    "INSERT INTO",
    "web3.exceptions",
    "pydantic_core",
    str(REPO_ROOT),
)


def _headers(env: RelayEnv, identity: str) -> dict[str, str]:
    headers = {"Idempotency-Key": secrets.token_urlsafe(12)}
    if identity == "anonymous":
        return headers
    people = env.people
    user = {
        "resident": people.residents[0],
        "verifier": people.verifier,
        "coordinator": people.coordinator,
        "council": people.council,
        "outsider": people.outsider,
    }[identity]
    return {**headers, "Authorization": f"Bearer {env.token(user)}"}


def _secrets_of(env: RelayEnv) -> list[str]:
    """Key material that must never be answered: the master key and the sponsor's key."""
    found = [env.settings.master_key.get_secret_value()]
    sponsor_keys = env.settings.relayer_sponsor_keys
    if sponsor_keys is not None:
        for key in sponsor_keys.get_secret_value().split(","):
            found += [key.strip(), key.strip().removeprefix("0x")]
    return [value for value in found if value]


@pytest.fixture
def env(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: Any,
    w3: Any,
    deployer: Sender,
    shared_manifest: Manifest,
) -> Iterator[RelayEnv]:
    """The relayer's test world, with limits wide enough that the fuzz meets the routes, not the limits
    (each signed-out logout ends a session, so the fuzz signs in again and again)."""
    built = build_env(
        make_settings,
        tmp_path,
        node.url,
        w3,
        deployer,
        shared_manifest,
        login_attempts_per_window=100_000,
        login_client_failures_per_window=100_000,
        relayer_actions_per_window=100_000,
    )
    with built.client:
        yield built
    built.worker.release_leases()


@pytest.mark.parametrize("identity", IDENTITIES)
def test_no_route_answers_a_server_error_or_leaks(env: RelayEnv, identity: str) -> None:
    env.register(env.people.residents[0])
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", env.app)
    secrets_ = _secrets_of(env)
    problems: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30  # every route of the API is in the document

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            where = f"{operation.method.upper()} {operation.path} as {identity} ({mode.value})"
            try:
                _probe(env, identity, operation, mode, where, secrets_, problems)
            except Unsatisfiable:
                continue  # a mode that cannot make a case for this operation (nothing to break)
    assert not problems, "\n".join(problems[:20])


def _probe(
    env: RelayEnv,
    identity: str,
    operation: Any,
    mode: GenerationMode,
    where: str,
    secrets_: list[str],
    problems: list[str],
) -> None:
    """Send EXAMPLES generated requests to one operation and note every problem in ``problems``."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not RANDOMISED,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def probe(case: Any) -> None:
        ours = _headers(env, identity)
        replaced = {name.lower() for name in ours}
        generated = {k: v for k, v in (case.headers or {}).items() if k.lower() not in replaced}
        headers = {**generated, **ours}
        case.cookies = {}  # a generated session cookie would stand in for ours
        if case.path_parameters and "slug" in case.path_parameters:
            # The test's hromada: a random key is only a 404 (tested apart); this reaches the handlers.
            case.path_parameters["slug"] = env.slug
        try:
            response = case.call(headers=headers)
        except Exception as error:  # the test client re-raises what the app answered 500 for
            problems.append(f"{where}: {type(error).__name__} for {case.as_curl_command()}")
            return
        if operation.path == "/api/auth/logout":
            env.tokens.clear()  # that session may have ended: the next request signs in again
        text = response.text
        if response.status_code >= 500 and response.status_code != 503:
            problems.append(f"{where}: {response.status_code} for {case.as_curl_command()}")
        for leak in (*LEAKS, *secrets_):
            if leak in text:
                problems.append(f"{where}: the answer contains {leak[:12]!r}…")
        if response.status_code >= 400:
            body = response.json()
            if not (isinstance(body, dict) and "detail" in body and "code" in body):
                problems.append(f"{where}: an error without detail and code: {text[:200]}")

    probe()
