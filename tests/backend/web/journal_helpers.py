"""The journal tests' hromada and files: residents (one known by phone, one suspended), an open programme with
a small per-person cap, a closed one, and a real XLSX journal with good lines and one bad line per reason."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from openpyxl import Workbook
from sqlalchemy import update
from web3 import Web3
from web_helpers import World, _hash

from cts.journals.checks import entry_key, kyiv_day
from cts.models import User

HEADER = ["Дата", "Мешканець", "Програма", "Опис", "Файл доказу"]
PHONE = "+380671234501"
CSV_LINE = ("Плетіння маскувальної сітки", "scan-7.pdf")


@dataclass
class Setup:
    world: World
    open_id: int
    closed_id: int
    today: date
    residents: list[User]

    @property
    def slug(self) -> str:
        return str(self.world.env.slug)

    def case_count(self) -> int:
        return int(self.world.hromada.cases.functions.caseCount().call())

    def cases_by_evidence(self) -> dict[str, tuple[str, int, str]]:
        """Every case on chain: evidence hash (hex) -> (resident address, programme, recorded by)."""
        cases = self.world.hromada.cases
        logs = cases.events.CaseSubmitted().get_logs(from_block=0)
        return {
            bytes(log["args"]["evidenceHash"]).hex(): (
                Web3.to_checksum_address(log["args"]["resident"]),
                int(log["args"]["programmeId"]),
                Web3.to_checksum_address(log["args"]["submittedBy"]),
            )
            for log in logs
        }

    def key(self, resident: User, day: date, description: str, evidence: str) -> str:
        """The evidence hash a journal line of the open programme gets (computed here from the registry)."""
        registry = self.world.hromada.registry.functions
        resident_id = int(registry.residentOf(resident.wallet.address).call()[0])
        return entry_key(self.slug, self.open_id, resident_id, day, description, evidence).hex()


def prepare(world: World) -> Setup:
    council = world.people.council
    first, second, suspended = world.people.residents[:3]
    with world.env.app.state.session_factory() as session:
        session.execute(update(User).where(User.id == first.id).values(phone=PHONE))
        session.commit()
    world.register(first, second, suspended)
    registry = world.hromada.registry.functions
    world.driver.do(council, registry.suspendResident(suspended.wallet.address, 1))
    cases, fund = world.hromada.cases.functions, world.hromada.fund.functions
    world.driver.do(council, fund.deposit(100_000_000, 0, _hash("donor"), _hash(f"journal-{world.env.slug}")))
    now = world.driver.now()
    verifiers = [world.people.verifier.wallet.address]
    # Open since three days ago, so that journal lines of the last days fall in its window; 3 cases a person.
    params = (
        "Прибирання громади",
        _hash("a"),
        4,
        40_000,
        1_000,
        12,
        now - 3 * 86_400,
        now + 30 * 86_400,
        1,
        verifiers,
    )
    world.driver.do(council, cases.createProgramme(params))
    open_id = int(cases.programmeCount().call())
    closed = (
        "Стара програма",
        _hash("b"),
        4,
        40_000,
        1_000,
        8,
        now - 3 * 86_400,
        now + 30 * 86_400,
        1,
        verifiers,
    )
    world.driver.do(council, cases.createProgramme(closed))
    closed_id = int(cases.programmeCount().call())
    world.driver.do(council, cases.closeProgramme(closed_id))
    return Setup(world, open_id, closed_id, kyiv_day(world.driver.now()), [first, second, suspended])


def csv_journal(s: Setup) -> bytes:
    """A journal of one line as Excel in Ukrainian saves CSV: ";" between cells, Windows-1251."""
    second = s.residents[1]
    rows = [";".join(HEADER), f"{s.today:%d.%m.%Y};{second.email};{s.open_id};{CSV_LINE[0]};{CSV_LINE[1]}"]
    return ("\r\n".join(rows) + "\r\n").encode("cp1251")


# Row of the XLSX -> the reason the preview must give (None: a good line).
EXPECTED = {
    2: None,
    3: None,
    4: None,
    5: "duplicate_line",
    6: "unknown_resident",
    7: "unreadable_date",
    8: "programme_closed",
    9: "before_programme",
    10: None,
    11: "duplicate_case",
    12: "resident_inactive",
    13: "unknown_programme",
    14: "date_in_future",
    15: "missing_description",
    16: "resident_cap",
}
FORMULA = '=HYPERLINK("http://example.org/x","click")'
MARKUP = "<b>Допомога</b> переселенцям"


def xlsx_rows(s: Setup) -> list[list[Any]]:
    _, second, suspended = s.residents
    today, a = s.today, s.open_id
    return [
        HEADER,
        [today, "067 123 45 01", str(a), "Прибирання парку біля школи", "IMG_0001.jpg"],  # a date cell
        [f"{today - timedelta(days=1):%d.%m.%Y}", PHONE, f"#{a}", "Розчищення укриття", ""],
        [
            (today - timedelta(days=2)).isoformat(),
            second.email.upper(),
            "Прибирання громади",
            MARKUP,
            "фото.heic",
        ],
        [today, "067 123 45 01", str(a), "Прибирання парку біля школи", "IMG_0001.jpg"],
        [today, "+380 99 000 00 00", str(a), "Невідома людина", ""],
        ["12/31/2026", second.email, str(a), "Американська дата", ""],
        [today, second.email, str(s.closed_id), "Закрита програма", ""],
        [f"{today - timedelta(days=5):%d.%m.%Y}", second.email, str(a), "До відкриття", ""],
        [f"{today - timedelta(days=1):%d.%m.%Y}", PHONE, str(a), FORMULA, ""],
        [today, second.email, str(a), CSV_LINE[0], CSV_LINE[1]],
        [today, suspended.email, str(a), "Призупинена участь", ""],
        [today, second.email, "99", "Немає такої програми", ""],
        [today + timedelta(days=1), second.email, str(a), "Завтрашня справа", ""],
        [today, second.email, str(a), None, "IMG_0002.jpg"],
        [today, PHONE, str(a), "Четверта справа понад ліміт", ""],
    ]


def xlsx_journal(s: Setup) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in xlsx_rows(s):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def good_keys(s: Setup) -> set[str]:
    """The evidence hashes the four good lines must have on chain (and nothing else of this journal): the
    first resident's three (their cap) and the second's one (the CSV journal recorded another)."""
    first, second, _ = s.residents
    today = s.today
    return {
        s.key(first, today, "Прибирання парку біля школи", "IMG_0001.jpg"),
        s.key(first, today - timedelta(days=1), "Розчищення укриття", ""),
        s.key(second, today - timedelta(days=2), MARKUP, "фото.heic"),
        s.key(first, today - timedelta(days=1), FORMULA, ""),
    }
