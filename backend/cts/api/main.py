"""The FastAPI application. ``create_app(settings)`` builds one; ``uvicorn cts.api.main:create_app
--factory`` serves one configured from the environment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from cts import __version__
from cts.api.errors import register_exception_handlers
from cts.api.metrics import install_metrics
from cts.api.routes import api_router
from cts.core.config import Settings, get_settings
from cts.core.db import build_engine, build_session_factory
from cts.core.keystore import check_master_key
from cts.core.limits import RequestLimitsMiddleware, max_form_bytes, restore_recursion_limit
from cts.core.logs import RequestIdMiddleware
from cts.core.security import DummyPasswordCheck, build_password_hasher
from cts.hromadas import HromadaDirectory, sync_manifest
from cts.web.app import install_web

API_PREFIX = "/api"
GZIP_MINIMUM_BYTES = 1_000  # below about one packet, compressing saves nothing


def create_app(settings: Settings | None = None) -> FastAPI:
    """An application bound to ``settings`` (default: from the environment) and its database.

    It does not migrate the database: run ``cts.core.db.upgrade_database`` first (deployment step).
    """
    restore_recursion_limit()
    settings = settings or get_settings()
    engine = build_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="CTS",
        summary="Citizen Token System: RV tokens for useful cases, a balanced vote over a community fund.",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    password_hasher = build_password_hasher(settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = build_session_factory(engine)
    app.state.directory = HromadaDirectory(settings)
    with app.state.session_factory() as session:
        check_master_key(session, settings.master_key)  # never start with the wrong master key
        sync_manifest(session, settings)  # a one-hromada service needs no `cts hromada add`
        session.commit()
    app.state.password_hasher = password_hasher
    app.state.dummy_password_check = DummyPasswordCheck(password_hasher)
    register_exception_handlers(app)
    app.include_router(api_router, prefix=API_PREFIX)
    install_metrics(app, settings, app.state.session_factory)  # before the pages' catch-all routes
    install_web(app)  # the pages at "/" and /static (see cts.web)
    # Pages, styles, scripts and JSON compressed for slow links (docs/accessibility.md, "Page weight"); the
    # pages' CSRF tokens are masked afresh each time for that reason (cts.web.deps.Page.csrf_token).
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=6)
    # Outer: a body too large or nested too deeply is refused before anything parses it.
    app.add_middleware(RequestLimitsMiddleware, max_form_bytes=max_form_bytes(settings.evidence_max_bytes))
    # Outside that still: even a refused request has its id and its access log line.
    app.add_middleware(RequestIdMiddleware)
    return app
