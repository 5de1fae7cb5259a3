"""The auditors' subcommands of `cts`: audit, report, export-pabulib.

`cts.cli` adds the parsers; the work is done here. Heavy imports (matplotlib, pabutools) wait until a
command needs them, so that `cts --help` stays quick.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cts.audit.errors import AuditError
from cts.audit.scan import DEFAULT_CHUNK, progress_enabled

if TYPE_CHECKING:
    from cts.audit.report import ReportPresenter

EXIT_AGREE = 0
EXIT_DIFFER = 1
EXIT_CANNOT_AUDIT = 2


def add_hromada_arguments(parser: argparse.ArgumentParser) -> None:
    """--rpc, --hromada, --manifest and the scan options, shared by the three commands."""
    parser.add_argument("--rpc", required=True, help="JSON-RPC URL of the chain")
    parser.add_argument(
        "--hromada",
        metavar="ADDRESS_OR_MANIFEST",
        help="the address of any of the hromada's five contracts, or a manifest path (its only hromada), "
        "or with --manifest a key, name or address",
    )
    parser.add_argument("--manifest", type=Path, help="deployment manifest naming the hromada")
    parser.add_argument(
        "--from-block", type=int, help="first block to scan (default: the hromada's onboarding)"
    )
    parser.add_argument(
        "--to-block", type=int, help="last block to scan and read the state at (default: latest)"
    )
    parser.add_argument(
        "--chunk",
        type=int,
        default=DEFAULT_CHUNK,
        help=f"most blocks per eth_getLogs request (default {DEFAULT_CHUNK}; halved when the node refuses)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def add_delivery_files_argument(parser: argparse.ArgumentParser) -> None:
    """--delivery-files, for `cts audit` and `cts report`: the receipts to hash again."""
    parser.add_argument(
        "--delivery-files",
        metavar="DIR_OR_URL",
        help="the delivery reports' receipt files, named <sha256>.<ext>: a folder (the service's "
        "var/delivery-files or a copy) or an http(s) base URL (the pages' .../h/<slug>/delivery/files); "
        "each receipt a report lists on chain is hashed again: a changed file fails the audit, a missing "
        "one is a notice. Without it the audit reads chain events alone",
    )


def add_audit_arguments(parser: argparse.ArgumentParser) -> None:
    add_hromada_arguments(parser)
    add_delivery_files_argument(parser)
    parser.add_argument(
        "--json", type=Path, metavar="OUT", help="also write the figures and differences as JSON"
    )


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    add_hromada_arguments(parser)
    add_delivery_files_argument(parser)
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="directory for report.html/.json"
    )
    parser.add_argument(
        "--lang", choices=["uk", "en"], default="en", help="language of report.html (default en)"
    )
    parser.add_argument(
        "--site", default="", metavar="URL", help="the hromada's pages, for the report's link back to them"
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="the service's database (its CTS_DATABASE_URL: sqlite:///path or postgresql://...), read only "
        "to add the hromada's community issues per affected group; they are the service's records, not the "
        "chain's, so the audit does not check them. Without it the report reads the chain alone",
    )


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    add_hromada_arguments(parser)
    parser.add_argument("--round", type=int, required=True, dest="round_id", help="round id")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.pb", help="pabulib file to write")
    parser.add_argument(
        "--documents",
        type=Path,
        metavar="DIR",
        help="the service's project descriptions (<sha256>.json, in its var/documents), to name the projects "
        "by their titles; each is checked against the hash the chain holds",
    )


def _quiet_http_logs() -> None:
    """The audit makes thousands of requests; one log line each would drown its own output."""
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _fail(command: str, error: Exception) -> int:
    print(f"cts {command}: {error}", file=sys.stderr)
    return EXIT_CANNOT_AUDIT


def audit_command(args: argparse.Namespace) -> int:
    _quiet_http_logs()
    from cts.audit.audit import format_summary, run_audit
    from cts.audit.rpc import RpcClient

    try:
        with RpcClient(args.rpc) as client:
            result = run_audit(
                client,
                args.hromada,
                manifest=args.manifest,
                from_block=args.from_block,
                to_block=args.to_block,
                chunk=args.chunk,
                progress=progress_enabled(args.quiet),
                delivery_files=args.delivery_files,
            )
    except AuditError as error:
        return _fail("audit", error)
    print(format_summary(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result.to_json(), indent=1) + "\n")
    return EXIT_AGREE if result.ok else EXIT_DIFFER


def report_command(args: argparse.Namespace, presenter: ReportPresenter) -> int:
    """`presenter` gives the report its language and page (cts.cli passes the web pages' catalogs)."""
    _quiet_http_logs()
    from cts.audit.audit import run_audit
    from cts.audit.report import write_report
    from cts.audit.rpc import RpcClient

    try:
        with RpcClient(args.rpc) as client:
            result = run_audit(
                client,
                args.hromada,
                manifest=args.manifest,
                from_block=args.from_block,
                to_block=args.to_block,
                chunk=args.chunk,
                progress=progress_enabled(args.quiet),
                track_series=True,
                delivery_files=args.delivery_files,
            )
            issues = presenter.issues_by_group(args.database, result.hromada) if args.database else None
            html_path, json_path = write_report(client, result, args.out, presenter, issues)
    except AuditError as error:
        return _fail("report", error)
    verdict = (
        "the chain agrees with the recomputation" if result.ok else f"{len(result.differences)} differences"
    )
    print(f"cts report: {html_path} and {json_path} ({verdict})")
    return EXIT_AGREE if result.ok else EXIT_DIFFER


def export_pabulib_command(args: argparse.Namespace) -> int:
    _quiet_http_logs()
    from cts.audit.audit import replay
    from cts.audit.pabulib import titles_from_folder, write_round
    from cts.audit.rpc import RpcClient

    try:
        with RpcClient(args.rpc) as client:
            replayed = replay(
                client,
                args.hromada,
                manifest=args.manifest,
                from_block=args.from_block,
                to_block=args.to_block,
                chunk=args.chunk,
                progress=progress_enabled(args.quiet),
            )
            titles = titles_from_folder(args.documents) if args.documents is not None else None
            election = write_round(replayed, args.round_id, args.out, titles)
    except AuditError as error:
        return _fail("export-pabulib", error)
    print(
        f"cts export-pabulib: round {args.round_id} ({election.num_votes} ballots, {election.num_projects} "
        f"projects) -> {args.out}; ballots as the events record them (check them with `cts audit`)"
    )
    return EXIT_AGREE
