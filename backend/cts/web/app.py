"""Wiring the pages into an application: the routers at "/", static files at /static, and HTML error pages
for everything outside /api (which keeps its JSON errors)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from cts.api import errors as api_errors
from cts.core.db import utcnow
from cts.crud import get_auth_session, is_auth_session_valid
from cts.errors import CTSError, ServiceUnavailableError
from cts.models import Language
from cts.web.deps import SESSION_COOKIE, Page, PageForbidden, PayloadTooLarge, SignInRequired, build_page
from cts.web.forms import is_offline_sync, offline_answer
from cts.web.i18n import get_translator
from cts.web.render import LEAFLET_DIR, STATIC_DIR, leaflet_version, static_version
from cts.web.routes import pages_router

logger = logging.getLogger(__name__)
API_PREFIX = "/api"


def _is_api(request: Request) -> bool:
    return request.url.path == API_PREFIX or request.url.path.startswith(API_PREFIX + "/")


@contextmanager
def _page_for(request: Request) -> Iterator[Page]:
    """A page context for an error that happened outside a page's own dependencies."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        token = request.cookies.get(SESSION_COOKIE)
        auth_session = get_auth_session(session, token) if token else None
        if auth_session is not None and not is_auth_session_valid(auth_session, utcnow()):
            auth_session = None
        yield build_page(request, session, auth_session)


def _status_heading(page: Page, status: int) -> str:
    t = page.t
    if status == 403:
        return t.gettext("Not allowed")
    if status == 404:
        return t.gettext("Page not found")
    if status == 503:
        return t.gettext("Temporarily unavailable")
    return t.gettext("Something went wrong")


def handle_sign_in_required(request: Request, error: Exception) -> Response:
    assert isinstance(error, SignInRequired)
    return error.page.redirect(error.page.url("/signin?") + urlencode({"next": error.page.here}))


def handle_forbidden(request: Request, error: Exception) -> Response:
    assert isinstance(error, PageForbidden)
    page = error.page
    if is_offline_sync(page):  # the person's role here changed since the form was saved
        return offline_answer(page, 403, "refused", message=page.t.error("role_required"), errors={})
    return page.error_page(403, page.t.gettext("Not allowed"), page.t.error("role_required"))


def handle_too_large(request: Request, error: Exception) -> Response:
    assert isinstance(error, PayloadTooLarge)
    page = error.page
    limit = page.t.filesize(page.settings.evidence_max_bytes)
    message = page.t.error("evidence_too_large", limit=limit)
    if is_offline_sync(page):  # a form saved offline, sent now: refused, with the reason to keep
        return offline_answer(page, 413, "refused", message=message, errors={})
    return page.error_page(413, _status_heading(page, 413), message)


def handle_cts_error(request: Request, error: Exception) -> Response:
    if _is_api(request):
        return api_errors.handle_cts_error(request, error)
    assert isinstance(error, CTSError)
    status = error.status_code
    if status >= 500 and not isinstance(error, ServiceUnavailableError):
        logger.error("%s on %s %s: %s", type(error).__name__, request.method, request.url.path, error)
    with _page_for(request) as page:
        message = page.t.refusal(error) if status < 500 else page.t.error(error.code)
        if is_offline_sync(page):
            outcome = "retry" if status >= 500 or status == 429 else "refused"
            response = offline_answer(page, status, outcome, message=message, errors={})
        else:
            response = page.error_page(status, _status_heading(page, status), message, retry=status == 503)
    if isinstance(error, ServiceUnavailableError):
        response.headers["Retry-After"] = str(error.retry_after_seconds)
    return response


def handle_http_exception(request: Request, error: Exception) -> Response:
    if _is_api(request):
        return api_errors.handle_http_exception(request, error)
    assert isinstance(error, StarletteHTTPException)
    code = {404: "not_found", 405: "not_found"}.get(error.status_code, "bad_request")
    with _page_for(request) as page:
        return page.error_page(
            error.status_code, _status_heading(page, error.status_code), page.t.error(code)
        )


def handle_validation_error(request: Request, error: Exception) -> Response:
    if _is_api(request):
        return api_errors.handle_validation_error(request, error)
    with _page_for(request) as page:  # a malformed page address, such as /rounds/abc
        return page.error_page(404, _status_heading(page, 404), page.t.error("not_found"))


def handle_unexpected_error(request: Request, error: Exception) -> Response:
    if _is_api(request):
        return api_errors.handle_unexpected_error(request, error)
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    with _page_for(request) as page:
        return page.error_page(500, _status_heading(page, 500), page.t.error("internal_error"))


class StaticAssets(StaticFiles):
    """The pages' CSS, scripts and icon. The pages name each by its content (``static_url``: ``?v=`` and a
    hash), so a browser may keep that address for a year without asking again: a slow link pays for them
    once. Any other address of a file is checked again each time (its ETag makes that cheap)."""

    def __init__(self, *, directory: Path, version: Callable[[str], str] = static_version) -> None:
        super().__init__(directory=directory, check_dir=False)
        self.version = version

    def file_response(
        self,
        full_path: PathLike[str] | str,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        name = self.get_path(scope).replace(os.sep, "/")
        versioned = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v") == [
            self.version(name)
        ]
        response.headers["Cache-Control"] = (
            "public, max-age=31536000, immutable" if versioned else "public, no-cache"
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


def install_web(app: FastAPI) -> None:
    """Add the pages at "/", their static files at /static, and error pages for everything outside /api
    (the API keeps its JSON errors). The compiled translations are loaded now: without them the service does
    not start (CatalogMissingError says how to compile them)."""
    for lang in Language:
        get_translator(lang)
    # Leaflet's files first: the mount at /static would take their addresses otherwise.
    app.mount("/static/leaflet", StaticAssets(directory=LEAFLET_DIR, version=leaflet_version), name="leaflet")
    app.mount("/static", StaticAssets(directory=STATIC_DIR), name="static")
    app.include_router(pages_router)
    app.add_exception_handler(SignInRequired, handle_sign_in_required)
    app.add_exception_handler(PageForbidden, handle_forbidden)
    app.add_exception_handler(PayloadTooLarge, handle_too_large)
    app.add_exception_handler(CTSError, handle_cts_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(Exception, handle_unexpected_error)
