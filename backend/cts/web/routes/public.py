"""Public pages for auditors (donors, journalists, council members) and anyone else, without an account:
the hromada's figures as its contracts state them, and the audit report and ballot exports that the
independent `cts.audit` recomputation produces from chain events alone."""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse

from cts.relayer.schemas import IdParam
from cts.web.deps import Page, PageDep, ReaderDep

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)


@router.get("/public")
def public_page(page: PageDep, reader: ReaderDep) -> Response:
    rounds = [{"round": r, "projects": reader.projects(r.id)} for r in reader.rounds()]
    return page.render(
        "public.html",
        {"fund": reader.fund(with_loans=False), "programmes": reader.programmes(), "rounds": rounds},
    )


def _target(page: Page) -> tuple[str, str, Path | None]:
    """The RPC URL, the hromada's key and the manifest path the audit is run with."""
    relayer = page.relayer
    key = relayer.chain.hromada.entry.key if relayer is not None else (page.settings.hromada or "")
    return page.settings.rpc_url, key, page.settings.manifest_path


def _help(page: Page, heading: str, command: str, reason: str = "", status: int = 503) -> Response:
    return page.render(
        "audit_help.html",
        {"heading": heading, "command": command, "reason": reason},
        status=status,
    )


def _report_command(page: Page) -> str:
    rpc, key, manifest = _target(page)
    manifest_text = manifest or "deployments/<chain id>.json"
    return f"cts report --rpc {rpc} --manifest {manifest_text} --hromada {key} --out report/"


def _export_command(page: Page, round_id: int) -> str:
    rpc, key, manifest = _target(page)
    return (
        f"cts export-pabulib --rpc {rpc} --manifest {manifest or 'deployments/<chain id>.json'} "
        f"--hromada {key} --round {round_id} --out round-{round_id}.pb"
    )


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
            if cached is not None and cached[0] == (key, head):
                return HTMLResponse(cached[1])
            result = audit["run_audit"](client, key, manifest=manifest, track_series=True)
            html, _document = audit["build_report"](client, result)
    except audit["AuditError"] as error:
        return _help(page, page.t.gettext("Audit report"), _report_command(page), reason=str(error))
    except Exception:
        logger.exception("the audit report could not be built")
        return _help(
            page, page.t.gettext("Audit report"), _report_command(page), reason=page.t.error("internal_error")
        )
    request.app.state.web_audit_report = ((key, head), html)
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
            audit["write_round"](replayed, round_id, out)
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
    name = re.sub(r"[^A-Za-z0-9_-]", "_", key) or "hromada"
    return PlainTextResponse(
        content,
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-round-{round_id}.pb"'},
    )
