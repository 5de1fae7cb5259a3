"""Backups of the service's database, and bringing one up on a new machine (`cts backup`, `cts restore`).

The database holds what cannot be had again: the custodial wallet keys (encrypted under the master key,
which is never in the database nor in a backup) and the relayer's outbox. So:

- ``backup_database`` writes a consistent copy while the service runs: SQLite's online backup API (one
  step, a read snapshot: WAL lets the service go on writing meanwhile), or ``pg_dump -Fc`` for PostgreSQL,
  run on a snapshot exported by a REPEATABLE READ transaction that also counts what the copy holds. Beside
  the copy, ``OUT.json`` says what it holds: the schema revision, the fingerprints of the master keys the
  wallet keys are encrypted under (never a key), counts of people, wallets and actions by status, the time
  and the copy's SHA-256. Both files are written to a temporary name and renamed into place.
- ``restore_database`` brings a backup up as the configured database (``CTS_DATABASE_URL``). It refuses a
  database that is not empty (unless forced), checks that the configured master key decrypts every wallet
  key and refuses (leaving the target as it was) if it does not, runs the migrations, and reconciles the
  actions that were live at backup time with the chain, before the service sends anything:

  * an action *submitted* at backup time has its signed transaction in the outbox; the restored worker
    sends those same bytes again (same sponsor nonce: only one can ever be mined) or finds their receipt,
    and reads the forwarder's nonce of the signer before signing anything again. The restore keeps that
    state as it is (batches, attempts, request nonces): nothing here resets it.
  * an action *queued* at backup time that the old service sent afterwards would be signed afresh, with
    the signer's next forwarder nonce, and run a second time. The restore reads the forwarder's
    ``ExecutedForwardRequest`` events of the signers of live actions since the backup, decodes the requests
    that ran with nonces the backup does not know, and marks each live action whose very call (signer,
    contract, call data) ran successfully as confirmed, with that transaction. A request that ran and
    failed is left to the worker (sent again: refused again by the same rule, or run if it only lacked gas).

Nothing here prints or stores a password or a key.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Connection, create_engine, func, inspect, select, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from cts import __version__
from cts.core.config import DEFAULT_DATABASE_URL, Settings
from cts.core.db import build_engine, build_session_factory, normalize_database_url, upgrade_database
from cts.core.keystore import EncryptedKey, decrypt_private_key, master_key_version, read_encrypted_key
from cts.errors import KeyDecryptionError, KeyVersionMismatchError

logger = logging.getLogger(__name__)

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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temporary_beside(path: Path, label: str) -> Path:
    """A new, unused name in ``path``'s folder (a rename from there to ``path`` is atomic)."""
    return path.with_name(f".{path.name}.{label}-{secrets.token_hex(6)}")


def _create_private(path: Path) -> None:
    """Create ``path`` empty, readable by its owner alone: a backup holds people's contacts, password hashes
    and encrypted keys (SQLite and pg_dump then write into it, keeping its mode)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(path) + suffix).unlink()


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
    staging = _temporary_beside(out, "backup")
    try:
        _create_private(staging)
        if url.get_backend_name() == "sqlite":
            summary = _backup_sqlite(url, staging)
            file_format = "sqlite"
        elif url.get_backend_name() == "postgresql":
            summary = _backup_postgres(url, staging)
            file_format = "pg_dump-custom"
        else:
            raise BackupError(f"cannot back up a {url.get_backend_name()} database")
        _fsync(staging)
        sidecar = {
            "format": BACKUP_FORMAT,
            "created_at": started.isoformat().replace("+00:00", "Z"),
            "cts_version": __version__,
            "database": {"dialect": url.get_backend_name(), "url": shown_url(url)},
            "file": {
                "name": out.name,
                "format": file_format,
                "bytes": staging.stat().st_size,
                "sha256": _sha256(staging),
            },
            **summary,
        }
        sidecar_file = sidecar_path(out)
        sidecar_staging = _temporary_beside(sidecar_file, "backup")
        try:
            _create_private(sidecar_staging)
            sidecar_staging.write_text(json.dumps(sidecar, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            _fsync(sidecar_staging)
            os.replace(staging, out)
            os.replace(sidecar_staging, sidecar_file)
        finally:
            sidecar_staging.unlink(missing_ok=True)
        _fsync(out.parent)
    finally:
        staging.unlink(missing_ok=True)
    return BackupResult(out, sidecar_file, sidecar)


def _sqlite_file(url: URL) -> Path:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("only a SQLite database in a named file can be backed up or restored")
    return Path(database).absolute()


def _sqlite_uri(path: Path, mode: str) -> str:
    return f"file:{quote(str(path))}?mode={mode}"


def _backup_sqlite(url: URL, staging: Path) -> dict[str, Any]:
    path = _sqlite_file(url)
    if not path.is_file():
        raise BackupError(f"there is no SQLite database at {path}")
    # mode=rw: never create the database when it is missing; the backup writes nothing to it.
    source = sqlite3.connect(_sqlite_uri(path, "rw"), uri=True, timeout=30)
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
    return _summarize_sqlite(staging)


def _summarize_sqlite(path: Path) -> dict[str, Any]:
    # A plain engine: the service's engine would switch the file to WAL.
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return summarize(connection)
    finally:
        engine.dispose()


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH: install the PostgreSQL client tools (Debian: postgresql-client) of the "
            "server's major version or newer"
        )
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment that carries it (PGPASSWORD), so
    that the password never appears on a command line."""
    environment = {**os.environ}
    environment.pop("PGPASSWORD", None)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return conninfo, environment


