"""Prometheus metrics at /metrics, read from the shared database and the node at scrape time.

The API (`cts serve`) and the relayer worker (`cts relayer run`) are separate processes; the worker's work
is all in the database (the outbox, the sponsors), so a collector that reads the database when scraped
reports both, and any number of API processes report the same values. Each scrape is a handful of grouped
queries and at most a few short calls to the node; a node that is away makes `cts_node_up` 0, never an
error. Who may read it: docs/operations.md, "Metrics".
"""

from __future__ import annotations

import hmac
import ipaddress
import math
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.exceptions import Web3Exception

from cts.chain.client import connect
from cts.core.config import Settings
from cts.core.db import utcnow
from cts.gas_ledger import minute_of
from cts.models import ActionStatus, Batch, GasMinute, Hromada, RelayAction, SponsorAccount
from cts.relayer.context import UNREACHABLE_ERRORS

DAY = timedelta(days=1)
# Acceptance to confirmation, in seconds: a batch is mined in a block or two (seconds), a queue behind an
# outage or a fee spike takes minutes to hours.
LATENCY_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 21600.0)
# A scrape must answer within Prometheus's timeout (10 s by default) even when the node hangs.
NODE_TIMEOUT_SECONDS = 2.0


def _seconds_between(session: Session, start: Any, end: Any) -> Any:
    """`end - start` in seconds, in SQL (SQLite and PostgreSQL spell it differently)."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


class CTSCollector(Collector):
    """Every CTS metric, computed afresh at each scrape."""

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self._w3: Web3 | None = None

    @property
    def w3(self) -> Web3:
        if self._w3 is None:
            timeout = min(self.settings.rpc_timeout_seconds, NODE_TIMEOUT_SECONDS)
            self._w3 = connect(self.settings.rpc_url, timeout=timeout, retry=False)
        return self._w3

    def collect(self) -> Iterator[Metric]:
        with self.session_factory() as session:
            yield from self._actions(session)
            yield self._latency(session)
            yield from self._budgets(session)
            yield from self._node_and_sponsors(session)

    def _actions(self, session: Session) -> Iterator[Metric]:
        slugs = session.scalars(select(Hromada.slug).order_by(Hromada.slug)).all()
        rows = session.execute(
            select(RelayAction.hromada, RelayAction.status, func.count()).group_by(
                RelayAction.hromada, RelayAction.status
            )
        ).all()
        counts = {(slug, ActionStatus(status)): int(n) for slug, status, n in rows}
        queue = GaugeMetricFamily(
            "cts_relayer_queue_depth",
            "Actions waiting to run, per hromada: queued (accepted, not yet in a batch) and submitted "
            "(in a batch sent, not yet mined).",
            labels=["hromada", "status"],
        )
        for slug in slugs:  # every hromada, zeros included, so that an alert sees it from the start
            for status in (ActionStatus.QUEUED, ActionStatus.SUBMITTED):
                queue.add_metric([slug, status.value], counts.get((slug, status), 0))
        yield queue
        by_status = GaugeMetricFamily(
            "cts_relayer_actions", "Actions in the outbox by status (all hromadas).", labels=["status"]
        )
        for status in ActionStatus:
            by_status.add_metric([status.value], sum(n for (_, st), n in counts.items() if st == status))
        yield by_status

    def _latency(self, session: Session) -> Metric:
        # A confirmed action is not written again, so its updated_at is when it was confirmed.
        latency = _seconds_between(session, RelayAction.created_at, RelayAction.updated_at)
        columns = [func.sum(case((latency <= bound, 1), else_=0)) for bound in LATENCY_BUCKETS]
        row = session.execute(
            select(func.count(), func.coalesce(func.sum(latency), 0.0), *columns).where(
                RelayAction.status == ActionStatus.CONFIRMED
            )
        ).one()
        count, total = int(row[0]), float(row[1])
        buckets = [(str(bound), int(n or 0)) for bound, n in zip(LATENCY_BUCKETS, row[2:], strict=True)]
        histogram = HistogramMetricFamily(
            "cts_relayer_confirmation_latency_seconds",
            "Time from an action's acceptance to its confirmation on chain (every confirmed action).",
        )
        histogram.add_metric([], [*buckets, ("+Inf", count)], total)
        return histogram

    def _budgets(self, session: Session) -> Iterator[Metric]:
        # The same count as the budgets' (cts.budgets): the gas ledger's minutes of the last 24 hours.
        spent = (
            select(func.coalesce(func.sum(GasMinute.gas), 0))
            .where(GasMinute.hromada == Hromada.slug, GasMinute.minute >= minute_of(utcnow() - DAY))
            .scalar_subquery()
        )
        used = GaugeMetricFamily(
            "cts_hromada_gas_spent_24h",
            "Sponsored gas of the hromada's actions in the last 24 hours.",
            labels=["hromada"],
        )
        budget = GaugeMetricFamily(
            "cts_hromada_daily_gas_budget", "The hromada's daily budget of sponsored gas.", labels=["hromada"]
        )
        hromadas = session.execute(
            select(Hromada.slug, Hromada.daily_gas_budget, spent).order_by(Hromada.slug)
        )
        for slug, limit, gas in hromadas:
            used.add_metric([slug], int(gas))
            budget.add_metric([slug], int(limit))
        yield used
        yield budget

    def _node_and_sponsors(self, session: Session) -> Iterator[Metric]:
        up = GaugeMetricFamily("cts_node_up", "1 if the blockchain node answered this scrape, else 0.")
        block: int | None
        gas_price: int | None
        try:
            block = int(self.w3.eth.block_number)
            gas_price = int(self.w3.eth.gas_price)
        except (*UNREACHABLE_ERRORS, Web3Exception, ValueError):  # type: ignore[misc]
            block = gas_price = None
        up.add_metric([], 0 if block is None else 1)
        yield up
        if block is not None:
            yield GaugeMetricFamily("cts_node_block_number", "The node's latest block.", value=block)

        gas_24h = dict(
            session.execute(
                select(Batch.sponsor, func.coalesce(func.sum(Batch.gas_used), 0))
                .where(Batch.created_at >= utcnow() - DAY, Batch.gas_used.is_not(None))
                .group_by(Batch.sponsor)
            ).all()
        )
        balance = GaugeMetricFamily(
            "cts_sponsor_balance_wei",
            "The sponsor account's balance: read from the node at this scrape, or the relayer's last "
            "reading when the node is away.",
            labels=["sponsor"],
        )
        gas = GaugeMetricFamily(
            "cts_sponsor_gas_used_24h",
            "Gas the sponsor's batches used in the last 24 hours.",
            labels=["sponsor"],
        )
        days = GaugeMetricFamily(
            "cts_sponsor_gas_days_left",
            "Days the balance still pays for at the last 24 hours' gas and the node's current gas price "
            "(+Inf when it sent nothing; absent while the node is away).",
            labels=["sponsor"],
        )
        for account in session.scalars(select(SponsorAccount).order_by(SponsorAccount.address)):
            wei = self._balance(account) if block is not None else None
            if wei is None and account.balance_wei is not None:
                wei = int(account.balance_wei)
            if wei is not None:
                balance.add_metric([account.address], wei)
            used = int(gas_24h.get(account.address) or 0)
            gas.add_metric([account.address], used)
            if wei is not None and gas_price is not None:
                daily_wei = used * gas_price
                days.add_metric([account.address], wei / daily_wei if daily_wei else math.inf)
        yield balance
        yield gas
        yield days

    def _balance(self, account: SponsorAccount) -> int | None:
        try:
            return int(self.w3.eth.get_balance(Web3.to_checksum_address(account.address)))
        except (*UNREACHABLE_ERRORS, Web3Exception, ValueError):  # type: ignore[misc]
            return None


def _local(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def install_metrics(app: FastAPI, settings: Settings, session_factory: sessionmaker[Session]) -> None:
    """GET /metrics: for clients on this machine, or anyone with the bearer token CTS_METRICS_TOKEN."""
    registry = CollectorRegistry(auto_describe=False)  # one per app: tests build many apps in one process
    registry.register(CTSCollector(settings, session_factory))
    token = settings.metrics_token.get_secret_value().encode() if settings.metrics_token else None

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").encode()
        if not (_local(request) or (token is not None and hmac.compare_digest(given, token))):
            # Plain text, not the pages' error page: what asks here is a scraper, not a person.
            return Response(
                "The metrics are readable from this machine, or with the metrics token "
                "(CTS_METRICS_TOKEN).\n",
                status_code=403,
                media_type="text/plain",
            )
        # The text format the scraper asks for (Prometheus's Accept header; OpenMetrics if it prefers).
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(registry), media_type=content_type)
