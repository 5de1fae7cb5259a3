"""Checking a journal's lines against the hromada's people, its programmes and the chain: for each line,
either nothing (a good line, to be recorded) or the one reason it will not be recorded.

The checks are the contract's own (UsefulCaseContract._submit: the programme open, the resident active,
the evidence not used before, the caps), made before anything is sent, plus what only a journal can get
wrong: a date that cannot be read or lies outside the programme's window, a resident the service does not
know, a line written twice.

Each line's evidence hash is derived from the line itself (``entry_key``): a paper journal has no file to
hash, and a key made of what the line says (hromada, programme, resident, date, description, evidence file
name) is what makes an import idempotent. The same line imported again has the same key, so it is found on
chain (the contract keeps one case per evidence hash) or waiting in the relayer, and is not sent again.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from eth_utils.address import to_checksum_address
from sqlalchemy import select
from sqlalchemy.orm import Session

from cts.crud import get_user_by_login
from cts.errors import NotFoundError
from cts.models import ActionStatus, JournalImport, JournalLine, RelayAction, Role, User
from cts.schemas import normalize_login
from cts.web.i18n import kyiv
from cts.web.reads import ChainReader, ProgrammeView, chain_read

LIVE = (ActionStatus.QUEUED, ActionStatus.SUBMITTED)
_PROGRAMME_NUMBER = re.compile(r"(?:#|№|no\.?\s*)?\s*(\d{1,9})", re.IGNORECASE)
# Every reason a line may be refused for, in the order the checks run (the pages name each).
REASONS = (
    "text_too_long",
    "missing_date",
    "missing_resident",
    "missing_programme",
    "missing_description",
    "unreadable_date",
    "date_in_future",
    "unknown_resident",
    "resident_inactive",
    "unknown_programme",
    "programme_not_open",
    "programme_paused",
    "programme_closed",
    "before_programme",
    "after_programme",
    "duplicate_line",
    "duplicate_case",
    "already_queued",
    "resident_cap",
    "programme_cap",
)


def entry_key(
    hromada: str, programme_id: int, resident_id: int, day: date, description: str, evidence: str
) -> bytes:
    """The line's evidence hash: SHA-256 of a canonical JSON of what it says (the resident by their
    registry id, which stays theirs through a change of wallet)."""
    canonical = json.dumps(
        {
            "hromada": hromada,
            "programme": programme_id,
            "resident": resident_id,
            "date": day.isoformat(),
            "description": description,
            "evidence": evidence,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(b"cts/journal-line/v1\n" + canonical.encode("utf-8")).digest()


def kyiv_day(timestamp: int) -> date:
    return datetime.fromtimestamp(timestamp, kyiv()[0]).date()


@dataclass
class _Resident:
    user: User
    chain_id: int
    status: str


class JournalChecker:
    """Checks the lines of one hromada's journals, reading the chain once per programme and resident."""

    def __init__(self, session: Session, hromada_id: int, hromada_slug: str, reader: ChainReader) -> None:
        self.session = session
        self.hromada_id = hromada_id
        self.slug = hromada_slug
        self.reader = reader
        self.today = kyiv_day(reader.now())
        self.programmes = {p.id: p for p in reader.programmes()}
        self._by_title = {p.title.casefold(): p for p in self.programmes.values()}
        self._residents: dict[str, _Resident | None] = {}
        self._on_chain: dict[int, dict[str, tuple[int, int]]] = {}
        self._committed: dict[tuple[int, int], int] = {}

    # ------------------------------------------------------------ look-ups

    def resident(self, text: str) -> _Resident | None:
        """The person a journal names by phone number (normalised as the forms do) or e-mail, if they are a
        resident of this hromada that its registry knows."""
        if text not in self._residents:
            self._residents[text] = self._find_resident(text)
        return self._residents[text]

    def _find_resident(self, text: str) -> _Resident | None:
        try:
            login = normalize_login(text)
        except ValueError:
            return None
        user = get_user_by_login(self.session, login)
        if user is None or user.role_in(self.hromada_id) != Role.RESIDENT:
            return None
        record = self.reader.resident(user.wallet.address)
        if record.status == "none":
            return None
        return _Resident(user, record.id, record.status)

    def programme(self, text: str) -> ProgrammeView | None:
        """A programme by its number ("3", "#3", "№ 3") or its exact title."""
        match = _PROGRAMME_NUMBER.fullmatch(text.strip())
        if match:
            return self.programmes.get(int(match.group(1)))
        return self._by_title.get(text.strip().casefold())

    @chain_read
    def _cases(self, programme_id: int) -> dict[str, tuple[int, int]]:
        """The programme's cases on chain, read once: evidence hash (hex) -> (case id, resident id)."""
        if programme_id not in self._on_chain:
            logs = self.reader._logs(self.reader.h.cases, "CaseSubmitted", programmeId=programme_id)
            self._on_chain[programme_id] = {
                bytes(log["args"]["evidenceHash"]).hex(): (
                    int(log["args"]["caseId"]),
                    int(log["args"]["residentId"]),
                )
                for log in logs
            }
        return self._on_chain[programme_id]

    def case_with_evidence(self, programme_id: int, key: str) -> int | None:
        """The case already on chain with this evidence hash."""
        found = self._cases(programme_id).get(key)
        return found[0] if found is not None else None

    @chain_read
    def committed(self, programme: ProgrammeView, resident_id: int) -> int:
        """The RV a resident earned in a programme, and would earn if their pending cases were approved."""
        pair = (programme.id, resident_id)
        if pair not in self._committed:
            earned = int(self.reader.h.cases.functions.earnedBy(*pair).call())
            pending = sum(
                1
                for case_id, resident in self._cases(programme.id).values()
                if resident == resident_id and self.reader.case(case_id).status == "pending"
            )
            self._committed[pair] = earned + pending * programme.reward_rv
        return self._committed[pair]

    def waiting(self, key: str, exclude_import: int | None) -> bool:
        """Whether an action of an earlier import of this hromada, still waiting to be sent or mined,
        records the same line."""
        query = (
            select(JournalLine.id)
            .join(JournalImport, JournalImport.id == JournalLine.import_id)
            .join(RelayAction, RelayAction.id == JournalLine.action_id)
            .where(
                JournalImport.hromada == self.slug,
                JournalLine.entry_key == key,
                RelayAction.status.in_(LIVE),
            )
        )
        if exclude_import is not None:
            query = query.where(JournalLine.import_id != exclude_import)
        return self.session.scalar(query.limit(1)) is not None

    # ------------------------------------------------------------ the checks

    def check(self, lines: list[JournalLine], import_id: int | None = None) -> None:
        """Set each line's reason (None: good), key, resident and programme. Lines already sent keep their
        action; they count like good lines for the caps and repeats of the lines after them."""
        seen: dict[str, int] = {}
        resident_rv: dict[tuple[int, int], int] = {}
        programme_rv: dict[int, int] = {}
        for line in lines:
            reason, value = self._check_line(line, seen, resident_rv, programme_rv, import_id)
            line.reason, line.reason_value = reason, (str(value) if value is not None else None)

    def _check_line(
        self,
        line: JournalLine,
        seen: dict[str, int],
        resident_rv: dict[tuple[int, int], int],
        programme_rv: dict[int, int],
        import_id: int | None,
    ) -> tuple[str | None, int | None]:
        if line.action is not None and line.action.status not in (ActionStatus.FAILED, ActionStatus.EXPIRED):
            if line.entry_key is not None:
                seen.setdefault(line.entry_key, line.row)
            if line.action.status != ActionStatus.CONFIRMED:  # once mined, the chain's pending cases count it
                self._count(line, resident_rv, programme_rv)
            return None, None
        line.entry_key = None
        for field, reason in (
            ("date_text", "missing_date"),
            ("resident", "missing_resident"),
            ("programme", "missing_programme"),
            ("description", "missing_description"),
        ):
            if not getattr(line, field):
                return reason, None
        if line.date is None:
            return "unreadable_date", None
        day = date.fromisoformat(line.date)
        if day > self.today:
            return "date_in_future", None
        resident = self.resident(line.resident)
        if resident is None:
            return "unknown_resident", None
        line.resident_user_id = resident.user.id
        if resident.status != "active":
            return "resident_inactive", None
        programme = self.programme(line.programme)
        if programme is None:
            return "unknown_programme", None
        line.programme_id = programme.id
        state = {"scheduled": "programme_not_open", "paused": "programme_paused"}.get(programme.state)
        if state is None and programme.state != "open":
            state = "programme_closed"
        if state is not None:
            return state, None
        if day < kyiv_day(programme.starts_at):
            return "before_programme", None
        if day > kyiv_day(programme.ends_at - 1):
            return "after_programme", None
        key = entry_key(
            self.slug, programme.id, resident.chain_id, day, line.description, line.evidence
        ).hex()
        line.entry_key = key
        if key in seen:
            return "duplicate_line", seen[key]
        seen[key] = line.row
        case_id = self.case_with_evidence(programme.id, key)
        if case_id is not None:
            return "duplicate_case", case_id
        if self.waiting(key, import_id):
            return "already_queued", None
        # The caps count pending cases as if approved (the contract counts approved ones only, at approval):
        # a line beyond them could only be refused later, after a verifier's work.
        pair = (programme.id, resident.chain_id)
        if (
            self.committed(programme, resident.chain_id) + resident_rv.get(pair, 0) + programme.reward_rv
            > programme.per_resident_cap_rv
        ):
            return "resident_cap", programme.per_resident_cap_rv
        pending = programme.cases_submitted - programme.cases_approved - programme.cases_rejected
        programme_total = (
            programme.rv_minted + pending * programme.reward_rv + programme_rv.get(programme.id, 0)
        )
        if programme_total + programme.reward_rv > programme.token_cap_rv:
            return "programme_cap", programme.token_cap_rv
        self._count(line, resident_rv, programme_rv, resident.chain_id, programme)
        return None, None

    def _count(
        self,
        line: JournalLine,
        resident_rv: dict[tuple[int, int], int],
        programme_rv: dict[int, int],
        resident_id: int | None = None,
        programme: ProgrammeView | None = None,
    ) -> None:
        """A good line, or one sent but not yet mined, takes its reward from the caps the later lines are
        checked against."""
        if programme is None and line.programme_id is not None:
            programme = self.programmes.get(line.programme_id)
        if resident_id is None and line.resident_user_id is not None:
            user = self.session.get(User, line.resident_user_id)
            resident_id = self.reader.resident(user.wallet.address).id if user is not None else None
        if programme is None or resident_id is None:
            return
        pair = (programme.id, resident_id)
        resident_rv[pair] = resident_rv.get(pair, 0) + programme.reward_rv
        programme_rv[programme.id] = programme_rv.get(programme.id, 0) + programme.reward_rv


def resident_address(session: Session, line: JournalLine) -> str:
    """The wallet the case is recorded for (the registry finds the resident by it)."""
    user = session.get(User, line.resident_user_id) if line.resident_user_id is not None else None
    if user is None:
        raise NotFoundError("There is no such person in this hromada.")
    return to_checksum_address(user.wallet.address)
