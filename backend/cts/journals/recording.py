"""Importing a journal (its preview, kept in the database) and recording its good lines through the relayer.

Recording queues one ``recordCase`` action per good line, signed by the council member who imports (the
council holds the contract's coordinator role from onboarding), in chunks that are committed one by one: a
long journal that stops half-way (a blackout, a budget) keeps what was queued, and recording again queues
only the rest. The relayer's worker then sends the actions in batches (``executeBatch``), and the import's
page follows each line's action.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cts.core.db import utcnow
from cts.errors import CTSError
from cts.journals.checks import JournalChecker, resident_address
from cts.journals.reading import RawLine, clean_text, read_journal
from cts.models import ActionStatus, JournalImport, JournalLine, User
from cts.relayer.claims import ActionAlreadyQueuedError
from cts.relayer.errors import ContractRefusedError
from cts.relayer.service import Call, RelayerService

CHUNK = 25  # lines queued per commit
FILE_NAME_MAX = 200


def create_import(
    session: Session,
    checker: JournalChecker,
    user: User,
    file_name: str,
    data: bytes,
) -> JournalImport:
    """Read and check a journal file, and keep its preview (flushed, not committed). JournalFileError if the
    file cannot be read."""
    kind, raw_lines = read_journal(data)
    journal = JournalImport(
        hromada=checker.slug,
        user_id=user.id,
        # Only the name, as text: a browser may send a path, a client anything.
        file_name=(clean_text(re.split(r"[\\/]", file_name)[-1]) or "journal")[:FILE_NAME_MAX],
        file_sha256=hashlib.sha256(data).hexdigest(),
        file_kind=kind,
    )
    journal.lines = [_line(raw) for raw in raw_lines]
    session.add(journal)
    session.flush()
    checker.check(journal.lines, journal.id)
    for line, raw in zip(journal.lines, raw_lines, strict=True):
        if raw.too_long and line.reason is None:
            line.reason = "text_too_long"
    session.flush()
    return journal


def _line(raw: RawLine) -> JournalLine:
    return JournalLine(
        row=raw.row,
        date=raw.date.isoformat() if raw.date is not None else None,
        date_text=raw.date_text,
        resident=raw.resident,
        programme=raw.programme,
        description=raw.description,
        evidence=raw.evidence,
        reason="text_too_long" if raw.too_long else None,
    )


def find_import(session: Session, hromada: str, public_id: str) -> JournalImport | None:
    return session.scalar(
        select(JournalImport).where(JournalImport.hromada == hromada, JournalImport.public_id == public_id)
    )


def recent_imports(session: Session, hromada: str, limit: int = 10) -> list[JournalImport]:
    return list(
        session.scalars(
            select(JournalImport)
            .where(JournalImport.hromada == hromada)
            .order_by(JournalImport.id.desc())
            .limit(limit)
        ).all()
    )


def to_record(journal: JournalImport) -> list[JournalLine]:
    """The good lines not yet sent (or whose action failed, to send again)."""
    return [
        line
        for line in journal.lines
        if line.reason is None
        and (line.action is None or line.action.status in (ActionStatus.FAILED, ActionStatus.EXPIRED))
    ]


def record_lines(
    session: Session, relayer: RelayerService, checker: JournalChecker, user: User, journal: JournalImport
) -> int:
    """Check the lines again (the chain may have moved since the preview) and queue every good one; the
    number queued. A refusal that concerns one line (the contract's, or the same evidence already waiting)
    becomes that line's reason; any other (the chain unreachable, a budget) stops here, after committing
    what was queued, and is raised."""
    too_long = {line.id for line in journal.lines if line.reason == "text_too_long"}
    checker.check(journal.lines, journal.id)
    for line in journal.lines:
        if line.id in too_long and line.reason is None and line.action is None:
            line.reason = "text_too_long"
    cases = relayer.chain.hromada.cases.functions
    queued = 0
    for start in range(0, len(pending := to_record(journal)), CHUNK):
        for line in pending[start : start + CHUNK]:
            assert line.programme_id is not None and line.entry_key is not None
            function = cases.recordCase(
                line.programme_id, resident_address(session, line), bytes.fromhex(line.entry_key)
            )
            try:
                # A refusal comes from the simulation or the claims, before the action is written (at worst
                # after one rate-limit token is taken, which is right: it was asked for).
                action = relayer.queue(session, user, Call.of(function))
            except ActionAlreadyQueuedError:
                line.reason = "already_queued"
                continue
            except ContractRefusedError as error:
                line.reason, line.reason_value = "refused", error.code[:64]
                continue
            except CTSError:
                session.commit()  # keep the lines queued so far; the rest wait for the next attempt
                raise
            line.action = action
            queued += 1
        journal.recorded_at = utcnow()
        session.commit()
    return queued


@dataclass(frozen=True)
class Progress:
    """Where an import's lines stand: good lines waiting to be recorded, refused lines, and the actions'
    statuses (queued, submitted, confirmed, failed, expired)."""

    ready: int
    refused: int
    statuses: Counter[str]

    @property
    def live(self) -> bool:
        return bool(self.statuses["queued"] or self.statuses["submitted"])

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())


def progress(journal: JournalImport) -> Progress:
    statuses: Counter[str] = Counter()
    ready = refused = 0
    for line in journal.lines:
        if line.action is not None:
            statuses[line.action.status.value] += 1
        elif line.reason is None:
            ready += 1
        else:
            refused += 1
    return Progress(ready, refused, statuses)
