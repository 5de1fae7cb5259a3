"""Service commands of `cts`: the API server, the relayer worker, database migrations, key rotation.

All read their configuration from the environment (CTS_* variables, see cts.core.config.Settings).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import Any

from pydantic import SecretStr, ValidationError


def _settings() -> Any:
    from cts.core.config import Settings

    try:
        return Settings()  # type: ignore[call-arg]
    except ValidationError as error:
        print(f"cts: the configuration is not valid:\n{error}", file=sys.stderr)
        raise SystemExit(2) from None


def _check_master_key(settings: Any, engine: Any) -> None:
    """Refuse to start with a master key the wallet keys are not encrypted under (exit 2, say why)."""
    from cts.core.db import build_session_factory
    from cts.core.keystore import check_master_key
    from cts.errors import KeystoreError

    with build_session_factory(engine)() as session:
        try:
            check_master_key(session, settings.master_key)
        except KeystoreError as error:
            print(f"cts: {error}", file=sys.stderr)
            raise SystemExit(2) from None


def _worker(settings: Any) -> Any:
    from cts.core.db import build_engine, build_session_factory
    from cts.relayer.context import ChainConnection
    from cts.relayer.worker import RelayerWorker

    engine = build_engine(settings.database_url)
    _check_master_key(settings, engine)
    worker = RelayerWorker(settings, build_session_factory(engine), ChainConnection.from_settings(settings))
    if not worker.sponsors:
        print(
            "cts: no sponsor account: set CTS_RELAYER_SPONSOR_KEYS or CTS_RELAYER_SPONSOR_KEYS_FILE",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return worker


def _relayer_run(args: argparse.Namespace) -> int:
    settings = _settings()
    worker = _worker(settings)
    if args.until_idle:
        worker.drain(timeout=args.timeout)
        worker.release_leases()
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    logging.getLogger("cts").info(
        "relayer worker %s: sponsors %s", worker.worker_id, ", ".join(worker.sponsors)
    )
    worker.run_forever(stop)
    worker.release_leases()
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from cts.api.main import create_app

    settings = _settings()
    logging.getLogger().setLevel(args.log_level.upper())  # our lines too (one access line per request)
    from cts.core.db import build_engine

    _check_master_key(settings, build_engine(settings.database_url))
    app = create_app(settings)
    stop = threading.Event()
    thread = None
    if args.with_worker:
        worker = _worker(settings)
        thread = threading.Thread(target=worker.run_forever, args=(stop,), name="relayer-worker", daemon=True)
        thread.start()
    try:
        # log_config=None: uvicorn's lines go through our JSON handler; access_log=False: the request-id
        # middleware writes one access line per request itself, with the request's id.
        uvicorn.run(
            app, host=args.host, port=args.port, log_level=args.log_level, log_config=None, access_log=False
        )
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=10)
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from cts.core.db import upgrade_database

    settings = _settings()
    upgrade_database(settings.database_url)
    print("cts: the database is at the latest schema")
    return 0


def _keys_rotate(args: argparse.Namespace) -> int:
    import getpass

    from cts.core.db import build_engine, build_session_factory
    from cts.core.keystore import rotate_master_key

    settings = _settings()
    new_key = (
        getpass.getpass("new master key: ") if args.new_key_file is None else args.new_key_file.read().strip()
    )
    with build_session_factory(build_engine(settings.database_url))() as session:
        count = rotate_master_key(session, settings.master_key, SecretStr(new_key))
    print(f"cts: {count} wallet keys re-encrypted under the new master key; set CTS_MASTER_KEY to it now")
    return 0


def _log_format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-format",
        default="json",
        choices=["json", "text"],
        help="JSON lines with each request's id (default; docs/operations.md), or plain text",
    )


def add_commands(commands: Any) -> None:
    serve = commands.add_parser("serve", help="serve the API and web pages (and the relayer worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--with-worker",
        action="store_true",
        help="run the relayer worker in the same process (convenient; `cts relayer run` apart is sturdier)",
    )
    serve.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"], help="uvicorn's"
    )
    _log_format_option(serve)
    serve.set_defaults(handler=_serve)

    relayer = commands.add_parser("relayer", help="the relayer worker")
    relayer_commands = relayer.add_subparsers(dest="relayer_command", required=True, metavar="COMMAND")
    run = relayer_commands.add_parser("run", help="send queued actions until stopped (SIGTERM, Ctrl-C)")
    run.add_argument("--until-idle", action="store_true", help="stop when nothing is queued or in flight")
    run.add_argument(
        "--timeout", type=float, default=600, help="with --until-idle: give up after this many s"
    )
    _log_format_option(run)
    run.set_defaults(handler=_relayer_run)

    db = commands.add_parser("db", help="the service's database")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    db_commands.add_parser("upgrade", help="migrate the database to the latest schema").set_defaults(
        handler=_db_upgrade
    )

    keys = commands.add_parser("keys", help="custodial keys")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    rotate = keys_commands.add_parser("rotate", help="re-encrypt every wallet key under a new master key")
    rotate.add_argument(
        "--new-key-file", type=argparse.FileType("r"), help="read the new key from this file (else prompt)"
    )
    rotate.set_defaults(handler=_keys_rotate)
