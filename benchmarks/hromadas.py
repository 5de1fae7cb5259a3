"""200 hromadas on one local chain and one service: what onboarding costs, and whether a hromada's pages and
actions slow down when 199 others share the service.

    .venv/bin/python benchmarks/hromadas.py [--count 200] [--node anvil] [--samples 60]

In one run, on one local chain, with one service (its app served in-process, as the API serves it):
1. one hromada onboarded (the factory's five clones, then `add_hromada` as `cts hromada add` does); the
   baseline: p50/p95 of its public page (read from the chain) and of an accepted action (a deposit: checked,
   simulated, queued), with the service's memory;
2. the other count - 1 hromadas onboarded the same way, each timed, its gas read from its receipt;
3. the same page and action of the first hromada and of the last, with every hromada's chain context built
   (each hromada's public page read once), and the service's memory then.
Prints one table (ratios against the baseline measured in the same run); writes docs/benchmarks/hromadas.md.
The target (issue 16): a hromada's page and actions no slower than 1.2x the one-hromada figure.
"""

from __future__ import annotations

import argparse
import resource
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr
from web3 import HTTPProvider, Web3

from cts.chain.client import Sender
from cts.chain.deploy import HromadaSpec, deploy_shared, onboard
from cts.chain.localnode import LocalNode
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.core.db import build_engine, build_session_factory, upgrade_database
from cts.core.security import build_password_hasher
from cts.crud import create_user
from cts.hromadas import add_hromada, grant_role
from cts.models import Role, User
from cts.schemas import UserRegister

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark password"  # noqa: S105 (a local benchmark's throwaway account)


