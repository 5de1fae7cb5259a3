import secrets

import pytest
from eth_account import Account
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from web3 import Web3

from cts.core.config import Settings
from cts.core.db import build_engine, build_session_factory, upgrade_database
from cts.core.keystore import (
    EncryptedKey,
    build_wallet,
    decrypt_private_key,
    encrypt_private_key,
    generate_wallet,
    master_key_version,
    read_encrypted_key,
    rotate_master_key,
)
from cts.errors import KeyDecryptionError, KeystoreError, KeyVersionMismatchError
from cts.models import User, Wallet


def other_key() -> SecretStr:
    return SecretStr(secrets.token_urlsafe(32))


def add_users_with_wallets(session: Session, master_key: SecretStr, count: int) -> list[str]:
    addresses = []
    for number in range(count):
        user = User(phone=f"+38067{number:07d}", password_hash="x", display_name=f"R{number}")
        new_wallet = generate_wallet(master_key)
        user.wallet = build_wallet(new_wallet)
        session.add(user)
        addresses.append(new_wallet.address)
    session.commit()
    return addresses


def stored_records(engine: Engine) -> dict[str, tuple[bytes, bytes, bytes, str]]:
    """The key columns as the database holds them, read through a session of its own."""
    with build_session_factory(engine)() as session:
        return {
            wallet.address: (wallet.key_salt, wallet.key_nonce, wallet.key_ciphertext, wallet.key_version)
            for wallet in session.scalars(select(Wallet))
        }


def test_a_generated_wallet_decrypts_to_the_key_of_its_address(master_key: SecretStr) -> None:
    new_wallet = generate_wallet(master_key)
    assert Web3.is_checksum_address(new_wallet.address)
    record = new_wallet.encrypted_key
    assert (len(record.salt), len(record.nonce), len(record.ciphertext)) == (16, 12, 48)
    assert record.key_version == master_key_version(master_key)
    private_key = decrypt_private_key(record, master_key)
    assert len(private_key) == 32
    assert Account.from_key(private_key).address == new_wallet.address


def test_every_encryption_uses_a_fresh_salt_and_nonce(master_key: SecretStr) -> None:
    account = Account.create()
    first = encrypt_private_key(bytes(account.key), account.address, master_key)
    second = encrypt_private_key(bytes(account.key), account.address, master_key)
    assert first.salt != second.salt
    assert first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext
    assert bytes(account.key) not in first.ciphertext


def test_another_master_key_is_refused_by_its_version(master_key: SecretStr) -> None:
    record = generate_wallet(master_key).encrypted_key
    with pytest.raises(KeyVersionMismatchError, match="encrypted under master key"):
        decrypt_private_key(record, other_key())


def test_a_tampered_ciphertext_does_not_decrypt(master_key: SecretStr) -> None:
    record = generate_wallet(master_key).encrypted_key
    flipped = bytes([record.ciphertext[0] ^ 1]) + record.ciphertext[1:]
    tampered = EncryptedKey(record.address, record.salt, record.nonce, flipped, record.key_version)
    with pytest.raises(KeyDecryptionError):
        decrypt_private_key(tampered, master_key)


def test_a_ciphertext_moved_to_another_address_does_not_decrypt(master_key: SecretStr) -> None:
    victim = generate_wallet(master_key).encrypted_key
    attacker = generate_wallet(master_key).encrypted_key
    moved = EncryptedKey(attacker.address, victim.salt, victim.nonce, victim.ciphertext, victim.key_version)
    with pytest.raises(KeyDecryptionError, match="another address"):
        decrypt_private_key(moved, master_key)


def test_reprs_and_errors_show_no_key_material(master_key: SecretStr) -> None:
    new_wallet = generate_wallet(master_key)
    private_key = decrypt_private_key(new_wallet.encrypted_key, master_key)
    wallet = build_wallet(new_wallet)
    shown = repr(new_wallet) + repr(new_wallet.encrypted_key) + repr(wallet) + str(new_wallet)
    for secret in (
        private_key.hex(),
        new_wallet.encrypted_key.ciphertext.hex(),
        master_key.get_secret_value(),
    ):
        assert secret not in shown
    assert new_wallet.address in shown
    with pytest.raises(KeystoreError) as raised:
        decrypt_private_key(new_wallet.encrypted_key, other_key())
    assert private_key.hex() not in str(raised.value)
    assert master_key.get_secret_value() not in str(raised.value)


def test_a_wallet_row_round_trips_its_record(master_key: SecretStr) -> None:
    new_wallet = generate_wallet(master_key)
    assert read_encrypted_key(build_wallet(new_wallet)) == new_wallet.encrypted_key


