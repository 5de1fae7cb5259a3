"""How the pages travel to a slow phone (issue 20; docs/accessibility.md, "Page weight"): compressed, the
static files named by their content and kept by the browser, and the CSRF token masked afresh on every page
so that compression cannot give it away (BREACH)."""

from __future__ import annotations

import gzip
import html
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from web_helpers import CSRF

from cts.api.main import create_app
from cts.core.config import Settings
from cts.models import Language
from cts.web.i18n import get_translator
from cts.web.render import STATIC_DIR, static_url, static_version


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="https://testserver") as built:
        yield built


def raw_get(client: TestClient, path: str, encoding: str = "gzip") -> httpx.Response:
    """The answer as it crossed the wire (httpx would otherwise undo the compression)."""
    with client.stream("GET", path, headers={"Accept-Encoding": encoding}) as response:
        response.raw_body = b"".join(response.iter_raw())  # type: ignore[attr-defined]
        return response


def test_a_page_and_its_stylesheet_travel_compressed(client: TestClient) -> None:
    for path in ("/signin", static_url("cts.css")):
        response = raw_get(client, path)
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "gzip"
        body = response.raw_body  # type: ignore[attr-defined]
        assert len(body) < len(gzip.decompress(body)) / 2
    assert "content-encoding" not in raw_get(client, "/signin", encoding="identity").headers


def test_a_static_file_at_its_content_address_is_kept_for_a_year_any_other_is_checked_again(
    client: TestClient,
) -> None:
    assert static_url("cts.css") == f"/static/cts.css?v={static_version('cts.css')}"
    kept = client.get(static_url("cts.css"))
    assert kept.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert kept.content == (STATIC_DIR / "cts.css").read_bytes()
    for stale in ("/static/cts.css", "/static/cts.css?v=0.1.0", "/static/cts.css?v=000000000000"):
        assert client.get(stale).headers["cache-control"] == "public, no-cache"
    assert static_url("verify/verify.js").endswith(static_version("verify/verify.js"))
    assert client.get(static_url("verify/verify.js")).headers["cache-control"].endswith("immutable")
    # The pages themselves are never kept: they hold a person's data.
    assert client.get("/signin").headers["cache-control"] == "no-store"


def test_the_csrf_token_differs_on_every_page_and_each_one_works(client: TestClient) -> None:
    expired = get_translator(Language.UK).error("csrf_failed")

    def sign_in_with(token: str) -> str:
        fields = {"csrf_token": token, "login": "nobody@example.org", "password": "not the password"}
        return html.unescape(client.post("/signin", data=fields).text)

    first, second = (CSRF.findall(client.get("/signin").text)[-1] for _ in range(2))
    assert first != second and len(first) == len(second) == 128
    for token in (first, second):
        assert expired not in sign_in_with(token)  # refused for the password, not for the token
    for forged in ("", "0" * 128, first[:64], first[:-2] + "zz"):
        assert expired in sign_in_with(forged)
