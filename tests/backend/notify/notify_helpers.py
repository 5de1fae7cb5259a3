"""Helpers of the notification tests (their fixtures are in conftest.py, which imports these: a module with a
name of its own, as tests/backend/web/web_helpers.py explains): a real SMTP server that keeps what it is sent,
the service's SMTP settings pointing at it, and a few steps of the tests' stories."""

from __future__ import annotations

import importlib.util
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import ModuleType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from cts.chain.localnode import free_port
from cts.models import Language, User
from cts.notify.service import NotificationService


def _web_helpers() -> ModuleType:
    """tests/backend/web/web_helpers.py, under the name the page tests import it by (one module, one count of
    the hromadas' names on the session's chain)."""
    if "web_helpers" in sys.modules:
        return sys.modules["web_helpers"]
    path = Path(__file__).parents[1] / "web" / "web_helpers.py"
    spec = importlib.util.spec_from_file_location("web_helpers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["web_helpers"] = module
    spec.loader.exec_module(module)
    return module


web_helpers = _web_helpers()
World = web_helpers.World
FROM = "Громада Тестова <cts@example.org>"
PUBLIC_URL = "https://cts.example.org"


class Mailbox:
    """An SMTP server on 127.0.0.1 that keeps every message it accepts (aiosmtpd's handler protocol)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.messages.append(message_from_bytes(content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def smtp_settings(mailbox: Mailbox) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": mailbox.port,
        "smtp_security": "none",
        "smtp_from": FROM,
        "smtp_timeout_seconds": 5,
        "public_url": PUBLIC_URL,
        "notify_retry_seconds": 0.2,
        "notify_claim_seconds": 1,
    }


def notifier(world: Any) -> NotificationService:
    return NotificationService(world.settings, world.env.app.state.session_factory)


def speaks(world: Any, user: User, lang: str) -> None:
    """The person's language, as the pages' switch records it."""
    with world.env.app.state.session_factory() as session:
        person = session.scalar(select(User).where(User.id == user.id))
        assert person is not None
        person.preferred_language = Language(lang)
        session.commit()
