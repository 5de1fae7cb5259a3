"""Reading every log of the hromada's contracts with eth_getLogs, in bounded block ranges.

Providers cap eth_getLogs (a range of blocks, a number of results, a response size). The scan asks for at
most `chunk` blocks at a time; when the node refuses a range it halves it and asks again; it also shrinks
the range when an answer was large and widens it (up to `chunk`) when answers are small, so one request
never carries many more than `target_logs` logs. Transient failures are retried with backoff by the
client. Up to `workers` ranges are in flight at once (the node reads one while the audit replays the
previous), and ranges come back in chain order, each sorted by (block, log index).
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from cts.audit.errors import AuditError, RangeTooLargeError
from cts.audit.rpc import RpcClient

DEFAULT_CHUNK = 2_000
DEFAULT_TARGET_LOGS = 5_000
# The first ranges are small: a dense chain's blocks hold hundreds of logs each (the spans grow at once where
# they hold few), and three ranges are read at a time.
INITIAL_SPAN = 32
# Ranges in flight at once. Two keep the node busy while the audit decodes; more only queue up at a local
# node, and a hosted provider counts them against its rate limit.
DEFAULT_WORKERS = 3


@dataclass
class ScanStats:
    """What a scan did, for the summary and the benchmark."""

    from_block: int
    to_block: int
    requests: int = 0
    ranges: int = 0
    logs: int = 0
    halvings: int = 0
    smallest_span: int = 0


@dataclass
class _Range:
    """One range's logs, and what reading them took (a refused range is read in halves)."""

    logs: list[dict[str, Any]]
    requests: int
    halvings: int
    span: int  # the largest span the node answered within this range


def progress_enabled(quiet: bool) -> bool:
    """Progress bars go to stderr, only when it is a terminal and the user did not ask for quiet."""
    return not quiet and sys.stderr.isatty()


def _read_range(
    client: RpcClient, addresses: Sequence[str], start: int, end: int, topics: Sequence[Any] | None
) -> _Range:
    """The logs of [start, end]; a range the node refuses is read as two halves, and so on down."""
    try:
        logs = client.get_logs(start, end, addresses, topics)
    except RangeTooLargeError as error:
        if end == start:
            raise AuditError(
                f"the node refuses the logs of block {start} alone ({error.message}); "
                "use a node without a log limit"
            ) from None
        middle = start + (end - start + 1) // 2 - 1
        first = _read_range(client, addresses, start, middle, topics)
        second = _read_range(client, addresses, middle + 1, end, topics)
        return _Range(
            first.logs + second.logs,
            1 + first.requests + second.requests,
            1 + first.halvings + second.halvings,
            min(first.span, second.span),
        )
    live = [log for log in logs if not log.get("removed")]
    live.sort(key=lambda log: (int(log["blockNumber"], 16), int(log["logIndex"], 16)))
    return _Range(live, 1, 0, end - start + 1)


def scan_logs(
    client: RpcClient,
    addresses: Sequence[str],
    from_block: int,
    to_block: int,
    stats: ScanStats,
    chunk: int = DEFAULT_CHUNK,
    target_logs: int = DEFAULT_TARGET_LOGS,
    topics: Sequence[Any] | None = None,
    progress: bool = False,
    workers: int = DEFAULT_WORKERS,
) -> Iterator[list[dict[str, Any]]]:
    """Yield the logs of `addresses` in [from_block, to_block], range by range, in chain order."""
    if chunk < 1:
        raise AuditError(f"--chunk must be at least 1 block (got {chunk})")
    span = min(chunk, INITIAL_SPAN)
    stats.smallest_span = span
    start = from_block
    in_flight: deque[tuple[int, int, Future[_Range]]] = deque()
    with (
        tqdm(
            total=max(0, to_block - from_block + 1),
            disable=not progress,
            file=sys.stderr,
            unit="block",
            desc="scanning logs",
            leave=False,
        ) as bar,
        ThreadPoolExecutor(max_workers=max(1, workers)) as pool,
    ):
        try:
            while in_flight or start <= to_block:
                while start <= to_block and len(in_flight) < max(1, workers):
                    end = min(start + span - 1, to_block)
                    in_flight.append(
                        (start, end, pool.submit(_read_range, client, addresses, start, end, topics))
                    )
                    start = end + 1
                first, last, future = in_flight.popleft()
                part = future.result()
                stats.requests += part.requests
                stats.halvings += part.halvings
                stats.ranges += 1
                stats.logs += len(part.logs)
                # The next ranges follow what the node just answered: within its limit, and sized to hold
                # about target_logs at this range's density (at most twice the span, for a chain whose
                # density changes), so that the ranges in flight never hold many more logs than that.
                blocks = last - first + 1
                if part.halvings:
                    span = min(span, part.span)
                elif len(part.logs) > target_logs:
                    span = max(1, blocks * target_logs // len(part.logs))
                elif len(part.logs) * 2 < target_logs:
                    ideal = blocks * target_logs // max(1, len(part.logs))
                    span = max(1, min(chunk, 2 * span, ideal))
                stats.smallest_span = min(stats.smallest_span, span, part.span)
                bar.update(last - first + 1)
                bar.set_postfix(logs=stats.logs, refresh=False)
                yield part.logs
        finally:
            for _, _, pending in in_flight:
                pending.cancel()
