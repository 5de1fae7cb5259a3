"""The demo's partners and pledges (`cts demo`, issue 18): in each hromada four partners registered in its
CoFinancing by the council, pledges to the round open for voting, and a second round of this year under the
co-financing rule, open for pitching, whose projects answer community issues.

- Partners: a local business, the local budget and an NGO with custodial accounts (role "partner": a
  newcomer signs in as them, and the relayer sends their pledges), and a diaspora donor with its own wallet
  (a development account of the local chain, which sends its pledges itself and pays its own gas).
- The round open for voting ("Бюджет участі 2025", not co-financed, so the vote's figures are as before):
  materials from the business, already delivered and recorded with a receipt; money from the local budget;
  labour hours from the NGO and money from the donor, both conditional on the vote funding the project.
  Money can be pledged only before voting opens, so these are made while the round is screened.
- The co-financed round ("Співфінансування 2025"), open for pitching: a ramp and a road that answer the
  demo's issues 1 and 3; money from the local budget (the vote would fill only the rest of the ask),
  equipment from the business and money from the donor, both conditional.

Profiles, agreements and receipts are published with the service's DocumentStore (as the partners' pages
read them): a profile is ``Document(name, about)``, an agreement ``Document(what is given, its text)``, a
receipt ``Document(note)``; their SHA-256 go on chain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cts.chain.client import Sender
from cts.core.config import Settings
from cts.models import Role, User
from cts.web.files import Document, DocumentStore
from cts.web.reads import call_struct

if TYPE_CHECKING:
    from cts.web.demo import Driver

DAY = 86_400

# Sectors and kinds, as ICoFinancing numbers them.
BUSINESS, LOCAL_BUDGET, NGO, INTERNATIONAL_DONOR, DIASPORA = 1, 2, 3, 4, 5
MONEY, MATERIALS, EQUIPMENT, LABOUR_HOURS, PREMISES = 1, 2, 3, 4, 5
DIASPORA_ACCOUNT_INDEX = 7  # the development account the diaspora donor pledges from (its own wallet)


@dataclass(frozen=True)
class DemoPartner:
    key: str
    sector: int
    name: str
    about: str
    login: str | None  # a custodial account's login ("{h}": the hromada's key); None: its own wallet


PARTNERS = [
    DemoPartner(
        "business",
        BUSINESS,
        "ТОВ «Будмайстер»",
        "Місцева будівельна фірма: бетон, бруківка, власна техніка і доставка.",
        "business@{h}.demo.example",
    ),
    DemoPartner(
        "budget",
        LOCAL_BUDGET,
        "Фінансове управління громади",
        "Місцевий бюджет: співфінансує проєкти мешканців за рішеннями сесії ради.",
        "budget@{h}.demo.example",
    ),
    DemoPartner(
        "ngo",
        NGO,
        "ГО «Серце громади»",
        "Волонтери-столяри і психологи, що допомагають ветеранам і переселенцям.",
        "ngo@{h}.demo.example",
    ),
    DemoPartner(
        "diaspora",
        DIASPORA,
        "Земляцтво «Рідний край», Канада",
        "Земляки з Канади збирають гроші на дитячі й соціальні проєкти рідної громади.",
        None,
    ),
]


@dataclass(frozen=True)
class DemoPledge:
    partner: str
    project: str  # the project's title (its id in the round is read from the chain)
    kind: int
    value_kopiyky: int
    conditional: bool
    what: str  # what the partner gives: the agreement's title
    agreement: str
    receipt: str = ""  # a receipt's note: the pledge is recorded fulfilled with it


# To the round open for voting; its projects are cts.web.demo.PROJECTS.
VOTING_ROUND_PLEDGES = [
    DemoPledge(
        "business",
        "Лавки й ліхтарі в парку",
        MATERIALS,
        800_000,
        False,
        "Бетон і бруківка для основи лавок",
        "ТОВ «Будмайстер» безоплатно передає 2 м³ бетону і 40 м² бруківки для основи шести лавок "
        "і доставляє їх на алею біля ставка.",
        "Видаткова накладна № 47: 2 м³ бетону і 40 м² бруківки доставлено на алею біля ставка.",
    ),
    DemoPledge(
        "budget",
        "Світло в укритті школи",
        MONEY,
        1_500_000,
        False,
        "15 000 грн з місцевого бюджету",
        "Рішення сесії № 12: 15 000 грн з резервного фонду на світильники для укриття гімназії.",
    ),
    DemoPledge(
        "ngo",
        "Майстерня для ветеранів",
        LABOUR_HOURS,
        600_000,
        True,
        "40 годин роботи волонтерів-столярів",
        "Якщо проєкт профінансують, волонтери ГО «Серце громади» встановлять верстаки "
        "і проведуть перші заняття для ветеранів.",
    ),
    DemoPledge(
        "diaspora",
        "Дитячий майданчик",
        MONEY,
        1_000_000,
        True,
        "10 000 грн на гойдалки",
        "Земляцтво перерахує 10 000 грн на гойдалки, якщо мешканці проголосують за майданчик.",
    ),
]

COFINANCED_ROUND = Document(
    "Співфінансування 2025",
    "Проєкти, які підтримують партнери громади: голосування дасть кожному лише те, чого бракує "
    "після грошей партнерів.",
)
COFINANCED_FUND_KOPIYKY = 10_000_000
# title, description, ask (kopiyky), the community issues it answers (their numbers in cts.issues.demo)
COFINANCED_PROJECTS = [
    (
        "Пандус до амбулаторії",
        "Пандус із поручнями і тактильна плитка біля входу до амбулаторії.",
        5_000_000,
        (1,),
    ),
    (
        "Ремонт дороги до кладовища",
        "Ямковий ремонт і відсипка щебенем 600 м дороги, якою ходять переважно літні люди.",
        8_000_000,
        (3,),
    ),
]
COFINANCED_PLEDGES = [
    DemoPledge(
        "budget",
        "Пандус до амбулаторії",
        MONEY,
        2_000_000,
        False,
        "20 000 грн на пандус",
        "Рішення сесії № 14: 20 000 грн з місцевого бюджету на пандус до амбулаторії.",
    ),
    DemoPledge(
        "business",
        "Ремонт дороги до кладовища",
        EQUIPMENT,
        1_200_000,
        True,
        "Екскаватор і самоскид на два дні",
        "Якщо проєкт оберуть, ТОВ «Будмайстер» дає екскаватор і самоскид з водіями на два дні робіт.",
    ),
    DemoPledge(
        "diaspora",
        "Ремонт дороги до кладовища",
        MONEY,
        3_000_000,
        True,
        "30 000 грн на дорогу",
        "Земляцтво перерахує 30 000 грн на ремонт дороги, якщо мешканці її оберуть.",
    ),
]


def partner_people() -> list[tuple[Role, str, str]]:
    """The partners with custodial accounts, as the demo lists its people: (role, name, login pattern)."""
    return [(Role.PARTNER, p.name, p.login) for p in PARTNERS if p.login is not None]


def diaspora_key() -> str:
    from cts.web.demo import dev_key  # a late import: cts.web.demo imports us

    return dev_key(DIASPORA_ACCOUNT_INDEX)


@dataclass
class CoFinancingDemo:
    """Seeds one hromada's partners and pledges, acting as the council, the partners and the donor."""

    driver: Driver
    settings: Settings
    council: User
    users: dict[str, User]  # the custodial partners' accounts by their login pattern
    say: Callable[[str], None]
    partner_ids: dict[str, int] = field(default_factory=dict)

    @property
    def documents(self) -> DocumentStore:
        return DocumentStore(self.settings)

    @property
    def donor(self) -> Sender:
        return Sender.from_key(self.driver.w3, diaspora_key())

    def register_partners(self) -> None:
        co = self.driver.hromada.co_financing.functions
        self.say("partners: a business, the local budget and an NGO (custodial accounts), a diaspora donor")
        for partner in PARTNERS:
            account = (
                self.donor.address if partner.login is None else self.users[partner.login].wallet.address
            )
            profile = self.documents.save(Document(partner.name, partner.about))
            self.driver.do(self.council, co.registerPartner(account, partner.sector, profile))
            self.partner_ids[partner.key] = int(co.partnerOf(account).call())

    def pledge_all(self, round_id: int, pledges: list[DemoPledge]) -> None:
        """Each pledge sent by its partner (the relayer for a custodial account, the donor's own wallet
        otherwise), one by one, so that their ids follow the list; a receipt's pledge is then fulfilled."""
        co = self.driver.hromada.co_financing.functions
        login = {p.key: p.login for p in PARTNERS}
        projects = self.project_ids(round_id)
        for item in pledges:
            agreement = self.documents.save(Document(item.what, item.agreement))
            call = co.pledge(
                round_id, projects[item.project], item.kind, item.value_kopiyky, item.conditional, agreement
            )
            partner_login = login[item.partner]
            if partner_login is None:
                self.donor.send(call)
            else:
                self.driver.do(self.users[partner_login], call)
            if item.receipt:
                receipt = self.documents.save(Document(item.receipt))
                self.driver.do(self.council, co.fulfilPledge(int(co.pledgeCount().call()), receipt))

    def project_ids(self, round_id: int) -> dict[str, int]:
        """The round's projects by their titles, from their documents (ids follow the pitches' order)."""
        vote = self.driver.hromada.vote
        count = int(call_struct(vote, "round", round_id)["projectCount"])
        ids: dict[str, int] = {}
        for project_id in range(1, count + 1):
            document = self.documents.load(
                bytes(call_struct(vote, "project", round_id, project_id)["metadataHash"])
            )
            if document is not None:
                ids[document.title] = project_id
        return ids

    def seed_voting_round(self, round_id: int) -> None:
        """Partners and their pledges to the round about to open for voting (still in screening)."""
        if not self.partner_ids:
            self.register_partners()
        self.say(
            "pledges to the round: materials (delivered), money from the local budget, "
            "labour hours and the donor's money on condition"
        )
        self.pledge_all(round_id, VOTING_ROUND_PLEDGES)

    def seed_cofinanced_round(self, residents: list[User]) -> int:
        """A co-financed round open for pitching, with projects answering issues and pledges; its id."""
        if not self.partner_ids:
            self.register_partners()
        vote = self.driver.hromada.vote.functions
        self.say("a co-financed round open for pitching: a ramp and a road answering issues, with pledges")
        now = self.driver.now()
        params = (
            COFINANCED_FUND_KOPIYKY,
            now,
            now + 10 * DAY,
            now + 12 * DAY,
            now + 19 * DAY,
            10,
            self.documents.save(COFINANCED_ROUND),
            (0, 1, 4, 0, True),
        )
        self.driver.do(self.council, vote.createRound(params))
        round_id = int(vote.roundCount().call())
        # One by one, so that the projects' ids follow the list (the pledges name them).
        for resident, (title, text, ask, issues) in zip(
            (residents[0], residents[2]), COFINANCED_PROJECTS, strict=True
        ):
            digest = self.documents.save(Document(title, text, issues=issues))
            self.driver.do(resident, vote.pitchProject(round_id, ask, digest, 0))
        self.pledge_all(round_id, COFINANCED_PLEDGES)
        return round_id
