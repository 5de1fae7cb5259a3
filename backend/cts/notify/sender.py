"""The e-mail sender: the outbox (``notification_emails``) sent through the configured SMTP server, never
twice.

The relayer's discipline (docs/relayer.md), for SMTP:

- **Claim** with a conditional UPDATE (queued and due -> sending, this sender's id, a lease of
  CTS_NOTIFY_CLAIM_SECONDS), committed before anything is sent: two senders never hold one e-mail.
- **Say before sending.** MAIL FROM and RCPT TO go first (a refusal there sends nothing: retried later, or
  given up on a permanent refusal); then ``data_started_at`` is written with a conditional UPDATE that holds
  only while the claim is still this sender's, and only then does the message itself go (SMTP DATA). A
  sender that lost its claim meanwhile (it was paused longer than the lease) stops there.
- **Mark sent** when the server answers 250 to the message.
- **Recovery** of a claim whose lease ran out (its sender died): without ``data_started_at`` nothing went
  out, and the e-mail is queued again; with it, the server may have taken the message, so it is *not* sent
  again: it is marked failed with ``outcome_unknown``. The remaining window is from the start of DATA to the
  commit after the server's 250 (the message's transfer, a few milliseconds on a local relay): a sender that
  dies in it loses that e-mail rather than doubling it (the notification stays on the person's page). Every
  try of an e-mail carries the same Message-ID, derived from its notification, for whatever mail system
  still meets a copy.

Fault hook for tests, as the relayer's: CTS_NOTIFY_FAULT=after_claim (claimed, nothing sent) or after_accept
(the server took the message, not yet marked sent) makes the process SIGKILL itself there.
"""

from __future__ import annotations

import logging
import os
import signal
import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import Session, sessionmaker

from cts.core.config import Settings
from cts.core.db import utcnow
from cts.models import EmailStatus, NotificationEmail

logger = logging.getLogger(__name__)

CLAIM_BATCH = 20  # due e-mails looked at for each claim (another sender may take some first)
MAX_RETRY_SECONDS = 3600
OUTCOME_UNKNOWN = "outcome_unknown"


class Retry(Exception):
    """Raised when the server refused for now (4xx) or could not be reached: nothing went out, try later."""


class Unreachable(Retry):
    """Raised when the server cannot be reached at all: the pass ends (the next e-mails would meet it too)."""


class GiveUp(Exception):
    """Raised when the server refused for good (5xx): nothing went out, and trying again would not help."""


class Unknown(Exception):
    """Raised when the connection failed while the message itself was going out: it may have arrived."""


def _fault(point: str) -> None:
    if os.environ.get("CTS_NOTIFY_FAULT") == point:
        logger.warning("fault hook: killing the sender %s", point)
        os.kill(os.getpid(), signal.SIGKILL)


def build_message(settings: Settings, email: NotificationEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.created_at)
    message["Message-ID"] = email.message_id
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to a notification
    # text/plain; charset=utf-8, quoted-printable: 7-bit clean for any server (no 8BITMIME needed).
    message.set_content(email.body, cte="quoted-printable")
    message["Content-Language"] = email.language.value  # after set_content, which clears Content-*
    return message


