"""Fixtures of the notification tests: a real SMTP server (aiosmtpd) on a free port, started by the test and
collecting what it is sent, and the pages' test world (tests/backend/web/web_helpers.py: a hromada on the
session's local chain, its people, a driver acting through the relayer) with the service's SMTP settings
pointing at that server.

Everything is real: the chain, a fresh SQLite file per test, SMTP over TCP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from notify_helpers import Mailbox, smtp_settings, web_helpers
from web3 import Web3

from cts.chain.client import Sender
from cts.chain.localnode import LocalNode
from cts.chain.manifest import Manifest
from cts.core.config import Settings


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """The SMTP server, not yet started: a test starts it (or tests what happens while it is down)."""
    box = Mailbox()
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture
def world(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: LocalNode,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
    mailbox: Mailbox,
) -> Iterator[Any]:
    """A hromada whose service sends e-mail through ``mailbox``; the relayer's worker runs in the test's
    thread when the driver waits."""
    built = web_helpers.make_world(
        make_settings,
        tmp_path,
        node,
        w3,
        deployer,
        shared_manifest,
        background_worker=False,
        **smtp_settings(mailbox),
    )
    with built.client:
        yield built
    built.env.worker.release_leases()
