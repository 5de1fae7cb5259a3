"""Custodial wallet keys, encrypted at rest under the master key.

Format of one record (version 1, the ``key_*`` columns of ``wallets``):

- ``key_salt``: 16 random bytes, new for every encryption;
- ``key_nonce``: 12 random bytes (AES-GCM nonce), new for every encryption;
- ``key_ciphertext``: AES-256-GCM of the 32-byte secp256k1 private key (48 bytes: 32 + 16-byte tag),
  under ``HKDF-SHA256(ikm=master key, salt=key_salt, info="cts/wallet-key/v1")``, with the wallet's
  checksummed address as associated data, so that a ciphertext copied onto another wallet's row
  does not decrypt (the relayer can never sign for one address with another's key);
- ``key_version``: a fingerprint of the master key (16 hex characters of an HKDF output with its
  own label; it reveals nothing usable about the key). It names the master key a record needs, so a
  wrong or stale master key fails with a clear error, and rotation knows what is left to do.

Plaintext keys exist only inside ``generate_wallet`` and ``rotate_master_key``, and in the bytes
``decrypt_private_key`` returns to the signing path (Python cannot wipe memory; keep such bytes in
locals of short-lived calls). No function here logs, and no repr or error message shows key material.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eth_account import Account
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from cts.errors import KeyDecryptionError, KeystoreError, KeyVersionMismatchError
from cts.models import Wallet

SALT_BYTES = 16
NONCE_BYTES = 12
PRIVATE_KEY_BYTES = 32
_WALLET_KEY_INFO = b"cts/wallet-key/v1"
_FINGERPRINT_INFO = b"cts/master-key-fingerprint/v1"
_FINGERPRINT_BYTES = 8


@dataclass(frozen=True, repr=False)
class EncryptedKey:
    """One wallet's private key as stored: safe to keep in memory, to log the repr of, to store."""

    address: str
    salt: bytes
    nonce: bytes
    ciphertext: bytes
    key_version: str

    def __repr__(self) -> str:
        return f"EncryptedKey(address={self.address!r}, key_version={self.key_version!r})"


@dataclass(frozen=True)
class NewWallet:
    """A freshly generated wallet: its address and its encrypted key. The plaintext is already gone."""

    address: str
    encrypted_key: EncryptedKey


def _master_key_bytes(master_key: SecretStr) -> bytes:
    return master_key.get_secret_value().encode("utf-8")


