from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from pydantic import SecretStr, ValidationError

from cts.chain.artifacts import REPO_ROOT
from cts.core.config import MASTER_KEY_MIN_LENGTH, Settings, get_settings, is_placeholder_secret

STRONG_KEY = "k7Qp2-vZx9LmW4rT8yBn3HcJ6dFs1GaE5uKo0iNe"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CTS_MASTER_KEY", "CTS_MASTER_KEY_FILE", "CTS_ENVIRONMENT", "CTS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_master_key_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTS_MASTER_KEY", STRONG_KEY)
    assert Settings().master_key.get_secret_value() == STRONG_KEY  # type: ignore[call-arg]


def test_master_key_is_read_from_a_file_without_its_trailing_newline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key_file = tmp_path / "master.key"
    key_file.write_text(STRONG_KEY + "\n")
    monkeypatch.setenv("CTS_MASTER_KEY_FILE", str(key_file))
    assert Settings().master_key.get_secret_value() == STRONG_KEY  # type: ignore[call-arg]


def test_master_key_in_both_the_environment_and_a_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key_file = tmp_path / "master.key"
    key_file.write_text(STRONG_KEY)
    monkeypatch.setenv("CTS_MASTER_KEY_FILE", str(key_file))
    monkeypatch.setenv("CTS_MASTER_KEY", STRONG_KEY)
    with pytest.raises(ValidationError, match="not both"):
        Settings()  # type: ignore[call-arg]


def test_an_unreadable_master_key_file_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CTS_MASTER_KEY_FILE", str(tmp_path / "missing.key"))
    with pytest.raises(ValidationError, match="cannot read the master key file"):
        Settings()  # type: ignore[call-arg]


def test_master_key_is_required() -> None:
    with pytest.raises(ValidationError, match="master_key"):
        Settings()  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "placeholder",
    [
        "change-me",
        "CHANGE-ME-before-production-0123456789abcdef",
        "a" * 64,
        "example-master-key-0123456789abcdef",
    ],
)
def test_placeholder_master_key_is_refused_in_production(placeholder: str) -> None:
    with pytest.raises(ValidationError, match="placeholder") as raised:
        Settings(master_key=SecretStr(placeholder), environment="production")
    # The refused key is never echoed in the error (which often ends up in a log).
    assert placeholder not in str(raised.value)


def test_short_master_key_is_refused_in_production() -> None:
    short = STRONG_KEY[: MASTER_KEY_MIN_LENGTH - 1]
    with pytest.raises(ValidationError, match="too short") as raised:
        Settings(master_key=SecretStr(short), environment="production")
    assert short not in str(raised.value)


def test_development_accepts_a_short_placeholder_master_key() -> None:
    settings = Settings(master_key=SecretStr("change-me"), environment="development")
    assert settings.is_development


def test_an_empty_master_key_is_refused_even_in_development() -> None:
    with pytest.raises(ValidationError, match="empty"):
        Settings(master_key=SecretStr("  "), environment="development")


def test_production_is_the_default_environment() -> None:
    settings = Settings(master_key=SecretStr(STRONG_KEY))
    assert settings.environment == "production"
    assert not settings.is_development


@pytest.mark.parametrize("generated", [STRONG_KEY, "Zk1pYXZ3NDJ4cTlwMm1yN3Q1dzhiM2M2ZDFmMGc0aA"])
def test_generated_keys_are_not_mistaken_for_placeholders(generated: str) -> None:
    assert not is_placeholder_secret(generated)


def test_default_database_is_a_sqlite_file_in_var_of_the_repository() -> None:
    settings = Settings(master_key=SecretStr(STRONG_KEY))
    assert settings.database_url == f"sqlite:///{REPO_ROOT / 'var' / 'cts.sqlite3'}"


def test_repr_shows_neither_the_master_key_nor_the_database_url() -> None:
    settings = Settings(
        master_key=SecretStr(STRONG_KEY), database_url="postgresql+psycopg://cts:db-password-1@db/cts"
    )
    assert STRONG_KEY not in repr(settings)
    assert "db-password-1" not in repr(settings)


def test_password_hashing_defaults_to_argon2s_recommended_parameters() -> None:
    settings = Settings(master_key=SecretStr(STRONG_KEY))
    recommended = profiles.RFC_9106_LOW_MEMORY
    assert (
        settings.password_hash_time_cost,
        settings.password_hash_memory_kib,
        settings.password_hash_parallelism,
    ) == (recommended.time_cost, recommended.memory_cost, recommended.parallelism)
    default_hasher = PasswordHasher()
    assert settings.password_hash_memory_kib == default_hasher.memory_cost


def test_get_settings_reads_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    try:
        monkeypatch.setenv("CTS_MASTER_KEY", STRONG_KEY)
        monkeypatch.setenv("CTS_SESSION_TTL_SECONDS", "60")
        first = get_settings()
        monkeypatch.setenv("CTS_SESSION_TTL_SECONDS", "120")
        assert get_settings() is first
        assert first.session_ttl_seconds == 60
    finally:
        get_settings.cache_clear()