def _run_pg_tool(command: list[str], url: URL, what: str) -> subprocess.CompletedProcess[str]:
    _, environment = _libpq(url)
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
    pg_dump = _pg_tool("pg_dump")
    conninfo, _ = _libpq(url)
    engine = build_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            # The snapshot of this transaction is the one pg_dump copies: the summary counts exactly what
            # the dump holds, whatever the service commits meanwhile.
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            summary = summarize(connection)
            _run_pg_tool(
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


# ---------------------------------------------------------------------------------------- the master key


@dataclass(frozen=True)
class KeyCheck:
    """The configured master key against a backup's wallet keys."""

    wallets: int
    fingerprint: str


def check_master_key(records: Iterable[EncryptedKey], master_key: SecretStr) -> KeyCheck:
    """Decrypt every record with ``master_key`` (the plaintext is dropped at once); raise BackupError saying
    how many do not decrypt, and under which master key fingerprints they are, if any does not."""
    fingerprint = master_key_version(master_key)
    checked = 0
    foreign: dict[str, int] = defaultdict(int)
    damaged = 0
    for record in records:
        checked += 1
        try:
            decrypt_private_key(record, master_key)
        except KeyVersionMismatchError:
            foreign[record.key_version] += 1
        except KeyDecryptionError:
            damaged += 1
    if foreign or damaged:
        parts = [f"{count} under master key {version}" for version, count in sorted(foreign.items())]
        if damaged:
            parts.append(f"{damaged} that do not decrypt under it (altered records, or another key)")
        raise BackupError(
            f"the configured master key (fingerprint {fingerprint}) does not decrypt the backup's wallet "
            f"keys: of {checked}, {', '.join(parts)}. Set CTS_MASTER_KEY or CTS_MASTER_KEY_FILE to the "
            "master key the backup was made under; nothing was restored"
        )
    return KeyCheck(checked, fingerprint)


def _session_records(session: Session) -> Iterator[EncryptedKey]:
    from cts.models import Wallet

    for wallet in session.scalars(select(Wallet).order_by(Wallet.id).execution_options(yield_per=500)):
        yield read_encrypted_key(wallet)


# ---------------------------------------------------------------------------------------- restore


@dataclass
class Reconciliation:
    """What reading the chain changed in a restored database."""

    confirmed: list[str] = field(default_factory=list)  # public ids of live actions found to have run
    unknown_runs: int = 0  # requests of the signers that ran after the backup and match no action of it
    skipped: bool = False


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
    if described.get("sha256") and described["sha256"] != _sha256(backup):
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
        connection = sqlite3.connect(_sqlite_uri(path, "rw"), uri=True, timeout=30)
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
    target = _sqlite_file(url)
    if not force and not _sqlite_is_empty(target):
        raise BackupError(
            f"the database {target} is not empty: restore into an empty one, or pass --force to replace it "
            "(stop the service first)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _temporary_beside(target, "restore")
    try:
        # Everything is done on a copy beside the target; the target is written last, in one transaction.
        try:
            source = sqlite3.connect(_sqlite_uri(backup, "ro"), uri=True)
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
        summary = _summarize_sqlite(staging)
        if "wallets" not in _sqlite_tables(staging):
            raise BackupError(f"{backup} is not a backup of a CTS database (it has no wallets)")
        staging_url = f"sqlite:///{staging}"
        upgrade_database(staging_url)
        engine = build_engine(staging_url)
        try:
            factory = build_session_factory(engine)
            with factory() as session:
                keys = check_master_key(_session_records(session), settings.master_key)
            say(f"the master key (fingerprint {keys.fingerprint}) decrypts all {keys.wallets} wallet keys")
            with factory() as session:
                reconciliation = _reconcile_if_needed(
                    session, settings, summary, use_chain=use_chain, say=say
                )
                revision = sorted(session.scalars(text("SELECT version_num FROM alembic_version")))
        finally:
            engine.dispose()
        _place_sqlite(staging, target)
    finally:
        _remove_sqlite_files(staging)
    return RestoreResult(summary, keys, reconciliation, revision)


def _sqlite_tables(path: Path) -> set[str]:
    connection = sqlite3.connect(_sqlite_uri(path, "rw"), uri=True)
    try:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        connection.close()


def _place_sqlite(staging: Path, target: Path) -> None:
    """Copy the checked database into the target in one write transaction of the target (the online
    backup API: a -wal beside an older target is dealt with by SQLite itself, not left to replay)."""
    existed = target.exists()
    try:
        source = sqlite3.connect(_sqlite_uri(staging, "rw"), uri=True)
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
            _remove_sqlite_files(target)
        raise


# --- PostgreSQL


_COPY_HEADER = re.compile(r"^COPY (?P<table>\S+) \((?P<columns>.*)\) FROM stdin;$")
_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _copy_field(raw: str) -> str | None:
    """One field of COPY's text format, unescaped (None for NULL)."""
    if raw == "\\N":
        return None
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char != "\\" or i + 1 == len(raw):
            out.append(char)
            i += 1
            continue
        following = raw[i + 1]
        if following in _COPY_ESCAPES:
            out.append(_COPY_ESCAPES[following])
            i += 2
        elif following in "01234567":
            digits = re.match(r"[0-7]{1,3}", raw[i + 1 :])
            assert digits is not None
            out.append(chr(int(digits.group(), 8)))
            i += 1 + len(digits.group())
        elif following == "x" and re.match(r"x[0-9A-Fa-f]", raw[i + 1 :]):
            digits = re.match(r"[0-9A-Fa-f]{1,2}", raw[i + 2 :])
            assert digits is not None
            out.append(chr(int(digits.group(), 16)))
            i += 2 + len(digits.group())
        else:
            out.append(following)
            i += 2
    return "".join(out)


def _bytea(value: str) -> bytes:
    """A bytea value as PostgreSQL prints it (hex ``\\x...``, or the older escape format)."""
    if value.startswith("\\x"):
        return bytes.fromhex(value[2:])
    out = bytearray()
    i = 0
    while i < len(value):
        if value[i] == "\\" and value[i + 1 : i + 2] == "\\":
            out.append(0x5C)
            i += 2
        elif value[i] == "\\":
            out.append(int(value[i + 1 : i + 4], 8))
            i += 4
        else:
            out.append(ord(value[i]))
            i += 1
    return bytes(out)


def _dump_rows(backup: Path, table: str) -> Iterator[dict[str, str | None]]:
    """The rows of ``table`` in a pg_dump custom archive, read with ``pg_restore`` (no database involved)."""
    pg_restore = _pg_tool("pg_restore")
    process = subprocess.Popen(  # noqa: S603  (a fixed tool, arguments as a list)
        [pg_restore, "--data-only", f"--table={table}", "--file=-", str(backup)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert process.stdout is not None and process.stderr is not None
    columns: list[str] | None = None
    try:
        for line in process.stdout:
            line = line.rstrip("\n")
            if columns is None:
                header = _COPY_HEADER.match(line)
                if header and header.group("table").split(".")[-1].strip('"') == table:
                    columns = [c.strip().strip('"') for c in header.group("columns").split(",")]
                continue
            if line == "\\.":
                columns = None
                continue
            yield dict(zip(columns, (_copy_field(f) for f in line.split("\t")), strict=True))
    finally:
        process.stdout.close()
        error = process.stderr.read()
        if process.wait() != 0:
            raise BackupError(f"pg_restore could not read {backup}: {error.strip()}")


def _dump_records(backup: Path) -> Iterator[EncryptedKey]:
    for row in _dump_rows(backup, "wallets"):
        address, salt, nonce, ciphertext, version = (
            row["address"],
            row["key_salt"],
            row["key_nonce"],
            row["key_ciphertext"],
            row["key_version"],
        )
        assert address and salt and nonce and ciphertext and version, "a wallet row without its key"
        yield EncryptedKey(address, _bytea(salt), _bytea(nonce), _bytea(ciphertext), version)


def _dump_tables(backup: Path) -> set[str]:
    """The tables a pg_dump custom archive creates (its table of contents)."""
    listing = subprocess.run(  # noqa: S603
        [_pg_tool("pg_restore"), "--list", str(backup)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupError(f"pg_restore could not read {backup}: {listing.stderr.strip()}")
    tables = set()
    for line in listing.stdout.splitlines():
        parts = line.split()
        # "<id>; <oid> <oid> TABLE <schema> <name> <owner>"
        if len(parts) >= 6 and not line.startswith(";") and parts[3] == "TABLE" and parts[4] != "DATA":
            tables.add(parts[5])
    return tables


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
    pg_restore = _pg_tool("pg_restore")
    if "wallets" not in _dump_tables(backup):
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
    keys = check_master_key(_dump_records(backup), settings.master_key)
    say(f"the master key (fingerprint {keys.fingerprint}) decrypts all {keys.wallets} wallet keys")
    summary = sidecar if sidecar is not None else {"counts": {"actions": dict.fromkeys(LIVE_STATUSES, 1)}}
    if use_chain and live_actions(summary):
        _chain_for(settings)  # refuse now, target untouched, if the chain does not answer
    if relations:
        _pg_drop_everything(url)
    conninfo, _ = _libpq(url)
    try:
        _run_pg_tool(
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
                keys = check_master_key(_session_records(session), settings.master_key)
                reconciliation = _reconcile_if_needed(
                    session, settings, restored, use_chain=use_chain, say=say
                )
                revision = sorted(session.scalars(text("SELECT version_num FROM alembic_version")))
        finally:
            engine.dispose()
    except BaseException:
        _pg_drop_everything(url)  # no half-restored service: the schema is left empty
        raise
    return RestoreResult(sidecar or restored, keys, reconciliation, revision)


# ---------------------------------------------------------------------------------------- the chain


def _chain_for(settings: Settings) -> Any:
    from web3.exceptions import Web3Exception

    from cts.chain.client import connect

    w3 = connect(settings.rpc_url, timeout=max(settings.rpc_timeout_seconds, 30))
    try:
        _ = w3.eth.block_number
    except (OSError, Web3Exception, ValueError) as error:
        raise BackupError(
            "the backup holds actions that were queued or in flight; the restore reads the chain to find "
            "those the old service sent after the backup (so that none is sent twice), and the chain does "
            f"not answer at CTS_RPC_URL ({type(error).__name__}). Start or reach it, or pass --no-chain if "
            "the old service sent nothing after the backup; nothing was restored"
        ) from None
    return w3


def _reconcile_if_needed(
    session: Session,
    settings: Settings,
    summary: dict[str, Any],
    *,
    use_chain: bool,
    say: Callable[[str], None],
) -> Reconciliation:
    live = live_actions(summary)
    if not live:
        return Reconciliation()
    if not use_chain:
        say(
            f"{live} actions were queued or in flight at backup time; not checked with the chain "
            "(--no-chain): any the old service sent after the backup would be sent again"
        )
        return Reconciliation(skipped=True)
    result = reconcile_with_chain(session, _chain_for(settings))
    session.commit()
    return result


@dataclass(frozen=True)
class _Run:
    """One request the forwarder executed: its signer's nonce, outcome, transaction, call."""

    signer: str
    nonce: int
    success: bool
    tx_hash: str
    block: int
    log_index: int
    target: str | None = None
    data: str | None = None


def reconcile_with_chain(session: Session, w3: Any) -> Reconciliation:
    """Mark as confirmed each live action of the restored database whose call already ran on chain after
    the backup (see the module's docstring). Leaves the session's changes uncommitted."""
    from eth_abi.abi import decode, encode
    from eth_utils.abi import function_signature_to_4byte_selector
    from eth_utils.address import to_checksum_address

    from cts.models import ActionStatus, Batch, Hromada, RelayAction
    from cts.relayer.worker import EXECUTED_TOPIC, executed_outcome

    request = "(address,address,uint256,uint256,uint48,bytes,bytes)"
    batch_selector = function_signature_to_4byte_selector(f"executeBatch({request}[],address)")
    single_selector = function_signature_to_4byte_selector(f"execute({request})")

    result = Reconciliation()
    hromadas = {h.slug: h for h in session.scalars(select(Hromada))}
    live = session.scalars(
        select(RelayAction)
        .where(RelayAction.status.in_((ActionStatus.QUEUED, ActionStatus.SUBMITTED)))
        .order_by(RelayAction.id)
    ).all()
    if not live:
        return result
    chain_id = int(w3.eth.chain_id)
    foreign = {h.chain_id for h in hromadas.values() if h.slug in {a.hromada for a in live}} - {chain_id}
    if foreign:
        raise BackupError(
            f"the node at CTS_RPC_URL is chain {chain_id}; the backup's hromadas are on chain "
            f"{', '.join(map(str, sorted(foreign)))}; nothing was restored"
        )
    # The signers to look at, per forwarder, and the request nonces the backup already knows of them.
    signers: dict[str, set[str]] = defaultdict(set)
    for action in live:
        hromada = hromadas.get(action.hromada)
        if hromada is not None and hromada.forwarder:
            signers[to_checksum_address(hromada.forwarder)].add(to_checksum_address(action.signer))
    everyone = {s for group in signers.values() for s in group}
    known: dict[str, set[int]] = defaultdict(set)
    for signer, nonce, custodial, status in session.execute(
        select(
            RelayAction.signer, RelayAction.request_nonce, RelayAction.custodial, RelayAction.status
        ).where(
            func.lower(RelayAction.signer).in_([s.lower() for s in everyone]),
            RelayAction.request_nonce.is_not(None),
        )
    ).all():
        # A queued self-signed request's nonce is not used yet; every other recorded one was.
        if nonce is not None and (custodial or status != ActionStatus.QUEUED):
            known[to_checksum_address(signer)].add(int(nonce))
    # From the last block the backup knows of (anything sent after it is mined after it).
    last_mined = session.scalar(select(func.max(Batch.mined_block)))
    deployed = [int(h.deployed_block) for h in hromadas.values() if h.deployed_block is not None]
    start = int(last_mined) if last_mined is not None else min(deployed, default=0)
    head = int(w3.eth.block_number)

    runs: dict[tuple[str, str], list[_Run]] = defaultdict(list)  # (forwarder, signer) -> runs, in order
    topic = "0x" + EXECUTED_TOPIC.hex()
    for forwarder, group in signers.items():
        ordered = sorted(group)
        for first in range(0, len(ordered), SIGNERS_PER_QUERY):
            topics = [
                "0x" + encode(["address"], [s]).hex() for s in ordered[first : first + SIGNERS_PER_QUERY]
            ]
            for low in range(start, head + 1, LOG_PAGE_BLOCKS):
                logs = w3.eth.get_logs(
                    {
                        "address": forwarder,
                        "fromBlock": low,
                        "toBlock": min(head, low + LOG_PAGE_BLOCKS - 1),
                        "topics": [topic, topics],
                    }
                )
                for log in logs:
                    signer = to_checksum_address("0x" + bytes(log["topics"][1])[-20:].hex())
                    nonce, success = executed_outcome(bytes(log["data"]))
                    runs[(forwarder, signer)].append(
                        _Run(
                            signer,
                            nonce,
                            success,
                            "0x" + bytes(log["transactionHash"]).hex().removeprefix("0x"),
                            int(log["blockNumber"]),
                            int(log["logIndex"]),
                        )
                    )

    transactions: dict[str, list[tuple[str, str, str]]] = {}

    def requests_in(tx_hash: str, forwarder: str) -> list[tuple[str, str, str]]:
        """(from, to, data hex) of the requests a transaction handed to the forwarder, in order."""
        if tx_hash not in transactions:
            tx = w3.eth.get_transaction(tx_hash)
            data = bytes(tx["input"])
            found: list[tuple[str, str, str]] = []
            if tx.get("to") and to_checksum_address(tx["to"]) == forwarder:
                try:
                    if data[:4] == batch_selector:
                        items = decode([f"{request}[]", "address"], data[4:])[0]
                    elif data[:4] == single_selector:
                        items = [decode([request], data[4:])[0]]
                    else:
                        items = []
                except Exception:
                    items = []
                found = [
                    (to_checksum_address(item[0]), to_checksum_address(item[1]), "0x" + bytes(item[5]).hex())
                    for item in items
                ]
            transactions[tx_hash] = found
        return transactions[tx_hash]

    def call_of(run: _Run, forwarder: str, same_tx: list[_Run]) -> tuple[str, str] | None:
        """The (contract, call data) that ``run`` executed, when its transaction says so unambiguously."""
        mine = [r for r in requests_in(run.tx_hash, forwarder) if r[0] == run.signer]
        if len(mine) == 1:
            return mine[0][1], mine[0][2].lower()
        if len(mine) == len(same_tx):  # several requests of one signer in one transaction, all of them ran
            index = [r.log_index for r in same_tx].index(run.log_index)
            return mine[index][1], mine[index][2].lower()
        return None

    by_signer: dict[tuple[str, str], list[RelayAction]] = defaultdict(list)
    for action in live:
        hromada = hromadas.get(action.hromada)
        if hromada is not None and hromada.forwarder:
            by_signer[(to_checksum_address(hromada.forwarder), to_checksum_address(action.signer))].append(
                action
            )

    for key, actions in by_signer.items():
        forwarder, signer = key
        signer_runs = sorted(runs.get(key, []), key=lambda r: (r.block, r.log_index))
        by_nonce = {r.nonce: r for r in signer_runs}
        matched: set[int] = set()
        # Self-signed requests carry their nonce: the run at that nonce is theirs.
        for action in actions:
            if action.custodial or action.status != ActionStatus.QUEUED or action.request_nonce is None:
                continue
            run = by_nonce.get(int(action.request_nonce))
            if run is not None and run.success:
                _mark_ran(action, run, ActionStatus.CONFIRMED)
                result.confirmed.append(action.public_id)
            if run is not None:
                matched.add(run.nonce)
        # Custodial requests were signed when sent: a run the backup does not know is matched by its call.
        unknown = [r for r in signer_runs if r.nonce not in known[signer] and r.nonce not in matched]
        for run in unknown:
            if not run.success:
                continue
            same_tx = [r for r in signer_runs if r.tx_hash == run.tx_hash]
            call = call_of(run, forwarder, same_tx)
            if call is None:
                continue
            for action in actions:
                if (
                    action.custodial
                    and action.public_id not in result.confirmed
                    and _may_have_run_unseen(action, by_nonce, ActionStatus.QUEUED)
                    and to_checksum_address(action.target) == call[0]
                    and action.calldata.lower() == call[1]
                ):
                    _mark_ran(action, run, ActionStatus.CONFIRMED)
                    result.confirmed.append(action.public_id)
                    matched.add(run.nonce)
                    break
        result.unknown_runs += sum(1 for r in unknown if r.success and r.nonce not in matched)
    session.flush()
    return result


def _may_have_run_unseen(action: Any, by_nonce: dict[int, _Run], queued: Any) -> bool:
    """Whether a custodial action may have run in a transaction the backup does not know: queued at backup
    time, or submitted with a request that has not run successfully (lost, or out of gas and sent again)."""
    if action.status == queued:
        return True
    own = by_nonce.get(int(action.request_nonce)) if action.request_nonce is not None else None
    return own is None or not own.success


def _mark_ran(action: Any, run: _Run, status: Any) -> None:
    """Record that ``action``'s request ran in ``run`` (final: detached from any batch of the backup, so
    that settling that batch later does not revisit it)."""
    action.status = status
    action.request_nonce = run.nonce
    action.tx_hash = run.tx_hash
    action.block_number = run.block
    action.batch_id = None
    action.error_code = None
    action.error_detail = None


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