@dataclass
class EmailSender:
    settings: Settings
    session_factory: sessionmaker[Session]
    sender_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    _smtp: smtplib.SMTP | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.settings.smtp_host)

    def run_once(self) -> int:
        """Recover abandoned claims, then send what is due, one claim at a time over one SMTP connection;
        returns how many e-mails it dealt with. A server that cannot be reached ends the pass."""
        if not self.enabled:
            return 0
        self.recover()
        done = 0
        try:
            while (email_id := self._claim_one()) is not None:
                _fault("after_claim")
                done += 1
                if not self._send(email_id):
                    break
        finally:
            self._close()
        return done

    def is_idle(self) -> bool:
        """Nothing queued and due, and nothing held by a live claim."""
        now = utcnow()
        with self.session_factory() as session:
            found = session.scalar(
                select(NotificationEmail.id)
                .where(
                    (
                        (NotificationEmail.status == EmailStatus.QUEUED)
                        & (NotificationEmail.next_attempt_at <= now)
                    )
                    | (NotificationEmail.status == EmailStatus.SENDING)
                )
                .limit(1)
            )
        return found is None

    # ------------------------------------------------------------ claims

    def recover(self) -> None:
        """Claims whose lease ran out: queued again if nothing went out, else failed (outcome unknown)."""
        now = utcnow()
        expired = and_(NotificationEmail.status == EmailStatus.SENDING, NotificationEmail.claimed_until < now)
        with self.session_factory() as session:
            requeued = session.execute(
                update(NotificationEmail)
                .where(expired, NotificationEmail.data_started_at.is_(None))
                .values(status=EmailStatus.QUEUED, claimed_by=None, claimed_until=None)
            )
            unknown = session.execute(
                update(NotificationEmail)
                .where(expired, NotificationEmail.data_started_at.is_not(None))
                .values(
                    status=EmailStatus.FAILED,
                    last_error=f"{OUTCOME_UNKNOWN}: the sender stopped while the message was going to the "
                    "server; it may have arrived, so it is not sent again",
                )
            )
            session.commit()
        for result, what in ((requeued, "queued again"), (unknown, "not sent again (outcome unknown)")):
            count = result.rowcount  # type: ignore[attr-defined]
            if count:
                logger.warning("notify: %s e-mail(s) of a sender that stopped: %s", count, what)

    def _claim_one(self) -> int | None:
        """The oldest due e-mail, now held by this sender (None when nothing is due)."""
        now = utcnow()
        with self.session_factory() as session:
            for email_id in session.scalars(
                select(NotificationEmail.id)
                .where(
                    NotificationEmail.status == EmailStatus.QUEUED, NotificationEmail.next_attempt_at <= now
                )
                .order_by(NotificationEmail.id)
                .limit(CLAIM_BATCH)
            ).all():
                result = session.execute(
                    update(NotificationEmail)
                    .where(NotificationEmail.id == email_id, NotificationEmail.status == EmailStatus.QUEUED)
                    .values(
                        status=EmailStatus.SENDING,
                        claimed_by=self.sender_id,
                        claimed_until=now + timedelta(seconds=self.settings.notify_claim_seconds),
                        data_started_at=None,
                        attempts=NotificationEmail.attempts + 1,
                    )
                )
                session.commit()
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    return int(email_id)
        return None  # nothing due, or every due one taken by another sender meanwhile

    def _mine(self, email_id: int) -> ColumnElement[bool]:
        return and_(
            NotificationEmail.id == email_id,
            NotificationEmail.claimed_by == self.sender_id,
            NotificationEmail.status == EmailStatus.SENDING,
        )

    # ------------------------------------------------------------ sending

    def _send(self, email_id: int) -> bool:
        """Send one claimed e-mail and record the outcome; False when the server could not be reached."""
        with self.session_factory() as session:
            email = session.get(NotificationEmail, email_id)
            assert email is not None
            message = build_message(self.settings, email)
            attempts = email.attempts
        try:
            accepted = self._transmit(email_id, message)
        except Unreachable as error:
            self._retry_or_fail(email_id, attempts, str(error))
            return False
        except Retry as error:
            self._retry_or_fail(email_id, attempts, str(error))
            return True
        except GiveUp as error:
            self._finish(email_id, EmailStatus.FAILED, str(error))
            return True
        except Unknown as error:
            self._finish(email_id, EmailStatus.FAILED, f"{OUTCOME_UNKNOWN}: {error}")
            return True
        if accepted:
            _fault("after_accept")
            self._finish(email_id, EmailStatus.SENT, None)
        return True

    def _transmit(self, email_id: int, message: EmailMessage) -> bool:
        """MAIL, RCPT, then (once the database says so) DATA; whether the message went (False: the claim was
        lost before DATA, nothing sent)."""
        try:
            smtp = self._connection()
        except (smtplib.SMTPException, OSError) as error:
            self._close()
            raise Unreachable(f"{type(error).__name__}: {error}"[:500]) from None
        try:
            code, reply = smtp.mail(parseaddr(self.settings.smtp_from)[1])
            self._check(code, reply, "MAIL FROM")
            code, reply = smtp.rcpt(str(message["To"]))
            self._check(code, reply, "RCPT TO")
        except (Retry, GiveUp):
            self._close()  # a fresh session for the next e-mail (no half-made envelope)
            raise
        except (smtplib.SMTPException, OSError) as error:
            self._close()
            raise Retry(f"{type(error).__name__}: {error}"[:500]) from None
        with self.session_factory() as session:
            result = session.execute(
                update(NotificationEmail).where(self._mine(email_id)).values(data_started_at=utcnow())
            )
            session.commit()
        if result.rowcount != 1:  # type: ignore[attr-defined]
            logger.warning("notify: e-mail %s was taken over by another sender; not sending it", email_id)
            self._close()
            return False
        try:
            # CRLF line ends: smtplib sends bytes as they are, and a server reads a bare LF as no line end.
            code, reply = smtp.data(message.as_bytes(policy=SMTP_POLICY))
        except smtplib.SMTPDataError as error:  # DATA itself refused (not 354): nothing went
            self._close()
            self._check(error.smtp_code, error.smtp_error, "DATA")
            raise Retry(f"DATA: {error.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as error:
            self._close()
            raise Unknown(f"{type(error).__name__}: {error}"[:400]) from None
        if code != 250:  # the server answered the message: it did not take it (smtplib does not raise)
            self._close()
            self._check(code, reply, "end of DATA")
            raise Retry(f"end of DATA: {code}")
        return True

    @staticmethod
    def _check(code: int, reply: bytes | str, step: str) -> None:
        if 200 <= code < 400:
            return
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        if 500 <= code < 600:
            raise GiveUp(f"{step}: {code} {text}"[:500])
        raise Retry(f"{step}: {code} {text}"[:500])

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        s = self.settings
        assert s.smtp_host is not None
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=context)
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
            if s.smtp_security == "starttls":
                smtp.starttls(context=context)
        smtp.ehlo_or_helo_if_needed()
        if s.smtp_user:
            password = s.smtp_password.get_secret_value() if s.smtp_password is not None else ""
            smtp.login(s.smtp_user, password)
        self._smtp = smtp
        return smtp

    def _close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            self._smtp.close()
        self._smtp = None

    # ------------------------------------------------------------ outcomes

    def _finish(self, email_id: int, status: EmailStatus, error: str | None) -> None:
        with self.session_factory() as session:
            values: dict[str, object] = {"status": status, "claimed_by": None, "claimed_until": None}
            if status == EmailStatus.SENT:
                values |= {"sent_at": utcnow(), "last_error": None}
            else:
                values["last_error"] = (error or "")[:500]
                logger.warning("notify: e-mail %s failed: %s", email_id, error)
            session.execute(
                update(NotificationEmail)
                .where(NotificationEmail.id == email_id, NotificationEmail.claimed_by == self.sender_id)
                .values(**values)
            )
            session.commit()

    def _retry_or_fail(self, email_id: int, attempts: int, error: str) -> None:
        if attempts >= self.settings.notify_max_attempts:
            self._finish(email_id, EmailStatus.FAILED, f"gave up after {attempts} tries: {error}")
            return
        wait = min(self.settings.notify_retry_seconds * 2 ** (attempts - 1), MAX_RETRY_SECONDS)
        logger.info("notify: e-mail %s not sent (%s); trying again in %.0f s", email_id, error, wait)
        with self.session_factory() as session:
            session.execute(
                update(NotificationEmail)
                .where(self._mine(email_id))
                .values(
                    status=EmailStatus.QUEUED,
                    claimed_by=None,
                    claimed_until=None,
                    last_error=error[:500],
                    next_attempt_at=utcnow() + timedelta(seconds=wait),
                )
            )
            session.commit()