def rss_mib() -> float:
    """The process's peak resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


class Service:
    """The app in-process, one council member signed in (a council of every hromada)."""

    def __init__(self, settings: Settings, login: str) -> None:
        from fastapi.testclient import TestClient

        from cts.api.main import create_app

        self.client = TestClient(create_app(settings), base_url="https://testserver")
        self.client.__enter__()
        response = self.client.post("/api/auth/login", json={"login": login, "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    def page(self, slug: str) -> float:
        started = time.perf_counter()
        response = self.client.get(f"/h/{slug}/public")
        assert response.status_code == 200, response.status_code
        return time.perf_counter() - started

    def action(self, slug: str) -> float:
        body = {
            "amount_kopiyky": 100_00,
            "source": 0,
            "source_ref_hash": "0x" + secrets.token_hex(32),
            "receipt_hash": "0x" + secrets.token_hex(32),
        }
        headers = {**self.headers, "Idempotency-Key": secrets.token_urlsafe(12)}
        started = time.perf_counter()
        response = self.client.post(f"/api/h/{slug}/fund/deposits", json=body, headers=headers)
        assert response.status_code == 202, response.text
        return time.perf_counter() - started


def measure(service: Service, slug: str, samples: int) -> dict[str, tuple[float, float]]:
    # Warm up, unmeasured: the first read builds the hromada's context, the first requests fill caches.
    for _ in range(10):
        service.page(slug)
        service.action(slug)
    return {
        "page": percentiles([service.page(slug) for _ in range(samples)]),
        "action": percentiles([service.action(slug) for _ in range(samples)]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--node", choices=["anvil", "ganache"], default="anvil")
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="cts-hromadas-"))
    with LocalNode(kind=args.node, accounts=5) as node:
        w3 = Web3(HTTPProvider(node.url, request_kwargs={"timeout": 120}))
        deployer = Sender(w3, w3.eth.accounts[0])
        shared = deploy_shared(deployer)
        settings = Settings(  # type: ignore[call-arg]
            environment="development",
            database_url=f"sqlite:///{folder / 'cts.sqlite3'}",
            master_key=SecretStr(secrets.token_urlsafe(32)),
            rpc_url=node.url,
            var_dir=folder / "var",
            password_hash_time_cost=1,
            password_hash_memory_kib=8,
            password_hash_parallelism=1,
            relayer_actions_per_window=1_000_000,
            relayer_daily_gas_budget=10**15,
            relayer_staff_actions_per_window=1_000_000,
            relayer_staff_daily_gas_budget=10**15,
        )
        upgrade_database(settings.database_url)
        factory = build_session_factory(build_engine(settings.database_url))
        login = "council@benchmark.example"
        with factory() as session:
            council = create_user(
                session,
                UserRegister.model_validate(
                    {"email": login, "password": PASSWORD, "display_name": "Council"}
                ),
                password_hasher=build_password_hasher(settings),
                master_key=settings.master_key,
            )
            session.commit()
            council_address, council_id = council.wallet.address, council.id
        manifest = Manifest(chain_id=shared.chain_id, shared=shared.shared, hromadas={})
        onboarding: list[tuple[float, int]] = []

        def add(number: int) -> str:
            slug = f"h{number:03d}"
            started = time.perf_counter()
            before = w3.eth.block_number
            onboard(
                deployer,
                manifest,
                HromadaSpec(
                    key=slug, name=f"Hromada {number}", council=council_address, registrar=council_address
                ),
            )
            with factory() as session:
                hromada = add_hromada(session, manifest, slug, daily_gas_budget=10**15)
                person = session.get(User, council_id)
                assert person is not None
                grant_role(session, person, hromada, Role.COUNCIL)
                session.commit()
            seconds = time.perf_counter() - started
            gas = sum(int(w3.eth.get_block(n)["gasUsed"]) for n in range(before + 1, w3.eth.block_number + 1))
            onboarding.append((seconds, gas))
            return slug

        first = add(1)
        service = Service(settings, login)
        memory_one = rss_mib()
        baseline = measure(service, first, args.samples)
        page_ms, action_ms = baseline["page"][0] * 1000, baseline["action"][0] * 1000
        print(f"one hromada: page p50 {page_ms:.1f} ms, action p50 {action_ms:.1f} ms")
        slugs = [first] + [add(n) for n in range(2, args.count + 1)]
        print(f"{args.count} hromadas onboarded")
        for slug in slugs:  # every hromada's context built, as a busy service would have them
            service.page(slug)
        memory_all = rss_mib()
        with_all = {
            "first": measure(service, first, args.samples),
            "last": measure(service, slugs[-1], args.samples),
        }

    seconds = [s for s, _ in onboarding]
    gases = [g for _, g in onboarding]
    rows = [
        ("onboard a hromada (5 clones + the service's record), gas", f"{statistics.mean(gases):,.0f}", ""),
        ("onboard a hromada, seconds (p50 / p95)", "{:.3f} / {:.3f}".format(*percentiles(seconds)), ""),
        ("service memory, MiB (peak RSS)", f"{memory_one:.0f} with 1", f"{memory_all:.0f} with {args.count}"),
    ]
    lines = [
        f"# {args.count} hromadas on one service",
        "",
        "Measured by `benchmarks/hromadas.py` (`make bench`), one run on one local "
        f"{args.node} chain, the app in-process; {args.samples} samples per figure. Ratios are against the "
        "one-hromada baseline measured in the same run. Target: at most 1.2x.",
        "",
        "| figure | value | |",
        "|---|---:|---:|",
        *(f"| {name} | {value} | {extra} |" for name, value, extra in rows),
        "",
        f"| with {args.count} hromadas | p50 ms | p95 ms | p50 ratio | p95 ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, label in (("page", "public page (chain reads)"), ("action", "accepted action (deposit)")):
        one = baseline[kind]
        lines.append(
            f"| {label}, 1 hromada (baseline) | {one[0] * 1000:.1f} | {one[1] * 1000:.1f} | 1.00x | 1.00x |"
        )
        for which in ("first", "last"):
            p50, p95 = with_all[which][kind]
            lines.append(
                f"| {label}, the {which} of {args.count} | {p50 * 1000:.1f} | {p95 * 1000:.1f} | "
                f"{p50 / one[0]:.2f}x | {p95 / one[1]:.2f}x |"
            )
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "docs" / "benchmarks" / "hromadas.md"
    out.write_text(text)
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
