"""GET /metrics of a real app, on the real local chain with real actions, parsed with Prometheus's own text
parser; every value is checked against the database (and the node)."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING

from conftest import RelayEnv, h
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import func, select

from cts.api.main import create_app
from cts.api.metrics import LATENCY_BUCKETS
from cts.core.db import utcnow
from cts.models import ActionStatus, Batch, RelayAction, SponsorAccount

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient, **headers: str) -> Samples:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")  # Prometheus's format
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def local_client(app: FastAPI) -> TestClient:
    from fastapi.testclient import TestClient

    return TestClient(app, base_url="https://testserver", client=("127.0.0.1", 50_000))


def test_metrics_match_the_database_and_the_chain(env: RelayEnv) -> None:
    env.open_programme()  # two confirmed actions: a deposit and a programme
    env.worker.check_balances()
    waiting = env.act(
        env.people.council,
        "POST",
        "/api/fund/deposits",
        {"amount_kopiyky": 1_000, "source": 0, "source_ref_hash": h("d2"), "receipt_hash": h("r2")},
    )
    assert waiting.status_code == 202, waiting.text  # queued: no worker runs now

    with local_client(env.app) as client:
        samples = scrape(client)

    slug = env.slug
    with env.app.state.session_factory() as session:
        actions = session.scalars(select(RelayAction)).all()
        sponsors = session.scalars(select(SponsorAccount)).all()
        day_ago = utcnow() - timedelta(days=1)
        gas_by_sponsor = dict(
            session.execute(
                select(Batch.sponsor, func.sum(Batch.gas_used))
                .where(Batch.created_at >= day_ago)
                .group_by(Batch.sponsor)
            ).all()
        )
    by_status = {status: [a for a in actions if a.status == status] for status in ActionStatus}
    assert len(by_status[ActionStatus.CONFIRMED]) == 2 and len(by_status[ActionStatus.QUEUED]) == 1

    # Queue depth per hromada, and actions by status.
    assert samples["cts_relayer_queue_depth", (("hromada", slug), ("status", "queued"))] == 1
    assert samples["cts_relayer_queue_depth", (("hromada", slug), ("status", "submitted"))] == 0
    for status in ActionStatus:
        assert samples["cts_relayer_actions", (("status", status.value),)] == len(by_status[status])

    # The latency histogram: acceptance (created_at) to confirmation (updated_at) of each confirmed action.
    latencies = [(a.updated_at - a.created_at).total_seconds() for a in by_status[ActionStatus.CONFIRMED]]
    name = "cts_relayer_confirmation_latency_seconds"
    assert samples[f"{name}_count", ()] == 2
    assert math.isclose(samples[f"{name}_sum", ()], sum(latencies), abs_tol=0.01)
    for bound in LATENCY_BUCKETS:
        expected = sum(1 for seconds in latencies if seconds <= bound)
        assert samples[f"{name}_bucket", (("le", str(bound)),)] == expected, bound
    assert samples[f"{name}_bucket", (("le", "+Inf"),)] == 2

    # The hromada's gas in the last 24 hours against its budget.
    row = env.hromada_row()
    assert samples["cts_hromada_gas_spent_24h", (("hromada", slug),)] == sum(a.gas for a in actions)
    assert samples["cts_hromada_daily_gas_budget", (("hromada", slug),)] == row.daily_gas_budget

    # The node, the sponsor's balance and the days of gas it covers.
    assert samples["cts_node_up", ()] == 1
    assert samples["cts_node_block_number", ()] <= env.w3.eth.block_number
    (sponsor,) = sponsors
    balance = env.w3.eth.get_balance(env.w3.to_checksum_address(sponsor.address))
    label = (("sponsor", sponsor.address),)
    assert math.isclose(samples["cts_sponsor_balance_wei", label], balance, rel_tol=1e-15)  # a float64
    used = int(gas_by_sponsor[sponsor.address])
    assert used > 0 and samples["cts_sponsor_gas_used_24h", label] == used
    days = samples["cts_sponsor_gas_days_left", label]
    assert math.isclose(days, balance / (used * env.w3.eth.gas_price), rel_tol=1e-9)


def test_metrics_answer_when_the_node_is_away(env: RelayEnv) -> None:
    env.open_programme()
    env.worker.check_balances()  # the relayer's last reading of the balance, in the database
    with env.app.state.session_factory() as session:
        (sponsor,) = session.scalars(select(SponsorAccount)).all()
        recorded = int(sponsor.balance_wei)
    away = env.settings.model_copy(update={"rpc_url": "http://127.0.0.1:9"})  # nothing listens there
    with local_client(create_app(away)) as client:
        samples = scrape(client)
    assert samples["cts_node_up", ()] == 0
    assert ("cts_node_block_number", ()) not in samples
    label = (("sponsor", sponsor.address),)
    assert math.isclose(samples["cts_sponsor_balance_wei", label], recorded, rel_tol=1e-15)
    assert ("cts_sponsor_gas_days_left", label) not in samples  # no gas price to count with
    assert samples["cts_relayer_actions", (("status", "confirmed"),)] == 2


def test_who_may_read_the_metrics(env: RelayEnv) -> None:
    # The env's client is not on this machine ("testclient"): refused, unless it has the token.
    refused = env.client.get("/metrics")
    assert refused.status_code == 403
    assert refused.text.startswith("The metrics are readable from this machine")
    assert "cts_" not in refused.text

    tokened = env.settings.model_copy(update={"metrics_token": SecretStr("scraper-secret-0123456789")})
    from fastapi.testclient import TestClient

    with TestClient(create_app(tokened), base_url="https://testserver") as remote:
        wrong = remote.get("/metrics", headers={"Authorization": "Bearer not-the-secret"})
        assert wrong.status_code == 403
        assert remote.get("/metrics").status_code == 403
        assert (
            "cts_node_up"
            in remote.get("/metrics", headers={"Authorization": "Bearer scraper-secret-0123456789"}).text
        )
    # /metrics is not part of the public API description.
    assert "/metrics" not in env.client.get("/api/openapi.json").json()["paths"]


def test_a_node_that_hangs_costs_the_scrape_two_seconds_at_most(env: RelayEnv) -> None:
    import socket
    import time

    with socket.socket() as silent:  # accepts connections (the kernel does) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        hanging = env.settings.model_copy(
            update={"rpc_url": f"http://127.0.0.1:{silent.getsockname()[1]}", "rpc_timeout_seconds": 30}
        )
        with local_client(create_app(hanging)) as client:
            started = time.monotonic()
            samples = scrape(client)
            took = time.monotonic() - started
    assert samples["cts_node_up", ()] == 0
    assert took < 4, took  # one call to the node, given 2 s (NODE_TIMEOUT_SECONDS), not the service's 30
