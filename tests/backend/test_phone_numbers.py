"""Phone numbers as Ukrainians type them (issue 21): "0671234567", "067 123 45 67", "(067) 123-45-67",
"380671234567" are all +380671234567, at sign-up and at sign-in; what is not a phone number is refused."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from cts.core.config import Settings
from cts.core.security import build_password_hasher
from cts.crud import create_user, get_user_by_login
from cts.schemas import UserRegister, normalize_login, normalize_phone

TYPED_AT_HOME = [
    "0671234567",
    "067 123 45 67",
    "(067) 123-45-67",
    "067-123-45-67",
    "380671234567",
    "38 067 123 45 67",
    "+380671234567",
    "+38 (067) 123-45-67",
    "00380671234567",
    " 067.123.45.67 ",
]


@pytest.mark.parametrize("typed", TYPED_AT_HOME)
def test_ukrainian_numbers_typed_any_usual_way_are_one_e164_number(typed: str) -> None:
    assert normalize_phone(typed) == "+380671234567"
    assert normalize_login(typed) == "+380671234567"


@pytest.mark.parametrize(
    ("typed", "stored"), [("+48 512 345 678", "+48512345678"), ("+1.202.555.0143", "+12025550143")]
)
def test_numbers_of_other_countries_stay_as_typed_in_e164(typed: str, stored: str) -> None:
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "067123456",  # a digit short
        "06712345678",  # a digit too many
        "+38067123456",  # +380 and eight digits
        "+3806712345678",  # +380 and ten digits
        "671234567",  # no trunk prefix, no country code
        "+0671234567",
        "380 67 ABC",
        "olena",
        "12345",
        "",
    ],
)
def test_what_is_not_a_phone_number_is_refused_with_an_example(typed: str) -> None:
    with pytest.raises(ValueError, match="067 123 45 67"):
        normalize_phone(typed)


def test_signing_in_finds_the_account_whichever_way_the_number_is_typed(
    db_session: Session, settings: Settings
) -> None:
    registration = UserRegister(
        phone="067 123 45 67",  # type: ignore[arg-type]
        password="калина і вишиванка",  # type: ignore[arg-type]
        display_name="Олена",
    )
    assert registration.phone == "+380671234567"
    user = create_user(
        db_session,
        registration,
        password_hasher=build_password_hasher(settings),
        master_key=settings.master_key,
    )
    for typed in TYPED_AT_HOME:
        found = get_user_by_login(db_session, normalize_login(typed))
        assert found is not None and found.id == user.id
