"""Writing a consistent backup while the service runs: SQLite's online backup, or pg_dump on a snapshot."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from cts import __version__
from cts.backup.files import (
    BACKUP_FORMAT,
    BackupError,
    create_private,
    file_sha256,
    fsync,
    shown_url,
    sidecar_path,
    summarize,
    temporary_beside,
)
from cts.core.db import build_engine, normalize_database_url

# ---------------------------------------------------------------------------------------- backup


@dataclass(frozen=True)
class BackupResult:
    path: Path
    sidecar: Path
    summary: dict[str, Any]


def backup_database(database_url: str | URL, out: Path) -> BackupResult:
    """Write a consistent copy of the database at ``database_url`` to ``out`` and its summary beside it.

    Safe while the service runs. Both files appear whole or not at all (temporary name, fsync, rename).
    """
    url = normalize_database_url(database_url)
    out = out.absolute()
    if not out.parent.is_dir():
        raise BackupError(f"no folder {out.parent} to write the backup in")
    if out.is_dir():
        raise BackupError(f"{out} is a folder: name the backup file to write")
    started = datetime.now(UTC)
    staging = temporary_beside(out, "backup")
    try:
        create_private(staging)
        if url.get_backend_name() == "sqlite":
            summary = _backup_sqlite(url, staging)
            file_format = "sqlite"
        elif url.get_backend_name() == "postgresql":
            summary = _backup_postgres(url, staging)
            file_format = "pg_dump-custom"
        else:
            raise BackupError(f"cannot back up a {url.get_backend_name()} database")
        fsync(staging)
        sidecar = {
            "format": BACKUP_FORMAT,
            "created_at": started.isoformat().replace("+00:00", "Z"),
            "cts_version": __version__,
            "database": {"dialect": url.get_backend_name(), "url": shown_url(url)},
            "file": {
                "name": out.name,
                "format": file_format,
                "bytes": staging.stat().st_size,
                "sha256": file_sha256(staging),
            },
            **summary,
        }
        sidecar_file = sidecar_path(out)
        sidecar_staging = temporary_beside(sidecar_file, "backup")
        try:
            create_private(sidecar_staging)
            sidecar_staging.write_text(json.dumps(sidecar, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            fsync(sidecar_staging)
            os.replace(staging, out)
            os.replace(sidecar_staging, sidecar_file)
        finally:
            sidecar_staging.unlink(missing_ok=True)
        fsync(out.parent)
    finally:
        staging.unlink(missing_ok=True)
    return BackupResult(out, sidecar_file, sidecar)


def sqlite_file(url: URL) -> Path:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("only a SQLite database in a named file can be backed up or restored")
    return Path(database).absolute()


def sqlite_uri(path: Path, mode: str) -> str:
    return f"file:{quote(str(path))}?mode={mode}"


def _backup_sqlite(url: URL, staging: Path) -> dict[str, Any]:
    path = sqlite_file(url)
    if not path.is_file():
        raise BackupError(f"there is no SQLite database at {path}")
    # mode=rw: never create the database when it is missing; the backup writes nothing to it.
    source = sqlite3.connect(sqlite_uri(path, "rw"), uri=True, timeout=30)
    try:
        target = sqlite3.connect(staging)
        try:
            # One step: the whole copy is read in one read transaction, a snapshot of the last commit; in
            # WAL mode (the service's) the service goes on writing meanwhile.
            source.backup(target)
            # One self-contained file (no -wal beside it); the service turns WAL on again when it opens it.
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    finally:
        source.close()
    return summarize_sqlite(staging)


def summarize_sqlite(path: Path) -> dict[str, Any]:
    # A plain engine: the service's engine would switch the file to WAL.
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return summarize(connection)
    finally:
        engine.dispose()


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH: install the PostgreSQL client tools (Debian: postgresql-client) of the "
            "server's major version or newer"
        )
    return found


def libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment that carries it (PGPASSWORD), so
    that the password never appears on a command line."""
    environment = {**os.environ}
    environment.pop("PGPASSWORD", None)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return conninfo, environment


def run_pg_tool(command: list[str], url: URL, what: str) -> subprocess.CompletedProcess[str]:
    _, environment = libpq(url)
    result = subprocess.run(  # noqa: S603  (a fixed tool, arguments as a list)
        command, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        message = result.stderr.strip() or f"exit status {result.returncode}"
        if url.password:
            message = message.replace(str(url.password), "***")
        raise BackupError(f"{what} failed: {message}")
    return result


def _backup_postgres(url: URL, staging: Path) -> dict[str, Any]:
    pg_dump = pg_tool("pg_dump")
    conninfo, _ = libpq(url)
    engine = build_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            # The snapshot of this transaction is the one pg_dump copies: the summary counts exactly what
            # the dump holds, whatever the service commits meanwhile.
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            summary = summarize(connection)
            run_pg_tool(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-password",
                    f"--snapshot={snapshot}",
                    f"--file={staging}",
                    f"--dbname={conninfo}",
                ],
                url,
                "pg_dump",
            )
            connection.rollback()
    finally:
        engine.dispose()
    return summary
