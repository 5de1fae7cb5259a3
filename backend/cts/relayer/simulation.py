"""Simulating an action before it is queued: the gas the service requires for it, or the contract's refusal.

An eth_estimateGas from the person's own address is what the target sees through the forwarder too (ERC-2771
makes the signer the sender), so a refusal here is the refusal the action would meet on chain.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from cts.chain.errors import decode_revert
from cts.relayer.errors import ChainUnavailableError, refusal

if TYPE_CHECKING:
    from cts.relayer.service import Call

# Extra gas the forwarder needs around a request, and a margin over the simulated gas.
GAS_MARGIN_PERCENT = 30
MIN_REQUEST_GAS = 60_000
# A JSON-RPC batch of simulations carries at most this calldata (hex-encoded it is twice that, well under
# Anvil's 2 MiB body) and this many calls (the node answers a batch within one call's timeout: 80
# approvals of 100 cases each did not, on a 40,000-resident chain).
SIMULATION_BATCH_BYTES = 256 * 1024
SIMULATION_BATCH_CALLS = 20


def simulation_batches(calls: Sequence[tuple[str, Call]]) -> Iterator[Sequence[tuple[str, Call]]]:
    """The calls in consecutive groups of at most SIMULATION_BATCH_CALLS calls and SIMULATION_BATCH_BYTES
    of calldata (a larger call goes alone)."""
    start, size = 0, 0
    for index, (_, call) in enumerate(calls):
        full = index - start == SIMULATION_BATCH_CALLS or size + len(call.data) > SIMULATION_BATCH_BYTES
        if index > start and full:
            yield calls[start:index]
            start, size = index, 0
        size += len(call.data)
    if start < len(calls):
        yield calls[start:]


def request_gas(estimate: int) -> int:
    """The gas a custodial request carries: the simulated gas with the service's margin (at acceptance, and
    when the worker simulates it again before sending)."""
    return max(MIN_REQUEST_GAS, estimate * (100 + GAS_MARGIN_PERCENT) // 100)


def estimate_params(signer: str, call: Call) -> dict[str, str]:
    return {"from": signer, "to": call.target, "data": "0x" + call.data.hex()}


def required_gas(response: dict[str, Any]) -> int:
    """The gas the service requires for a simulated call (the estimate with the margin), or the refusal."""
    if "error" in response:
        error = response["error"] or {}
        data = error.get("data")
        if isinstance(data, dict):  # Ganache nests it
            data = data.get("data") or data.get("result")
        if not (isinstance(data, str) and data.startswith("0x")):
            if "revert" in str(error.get("message", "")).lower():
                raise refusal(decode_revert(None)) from None
            raise ChainUnavailableError()
        raise refusal(decode_revert(data)) from None
    return request_gas(int(response["result"], 16))
