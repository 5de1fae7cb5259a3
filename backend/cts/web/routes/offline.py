"""What makes the staff's and residents' pages an installable web app that works without a network
(docs/offline.md): the service worker at /sw.js and a web manifest per hromada. Which pages each role keeps
on the device is ``cts.web.deps.OFFLINE_PAGES``; the forms captured offline are sent by static/offline.js."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Response

from cts.models import Language
from cts.web.deps import SECURITY_HEADERS, PageDep
from cts.web.i18n import get_translator
from cts.web.render import static_url

root_router = APIRouter(include_in_schema=False)
router = APIRouter(include_in_schema=False)

WORKER_SOURCE = Path(__file__).resolve().parent.parent / "worker" / "sw.js"
# What the worker keeps from the first visit on: the files every page uses, at their content addresses.
OFFLINE_ASSETS = ("cts.css", "cts.js", "offline.js", "favicon.svg")


@cache
def worker_script() -> tuple[str, str]:
    """The service worker's source with its asset list filled in, and its ETag (it changes with them)."""
    assets = [static_url(name) for name in OFFLINE_ASSETS]
    version = hashlib.sha256(json.dumps(assets).encode()).hexdigest()[:12]
    source = WORKER_SOURCE.read_text(encoding="utf-8")
    source = source.replace("__CTS_VERSION__", version).replace("__CTS_ASSETS__", json.dumps(assets))
    return source, hashlib.sha256(source.encode()).hexdigest()[:16]


@root_router.get("/sw.js")
def service_worker() -> Response:
    """The service worker, at the root so that its scope is every page. Browsers check it for changes on
    each visit (no-cache), so a new release reaches the device at the next page opened online."""
    source, etag = worker_script()
    return Response(
        source,
        media_type="text/javascript",
        headers={
            "Cache-Control": "no-cache",
            "ETag": f'"{etag}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": SECURITY_HEADERS["Content-Security-Policy"],
        },
    )


@router.get("/manifest.webmanifest")
def manifest(page: PageDep, lang: str = "uk") -> Response:
    """The web manifest that lets a phone install the hromada's pages as an app (on its home screen)."""
    assert page.hromada is not None
    chosen = Language(lang) if lang in (Language.UK.value, Language.EN.value) else Language.UK
    t = get_translator(chosen)
    body = {
        "name": f"{t.gettext('CTS')} · {page.hromada.name}",
        "short_name": page.hromada.name[:12],
        "description": t.gettext("Citizen Token System"),
        "lang": chosen.value,
        "start_url": page.url("") or "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0057b7",
        "icons": [{"src": static_url("favicon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    return Response(
        json.dumps(body, ensure_ascii=False),
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, no-cache", "X-Content-Type-Options": "nosniff"},
    )
