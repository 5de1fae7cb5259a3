"""`cts pilot` replays the second pilot cycle at real scale and reads the report's figures from the chain."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cts.pilot.figures import HROMADAS, PUBLISHED, check_breakdown

CTS = str(Path(sys.executable).with_name("cts"))


def test_the_breakdown_meets_every_published_total() -> None:
    check_breakdown()
    assert len(HROMADAS) == PUBLISHED["hromadas"]


@pytest.mark.long
def test_cts_pilot_reproduces_the_pilot_report_from_the_chain() -> None:
    result = subprocess.run([CTS, "pilot"], capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    table = {line[:30].strip(): line[30:].split() for line in result.stdout.splitlines() if len(line) > 30}
    assert table["residents"] == ["854", "854"]
    assert table["useful cases"] == ["901", "901"]
    assert table["programmes"] == ["11", "11"]
    assert table["value of cases, UAH"] == ["349,470.00", "349,470.00"]
    assert table["RV issued"] == ["1,953", "1,953"]
    assert table["RV issued, UAH (token fund)"] == ["97,650.00", "97,650.00"]
    assert table["entrepreneur loans"] == ["4", "4"]
    assert table["lent, UAH"] == ["84,650.00", "84,650.00"]
    assert table["repaid, UAH"] == ["84,650.00"]
    assert table["fund ledgers balance"] == ["yes"]
    assert table["impact ratio"] == ["4.58", "4.58"]
    assert "differs" not in result.stdout
    assert "the whole cycle took" in result.stdout and " gas " in result.stdout
