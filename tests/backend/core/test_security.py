import hashlib

from argon2 import PasswordHasher

from cts.core.config import Settings
from cts.core.security import (
    DummyPasswordCheck,
    build_password_hasher,
    digests_equal,
    hash_password,
    hash_session_token,
    new_session_token,
    password_needs_rehash,
    verify_password,
)

PASSWORD = "correct horse battery staple"


def test_a_password_verifies_against_its_hash_and_nothing_else(settings: Settings) -> None:
    hasher = build_password_hasher(settings)
    stored = hash_password(hasher, PASSWORD)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert verify_password(hasher, stored, PASSWORD)
    assert not verify_password(hasher, stored, PASSWORD + "!")
    assert not verify_password(hasher, stored, "")


def test_a_malformed_stored_hash_is_a_mismatch_not_a_crash(settings: Settings) -> None:
    hasher = build_password_hasher(settings)
    assert not verify_password(hasher, "not-a-hash", PASSWORD)
    assert password_needs_rehash(hasher, "not-a-hash")


def test_a_hash_made_with_other_parameters_needs_rehashing(settings: Settings) -> None:
    fast = build_password_hasher(settings)
    recommended = PasswordHasher()
    stored = hash_password(fast, PASSWORD)
    assert not password_needs_rehash(fast, stored)
    assert password_needs_rehash(recommended, stored)
    assert verify_password(recommended, stored, PASSWORD)  # old hashes still verify


def test_the_settings_parameters_reach_the_hasher(settings: Settings) -> None:
    hasher = build_password_hasher(settings)
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (1, 8, 1)


def test_the_dummy_check_accepts_any_password_without_error(settings: Settings) -> None:
    DummyPasswordCheck(build_password_hasher(settings)).run(PASSWORD)


def test_session_tokens_are_32_random_bytes_and_stored_only_as_sha256() -> None:
    tokens = {new_session_token() for _ in range(100)}
    assert len(tokens) == 100
    token = tokens.pop()
    assert len(token) == 43  # 32 bytes, URL-safe base64 without padding
    stored = hash_session_token(token)
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored


def test_digests_compare_equal_only_when_identical() -> None:
    first = hash_session_token("a")
    assert digests_equal(first, hash_session_token("a"))
    assert not digests_equal(first, hash_session_token("b"))
    assert not digests_equal(first, first[:-1])
