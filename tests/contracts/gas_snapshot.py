"""The committed gas snapshot (gas-snapshot.json) and the comparison that test_gas_snapshot.py makes with it.

The file maps each action the test measures to its gas. An action that costs more than its snapshot figure
plus the tolerance fails the test (a regression); one that costs less by more than the tolerance fails too,
asking for the saving to be recorded, so that a later change cannot spend it silently (as
`forge snapshot --check` does). With CTS_UPDATE_GAS_SNAPSHOT=1 the test compares nothing and rewrites the
file from the run (`make gas-snapshot`).

One set of figures serves both nodes: Ganache 7.9 and Anvil, both at shanghai, charge every action the same
gas (checked when the snapshot was introduced, docs/benchmarks/gas-snapshot.md). Should they ever part, the
test on one node fails against figures written on the other, and the snapshot needs a section per node.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SNAPSHOT_PATH = Path(__file__).with_name("gas-snapshot.json")
UPDATE_ENV = "CTS_UPDATE_GAS_SNAPSHOT"
TRACE_ENV = "CTS_GAS_TRACE"  # `make gas-trace`: also print where each action's gas goes (gas_trace.py)

# Gas on a given node is deterministic up to calldata: a timestamp or a signature in the arguments has a
# different number of zero bytes from run to run (4 gas for a zero byte, 16 for any other). The tolerance
# covers that noise and nothing more: an extra storage write (2,900 gas or more) is always caught.
ABSOLUTE_TOLERANCE = 200  # gas
RELATIVE_TOLERANCE_PER_MILLE = 1  # 0.1 %, for the large calls (finalising 128 projects: about 2,000)


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def update_requested() -> bool:
    return _flag(UPDATE_ENV)


def trace_requested() -> bool:
    return _flag(TRACE_ENV)


def tolerance(snapshot_gas: int) -> int:
    return max(ABSOLUTE_TOLERANCE, snapshot_gas * RELATIVE_TOLERANCE_PER_MILLE // 1000)


def update_command(network: str) -> str:
    return (
        f"`make gas-snapshot` (or {UPDATE_ENV}=1 bin/brownie test tests/contracts/test_gas_snapshot.py "
        f"--network {network}), then commit tests/contracts/{SNAPSHOT_PATH.name} with the change that moved "
        "the gas"
    )


class GasSnapshot:
    """The snapshot file: compares measurements with it, or records them to rewrite it."""

    def __init__(self, node: str, network: str, actions: list[str], *, update: bool) -> None:
        self.node = node
        self.network = network
        self.actions = actions
        self.update = update
        self.expected: dict[str, int] = (
            json.loads(SNAPSHOT_PATH.read_text()) if SNAPSHOT_PATH.exists() else {}
        )
        self.measured: dict[str, int] = {}
        self.traces: list[str] = []  # where the gas went, with CTS_GAS_TRACE (gas_trace.py)

    def check(self, measured: dict[str, int]) -> list[str]:
        """Records the measurements; returns what differs from the snapshot (nothing when updating)."""
        problems = []
        for name, gas in measured.items():
            assert name in self.actions, f"{name!r} is not in ACTIONS of test_gas_snapshot.py"
            self.measured[name] = gas
            if self.update:
                continue
            if name not in self.expected:
                problems.append(f"{name}: {gas:,} gas on {self.node}, and the snapshot has no figure for it.")
                continue
            expected = self.expected[name]
            allowed = tolerance(expected)
            if gas > expected + allowed:
                problems.append(
                    f"GAS REGRESSION {name}: {gas:,} gas on {self.node}, {gas - expected:+,} against the "
                    f"snapshot's {expected:,} (tolerance {allowed:,})."
                )
            elif gas < expected - allowed:
                problems.append(
                    f"GAS SAVING NOT RECORDED {name}: {gas:,} gas on {self.node}, {gas - expected:+,} "
                    f"against the snapshot's {expected:,} (tolerance {allowed:,}). Record it, so that it "
                    "cannot be lost."
                )
        if problems:
            problems.append(
                "If the change in gas is intended, update the snapshot: " + update_command(self.network) + "."
            )
        return problems

    def write(self) -> None:
        """The file becomes the measured figures, in the order of the actions; figures of actions not run
        this time (a run with -k) are kept, figures of actions no longer measured are dropped."""
        figures = {name: gas for name, gas in self.expected.items() if name in self.actions}
        figures.update(self.measured)
        ordered = {name: figures[name] for name in self.actions if name in figures}
        SNAPSHOT_PATH.write_text(json.dumps(ordered, indent=2) + "\n")

    def changes(self) -> list[str]:
        """Lines describing what an update changed, for the log."""
        lines = []
        for name in self.actions:
            old, new = self.expected.get(name), self.measured.get(name)
            if new is not None and old != new:
                was = f"{old:,}" if old is not None else "none"
                lines.append(f"  {name}: {was} -> {new:,}")
        return lines
