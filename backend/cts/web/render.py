"""The Jinja2 environments of the pages: templates from the package, autoescaped, with Jinja2's i18n
extension (``_()``, ``ngettext()``, ``pgettext()``, ``{% trans %}``) bound to one language's catalog, and the
helpers every template uses (money, numbers, dates, weights, static file URLs).

There is one environment per language, made once: the gettext callables are the environment's own, so a
page never sees another request's language."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from cts.chain.artifacts import REPO_ROOT
from cts.models import Language
from cts.web.forms import FormState
from cts.web.i18n import get_translator

if TYPE_CHECKING:
    from cts.web.deps import Page

STATIC_DIR = Path(__file__).parent / "static"
# Leaflet, the issues' map (issue 18), served as npm installed it (`make setup` runs `npm ci`), at
# /static/leaflet/<file>?v=<its hash>, like our own static files.
LEAFLET_DIR = REPO_ROOT / "node_modules" / "leaflet" / "dist"


@cache
def static_version(name: str) -> str:
    """The start of the file's SHA-256: its URL changes whenever its content does."""
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """A static file's URL, named by its content, so that browsers may keep it for a year (StaticAssets) and
    a changed file is never served from an old cache."""
    return f"/static/{name}?v={static_version(name)}"


@cache
def leaflet_version(name: str) -> str:
    return hashlib.sha256((LEAFLET_DIR / name).read_bytes()).hexdigest()[:12]


def leaflet_url(name: str) -> str:
    """A file of Leaflet's, named by its content (cached for a year, like ``static_url``)."""
    return f"/static/leaflet/{name}?v={leaflet_version(name)}"


@cache
def environment(lang: Language) -> Environment:
    t = get_translator(lang)
    env = Environment(
        loader=PackageLoader("cts.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Not "newstyle": our callables fill the placeholders themselves (and write ngettext's count the
    # locale's way); what they return is plain text, escaped like any other value.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        t.gettext, t.ngettext, newstyle=False, pgettext=t.pgettext, npgettext=t.npgettext
    )
    env.globals.update(
        static=static_url,
        blank=FormState.blank,
        t=t,
        number=t.number,
        uah=t.uah,
        when=t.when,
        weight=t.weight,
        ratio=t.ratio,
        filesize=t.filesize,
    )
    return env


def render_template(template: str, page: Page, **context: Any) -> str:
    return environment(page.lang).get_template(template).render(page=page, **context)
