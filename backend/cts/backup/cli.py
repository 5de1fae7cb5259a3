"""`cts backup` and `cts restore`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cts.backup.files import BackupError, configured_database_url, shown_url
from cts.backup.restorer import restore_database
from cts.backup.writer import backup_database
from cts.core.config import Settings
from cts.core.db import normalize_database_url

# ---------------------------------------------------------------------------------------- command line


def _describe(summary: dict[str, Any]) -> str:
    counts = summary.get("counts", {})
    actions = counts.get("actions", {})
    keys = summary.get("key_versions", {})
    return (
        f"schema {', '.join(summary.get('schema_revision', [])) or 'none'}; "
        f"{counts.get('users', 0)} users, {counts.get('wallets', 0)} wallets "
        f"(keys under master key {', '.join(keys) or '-'}); actions: "
        + (", ".join(f"{n} {status}" for status, n in sorted(actions.items())) or "none")
    )


def backup_command(args: argparse.Namespace) -> int:
    url = normalize_database_url(configured_database_url())
    try:
        result = backup_database(url, args.out)
    except BackupError as error:
        print(f"cts: {error}", file=sys.stderr)
        return 2
    file = result.summary["file"]
    print(f"cts: backed up {shown_url(url)} to {result.path} ({file['bytes']} bytes)")
    print(f"cts: {_describe(result.summary)}")
    print(f"cts: its summary: {result.sidecar}. Keep the master key apart from the backups.")
    return 0


def restore_command(args: argparse.Namespace) -> int:
    from cts.relayer.cli import _settings

    settings: Settings = _settings()
    url = normalize_database_url(settings.database_url)
    try:
        result = restore_database(
            args.backup,
            settings,
            force=args.force,
            use_chain=not args.no_chain,
            say=lambda line: print(f"cts: {line}"),
        )
    except BackupError as error:
        print(f"cts: {error}", file=sys.stderr)
        return 2
    print(f"cts: restored {args.backup} into {shown_url(url)}, migrated to {', '.join(result.revision)}")
    print(f"cts: the backup held: {_describe(result.summary)}")
    reconciliation = result.reconciliation
    if reconciliation.confirmed:
        print(
            f"cts: {len(reconciliation.confirmed)} actions queued at backup time had run on chain since; "
            "marked confirmed (not sent again)"
        )
    if reconciliation.unknown_runs:
        print(
            f"cts: {reconciliation.unknown_runs} requests of the same people ran on chain after the backup "
            "and are not in it (actions accepted after it): done on chain, unknown to the service"
        )
    print("cts: start the service (cts serve, cts relayer run); the old machine must never run again")
    return 0


def add_commands(commands: Any) -> None:
    backup = commands.add_parser(
        "backup", help="write a consistent copy of the service's database (while it runs), and OUT.json"
    )
    backup.add_argument("out", type=Path, help="the backup file to write (its summary goes to OUT.json)")
    backup.set_defaults(handler=backup_command)

    restore = commands.add_parser(
        "restore",
        help="bring a backup up as the service's database (CTS_DATABASE_URL), checked against the master key",
    )
    restore.add_argument("backup", type=Path, help="a file written by `cts backup`")
    restore.add_argument(
        "--force", action="store_true", help="replace a database that is not empty (stop the service first)"
    )
    restore.add_argument(
        "--no-chain",
        action="store_true",
        help="do not read the chain for the actions queued at backup time (only if the old service sent "
        "nothing after the backup)",
    )
    restore.set_defaults(handler=restore_command)
