"""Start and stop a local chain (Ganache 7 or Anvil) for the demo, the pilot replay and tests.

The settings match the Brownie networks of tools/setup_networks.py: hardfork shanghai, the
well-known development mnemonic, 1,000,000 ether per account, a 30M gas block limit.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal

import httpx

from cts.chain.artifacts import REPO_ROOT

DEV_MNEMONIC = "test test test test test test test test test test test junk"
NodeKind = Literal["ganache", "anvil"]


class LocalNodeError(RuntimeError):
    """Raised when a local chain cannot be started."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Run in a child between fork and exec (`preexec_fn`): ask Linux to send the child SIGTERM when the
    thread that started it ends, so that a parent killed outright leaves no orphan behind. Elsewhere, and
    where libc cannot be loaded, nothing happens."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def find_executable(name: str) -> str:
    # Anvil's npm package installs a Node.js launcher that starts the platform's binary as a child of its own.
    # The binary itself is started instead: one process, and the parent-death signal (die_with_parent)
    # reaches the node, not a launcher that would leave it running.
    binaries = sorted((REPO_ROOT / "node_modules" / "@foundry-rs").glob(f"{name}-*/bin/{name}"))
    if len(binaries) == 1:
        return str(binaries[0])
    local = REPO_ROOT / "node_modules" / ".bin" / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise LocalNodeError(f"{name} not found in node_modules/.bin or on PATH: run `make setup`")
    return found


@dataclass
class LocalNode:
    """A local chain in a child process; use as a context manager or call start()/stop()."""

    kind: NodeKind = "anvil"
    port: int = 0
    chain_id: int = 1337
    accounts: int = 20
    block_time: int | None = None
    log_path: Path | None = None
    # Keep the chain across restarts (a node that "goes away and comes back"): Anvil's --state file,
    # Ganache's database folder.
    state_path: Path | None = None
    # Anvil only: keep the state of the last `recent_states` blocks and no older (`--prune-history`). Anvil
    # otherwise keeps a whole copy of the state for each of its last 500 blocks in memory: with 40,000
    # residents that outgrew 24 GiB and the kernel killed it. Past that many blocks, reads of an old state
    # are refused (BlockOutOfRangeError); logs, blocks and receipts stay. For runs that never read old state
    # (`cts replay`, the benchmarks); the tests and the demo keep the default.
    recent_states: int | None = None
    # Stop the node when the thread that started it ends (die_with_parent), so that a test run, benchmark,
    # replay or demo killed outright leaves no node behind (with gigabytes of state, after a large replay).
    die_with_parent: bool = True
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        if self.kind == "ganache":
            cmd = [
                find_executable("ganache"),
                "--logging.quiet",
                "--server.host=127.0.0.1",
                f"--server.port={self.port}",
                f"--chain.chainId={self.chain_id}",
                f"--chain.networkId={self.chain_id}",
                "--chain.hardfork=shanghai",
                f"--wallet.mnemonic={DEV_MNEMONIC}",
                f"--wallet.totalAccounts={self.accounts}",
                "--wallet.defaultBalance=1000000",
                "--miner.blockGasLimit=30000000",
                "--chain.vmErrorsOnRPCResponse=true",
            ]
            if self.block_time:
                cmd.append(f"--miner.blockTime={self.block_time}")
            if self.state_path:
                cmd.append(f"--database.dbPath={self.state_path}")
            return cmd
        cmd = [
            find_executable("anvil"),
            "--silent",
            "--host=127.0.0.1",
            f"--port={self.port}",
            f"--chain-id={self.chain_id}",
            "--hardfork=shanghai",
            f"--mnemonic={DEV_MNEMONIC}",
            f"--accounts={self.accounts}",
            "--balance=1000000",
            "--gas-limit=30000000",
        ]
        # Anvil keeps the state of its last 500 blocks in memory and writes older ones to
        # ~/.foundry/anvil/tmp (thousands of them, never removed when the node is stopped: 211 MB per
        # `make test`, 74 GB in one long replay). Nothing in CTS reads state that old (the worker reads at the
        # head, the audit reads logs), so nothing goes to disk; --prune-history writes nothing either (the
        # two options exclude each other).
        if self.recent_states is not None:
            cmd.append(f"--prune-history={self.recent_states}")
        else:
            cmd.append("--max-persisted-states=0")
        if self.block_time:
            cmd.append(f"--block-time={self.block_time}")
        if self.state_path:
            cmd.append(f"--state={self.state_path}")
        return cmd

    def is_answering(self) -> bool:
        try:
            response = httpx.post(
                self.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=1
            )
            return response.status_code == 200 and "result" in response.json()
        except httpx.HTTPError:
            return False

    def start(self, timeout: float = 30) -> LocalNode:
        if self.port == 0:
            self.port = free_port()
        if self.is_answering():
            raise LocalNodeError(f"something already answers at {self.url}")
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 (our own fixed command)
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent if self.die_with_parent else None,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalNodeError(f"{self.kind} exited with code {self.process.returncode}")
            if self.is_answering():
                return self
            time.sleep(0.1)
        self.stop()
        raise LocalNodeError(f"{self.kind} did not answer at {self.url} within {timeout} s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> LocalNode:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
