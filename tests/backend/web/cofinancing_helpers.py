"""A co-financed round for the pages' tests (docs/cofinancing.md), acted out on the test chain: the council
(a custodial user) acts through the relayer; the partners are node accounts that pledge with their own gas,
as a partner with their own wallet does. Every name and description is published in the world's document
store under the hash the chain holds, as the pages publish them.

Round: greedy, co-financed, a fund of 10,000 UAH; projects 1 (ask 6,000), 2 (3,000) and 3 (2,000). Pledges:
1. a business, 1,500 UAH in money to project 1, unconditional; fulfilled;
2. the business, materials worth 800 UAH to project 1, on condition of the vote; fulfilled;
3. the local budget, 1,000 UAH in money to project 2, on condition of the vote; stays open;
4. the local budget, 500 UAH more to project 2, withdrawn before voting;
5. an NGO (whose name carries markup), labour worth 300 UAH to project 2; stays open;
6. the local budget, 2,000 UAH in money to project 3: its whole ask; fulfilled;
7. a diaspora donor, 2.5 of a stablecoin valued at 410 UAH, to project 1; released to the contractor.
Two residents vote for all three; the vote gives project 1 its gap of 4,500 UAH and project 2 its gap of
2,000 UAH; project 3 needs nothing from the fund, and the vote chose it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from web_helpers import PASSWORD, World

from cts.chain.client import Sender
from cts.core.security import build_password_hasher
from cts.crud import create_user
from cts.hromadas import get_hromada, grant_role
from cts.models import Role, User
from cts.schemas import UserRegister
from cts.web.demo import travel
from cts.web.files import Document, DocumentStore
from cts.web.reads import call_struct

GREEDY = 2
MONEY, MATERIALS, LABOUR, STABLECOIN = 1, 2, 4, 6
BUSINESS, LOCAL_BUDGET, NGO, DIASPORA = 1, 2, 3, 5
FUND = 1_000_000
ASKS = {1: 600_000, 2: 300_000, 3: 200_000}
TITLES = {1: "Укриття в школі", 2: "Лавки в парку", 3: "Дитячий майданчик"}
GIFT = 25 * 10**5  # 2.5 of a stablecoin of 6 decimals
GIFT_KOPIYKY = 41_000
PARTNERS = {
    "business": ("ТОВ «Будмайстер»", "Будівельні матеріали, Рудки"),
    "budget": ("Рудківська міська рада", "Місцевий бюджет"),
    "ngo": ("ГО «Світло» <script>alert('x')</script>", "Волонтери <b>жирним</b>"),
    "donor": ("Українці Торонто", "Діаспора в Канаді"),
}
# pledge id -> (project, kind, value in kopiyky, conditional, what)
PLEDGES = {
    1: (1, MONEY, 150_000, False, "Гроші на двері укриття"),
    2: (1, MATERIALS, 80_000, True, "Цемент, 40 мішків"),
    3: (2, MONEY, 100_000, True, "Кошти з резервного фонду"),
    4: (2, MONEY, 50_000, False, "Додаткові кошти"),
    5: (2, LABOUR, 30_000, False, "Фарбування лавок, 20 годин"),
    6: (3, MONEY, 200_000, False, "Повна вартість майданчика"),
    7: (1, STABLECOIN, GIFT_KOPIYKY, True, "Пожертва діаспори"),
}
RECEIPTS = {1: "Платіжне доручення № 17", 2: "Видаткова накладна № 4", 6: "Платіжне доручення № 18"}


@dataclass
class Story:
    world: World
    round_id: int
    partner_user: User
    partners: dict[str, Sender]
    token: Any
    payee: str
    pledge_ids: dict[int, int] = field(default_factory=dict)

    def project_path(self, project_id: int) -> str:
        return f"/rounds/{self.round_id}/projects/{project_id}/delivery"

    def pledged_money(self, project_id: int) -> int:
        co = self.world.hromada.co_financing.functions
        return int(co.pledgedMoney(self.round_id, project_id).call())

    def funded(self, project_id: int) -> int:
        return int(call_struct(self.world.hromada.vote, "project", self.round_id, project_id)["funded"])


def _partner_user(world: World) -> User:
    """A person of the service with the partner role in the world's hromada (the pages offer them the
    pledge form)."""
    with world.env.app.state.session_factory() as session:
        partner = create_user(
            session,
            UserRegister.model_validate(
                {"email": "partner@example.org", "password": PASSWORD, "display_name": "partner"}
            ),
            password_hasher=build_password_hasher(world.settings),
            master_key=world.settings.master_key,
        )
        grant_role(session, partner, get_hromada(session, world.env.slug), Role.PARTNER)
        session.commit()
        session.refresh(partner)
        session.expunge_all()
        return partner


def pitched_round(world: World) -> Story:
    """Partners registered, the co-financed round pitched and pledged to, now in its voting window."""
    people, w3 = world.people, world.w3
    council = people.council
    documents = DocumentStore(world.settings)
    co, vote, cases = (
        world.hromada.co_financing.functions,
        world.hromada.vote.functions,
        world.hromada.cases.functions,
    )
    world.register(*people.residents[:3])
    programme = world.open_programme(reward=9)
    case_ids = world.submit_cases(programme, people.residents[1], people.residents[2])
    world.driver.do(people.verifier, cases.approveCases(case_ids))

    a = w3.eth.accounts
    partners = {key: Sender(w3, a[8 + i]) for i, key in enumerate(PARTNERS)}
    sectors = {"business": BUSINESS, "budget": LOCAL_BUDGET, "ngo": NGO, "donor": DIASPORA}
    for key, (name, about) in PARTNERS.items():
        profile = documents.save(Document(name, about))
        world.driver.do(council, co.registerPartner(partners[key].address, sectors[key], profile))
    token = Sender(w3, a[0]).deploy("PlainERC20")
    donor = partners["donor"]
    donor.send(token.functions.mint(donor.address, 10 * GIFT))
    donor.send(token.functions.approve(world.hromada.co_financing.address, GIFT))
    world.driver.do(council, co.acceptToken(token.address, True))

    now = world.driver.now()
    params = (
        FUND,
        now,
        now + 3_600,
        now + 7_200,
        now + 7_200 + 86_400,
        10,
        documents.save(Document("Бюджет участі з партнерами", "Раунд зі співфінансуванням")),
        (GREEDY, 1, 3, 0, True),
    )
    world.driver.do(council, vote.createRound(params))
    round_id = int(vote.roundCount().call())
    world.driver.do_all(
        (
            people.residents[i - 1],
            vote.pitchProject(
                round_id, ASKS[i], documents.save(Document(TITLES[i], f"{TITLES[i]}: опис")), 0
            ),
        )
        for i in ASKS
    )
    who = {1: "business", 2: "business", 3: "budget", 4: "budget", 5: "ngo", 6: "budget", 7: "donor"}
    for pledge_id, (project_id, kind, value, conditional, what) in PLEDGES.items():
        agreement = documents.save(Document(what, f"Угода про внесок № {pledge_id}"))
        sender = partners[who[pledge_id]]
        if kind == STABLECOIN:
            sender.send(co.pledgeToken(round_id, project_id, token.address, GIFT, value, agreement))
        else:
            sender.send(co.pledge(round_id, project_id, kind, value, conditional, agreement))
    partners["budget"].send(co.cancelPledge(4))
    travel(w3, 3_601)
    for project_id in ASKS:
        world.driver.do(council, vote.screenProject(round_id, project_id, True, 0))
    travel(w3, 3_601)
    return Story(world, round_id, _partner_user(world), partners, token, a[7])


def finish(story: Story) -> None:
    """Residents vote, the round is finalised, the council records the fulfilments and releases the gift."""
    world = story.world
    people, council = world.people, world.people.council
    vote, co = world.hromada.vote.functions, world.hromada.co_financing.functions
    documents = DocumentStore(world.settings)
    world.driver.do_all(
        [
            (people.residents[1], vote.castBallot(story.round_id, [1, 2, 3], [4, 4, 1])),
            (people.residents[2], vote.castBallot(story.round_id, [1, 2, 3], [1, 4, 4])),
        ]
    )
    vote_end = int(call_struct(world.hromada.vote, "round", story.round_id)["params"]["voteEnd"])
    travel(world.w3, vote_end - world.driver.now() + 1)
    world.driver.do(council, vote.finalise(story.round_id))
    for pledge_id, note in RECEIPTS.items():
        world.driver.do(council, co.fulfilPledge(pledge_id, documents.save(Document(note))))
    world.driver.do(
        council, co.releaseToken(7, story.payee, documents.save(Document("Переказ підрядникові")))
    )
