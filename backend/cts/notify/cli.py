"""`cts notify run`. Its imports wait until it runs, so that the `cts` command line stays quick."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import Any

logger = logging.getLogger(__name__)


def notify_run(args: argparse.Namespace) -> int:
    from cts.core.db import build_engine, build_session_factory
    from cts.notify.service import NotificationService
    from cts.relayer.cli import _settings

    settings = _settings()
    service = NotificationService(settings, build_session_factory(build_engine(settings.database_url)))
    if args.until_idle:
        try:
            service.drain(timeout=args.timeout)
        except TimeoutError as error:
            print(f"cts: {error}", file=sys.stderr)
            return 1
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    logger.info(
        "notify: producer and sender running; e-mail %s",
        f"through {settings.smtp_host}:{settings.smtp_port}"
        if settings.smtp_host
        else "off (no CTS_SMTP_HOST)",
    )
    service.run_forever(stop)
    return 0


def add_commands(commands: Any) -> None:
    notify = commands.add_parser("notify", help="notifications for residents (page and e-mail)")
    notify_commands = notify.add_subparsers(dest="notify_command", required=True, metavar="COMMAND")
    run = notify_commands.add_parser(
        "run", help="tell residents of decided cases and rounds, and send the e-mails, until stopped"
    )
    run.add_argument("--until-idle", action="store_true", help="one pass, then send until no e-mail is due")
    run.add_argument(
        "--timeout", type=float, default=600, help="with --until-idle: give up after this many s"
    )
    run.add_argument(
        "--log-format", default="json", choices=["json", "text"], help="JSON lines (default), or plain text"
    )
    run.set_defaults(handler=notify_run)
