"""Fixtures of the web page tests: a world per test (see web_helpers.World), the app served by uvicorn with
the relayer worker in a thread, headless Chromium, and a screenshot folder per test.

The helpers live in web_helpers.py, a module with a name of its own: ``from conftest import ...`` finds
whichever conftest pytest loaded last when several test folders are named on one command line. For the
same reason this conftest also offers the names the relayer tests import from theirs.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from web3 import Web3
from web_helpers import CHROMIUM_ARGS, Served, Shots, World, make_world, relayer_helpers, serve

from cts.chain.client import Sender
from cts.chain.localnode import LocalNode
from cts.chain.manifest import Manifest
from cts.core.config import Settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# What tests/backend/relayer/test_*.py import from "conftest" (see above).
PASSWORD = relayer_helpers.PASSWORD
RelayEnv = relayer_helpers.RelayEnv
build_env = relayer_helpers.build_env
dev_key = relayer_helpers.dev_key
h = relayer_helpers.h
make_people = relayer_helpers.make_people


@pytest.fixture
def world(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: LocalNode,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
) -> Iterator[World]:
    """For TestClient tests: the worker runs in the test's own thread, when the driver waits."""
    built = make_world(
        make_settings,
        tmp_path,
        node,
        w3,
        deployer,
        shared_manifest,
        background_worker=False,
        evidence_max_bytes=64 * 1024,
    )
    with built.client:
        yield built
    built.env.worker.release_leases()


@pytest.fixture
def served(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: LocalNode,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
) -> Iterator[Served]:
    world = make_world(
        make_settings,
        tmp_path,
        node,
        w3,
        deployer,
        shared_manifest,
        background_worker=True,
        environment="development",  # plain http on 127.0.0.1: cookies without the Secure flag
    )
    with serve(world) as result:
        yield result


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path("/usr/bin/chromium").exists() and shutil.which("chromium") is None:
        pytest.skip("Chromium is not installed (make setup installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    executable = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)
