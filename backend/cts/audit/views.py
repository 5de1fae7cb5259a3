"""Reading the contracts' views at one block, a few hundred in one eth_call.

Every view is read at the block where the log scan ended, so the state compared is exactly the state that
the scanned events produced: no transaction can slip in between. A batch of views goes to the node as one
eth_call of contracts/audit/ViewBatch.sol, whose code the call itself supplies (a state override, which
Anvil, geth, Erigon and the hosted providers accept): the node runs every view in one call, and the audit
encodes and parses one request instead of hundreds. A node that refuses the override (an older geth, some
public endpoints) is read one eth_call per view, in JSON-RPC batches; the answers are the same.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

from tqdm import tqdm

from cts.audit.abi import (
    CONTRACTS,
    VIEW_BATCH,
    FunctionSpec,
    decode_view_batch,
    encode_view_batch,
    function_spec,
    revert_reason,
)
from cts.audit.errors import AuditError, RpcError
from cts.audit.rpc import RpcClient
from cts.chain.artifacts import load_artifact

DEFAULT_BATCH = 250
# Batches in flight at once: the node answers one while the next is encoded and the previous decoded.
DEFAULT_WORKERS = 4
# Where ViewBatch's code is put for the call: an address nobody holds a key for (the bytes of "cts audit").
VIEW_BATCH_ADDRESS = "0x" + b"cts audit".hex().rjust(40, "0")


# View and Answer are named tuples: a large audit makes hundreds of thousands of each, and a tuple is made
# and hashed in C.
class View(NamedTuple):
    """A view call: `function(*args)` on the hromada's contract `contract` (a manifest key)."""

    contract: str
    function: str
    args: tuple[Any, ...] = ()

    @property
    def label(self) -> str:
        rendered = ", ".join(str(a) for a in self.args)
        return f"{CONTRACTS.get(self.contract, self.contract)}.{self.function}({rendered})"


class Answer(NamedTuple):
    """A view's value, or why the call failed (a revert: its message and data)."""

    value: Any = None
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


class ViewReader:
    """Reads views of one hromada's contracts at a fixed block."""

    def __init__(
        self,
        client: RpcClient,
        addresses: Mapping[str, str],
        block: int,
        batch_size: int = DEFAULT_BATCH,
        progress: bool = False,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        self.client = client
        self.addresses = dict(addresses)
        self.block = block
        self.batch_size = batch_size
        self.progress = progress
        self.workers = workers
        self.calls = 0
        # None until the node first answers (or refuses) a ViewBatch call.
        self.batched: bool | None = None

    def artifact(self, contract: str) -> str:
        return CONTRACTS.get(contract, contract)

    def _spec(self, view: View) -> FunctionSpec:
        return function_spec(self.artifact(view.contract), view.function)

    def read(self, views: Sequence[View], desc: str = "reading views") -> list[Answer]:
        """The answers to `views`, in order; batches go out `workers` at a time."""
        parts = [views[start : start + self.batch_size] for start in range(0, len(views), self.batch_size)]
        answers: list[Answer] = []
        with (
            tqdm(
                total=len(views),
                disable=not self.progress,
                file=sys.stderr,
                unit="call",
                desc=desc,
                leave=False,
            ) as bar,
            ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(parts)))) as pool,
        ):
            for part, part_answers in zip(parts, pool.map(self._read_batch, parts), strict=True):
                answers.extend(part_answers)
                self.calls += len(part)
                bar.update(len(part))
        return answers

    def _read_batch(self, part: Sequence[View]) -> list[Answer]:
        if self.batched is not False:
            answers = self._read_in_one_call(part)
            if answers is not None:
                if self.batched is None:  # a refusal seen by another batch in flight stays the verdict
                    self.batched = True
                return answers
            self.batched = False
        return self._read_call_by_call(part)

    def _read_in_one_call(self, part: Sequence[View]) -> list[Answer] | None:
        """The views of `part` through ViewBatch in one eth_call; None when the node refuses the override."""
        calldata = encode_view_batch(
            [(self.addresses[v.contract], self._spec(v).calldata(v.args)) for v in part]
        )
        override = {VIEW_BATCH_ADDRESS: {"code": load_artifact(VIEW_BATCH).deployed_bytecode}}
        try:
            result = self.client.request(
                "eth_call", [{"to": VIEW_BATCH_ADDRESS, "data": calldata}, hex(self.block), override]
            )
            outcomes = decode_view_batch(str(result))
        except (RpcError, ValueError, IndexError):
            return None
        if len(outcomes) != len(part):
            return None
        answers = []
        for view, (success, data) in zip(part, outcomes, strict=True):
            if not success:
                reason = revert_reason(data)
                message = f"execution reverted: {reason}" if reason else "execution reverted"
                answers.append(Answer(failure=f"call failed: {message} data 0x{data.hex()}"))
            else:
                answers.append(self._decoded(view, data))
        return answers

    def _read_call_by_call(self, part: Sequence[View]) -> list[Answer]:
        tag = hex(self.block)
        calls = [
            (
                "eth_call",
                [
                    {
                        "to": self.addresses[v.contract],
                        "data": "0x" + self._spec(v).calldata(v.args).hex(),
                    },
                    tag,
                ],
            )
            for v in part
        ]
        answers = []
        for view, result in zip(part, self.client.batch(calls), strict=True):
            if result.ok:
                answers.append(self._decoded(view, result.result))
            else:
                failure = result.error or {}
                data = failure.get("data")
                detail = f" data {data}" if isinstance(data, str) else ""
                answers.append(Answer(failure=f"call failed: {failure.get('message', '')}{detail}"))
        return answers

    def _decoded(self, view: View, data: Any) -> Answer:
        """A view's answer from its return data (bytes, or hex from the node); an undecodable answer is
        reported, not raised."""
        try:
            raw = data if isinstance(data, bytes) else bytes.fromhex(data[2:])
            value = self._spec(view).answer(raw)
        except Exception as error:
            shown = "0x" + data.hex() if isinstance(data, bytes) else data
            return Answer(failure=f"undecodable answer {shown!r}: {error}")
        return Answer(value=value)

    def read_one(self, view: View) -> Any:
        """One view's value; AuditError if the call failed (the audit cannot go on without it)."""
        answer = self.read([view])[0]
        if not answer.ok:
            raise AuditError(f"{view.label} at block {self.block}: {answer.failure}")
        return answer.value
