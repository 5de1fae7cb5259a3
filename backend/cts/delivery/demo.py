"""The demo's project mid-delivery (`cts demo`, issue 19): last year's round, finalised, funded one project,
which the council split into three milestones. The first is paid; the second is reported, accepted and
flagged by a resident (so it waits for the council's answer before it can be paid); the third is overdue.

The site walk seeds the same story without moving the clock (``overdue=False``): its other pages need the
chain's time where they left it."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from cts.core.config import Settings
from cts.delivery.documents import (
    DeliveryDocuments,
    LineItem,
    PlanDocument,
    ReportDocument,
    StoredFile,
    TextDocument,
)
from cts.delivery.files import DeliveryFiles
from cts.models import User
from cts.web.files import Document, DocumentStore
from cts.web.reads import call_struct

if TYPE_CHECKING:
    from cts.web.demo import Driver

DAY = 86_400
HOUR = 3_600
PROJECT = ("Світло в укритті школи", "Акумуляторні світильники й зарядна станція в укритті гімназії.")
MILESTONES = ["Закупівля акумуляторів і світильників", "Монтаж в укритті", "Здача і навчання чергових"]
FLAG_TEXT = "Акумулятори такої ємності в магазинах коштують приблизно на третину дешевше."


def _receipt(files: DeliveryFiles, seed: int) -> StoredFile:
    from cts.web.demo import picture  # the demo's stand-in photos (a late import: cts.web.demo imports us)

    return files.save_receipt(io.BytesIO(picture(1000 + seed)))


def _hashes(receipts: list[StoredFile]) -> list[bytes]:
    return [bytes.fromhex(receipt.sha256) for receipt in receipts]


def seed_delivery(
    driver: Driver,
    settings: Settings,
    council: User,
    owner: User,
    voter: User,
    say: Callable[[str], None],
    *,
    overdue: bool = True,
) -> int:
    """Seed last year's round and its funded project mid-delivery; the round's id. ``voter`` needs 1 RV."""
    from cts.web.demo import travel

    h = driver.hromada
    vote, delivery = h.vote.functions, h.delivery.functions
    documents, store, files = DocumentStore(settings), DeliveryDocuments(settings), DeliveryFiles(settings)

    say("last year's round, finalised: one project funded and being delivered")
    now = driver.now()
    digest = documents.save(Document("Бюджет участі 2024", "Минулорічне голосування."))
    driver.do(
        council,
        vote.createRound(
            (9_000_000, now, now + HOUR, now + 2 * HOUR, now + 3 * HOUR, 10, digest, (0, 1, 1, 0, False))
        ),
    )
    round_id = int(vote.roundCount().call())
    driver.do(owner, vote.pitchProject(round_id, 9_000_000, documents.save(Document(*PROJECT)), 0))
    travel(driver.w3, HOUR + 1)
    driver.do(council, vote.screenProject(round_id, 1, True, 0))
    travel(driver.w3, HOUR + 1)
    driver.do(voter, vote.castBallot(round_id, [1], [1]))
    travel(driver.w3, HOUR + 1)
    driver.do(council, vote.finalise(round_id))
    funded = int(call_struct(h.vote, "project", round_id, 1)["funded"])

    now = driver.now()
    shares = [funded * 50 // 100, funded * 35 // 100]
    shares.append(funded - sum(shares))
    plan = PlanDocument(round_id, 1, MILESTONES, "UA-2024-05-14-000123-a", "")
    driver.do(
        council,
        delivery.setPlan(
            round_id, 1, [now + DAY, now + 2 * DAY, now + 3 * DAY], shares, store.save_plan(plan)
        ),
    )

    say("milestone 1 reported with its receipts, accepted and paid")
    first = ReportDocument(
        round_id,
        1,
        0,
        "Закуплено 12 акумуляторних світильників і зарядну станцію; усе на складі гімназії.",
        [
            LineItem(
                "Світильники акумуляторні, 12 шт.", shares[0] * 60 // 100, "ТОВ «Світлодім»", "38123456"
            ),
            LineItem(
                "Зарядна станція 2 кВт·год",
                shares[0] - shares[0] * 60 // 100,
                "ФОП Коваленко",
                "3012345678",
                "UA-2024-05-14-000123-a",
            ),
        ],
        [_receipt(files, 1), _receipt(files, 2)],
    )
    driver.do(
        owner, delivery.reportMilestone(round_id, 1, 0, store.save_report(first), _hashes(first.receipts))
    )
    driver.do(council, delivery.acceptReport(round_id, 1, 0))
    driver.do(council, delivery.payTranche(round_id, 1, 0, hashlib.sha256(b"demo payment 0417").digest()))

    say("milestone 2 reported and accepted; a resident flagged its prices, waiting for the council's answer")
    second = ReportDocument(
        round_id,
        1,
        1,
        "Світильники змонтовано в укритті; проведено кабель до зарядної станції.",
        [LineItem("Монтаж і кабель", shares[1], "ТОВ «Електромонтаж»", "40123456")],
        [_receipt(files, 3)],
    )
    driver.do(
        owner, delivery.reportMilestone(round_id, 1, 1, store.save_report(second), _hashes(second.receipts))
    )
    driver.do(council, delivery.acceptReport(round_id, 1, 1))
    driver.do(voter, delivery.flagReport(2, 2, store.save_flag(TextDocument(FLAG_TEXT))))
    if overdue:
        # Three days on: milestone 3 is overdue. (Only days: the next round's 7-day vote must stay open, in
        # this hromada and in any seeded after it on the same chain.)
        say("three days later: milestone 3 is overdue")
        travel(driver.w3, 3 * DAY + HOUR)
    return round_id
