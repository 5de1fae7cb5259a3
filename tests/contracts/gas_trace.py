"""Where a transaction's gas goes, from the node's step trace: `make gas-trace` prints it for every action of
the gas snapshot (test_gas_snapshot.py with CTS_GAS_TRACE=1 on `cts-anvil-trace`, an Anvil started with
--steps-tracing, without which Anvil answers debug_traceTransaction with no steps).

Two views of one transaction:
- by opcode: the sum of each step's gas cost, grouped (storage reads and writes, logs, calls, CREATE2, the
  rest). A call's own cost is what it took beyond the gas its frame used, so the callee's work is counted in
  the callee's opcodes, not twice. What the steps do not cover is the transaction's 21,000, its calldata and
  any refund;
- by call: each frame's gas beyond its sub-frames (Anvil's callTracer), summed over the frames that call the
  same function of the same address at the same depth: a batch of 50 shows each call between the hromada's
  clones once, with its count.
These are the figures docs/benchmarks/gas-floors.md quotes as "traced".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from brownie import web3

CALLS = ("CALL", "STATICCALL", "DELEGATECALL", "CALLCODE", "CREATE", "CREATE2")
NAMED = ("SLOAD", "SSTORE", "KECCAK256", "EXTCODESIZE", "MLOAD", "MSTORE", *CALLS)


@dataclass
class Trace:
    gas_used: int
    by_opcode: Counter[str] = field(default_factory=Counter)
    opcode_count: Counter[str] = field(default_factory=Counter)
    by_call: Counter[tuple[int, str, str, str]] = field(default_factory=Counter)
    call_count: Counter[tuple[int, str, str, str]] = field(default_factory=Counter)

    def lines(self, label: str) -> list[str]:
        steps = sum(self.by_opcode.values())
        out = [
            label,
            f"  the whole transaction {self.gas_used:,} gas: its steps {steps:,}; "
            f"the transaction itself, its calldata and refunds {self.gas_used - steps:,}",
        ]
        out += [
            f"    {group:<13}{gas:>11,}  ({self.opcode_count[group]} steps)"
            for group, gas in self.by_opcode.most_common()
        ]
        out.append("  by call (gas beyond its sub-calls; calls of one function at one depth summed):")
        for key in sorted(self.by_call):
            depth, kind, to, selector = key
            count = self.call_count[key]
            gas = self.by_call[key]
            each = f", {gas // count:,} each" if count > 1 else ""
            out.append(f"    {'  ' * depth}{kind} {to} {selector} x{count}: {gas:,}{each}")
        return out


def _int(value: int | str) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def trace(tx_hash: str) -> Trace:
    """The two views of `tx_hash`; fails if the node recorded no steps (Anvil without --steps-tracing)."""
    receipt = web3.eth.get_transaction_receipt(tx_hash)
    options = {"disableStorage": True, "disableMemory": True, "disableStack": True}
    steps = web3.provider.make_request("debug_traceTransaction", [tx_hash, options])["result"]["structLogs"]
    assert steps, "the node recorded no steps: run Anvil with --steps-tracing (make gas-trace does)"
    result = Trace(gas_used=int(receipt["gasUsed"]))
    for i, step in enumerate(steps):
        op, cost = step["op"], _int(step["gasCost"])
        if op in CALLS and i + 1 < len(steps) and steps[i + 1]["depth"] > step["depth"]:
            end = i + 1
            while end < len(steps) and steps[end]["depth"] > step["depth"]:
                end += 1
            last = steps[end - 1]
            inside = _int(steps[i + 1]["gas"]) - (_int(last["gas"]) - _int(last["gasCost"]))
            cost = _int(step["gas"]) - _int(steps[end]["gas"]) - inside
        group = op if op in NAMED or op.startswith("LOG") else "other"
        result.by_opcode[group] += cost
        result.opcode_count[group] += 1
    call_tracer = {"tracer": "callTracer"}
    _walk(web3.provider.make_request("debug_traceTransaction", [tx_hash, call_tracer])["result"], 0, result)
    return result


def _walk(frame: dict, depth: int, into: Trace) -> None:
    calls = frame.get("calls", [])
    own = _int(frame["gasUsed"]) - sum(_int(c["gasUsed"]) for c in calls)
    key = (depth, frame["type"], frame.get("to", "")[:10], frame.get("input", "")[:10])
    into.by_call[key] += own
    into.call_count[key] += 1
    for call in calls:
        _walk(call, depth + 1, into)