def test_rotation_re_encrypts_every_key_under_the_new_master_key(
    db_session: Session, engine: Engine, master_key: SecretStr
) -> None:
    addresses = add_users_with_wallets(db_session, master_key, 5)
    before = stored_records(engine)
    keys_before = {
        address: decrypt_private_key(read_encrypted_key(wallet), master_key)
        for address, wallet in ((w.address, w) for w in db_session.scalars(select(Wallet)))
    }
    new_key = other_key()

    assert rotate_master_key(db_session, master_key, new_key) == 5

    after = stored_records(engine)
    assert set(after) == set(addresses)
    with build_session_factory(engine)() as session:
        for wallet in session.scalars(select(Wallet)):
            record = read_encrypted_key(wallet)
            assert record.key_version == master_key_version(new_key)
            assert after[wallet.address][2] != before[wallet.address][2]
            assert decrypt_private_key(record, new_key) == keys_before[wallet.address]
            with pytest.raises(KeyVersionMismatchError):
                decrypt_private_key(record, master_key)
    # Running it again finds nothing left to do.
    assert rotate_master_key(db_session, master_key, new_key) == 0


def test_rotation_that_fails_on_one_record_changes_nothing(
    db_session: Session, engine: Engine, master_key: SecretStr
) -> None:
    add_users_with_wallets(db_session, master_key, 4)
    last = db_session.scalars(select(Wallet).order_by(Wallet.id.desc())).first()
    assert last is not None
    last.key_ciphertext = bytes([last.key_ciphertext[0] ^ 1]) + last.key_ciphertext[1:]
    db_session.commit()
    before = stored_records(engine)

    with pytest.raises(KeyDecryptionError):
        rotate_master_key(db_session, master_key, other_key())

    assert stored_records(engine) == before
    with build_session_factory(engine)() as session:
        first = session.scalars(select(Wallet).order_by(Wallet.id)).first()
        assert first is not None
        decrypt_private_key(read_encrypted_key(first), master_key)  # still under the old key


def test_rotation_refuses_records_under_a_third_master_key(
    db_session: Session, engine: Engine, master_key: SecretStr
) -> None:
    add_users_with_wallets(db_session, master_key, 2)
    stranger = User(email="x@example.org", password_hash="x", display_name="X")
    stranger.wallet = build_wallet(generate_wallet(other_key()))
    db_session.add(stranger)
    db_session.commit()
    before = stored_records(engine)

    with pytest.raises(KeyVersionMismatchError):
        rotate_master_key(db_session, master_key, other_key())

    assert stored_records(engine) == before


def test_rotation_to_the_same_key_is_refused(db_session: Session, master_key: SecretStr) -> None:
    with pytest.raises(KeystoreError, match="same"):
        rotate_master_key(db_session, master_key, SecretStr(master_key.get_secret_value()))


def test_rotation_refuses_a_session_with_pending_changes(db_session: Session, master_key: SecretStr) -> None:
    db_session.add(User(email="y@example.org", password_hash="x", display_name="Y"))
    with pytest.raises(KeystoreError, match="pending"):
        rotate_master_key(db_session, master_key, other_key())


@pytest.mark.postgres
def test_rotation_on_postgresql(postgres_database_url: str, master_key: SecretStr) -> None:
    upgrade_database(postgres_database_url)
    engine = build_engine(postgres_database_url)
    try:
        with build_session_factory(engine)() as session:
            add_users_with_wallets(session, master_key, 3)
            new_key = other_key()
            assert rotate_master_key(session, master_key, new_key) == 3
        versions = {record[3] for record in stored_records(engine).values()}
        assert versions == {master_key_version(new_key)}
    finally:
        engine.dispose()


def test_the_service_refuses_to_start_with_another_master_key(settings: Settings) -> None:
    """A service started with the wrong key would make new wallets under it and fail only when signing."""
    from cts.api.main import create_app

    app = create_app(settings)
    with app.state.session_factory() as session:
        session.add(User(email="z@example.org", password_hash="x", display_name="Z"))
        session.flush()
        user = session.scalars(select(User)).one()
        session.add(build_wallet(generate_wallet(settings.master_key), user.id))
        session.commit()
    create_app(settings)  # the right key starts
    wrong = settings.model_copy(update={"master_key": SecretStr(secrets.token_urlsafe(32))})
    with pytest.raises(KeyVersionMismatchError, match="not under the one configured"):
        create_app(wrong)
