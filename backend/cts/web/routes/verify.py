"""The auditor's in-browser verifier (GET /h/<slug>/audit/verify) and the round results it compares with
(GET /h/<slug>/rounds/<n>/results.json: the figures the service's pages show, as JSON).

The page is one file that recounts a round in the auditor's browser (cts.web.verify_page); the service only
hands it out, in the reader's language, with this hromada's manifest and results address filled in."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse, JSONResponse

from cts.errors import NotFoundError
from cts.models import Language
from cts.relayer.schemas import IdParam
from cts.web.deps import PageDep, ReaderDep
from cts.web.render import environment
from cts.web.verify_page import VerifierUnavailableError, hromada_manifest, load_assets, shareable_rpc_url

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)
LANGUAGE_NAMES = {Language.UK: "Українська", Language.EN: "English"}
# Public figures, read from anywhere: a verifier opened from disk (origin "null") fetches them too.
OPEN_TO_ALL = {"Access-Control-Allow-Origin": "*"}


@router.get("/audit/verify")
def verify_page(
    page: PageDep,
    lang: Language | None = None,
    round_id: Annotated[int | None, Query(alias="round", ge=1, le=2**64 - 1)] = None,
    download: bool = False,
) -> Response:
    """The verifier in the reader's language (or ?lang=), as a page or (?download=1) as a file to keep."""
    hromada = page.hromada
    assert hromada is not None  # every route of this router is under /h/<slug>
    chosen = lang or page.lang
    token = (hromada.contracts or {}).get("token", "")
    try:
        assets = load_assets()
    except VerifierUnavailableError as error:
        logger.error("the verifier page cannot be made: %s", error)
        return page.render(
            "audit_help.html",
            {
                "heading": page.t.gettext("Verify a round in your browser"),
                "command": f"cts audit --rpc {page.settings.rpc_url} --hromada {token}",
                "reason": page.t.error("internal_error"),
            },
            status=503,
        )
    base = str(page.request.base_url).rstrip("/")
    other = Language.EN if chosen == Language.UK else Language.UK
    here = page.url("/audit/verify")
    query = f"&round={round_id}" if round_id else ""
    context: dict[str, Any] = {
        "lang": chosen.value,
        "css": assets.css,
        "scripts": assets.scripts,
        "ethers_version": assets.ethers_version,
        "rpc_url": shareable_rpc_url(page.settings.rpc_url),
        "manifest_json": _pretty(hromada_manifest(hromada)),
        "hromada_key": hromada.slug,
        "round_id": round_id or "",
        "results_url": base + page.url("/rounds/{round}/results.json"),
        # A saved file has no service to go back to: no links to it but the results' address.
        "download_url": None if download else f"{here}?lang={chosen.value}{query}&download=1",
        "other_lang_url": None if download else f"{here}?lang={other.value}{query}",
        "other_lang": other.value,
        "other_lang_name": LANGUAGE_NAMES[other],
    }
    html = environment(chosen).get_template("audit_verify.html").render(page=page, **context)
    headers = {"Content-Security-Policy": assets.content_security_policy}
    if download:
        name = f"cts-verify-{hromada.slug}-{chosen.value}.html"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response = HTMLResponse(html, headers=headers)
    page.finish(response)  # the other security headers, which keep the policy above
    return response


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@router.get("/rounds/{round_id}/results.json")
def round_results(round_id: IdParam, page: PageDep, reader: ReaderDep) -> Response:
    """A round's figures as the service's pages show them; whole numbers as decimal strings, which a
    browser's JSON.parse keeps exact (weights pass 2^53)."""
    try:
        found = reader.round(round_id)
    except NotFoundError:
        return JSONResponse({"detail": f"no round {round_id}"}, status_code=404, headers=OPEN_TO_ALL)
    projects = reader.projects(round_id)
    body = {
        "hromada": page.hromada.slug if page.hromada is not None else None,
        "round_id": round_id,
        "state": found.state,
        "rule": found.rule,
        "fund_kopiyky": str(found.fund_kopiyky),
        "total_funded_kopiyky": str(found.total_funded_kopiyky),
        "voters": str(found.voters),
        "projects": [
            {
                "id": p.id,
                "title": p.title,
                "status": p.status,
                "ask_kopiyky": str(p.ask_kopiyky),
                "weight": str(p.weight),
                "credits": str(p.credits),
                "supporters": str(p.supporters),
                "funded_kopiyky": str(p.funded_kopiyky),
            }
            for p in projects
        ],
    }
    return JSONResponse(body, headers=OPEN_TO_ALL)
