"""The loop of `cts notify run` (cts.notify.cli): the producer and the e-mail sender, in a process of its own
(as `cts demo` runs it), beside `cts serve` and `cts relayer run`."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from cts.core.config import Settings
from cts.notify.producer import NotificationProducer
from cts.notify.sender import EmailSender
from cts.relayer.context import UNREACHABLE_ERRORS, describe_unreachable
from cts.relayer.errors import ChainUnavailableError

logger = logging.getLogger(__name__)


@dataclass
class NotificationService:
    settings: Settings
    session_factory: sessionmaker[Session]
    producer: NotificationProducer = field(init=False)
    sender: EmailSender = field(init=False)
    _chain_away: bool = False

    def __post_init__(self) -> None:
        self.producer = NotificationProducer(self.settings, self.session_factory)
        self.sender = EmailSender(self.settings, self.session_factory)

    def run_once(self) -> int:
        """One pass: what the chain says (if it answers: e-mails go on while it does not), then e-mails."""
        done = 0
        try:
            done += self.producer.run_once()
            if self._chain_away:
                logger.warning("notify: the chain answers again")
                self._chain_away = False
        except (*UNREACHABLE_ERRORS, ChainUnavailableError) as error:  # type: ignore[misc]
            if not self._chain_away:
                logger.warning(
                    "notify: %s; e-mails already queued are still sent", describe_unreachable(error)
                )
                self._chain_away = True
        return done + self.sender.run_once()

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:
                logger.exception("notify: unexpected error in the loop")
                busy = 0
            if not busy:
                stop.wait(self.settings.notify_poll_seconds)

    def drain(self, timeout: float = 60.0) -> None:
        """One producer pass, then send until nothing is due or held (tests; `--until-idle`)."""
        deadline = time.monotonic() + timeout
        self.producer.run_once()
        while True:
            self.sender.run_once()
            if self.sender.is_idle():
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the notification outbox did not empty in time")
            time.sleep(0.1)
