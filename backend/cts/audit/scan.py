"""Reading every log of the hromada's contracts with eth_getLogs, in bounded block ranges.

Providers cap eth_getLogs (a range of blocks, a number of results, a response size). The scan asks for at
most `chunk` blocks at a time; when the node refuses a range it halves it and asks again; it also shrinks
the range when an answer was large and widens it (up to `chunk`) when answers are small, so one request
never carries much more than `target_logs` logs. Transient failures are retried with backoff by the
client. Ranges come back in chain order, each sorted by (block, log index).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from cts.audit.errors import AuditError, RangeTooLargeError
from cts.audit.rpc import RpcClient

DEFAULT_CHUNK = 2_000
DEFAULT_TARGET_LOGS = 10_000
INITIAL_SPAN = 250


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


def progress_enabled(quiet: bool) -> bool:
    """Progress bars go to stderr, only when it is a terminal and the user did not ask for quiet."""
    return not quiet and sys.stderr.isatty()


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
) -> Iterator[list[dict[str, Any]]]:
    """Yield the logs of `addresses` in [from_block, to_block], range by range, in chain order."""
    if chunk < 1:
        raise AuditError(f"--chunk must be at least 1 block (got {chunk})")
    span = min(chunk, INITIAL_SPAN)
    stats.smallest_span = span
    start = from_block
    with tqdm(
        total=max(0, to_block - from_block + 1),
        disable=not progress,
        file=sys.stderr,
        unit="block",
        desc="scanning logs",
        leave=False,
    ) as bar:
        while start <= to_block:
            end = min(start + span - 1, to_block)
            stats.requests += 1
            try:
                logs = client.get_logs(start, end, addresses, topics)
            except RangeTooLargeError as error:
                if end == start:
                    raise AuditError(
                        f"the node refuses the logs of block {start} alone ({error.message}); "
                        "use a node without a log limit"
                    ) from None
                span = max(1, (end - start + 1) // 2)
                stats.halvings += 1
                stats.smallest_span = min(stats.smallest_span, span)
                continue
            logs = [log for log in logs if not log.get("removed")]
            logs.sort(key=lambda log: (int(log["blockNumber"], 16), int(log["logIndex"], 16)))
            stats.ranges += 1
            stats.logs += len(logs)
            bar.update(end - start + 1)
            bar.set_postfix(logs=stats.logs, refresh=False)
            yield logs
            start = end + 1
            if len(logs) > target_logs and span > 1:
                span = max(1, span // 2)
                stats.smallest_span = min(stats.smallest_span, span)
            elif len(logs) * 4 < target_logs and span < chunk:
                span = min(chunk, span * 2)
