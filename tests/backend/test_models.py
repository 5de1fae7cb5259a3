import pytest
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cts.core.db import utcnow
from cts.core.keystore import build_wallet, generate_wallet
from cts.models import AuthSession, Hromada, IdempotencyRecord, Language, Membership, Role, User, Wallet


def resident(**fields: object) -> User:
    values: dict[str, object] = {"password_hash": "x", "display_name": "Olena"}
    values.update(fields)
    return User(**values)


def test_defaults_are_a_ukrainian_speaking_enabled_account(db_session: Session) -> None:
    user = resident(phone="+380671234567")
    db_session.add(user)
    db_session.commit()
    assert user.preferred_language is Language.UK
    assert user.is_disabled is False
    assert user.created_at.tzinfo is not None


def test_a_user_needs_a_phone_or_an_email(db_session: Session) -> None:
    db_session.add(resident())
    with pytest.raises(IntegrityError, match="phone_or_email"):
        db_session.flush()


def test_emails_are_stored_lowercased_only(db_session: Session) -> None:
    db_session.add(resident(email="Olena@Example.org"))
    with pytest.raises(IntegrityError, match="email_lowercase"):
        db_session.flush()


@pytest.mark.parametrize("field", ["phone", "email"])
def test_phones_and_emails_are_unique(db_session: Session, field: str) -> None:
    value = "+380671234567" if field == "phone" else "olena@example.org"
    db_session.add_all([resident(**{field: value}), resident(**{field: value})])
    with pytest.raises(IntegrityError, match="UNIQUE"):
        db_session.flush()


def test_an_unknown_role_is_refused_by_the_database(db_session: Session) -> None:
    db_session.execute(
        text(
            "INSERT INTO users (id, phone, password_hash, display_name, created_at) "
            "VALUES (1, '+380671234567', 'x', 'M', '2025-01-01 00:00:00')"
        )
    )
    db_session.execute(
        text(
            "INSERT INTO hromadas (id, slug, name, chain_id, daily_gas_budget, created_at) "
            "VALUES (1, 'h', 'H', 1, 1, '2025-01-01 00:00:00')"
        )
    )
    with pytest.raises(IntegrityError, match="role"):
        db_session.execute(
            text(
                "INSERT INTO memberships (user_id, hromada_id, role, created_at) "
                "VALUES (1, 1, 'mayor', '2025-01-01 00:00:00')"
            )
        )


def test_a_person_holds_one_role_per_hromada(db_session: Session) -> None:
    user = resident(phone="+380671234567")
    first, second = Hromada(slug="a", name="A", chain_id=1), Hromada(slug="b", name="B", chain_id=1)
    db_session.add_all([user, first, second])
    db_session.flush()
    db_session.add_all(
        [
            Membership(user=user, hromada=first, role=Role.VERIFIER),
            Membership(user=user, hromada=second, role=Role.RESIDENT),
        ]
    )
    db_session.flush()
    assert (user.role_in(first.id), user.role_in(second.id)) == (Role.VERIFIER, Role.RESIDENT)
    db_session.add(Membership(user=user, hromada=first, role=Role.COUNCIL))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_a_user_has_at_most_one_wallet(db_session: Session, master_key: SecretStr) -> None:
    user = resident(phone="+380671234567")
    db_session.add(user)
    db_session.flush()
    db_session.add_all([build_wallet(generate_wallet(master_key), user.id) for _ in range(2)])
    with pytest.raises(IntegrityError, match="UNIQUE"):
        db_session.flush()


def test_a_user_with_a_wallet_cannot_be_deleted_and_lose_the_key(
    db_session: Session, master_key: SecretStr
) -> None:
    user = resident(phone="+380671234567")
    user.wallet = build_wallet(generate_wallet(master_key))
    db_session.add(user)
    db_session.commit()
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        db_session.execute(text("DELETE FROM users"))
    db_session.rollback()
    assert db_session.scalars(select(Wallet)).one().user_id == user.id


def test_idempotency_keys_are_unique_per_user_and_among_anonymous_requests(db_session: Session) -> None:
    user = resident(phone="+380671234567")
    db_session.add(user)
    db_session.flush()

    def record(user_id: int | None) -> IdempotencyRecord:
        return IdempotencyRecord(
            user_id=user_id,
            key="same-key-1",
            method="POST",
            path="/p",
            request_hash="h",
            response_status=201,
            response_body="{}",
        )

    db_session.add_all([record(user.id), record(None)])
    db_session.commit()
    for duplicate in (record(user.id), record(None)):
        db_session.add(duplicate)
        with pytest.raises(IntegrityError, match="UNIQUE"):
            db_session.flush()
        db_session.rollback()


def test_reprs_carry_no_personal_data_nor_secrets(db_session: Session, master_key: SecretStr) -> None:
    user = resident(phone="+380671234567", email="olena@example.org", password_hash="$argon2id$secret-hash")
    user.wallet = build_wallet(generate_wallet(master_key))
    db_session.add(user)
    db_session.add(AuthSession(token_hash="f" * 64, user=user, expires_at=utcnow()))
    db_session.commit()
    shown = repr(user) + repr(user.wallet) + repr(db_session.scalars(select(AuthSession)).one())
    for private in (
        "+380671234567",
        "olena@example.org",
        "secret-hash",
        "f" * 64,
        user.wallet.key_ciphertext.hex(),
    ):
        assert private not in shown
