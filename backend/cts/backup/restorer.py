"""Bringing a backup up as the configured database: refuse a non-empty target or a wrong master key,
migrate, then reconcile with the chain (cts.backup.reconcile)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL

from cts.backup.files import (
    LIVE_STATUSES,
    PG_DUMP_MAGIC,
    SQLITE_MAGIC,
    BackupError,
    file_sha256,
    live_actions,
    remove_sqlite_files,
    shown_url,
    sidecar_path,
    summarize,
    temporary_beside,
)
from cts.backup.keys import KeyCheck, check_master_key, session_records
from cts.backup.pgdump import dump_records, dump_tables
from cts.backup.reconcile import Reconciliation, chain_for, reconcile_if_needed
from cts.backup.writer import libpq, pg_tool, run_pg_tool, sqlite_file, sqlite_uri, summarize_sqlite
from cts.core.config import Settings
from cts.core.db import build_engine, build_session_factory, normalize_database_url, upgrade_database

# ---------------------------------------------------------------------------------------- restore


@dataclass(frozen=True)
class RestoreResult:
    summary: dict[str, Any]
    keys: KeyCheck
    reconciliation: Reconciliation
    revision: list[str]


def backup_kind(backup: Path) -> str:
    """'sqlite' or 'postgresql', from the file's first bytes."""
    try:
        with backup.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"cannot read the backup {backup}: {error.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{backup} is neither a SQLite database nor a pg_dump custom-format archive")


def read_sidecar(backup: Path) -> dict[str, Any] | None:
    """The backup's summary, after checking that the backup is the file it describes; None if absent."""
    path = sidecar_path(backup)
    if not path.is_file():
        return None
    try:
        sidecar: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"cannot read the backup's summary {path}: {error}") from None
    described = sidecar.get("file", {})
    if described.get("sha256") and described["sha256"] != file_sha256(backup):
        raise BackupError(
            f"{backup} is not the file its summary {path.name} describes (SHA-256 differs): damaged, or "
            "not the same backup; nothing was restored"
        )
    return sidecar


def restore_database(
    backup: Path,
    settings: Settings,
    *,
    force: bool = False,
    use_chain: bool = True,
    say: Callable[[str], None] = lambda line: None,
) -> RestoreResult:
    """Bring ``backup`` up as the database of ``settings`` (``CTS_DATABASE_URL``), checked and migrated.

    Refuses (BackupError, target as it was) when the target is not empty and not ``force``, when the
    backup does not match its summary, when the configured master key does not decrypt every wallet key,
    and, when the backup holds actions that may still be sent and ``use_chain``, when the chain does not
    answer at ``CTS_RPC_URL``. With ``use_chain`` false the live actions are not reconciled (see the
    module's docstring): only right when the old service sent nothing after the backup.
    """
    backup = backup.absolute()
    kind = backup_kind(backup)
    sidecar = read_sidecar(backup)
    if sidecar is None:
        say(f"no summary {sidecar_path(backup).name} beside the backup: restoring without checking it")
    url = normalize_database_url(settings.database_url)
    if url.get_backend_name() != kind:
        raise BackupError(
            f"a {kind} backup is restored into a {kind} database; CTS_DATABASE_URL is "
            f"{url.get_backend_name()}"
        )
    if kind == "sqlite":
        return _restore_sqlite(backup, url, settings, force=force, use_chain=use_chain, say=say)
    return _restore_postgres(backup, url, settings, sidecar, force=force, use_chain=use_chain, say=say)


