"""Checking that a master key decrypts every wallet key a database or a backup holds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from cts.backup.files import BackupError
from cts.core.keystore import EncryptedKey, decrypt_private_key, master_key_version, read_encrypted_key
from cts.errors import KeyDecryptionError, KeyVersionMismatchError

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


def session_records(session: Session) -> Iterator[EncryptedKey]:
    from cts.models import Wallet

    for wallet in session.scalars(select(Wallet).order_by(Wallet.id).execution_options(yield_per=500)):
        yield read_encrypted_key(wallet)
