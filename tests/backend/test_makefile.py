"""What `make test` hands its test runs: no fuzz budget. The contracts' CTS_FUZZ_EXAMPLES=100 was once
exported to every recipe, and the API fuzz under `make test` read it and ran 11 minutes instead of 40 s."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from cts.chain.artifacts import REPO_ROOT


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_make_exports_no_fuzz_budget_to_the_test_recipes() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CTS_FUZZ", "CTS_API_FUZZ"))}
    shown = subprocess.run(
        ["make", "--no-print-directory", "-s", "--eval", "print-environment: ; @env", "print-environment"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    leaked = [line for line in shown.splitlines() if line.startswith(("CTS_FUZZ", "CTS_API_FUZZ"))]
    assert leaked == []
