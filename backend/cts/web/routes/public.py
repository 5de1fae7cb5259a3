"""Public pages for auditors (donors, journalists, council members) and anyone else, without an account:
the hromada's figures as its contracts state them, and the audit report and ballot exports that the
independent `cts.audit` recomputation produces from chain events alone."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse

from cts.hromadas import gas_spent_today
from cts.relayer.schemas import IdParam
from cts.web.audit_report import ReportPresenter
from cts.web.cofinancing_reads import SECTOR_KEYS, CoFinancingReader
from cts.web.deps import Page, PageDep, ReaderDep, home_of

router = APIRouter(include_in_schema=False)
home_router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)


@home_router.get("")
def hromada_home(page: PageDep) -> Response:
    """A hromada's home page; a member goes straight to their role's first page."""
    if page.role is not None:
        return page.redirect(home_of(page.user, page.hromada))
    return page.render("home.html")


@router.get("/public")
def public_page(page: PageDep, reader: ReaderDep) -> Response:
    round_views = reader.rounds()
    rounds = [{"round": r, "projects": reader.projects(r.id)} for r in round_views]
    # Co-financing as `cts audit` counts it (the audit's own fold of the events, cts.audit.cofinancing).
    co_financing = CoFinancingReader(reader).figures(round_views)
    hromada = page.hromada
    assert hromada is not None  # the reader needs one
    return page.render(
        "public.html",
        {
            "fund": reader.fund(with_loans=False),
            "programmes": reader.programmes(),
            "rounds": rounds,
            "gas_spent": gas_spent_today(page.session, hromada),
            "gas_budget": hromada.daily_gas_budget,
            "co_financing": co_financing,
            "sectors": [(SECTOR_KEYS[name], row) for name, row in co_financing["by_sector"].items()],
            "sector_totals": {
                figure: sum(row[figure] for row in co_financing["by_sector"].values())
                for figure in next(iter(co_financing["by_sector"].values()))
            },
            "round_titles": {r.id: r.title for r in round_views},
        },
    )


def _target(page: Page) -> tuple[str, str, Path | None]:
    """The RPC URL and what names the hromada for the audit: its token's address, from which the audit finds
    and checks the other four contracts itself (no manifest file needed, nothing taken on trust)."""
    contracts = page.hromada.contracts if page.hromada is not None else None
    return page.settings.rpc_url, (contracts or {}).get("token", ""), None


def _help(page: Page, heading: str, command: str, reason: str = "", status: int = 503) -> Response:
    return page.render(
        "audit_help.html",
        {"heading": heading, "command": command, "reason": reason},
        status=status,
    )


def _report_command(page: Page) -> str:
    rpc, token, _ = _target(page)
    return f"cts report --rpc {rpc} --hromada {token} --out report/"


def _export_command(page: Page, round_id: int) -> str:
    rpc, token, _ = _target(page)
    return f"cts export-pabulib --rpc {rpc} --hromada {token} --round {round_id} --out round-{round_id}.pb"


def _audit_modules() -> dict[str, Any] | None:
    """The independent audit (cts.audit), if this installation has it."""
    try:
        from cts.audit.audit import replay, run_audit
        from cts.audit.errors import AuditError
        from cts.audit.pabulib import write_round
        from cts.audit.report import build_report
        from cts.audit.rpc import RpcClient
    except ImportError:
        return None
    return {
        "replay": replay,
        "run_audit": run_audit,
        "AuditError": AuditError,
        "write_round": write_round,
        "build_report": build_report,
        "RpcClient": RpcClient,
    }


@router.get("/audit/report")
def audit_report(request: Request, page: PageDep) -> Response:
    """The audit report (`cts report`): the chain's figures recomputed from events and compared with its
    state, with charts. Rebuilt when the chain has moved on since the last one."""
    audit = _audit_modules()
    if audit is None:
        return _help(page, page.t.gettext("Audit report"), _report_command(page))
    rpc, key, manifest = _target(page)
    try:
        with audit["RpcClient"](rpc) as client:
            head = client.block_number()
            cached = getattr(request.app.state, "web_audit_report", None)
            if cached is not None and cached[0] == (key, head, page.lang):
                return HTMLResponse(cached[1])
            result = audit["run_audit"](client, key, manifest=manifest, track_series=True)
            presenter = ReportPresenter(page.lang, back_url=page.url("/public"), rpc_url=rpc)
            html, _document = audit["build_report"](client, result, presenter)
    except audit["AuditError"] as error:
        return _help(page, page.t.gettext("Audit report"), _report_command(page), reason=str(error))
    except Exception:
        logger.exception("the audit report could not be built")
        return _help(
            page, page.t.gettext("Audit report"), _report_command(page), reason=page.t.error("internal_error")
        )
    request.app.state.web_audit_report = ((key, head, page.lang), html)
    return HTMLResponse(html)


@router.get("/rounds/{round_id}/export.pb")
def export_round(round_id: IdParam, page: PageDep) -> Response:
    """A round's ballots as a pabulib file (`cts export-pabulib`), from the chain's events."""
    audit = _audit_modules()
    if audit is None:
        return _help(page, page.t.gettext("Ballots of the round (pabulib)"), _export_command(page, round_id))
    rpc, key, manifest = _target(page)
    try:
        with audit["RpcClient"](rpc) as client, tempfile.TemporaryDirectory() as folder:
            replayed = audit["replay"](client, key, manifest=manifest)
            out = Path(folder) / f"round-{round_id}.pb"
            audit["write_round"](replayed, round_id, out, page.documents.title)
            content = out.read_text(encoding="utf-8")
    except audit["AuditError"] as error:
        return _help(
            page,
            page.t.gettext("Ballots of the round (pabulib)"),
            _export_command(page, round_id),
            reason=str(error),
            status=404,
        )
    except Exception:
        logger.exception("the pabulib export could not be built")
        return _help(
            page,
            page.t.gettext("Ballots of the round (pabulib)"),
            _export_command(page, round_id),
            reason=page.t.error("internal_error"),
        )
    name = page.hromada.slug if page.hromada is not None else "hromada"
    return PlainTextResponse(
        content,
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-round-{round_id}.pb"'},
    )