def _derive(master_key: SecretStr, salt: bytes | None, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(
        _master_key_bytes(master_key)
    )


def master_key_version(master_key: SecretStr) -> str:
    """The fingerprint stored with every record encrypted under ``master_key``."""
    return _derive(master_key, None, _FINGERPRINT_INFO, _FINGERPRINT_BYTES).hex()


def _associated_data(address: str) -> bytes:
    return _WALLET_KEY_INFO + b"|" + address.encode("ascii")


def encrypt_private_key(private_key: bytes, address: str, master_key: SecretStr) -> EncryptedKey:
    """Encrypt a private key for ``address`` under ``master_key``, with a fresh salt and nonce."""
    if len(private_key) != PRIVATE_KEY_BYTES:
        raise KeystoreError("a private key must be 32 bytes")
    salt = os.urandom(SALT_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    cipher = AESGCM(_derive(master_key, salt, _WALLET_KEY_INFO, 32))
    return EncryptedKey(
        address=address,
        salt=salt,
        nonce=nonce,
        ciphertext=cipher.encrypt(nonce, private_key, _associated_data(address)),
        key_version=master_key_version(master_key),
    )


def decrypt_private_key(record: EncryptedKey, master_key: SecretStr) -> bytes:
    """The 32-byte private key of ``record``. For the signing path only: never log or return it."""
    expected_version = master_key_version(master_key)
    if record.key_version != expected_version:
        raise KeyVersionMismatchError(
            f"the key of {record.address} is encrypted under master key {record.key_version}, "
            f"not under the one given ({expected_version})"
        )
    cipher = AESGCM(_derive(master_key, record.salt, _WALLET_KEY_INFO, 32))
    try:
        return cipher.decrypt(record.nonce, record.ciphertext, _associated_data(record.address))
    except InvalidTag:
        raise KeyDecryptionError(
            f"the key record of {record.address} does not decrypt: it was altered, "
            "or belongs to another address"
        ) from None


def generate_wallet(master_key: SecretStr) -> NewWallet:
    """Make a new secp256k1 key pair and return its address with the key encrypted under ``master_key``."""
    account = Account.create()
    address: str = account.address  # checksummed
    return NewWallet(
        address=address, encrypted_key=encrypt_private_key(bytes(account.key), address, master_key)
    )


def read_encrypted_key(wallet: Wallet) -> EncryptedKey:
    """The encrypted key of a stored wallet, ready for ``decrypt_private_key``."""
    return EncryptedKey(
        address=wallet.address,
        salt=wallet.key_salt,
        nonce=wallet.key_nonce,
        ciphertext=wallet.key_ciphertext,
        key_version=wallet.key_version,
    )


def write_encrypted_key(wallet: Wallet, record: EncryptedKey) -> None:
    """Store ``record`` on ``wallet`` (the address must already be the record's)."""
    if wallet.address != record.address:
        raise KeystoreError(f"a key record for {record.address} cannot be stored on wallet {wallet.address}")
    wallet.key_salt = record.salt
    wallet.key_nonce = record.nonce
    wallet.key_ciphertext = record.ciphertext
    wallet.key_version = record.key_version


def build_wallet(new_wallet: NewWallet, user_id: int | None = None) -> Wallet:
    """A ``Wallet`` row for a freshly generated wallet (the caller adds it to a session)."""
    wallet = Wallet(address=new_wallet.address)
    if user_id is not None:
        wallet.user_id = user_id
    write_encrypted_key(wallet, new_wallet.encrypted_key)
    return wallet


def rotate_master_key(session: Session, old_key: SecretStr, new_key: SecretStr) -> int:
    """Re-encrypt every wallet key from ``old_key`` to ``new_key`` in one transaction; return how many.

    All or nothing: if any record fails (it does not decrypt, or is under a third master key), the
    transaction is rolled back, the error is raised, and every record is as before. Records already
    under ``new_key`` are left alone, so running it again after a success changes nothing.

    Run it with the service stopped (a service still holding the old key would keep encrypting new
    wallets under it). Even so, wallets created meanwhile are caught: on PostgreSQL the table is
    locked against writes first; on SQLite, once our first update holds the database's write lock,
    the loop looks again for any record not yet under the new key.

    The session must have no pending work of its own: this commits (or rolls back) its transaction.
    """
    new_version = master_key_version(new_key)
    if new_version == master_key_version(old_key):
        raise KeystoreError("the new master key is the same as the old one")
    if session.in_transaction() and (session.new or session.dirty or session.deleted):
        raise KeystoreError("rotate_master_key needs a session without pending changes")
    rotated = 0
    try:
        if session.get_bind().dialect.name == "postgresql":
            session.connection().exec_driver_sql("LOCK TABLE wallets IN EXCLUSIVE MODE")
        while True:
            pending = session.scalars(
                select(Wallet).where(Wallet.key_version != new_version).order_by(Wallet.id)
            ).all()
            if not pending:
                break
            for wallet in pending:
                private_key = decrypt_private_key(read_encrypted_key(wallet), old_key)
                write_encrypted_key(wallet, encrypt_private_key(private_key, wallet.address, new_key))
                rotated += 1
            session.flush()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return rotated


def check_master_key(session: Session, master_key: SecretStr) -> None:
    """Refuse to run with a master key that is not the one the wallet keys are encrypted under (a service
    started with the wrong key would make new wallets under it and fail only when signing). One wallet is
    decrypted for real; the fingerprints of all are compared. A database without wallets has nothing to check.
    """
    version = master_key_version(master_key)
    others = session.scalars(select(Wallet.key_version).where(Wallet.key_version != version).limit(1)).all()
    if others:
        raise KeyVersionMismatchError(
            f"the wallet keys are encrypted under master key {others[0]}, not under the one configured "
            f"({version}): set CTS_MASTER_KEY (or CTS_MASTER_KEY_FILE) to the service's master key"
        )
    wallet = session.scalars(select(Wallet).limit(1)).first()
    if wallet is not None:
        decrypt_private_key(read_encrypted_key(wallet), master_key)
