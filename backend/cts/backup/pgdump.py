"""Reading a pg_dump custom-format archive without restoring it (its COPY data through pg_restore -f -):
the tables it holds and its wallet keys, to check the master key before the target is touched."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

from cts.backup.files import (
    BackupError,
)
from cts.backup.writer import pg_tool
from cts.core.keystore import EncryptedKey

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
    pg_restore = pg_tool("pg_restore")
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


def dump_records(backup: Path) -> Iterator[EncryptedKey]:
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


def dump_tables(backup: Path) -> set[str]:
    """The tables a pg_dump custom archive creates (its table of contents)."""
    listing = subprocess.run(  # noqa: S603
        [pg_tool("pg_restore"), "--list", str(backup)], capture_output=True, text=True, check=False
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
