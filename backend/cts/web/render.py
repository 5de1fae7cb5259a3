"""The Jinja2 environment of the pages: templates from the package, autoescaped, with the helpers every
template uses (translation, money, dates, weights, static file URLs)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from cts import __version__
from cts.web.forms import FormState

if TYPE_CHECKING:
    from cts.web.deps import Page

STATIC_DIR = Path(__file__).parent / "static"


def static_url(name: str) -> str:
    """A static file's URL, versioned so that a new release is never served from an old cache."""
    return f"/static/{name}?v={__version__}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("cts.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static_url
    env.globals["blank"] = FormState.blank
    return env


def render_template(template: str, page: Page, **context: Any) -> str:
    t = page.t
    helpers = {
        "t": t,
        "uah": t.uah,
        "when": t.when,
        "when_db": t.when_datetime,
        "weight": t.weight,
        "ratio": t.ratio,
        "filesize": t.filesize,
    }
    return environment().get_template(template).render(page=page, **helpers, **context)
