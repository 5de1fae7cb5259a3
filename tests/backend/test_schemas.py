import pytest
from pydantic import ValidationError

from cts.schemas import (
    LoginRequest,
    UserCreate,
    UserRegister,
    normalize_email,
    normalize_login,
    normalize_phone,
)

PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+380671234567", "+380671234567"),
        ("+380 67 123 45 67", "+380671234567"),
        ("+38 (067) 123-45-67", "+380671234567"),
        ("+1.202.555.0143", "+12025550143"),
        (" +48 512 345 678 ", "+48512345678"),
    ],
)
def test_phones_are_normalised_to_e164(typed: str, stored: str) -> None:
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize("typed", ["+0671234567", "+3806712", "+38067123456789012", "+380 67 ABC"])
def test_what_is_not_a_phone_number_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="must be a phone number"):
        normalize_phone(typed)


def test_emails_are_trimmed_and_lowercased() -> None:
    assert normalize_email("  Olena.K+cts@Example.ORG ") == "olena.k+cts@example.org"


@pytest.mark.parametrize(
    "typed",
    [
        "olena",
        "olena@",
        "olena@example",
        "olena@@example.org",
        "o lena@example.org",
        "a@" + "b" * 250 + ".org",
    ],
)
def test_malformed_emails_are_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="e-mail address"):
        normalize_email(typed)


def test_a_login_is_an_email_when_it_has_an_at_sign_and_a_phone_otherwise() -> None:
    assert normalize_login("Olena@Example.org") == "olena@example.org"
    assert normalize_login("+380 67 123 45 67") == "+380671234567"
    with pytest.raises(ValueError, match=r"phone number .* or your e-mail address"):
        normalize_login("olena")


def test_registration_needs_a_phone_or_an_email_and_a_ten_character_password() -> None:
    UserRegister(phone="+380671234567", password=PASSWORD, display_name="O")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="phone number or an e-mail"):
        UserRegister(password=PASSWORD, display_name="O")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="at least 10 characters"):
        UserRegister(phone="+380671234567", password="123456789", display_name="O")  # type: ignore[arg-type]
    UserRegister(phone="+380671234567", password="1234567890", display_name="O")  # type: ignore[arg-type]


def test_passwords_stay_hidden_in_reprs() -> None:
    user_in = UserCreate(email="a@example.org", password=PASSWORD, display_name="A", role="council")  # type: ignore[arg-type]
    login = LoginRequest(login="a@example.org", password=PASSWORD)  # type: ignore[arg-type]
    assert PASSWORD not in repr(user_in) + repr(login) + str(user_in) + str(login)


def test_display_names_are_trimmed_and_not_empty() -> None:
    trimmed = UserRegister(phone="+380671234567", password=PASSWORD, display_name="  Olena ")  # type: ignore[arg-type]
    assert trimmed.display_name == "Olena"
    with pytest.raises(ValidationError):
        UserRegister(phone="+380671234567", password=PASSWORD, display_name="   ")  # type: ignore[arg-type]
