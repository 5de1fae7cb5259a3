"""The services' log handler follows sys.stderr: a command run in-process (as the audit tests run `cts`)
configures logging while a test's capture is stderr; later tests replace and close that capture."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from cts.core.logs import configure_logging


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_a_line_logged_after_stderr_was_replaced_goes_to_the_new_stderr(
    restored_logging: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging(json_lines=True)
    first.close()  # what pytest does to a finished test's capture
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("cts.access").info("%s %s %d", "POST", "/api/auth/login", 200)
    line = json.loads(second.getvalue())
    assert line["message"] == "POST /api/auth/login 200" and line["logger"] == "cts.access"
