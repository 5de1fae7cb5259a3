"""The `cts` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from web3 import HTTPProvider, Web3

from cts import __version__
from cts.audit import cli as audit_cli
from cts.core.limits import restore_recursion_limit
from cts.core.logs import configure_logging


def _chain_status(args: argparse.Namespace) -> int:
    w3 = Web3(HTTPProvider(args.rpc, request_kwargs={"timeout": 10}))
    if not w3.is_connected():
        print(f"cts: no chain answers at {args.rpc}", file=sys.stderr)
        return 2
    print(f"chain id {w3.eth.chain_id}, block {w3.eth.block_number}, client {w3.client_version}")
    return 0


def _pilot(args: argparse.Namespace) -> int:
    from cts.chain.localnode import LocalNode
    from cts.pilot.replay import report_lines, run_pilot

    print(f"cts pilot: the second pilot cycle (2 hromadas, 2023) on a local {args.node} chain")
    with LocalNode(kind=args.node, accounts=20) as node:
        w3 = Web3(HTTPProvider(node.url, request_kwargs={"timeout": 120}))
        result = run_pilot(w3, say=lambda line: print(f"  {line}"))
        if args.manifest:
            result.manifest.save(args.manifest)
    lines, matches = report_lines(result)
    print()
    print("\n".join(lines))
    if not matches:
        print("cts pilot: the chain's figures differ from the pilot report", file=sys.stderr)
        return 1
    return 0


def _report(args: argparse.Namespace) -> int:
    """`cts report` in the language asked for, with the pages' catalogs (the audit itself has no words)."""
    from cts.models import Language
    from cts.web.audit_report import ReportPresenter

    return audit_cli.report_command(args, ReportPresenter(Language(args.lang), back_url=args.site))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cts", description="Citizen Token System")
    parser.add_argument("--version", action="version", version=f"cts {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    status = commands.add_parser("chain-status", help="say which chain answers at an RPC URL")
    status.add_argument(
        "--rpc", default="http://127.0.0.1:8545", help="JSON-RPC URL (default: the demo chain)"
    )
    status.set_defaults(handler=_chain_status)

    pilot = commands.add_parser(
        "pilot", help="replay the second pilot cycle at its real scale on a local chain and print its figures"
    )
    pilot.add_argument(
        "--node", choices=["anvil", "ganache"], default="anvil", help="local chain (default anvil)"
    )
    pilot.add_argument("--manifest", type=Path, help="also write the deployment manifest here")
    pilot.set_defaults(handler=_pilot)

    audit = commands.add_parser(
        "audit", help="recompute a hromada's figures from chain events alone and compare them with its state"
    )
    audit_cli.add_audit_arguments(audit)
    audit.set_defaults(handler=audit_cli.audit_command)

    report = commands.add_parser("report", help="write a self-contained HTML report (and JSON) of a hromada")
    audit_cli.add_report_arguments(report)
    report.set_defaults(handler=_report)

    from cts.chain import verify

    verify_parser = commands.add_parser(
        "verify-deployment",
        help="recompile a manifest's stored sources and compare with the code at its addresses",
    )
    verify.add_arguments(verify_parser)
    verify_parser.set_defaults(handler=verify.command)

    export = commands.add_parser("export-pabulib", help="write a round's ballots as a pabulib .pb file")
    audit_cli.add_export_arguments(export)
    export.set_defaults(handler=audit_cli.export_pabulib_command)

    from cts.election_replay import add_replay_arguments, replay_command

    replay = commands.add_parser(
        "replay",
        help="replay a real election (a cumulative pabulib file) through the relayer, then audit it",
    )
    add_replay_arguments(replay)
    replay.set_defaults(handler=replay_command)

    from cts.web.demo import add_demo_arguments, demo_command

    demo = commands.add_parser(
        "demo", help="a local chain with a seeded demo hromada, and the web pages served with the relayer"
    )
    add_demo_arguments(demo)
    demo.set_defaults(handler=demo_command)

    from cts.backup import add_commands as add_backup_commands
    from cts.notify.cli import add_commands as add_notify_commands
    from cts.operator_cli import add_commands as add_operator_commands
    from cts.relayer.cli import add_commands as add_service_commands

    add_service_commands(commands)
    add_operator_commands(commands)
    add_backup_commands(commands)
    add_notify_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The services (`serve`, `relayer run`, `notify run`) log JSON lines for a log collector; the other
    # commands plain text.
    configure_logging(json_lines=getattr(args, "log_format", "text") == "json")
    restore_recursion_limit()  # after the imports: see cts.core.limits
    handler = args.handler
    code: int = handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
