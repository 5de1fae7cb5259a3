import inspect

import cts.errors
from cts.errors import CTSError, RateLimitedError


def all_errors() -> list[type[CTSError]]:
    return [
        member
        for _, member in inspect.getmembers(cts.errors, inspect.isclass)
        if issubclass(member, CTSError)
    ]


def test_every_error_descends_from_the_root_and_says_when_it_is_raised() -> None:
    errors = all_errors()
    assert len(errors) > 10
    for error in errors:
        assert (error.__doc__ or "").startswith("Raised "), error.__name__


def test_every_error_has_a_client_error_status_or_500() -> None:
    for error in all_errors():
        assert error.status_code in {400, 401, 403, 404, 409, 422, 429, 500, 503}, error.__name__


def test_codes_are_distinct_among_leaf_errors_with_their_own_code() -> None:
    codes = [error.code for error in all_errors() if "code" in vars(error)]
    assert len(codes) == len(set(codes))


def test_a_rate_limit_error_always_asks_to_wait_at_least_a_second() -> None:
    assert RateLimitedError(retry_after_seconds=0).retry_after_seconds == 1
    assert RateLimitedError(retry_after_seconds=30).retry_after_seconds == 30
