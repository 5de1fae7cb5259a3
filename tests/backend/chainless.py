"""An app on the test's database with one hromada whose contracts nobody answers for (no chain): for the
API and page tests of what needs no chain (accounts, languages, role checks, validation). Importable from
every test folder below tests/backend (pytest puts this folder on sys.path for its conftest)."""

from __future__ import annotations

from fastapi import FastAPI

from cts.api.main import create_app
from cts.chain.manifest import CONTRACT_KEYS
from cts.core.config import Settings
from cts.models import Hromada

SLUG = "testova"


def app_with_one_hromada(settings: Settings, slug: str = SLUG) -> FastAPI:
    app = create_app(settings)
    with app.state.session_factory() as session:
        contracts = {key: "0x" + f"{n:040x}" for n, key in enumerate(CONTRACT_KEYS, start=1)}
        session.add(
            Hromada(
                slug=slug,
                name="Тестова громада",
                chain_id=1337,
                contracts=contracts,
                forwarder="0x" + "9" * 40,
            )
        )
        session.commit()
    return app