def _sqlite_is_empty(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return True
    try:
        connection = sqlite3.connect(sqlite_uri(path, "rw"), uri=True, timeout=30)
        try:
            tables = connection.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchone()[0]
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        return False  # not a database we can read: never overwritten without --force
    return int(tables) == 0


def _restore_sqlite(
    backup: Path, url: URL, settings: Settings, *, force: bool, use_chain: bool, say: Callable[[str], None]
) -> RestoreResult:
    target = sqlite_file(url)
    if not force and not _sqlite_is_empty(target):
        raise BackupError(
            f"the database {target} is not empty: restore into an empty one, or pass --force to replace it "
            "(stop the service first)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = temporary_beside(target, "restore")
    try:
        # Everything is done on a copy beside the target; the target is written last, in one transaction.
        try:
            source = sqlite3.connect(sqlite_uri(backup, "ro"), uri=True)
            try:
                copy = sqlite3.connect(staging)
                try:
                    source.backup(copy)
                finally:
                    copy.close()
            finally:
                source.close()
        except sqlite3.DatabaseError as error:
            raise BackupError(f"cannot read the SQLite backup {backup}: {error}") from None
        summary = summarize_sqlite(staging)
        if "wallets" not in _sqlite_tables(staging):
            raise BackupError(f"{backup} is not a backup of a CTS database (it has no wallets)")
        staging_url = f"sqlite:///{staging}"
        upgrade_database(staging_url)
        engine = build_engine(staging_url)
        try:
            factory = build_session_factory(engine)
            with factory() as session:
                keys = check_master_key(session_records(session), settings.master_key)
            say(f"the master key (fingerprint {keys.fingerprint}) decrypts all {keys.wallets} wallet keys")
            with factory() as session:
                reconciliation = reconcile_if_needed(session, settings, summary, use_chain=use_chain, say=say)
                revision = sorted(session.scalars(text("SELECT version_num FROM alembic_version")))
        finally:
            engine.dispose()
        _place_sqlite(staging, target)
    finally:
        remove_sqlite_files(staging)
    return RestoreResult(summary, keys, reconciliation, revision)


def _sqlite_tables(path: Path) -> set[str]:
    connection = sqlite3.connect(sqlite_uri(path, "rw"), uri=True)
    try:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        connection.close()


def _place_sqlite(staging: Path, target: Path) -> None:
    """Copy the checked database into the target in one write transaction of the target (the online
    backup API: a -wal beside an older target is dealt with by SQLite itself, not left to replay)."""
    existed = target.exists()
    try:
        source = sqlite3.connect(sqlite_uri(staging, "rw"), uri=True)
        try:
            destination = sqlite3.connect(target, timeout=30)
            try:
                source.backup(destination)
            finally:
                destination.close()
        finally:
            source.close()
    except BaseException:
        if not existed:
            remove_sqlite_files(target)
        raise


# --- PostgreSQL


def _pg_relations(connection: Connection) -> list[tuple[str, str]]:
    """(name, kind) of the relations in the connection's schema (tables, views, sequences...)."""
    rows = connection.execute(
        text(
            "SELECT c.relname, c.relkind FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
        )
    ).all()
    return [(str(name), str(kind)) for name, kind in rows]


def _pg_drop_everything(url: URL) -> None:
    """Drop every relation of the database's schema (what a restore into it created, or --force replaces)."""
    kinds = [
        ("rp", "TABLE"),
        ("v", "VIEW"),
        ("m", "MATERIALIZED VIEW"),
        ("f", "FOREIGN TABLE"),
        ("S", "SEQUENCE"),
    ]
    engine = build_engine(url)
    try:
        with engine.begin() as connection:
            quote_name = connection.dialect.identifier_preparer.quote
            for letters, keyword in kinds:
                for name, kind in _pg_relations(connection):
                    if kind in letters:
                        connection.execute(text(f"DROP {keyword} IF EXISTS {quote_name(name)} CASCADE"))
    finally:
        engine.dispose()


def _restore_postgres(
    backup: Path,
    url: URL,
    settings: Settings,
    sidecar: dict[str, Any] | None,
    *,
    force: bool,
    use_chain: bool,
    say: Callable[[str], None],
) -> RestoreResult:
    pg_restore = pg_tool("pg_restore")
    if "wallets" not in dump_tables(backup):
        raise BackupError(f"{backup} is not a backup of a CTS database (it has no wallets)")
    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            relations = _pg_relations(connection)
    except Exception as error:
        raise BackupError(f"cannot reach the database {shown_url(url)}: {type(error).__name__}") from None
    finally:
        engine.dispose()
    if relations and not force:
        raise BackupError(
            f"the database {shown_url(url)} is not empty ({len(relations)} tables and other relations): "
            "restore into an empty one, or pass --force to replace it (stop the service first)"
        )
    # Checked on the archive itself, before the target is touched.
    keys = check_master_key(dump_records(backup), settings.master_key)
    say(f"the master key (fingerprint {keys.fingerprint}) decrypts all {keys.wallets} wallet keys")
    summary = sidecar if sidecar is not None else {"counts": {"actions": dict.fromkeys(LIVE_STATUSES, 1)}}
    if use_chain and live_actions(summary):
        chain_for(settings)  # refuse now, target untouched, if the chain does not answer
    if relations:
        _pg_drop_everything(url)
    conninfo, _ = libpq(url)
    try:
        run_pg_tool(
            [
                pg_restore,
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                "--no-password",
                f"--dbname={conninfo}",
                str(backup),
            ],
            url,
            "pg_restore",
        )
        upgrade_database(url)
        engine = build_engine(url)
        try:
            with engine.connect() as connection:
                restored = summarize(connection)
            with build_session_factory(engine)() as session:
                keys = check_master_key(session_records(session), settings.master_key)
                reconciliation = reconcile_if_needed(
                    session, settings, restored, use_chain=use_chain, say=say
                )
                revision = sorted(session.scalars(text("SELECT version_num FROM alembic_version")))
        finally:
            engine.dispose()
    except BaseException:
        _pg_drop_everything(url)  # no half-restored service: the schema is left empty
        raise
    return RestoreResult(sidecar or restored, keys, reconciliation, revision)
