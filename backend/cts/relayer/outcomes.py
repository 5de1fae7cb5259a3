"""Why a relayed request failed on chain: a rule of the contract (its custom error), out of gas, or unknown.

The forwarder's ExecutedForwardRequest event says only *that* a request failed. The worker then asks the
node why, in the most exact way the node allows:

1. **Trace** (`debug_traceTransaction` with the `callTracer`: Anvil, Geth, Erigon, Reth and most L2 nodes):
   the forwarder's call to the target, as it ran inside the batch, with its revert data and the errors of
   its inner calls. Revert data that decodes is the contract's refusal; an "out of gas" anywhere under a
   call that reverted without data is out of gas.
2. **Replay** (any node, Ganache included, which ignores the tracer): the call again with `eth_call` from
   the signer at the state the block started from, first with the gas the request carried (plus the
   intrinsic gas a transaction pays and a forwarded call does not), then with plenty. Refused with data: the
   contract's rule. Failing with the request's gas and succeeding with plenty: out of gas. Succeeding with
   its own gas: the state it ran in (after earlier requests of the same batch or block) cannot be
   reproduced, and the failure is *unexplained*; the worker never calls that a refusal.

Nothing here changes the chain or the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from web3 import Web3
from web3.types import RPCEndpoint

from cts.chain.errors import ContractRevert, decode_revert
from cts.relayer.errors import refusal

logger = logging.getLogger(__name__)

FailureKind = Literal["refused", "out_of_gas", "unexplained"]

# Codes of the outcomes that are not a contract's own refusal (a refusal's code is its error's name).
OUT_OF_GAS = "out_of_gas"
UNEXPLAINED = "failed_unexplained"
REVERTED_WITHOUT_REASON = "refused_on_chain"

_TX_BASE_GAS = 21_000


def intrinsic_gas(data: bytes) -> int:
    """What a transaction pays before it runs: the base cost and its call data (a forwarded call pays
    neither, so a replay as a transaction gets this much on top of the request's gas)."""
    zeros = data.count(0)
    return _TX_BASE_GAS + 4 * zeros + 16 * (len(data) - zeros)


def _is_out_of_gas(message: str | None) -> bool:
    text = (message or "").lower().replace(" ", "")
    return "outofgas" in text


@dataclass(frozen=True)
class RequestRun:
    """A request as it was in the batch: who signed it, what it called, and the gas it carried."""

    signer: str
    target: str
    data: bytes
    gas: int


@dataclass(frozen=True)
class Failure:
    """Why a request failed when it ran, and how the worker found out (`trace` or `replay`)."""

    kind: FailureKind
    how: str
    revert: ContractRevert | None = None
    gas_needed: int | None = None

    @property
    def code(self) -> str:
        """The action's error code: the contract's error in snake case (which the pages translate), or
        out_of_gas, refused_on_chain (a revert without data), failed_unexplained."""
        if self.kind == "out_of_gas":
            return OUT_OF_GAS
        if self.kind == "unexplained":
            return UNEXPLAINED
        if self.revert is None or self.revert.name == "Reverted":
            return REVERTED_WITHOUT_REASON
        return str(refusal(self.revert).code)

    def detail(self, gas: int) -> str:
        """An English sentence for the API and the logs, with the technical reason in brackets."""
        if self.kind == "out_of_gas":
            needed = f" (about {self.gas_needed} needed)" if self.gas_needed else ""
            return (
                f"It ran out of gas: the request carried {gas} gas{needed}, because the blockchain's state "
                f"changed after it was prepared. [{self.how}]"
            )
        if self.kind == "unexplained":
            return (
                "It failed when it ran, and the relayer could not find out why (the state it ran in could "
                f"not be reproduced). [{self.how}]"
            )
        if self.revert is None or self.revert.name == "Reverted":
            return f"The contract refused the action when it ran, without giving a reason. [{self.how}]"
        message = str(refusal(self.revert))
        return f"The contract refused the action when it ran: {message} [{self.revert}; {self.how}]"[:500]


class FailureExplainer:
    """Finds out why requests failed inside a mined batch (see the module's docstring)."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self._tracing: bool | None = None  # unknown until the node is asked once
        self._traced: tuple[str, dict[tuple[str, str], dict[str, Any]] | None] | None = None  # the last one

    def explain(self, tx_hash: str, block: int, runs: list[RequestRun]) -> dict[RequestRun, Failure]:
        """A Failure for each of `runs` (requests that failed in transaction `tx_hash` of `block`)."""
        if not runs:
            return {}
        frames = self._trace(tx_hash)
        found: dict[RequestRun, Failure] = {}
        for run in runs:
            failure = None
            if frames is not None:
                frame = frames.get(_call_key(run.target, run.data, run.signer))
                if frame is not None:
                    failure = _from_frame(frame)
                if failure is not None and failure.kind == "out_of_gas":
                    failure = Failure("out_of_gas", "trace", gas_needed=self._needed(run, block))
            if failure is None:
                failure = self._replay(run, block)
            found[run] = failure
            logger.info(
                "relayer: request of %s to %s failed in %s: %s (%s)",
                run.signer,
                run.target,
                tx_hash,
                failure.code,
                failure.revert or failure.how,
            )
        return found

    # ------------------------------------------------------------ trace

    def explain_transaction(self, sender: str, to: str, data: str, gas: int, block: int) -> str:
        """Why a whole transaction reverted (a few words): its call replayed at the state its block started
        from."""
        result = self._call({"from": sender, "to": to, "data": data, "gas": hex(gas)}, hex(max(block - 1, 0)))
        if result.outcome == "refused":
            return str(result.revert)
        if result.outcome == "out_of_gas":
            return "it ran out of gas"
        if result.outcome == "ok":
            return "it does not fail when replayed at the state its block started from"
        return "it reverted without a reason"

    def _trace(self, tx_hash: str) -> dict[tuple[str, str], dict[str, Any]] | None:
        """The forwarder's calls in the transaction, by (target, input); None where the node cannot trace."""
        if self._tracing is False:
            return None
        if self._traced is not None and self._traced[0] == tx_hash:
            return self._traced[1]
        calls = self._trace_calls(tx_hash)
        self._traced = (tx_hash, calls)
        return calls

    def _trace_calls(self, tx_hash: str) -> dict[tuple[str, str], dict[str, Any]] | None:
        try:
            response: Any = self.w3.provider.make_request(
                RPCEndpoint("debug_traceTransaction"), [tx_hash, {"tracer": "callTracer"}]
            )
        except (ValueError, TypeError):  # an answer that is not JSON-RPC
            response = None
        result = response.get("result") if isinstance(response, dict) else None
        if not isinstance(result, dict) or "type" not in result:
            # No debug namespace (public RPC), or a node that ignores the tracer (Ganache's struct logs).
            self._tracing = False
            return None
        self._tracing = True
        calls = {}
        for frame in result.get("calls") or []:
            if str(frame.get("type", "")).upper() == "CALL" and frame.get("to"):
                calls[(str(frame["to"]).lower(), str(frame.get("input", "")).lower())] = frame
        return calls

    # ------------------------------------------------------------ replay

    def _replay(self, run: RequestRun, block: int) -> Failure:
        at = hex(max(block - 1, 0))
        call = {"from": run.signer, "to": run.target, "data": "0x" + run.data.hex()}
        tight = self._call({**call, "gas": hex(run.gas + intrinsic_gas(run.data))}, at)
        if tight.outcome == "refused":
            return Failure("refused", "replay", revert=tight.revert)
        if tight.outcome in ("ok", "other"):
            return Failure("unexplained", "replay")
        ample = self._call(call, at)
        if ample.outcome == "ok":
            return Failure("out_of_gas", "replay", gas_needed=self._needed(run, block))
        if ample.outcome in ("refused", "reverted"):
            # Refused even with plenty of gas: by its rule when the revert data says which.
            return Failure("refused", "replay", revert=ample.revert)
        return Failure("unexplained", "replay")

    def _call(self, params: dict[str, Any], at: str) -> _CallResult:
        response: dict[str, Any] = dict(self.w3.provider.make_request(RPCEndpoint("eth_call"), [params, at]))
        if "error" not in response:
            return _CallResult("ok")
        error = response["error"] if isinstance(response["error"], dict) else {"message": response["error"]}
        data = error.get("data")
        if isinstance(data, dict):  # Ganache nests it
            data = data.get("data") or data.get("result")
        revert = decode_revert(data if isinstance(data, str) and data.startswith("0x") else None)
        if revert.name != "Reverted":
            return _CallResult("refused", revert)
        message = str(error.get("message", ""))
        if _is_out_of_gas(message):
            return _CallResult("out_of_gas", revert)
        if "revert" in message.lower():
            return _CallResult("reverted", revert)
        return _CallResult("other")  # the node could not run it (an old block pruned, say)

    def _needed(self, run: RequestRun, block: int) -> int | None:
        """The gas the call needs at the state its block started from (a forwarded call pays no intrinsic
        gas, so that is taken off the estimate); None if the node cannot say."""
        params = {"from": run.signer, "to": run.target, "data": "0x" + run.data.hex()}
        response: dict[str, Any] = dict(
            self.w3.provider.make_request(RPCEndpoint("eth_estimateGas"), [params, hex(max(block - 1, 0))])
        )
        if "result" not in response:
            return None
        return max(int(response["result"], 16) - intrinsic_gas(run.data), 0)


@dataclass(frozen=True)
class _CallResult:
    outcome: Literal["ok", "refused", "reverted", "out_of_gas", "other"]
    revert: ContractRevert | None = None


def _call_key(target: str, data: bytes, signer: str) -> tuple[str, str]:
    """How the forwarder's call to the target looks in a trace: ERC-2771 appends the signer to the data."""
    return target.lower(), "0x" + data.hex() + signer.lower().removeprefix("0x")


def _from_frame(frame: dict[str, Any]) -> Failure | None:
    """A Failure from the traced call frame of a failed request; None if the frame did not fail."""
    if not frame.get("error"):
        return None
    output = frame.get("output")
    revert = decode_revert(output if isinstance(output, str) and output.startswith("0x") else None)
    if revert.name != "Reverted":
        return Failure("refused", "trace", revert=revert)
    if _subtree_out_of_gas(frame):
        return Failure("out_of_gas", "trace", gas_needed=None)
    return Failure("refused", "trace", revert=revert)


def _subtree_out_of_gas(frame: dict[str, Any]) -> bool:
    if _is_out_of_gas(frame.get("error")):
        return True
    return any(_subtree_out_of_gas(child) for child in frame.get("calls") or [])
