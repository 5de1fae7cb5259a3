"""The chaos benchmark, short: about 100 mixed actions through a real `cts serve` while the worker and the API
are killed with SIGKILL a few times and the node is stopped once (SIGSTOP, 5 s); then the database is
reconciled with the chain (benchmarks/chaos.py, the same code as `make bench` runs at 1,000 actions)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]


def chaos_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cts_chaos_benchmark", ROOT / "benchmarks" / "chaos.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_short_chaos_run_loses_nothing_doubles_nothing_and_refuses_nothing_falsely() -> None:
    chaos = chaos_module()
    result = chaos.run(
        actions=100, kills=4, outages=1, outage_seconds=5, duration=25, residents=10, clients=4, seed_value=15
    )
    assert sum(result.kills.values()) == 4
    assert result.accepted >= 90, result.rows()
    assert result.falsely_refused == 0, result.problems
    assert result.lost == 0, result.problems
    assert result.doubled == 0, result.problems
    assert result.pending == 0, result.problems
    assert result.unverified_on_chain == 0, result.problems
    assert result.nonce_collisions == 0, result.problems
    assert result.confirmed + result.refused_real == result.planned, result.rows()
