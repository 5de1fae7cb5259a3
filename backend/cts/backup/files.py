"""What a backup is made of: its format, its sidecar (what it holds), and careful file handling."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import URL

from cts.core.config import DEFAULT_DATABASE_URL

BACKUP_FORMAT = "cts-backup/1"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
SIDECAR_SUFFIX = ".json"
# Statuses of actions that may still be sent (the others are final).
LIVE_STATUSES = ("queued", "submitted")
# How the forwarder's events are read back: pages that public RPC providers accept.
LOG_PAGE_BLOCKS = 5_000
SIGNERS_PER_QUERY = 50


class BackupError(Exception):
    """A backup or restore refused or failed; the message is safe to print (no password, no key)."""


# ---------------------------------------------------------------------------------------- configuration


class _DatabaseSettings(BaseSettings):
    """Only the database URL: a backup needs no master key (keep the key away from the backup jobs)."""

    model_config = SettingsConfigDict(env_prefix="CTS_", extra="ignore")
    database_url: str = DEFAULT_DATABASE_URL


def configured_database_url() -> str:
    """CTS_DATABASE_URL (or the default SQLite file), without reading or needing the master key."""
    return _DatabaseSettings().database_url


def shown_url(url: URL) -> str:
    """A URL fit to print: the password replaced."""
    return url.render_as_string(hide_password=True)


def sidecar_path(backup: Path) -> Path:
    """Where the summary of ``backup`` lives: ``<backup>.json``."""
    return backup.with_name(backup.name + SIDECAR_SUFFIX)


# ---------------------------------------------------------------------------------------- what a copy holds


def summarize(connection: Connection) -> dict[str, Any]:
    """What the database seen through ``connection`` holds: revision, key fingerprints, counts.

    Tolerant of older schemas (a table that is missing is left out)."""
    tables = set(inspect(connection).get_table_names())

    def grouped(sql: str) -> dict[str, int]:
        return {str(key): int(count) for key, count in connection.execute(text(sql)).all()}

    def count(table: str) -> int:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608

    summary: dict[str, Any] = {
        "schema_revision": sorted(
            connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        )
        if "alembic_version" in tables
        else [],
        "key_versions": grouped("SELECT key_version, count(*) FROM wallets GROUP BY key_version")
        if "wallets" in tables
        else {},
    }
    counts: dict[str, Any] = {
        table: count(table)
        for table in ("users", "wallets", "hromadas", "memberships", "auth_sessions")
        if table in tables
    }
    if "relay_actions" in tables:
        counts["actions"] = grouped("SELECT status, count(*) FROM relay_actions GROUP BY status")
    if "relay_batches" in tables:
        counts["batches"] = grouped("SELECT status, count(*) FROM relay_batches GROUP BY status")
    summary["counts"] = counts
    return summary


def live_actions(summary: dict[str, Any]) -> int:
    """How many actions of a summary may still be sent (queued or submitted)."""
    actions = summary.get("counts", {}).get("actions", {})
    return sum(int(actions.get(status, 0)) for status in LIVE_STATUSES)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_beside(path: Path, label: str) -> Path:
    """A new, unused name in ``path``'s folder (a rename from there to ``path`` is atomic)."""
    return path.with_name(f".{path.name}.{label}-{secrets.token_hex(6)}")


def create_private(path: Path) -> None:
    """Create ``path`` empty, readable by its owner alone: a backup holds people's contacts, password hashes
    and encrypted keys (SQLite and pg_dump then write into it, keeping its mode)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(path) + suffix).unlink()
