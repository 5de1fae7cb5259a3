"""The second pilot cycle: the published figures, and a breakdown of them that a replay can act out.

Published (pilot report, two hromadas, 2023): 854 residents did 901 useful cases under 11 programmes; the
cases were valued at UAH 349,470; residents received 1,953 RV (UAH 97,650 at 50 UAH per RV); 4
entrepreneur projects borrowed UAH 84,650; impact ratio (349,470 + 97,650) / 97,650 = 4.58.

The report gives totals, not the split by programme: the split below is ours, chosen so that every total is
met exactly (cases x reward sums to 1,953 RV, cases x value to UAH 349,470). Amounts in kopiyky.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FACE_VALUE_KOPIYKY = 5_000  # 50 UAH per RV


@dataclass(frozen=True)
class PilotProgramme:
    title: str
    cases: int
    reward_rv: int
    case_value_kopiyky: int


@dataclass(frozen=True)
class PilotProject:
    title: str
    ask_kopiyky: int
    loan: bool  # an entrepreneur's interest-free loan (else a grant to an NGO or residents' project)


@dataclass(frozen=True)
class PilotHromada:
    key: str
    name: str
    residents: int
    programmes: tuple[PilotProgramme, ...]
    projects: tuple[PilotProject, ...]

    @property
    def cases(self) -> int:
        return sum(p.cases for p in self.programmes)

    @property
    def rv(self) -> int:
        return sum(p.cases * p.reward_rv for p in self.programmes)

    @property
    def token_fund_kopiyky(self) -> int:
        return self.rv * FACE_VALUE_KOPIYKY


# The second pilot cycle ran in two hromadas, Rudky and Dubechne; the split of the published totals between
# them (residents, programmes, projects) is this project's, chosen so that every published total is met.
HROMADAS = (
    PilotHromada(
        key="rudky",
        name="Rudky hromada",
        residents=480,
        programmes=(
            PilotProgramme("Cleaning parks and riverbanks", 150, 2, 28_000),
            PilotProgramme("Weaving camouflage nets", 120, 3, 56_000),
            PilotProgramme("Helping displaced people", 90, 2, 38_000),
            PilotProgramme("Donating blood", 60, 2, 50_000),
            PilotProgramme("Repairing shelters", 40, 4, 85_000),
            PilotProgramme("Tutoring children", 50, 1, 20_000),
        ),
        projects=(
            PilotProject("Bakery: a second oven", 3_000_000, True),
            PilotProject("Workshop: repairing generators", 2_150_000, True),
            PilotProject("Playground benches (NGO)", 700_000, False),
        ),
    ),
    PilotHromada(
        key="dubechne",
        name="Dubechne hromada",
        residents=374,
        programmes=(
            PilotProgramme("Cleaning the village", 130, 2, 30_000),
            PilotProgramme("Weaving camouflage nets", 100, 2, 42_000),
            PilotProgramme("Helping displaced people", 80, 2, 33_000),
            PilotProgramme("Donating blood", 41, 3, 47_000),
            PilotProgramme("Visiting the elderly", 40, 1, 13_500),
        ),
        projects=(
            PilotProject("Greenhouse for seedlings", 1_815_000, True),
            PilotProject("Tailoring: sewing machines", 1_500_000, True),
            PilotProject("Library reading corner (NGO)", 600_000, False),
        ),
    ),
)

# The published figures, to compare the chain with.
PUBLISHED: dict[str, Any] = {
    "hromadas": 2,
    "residents": 854,
    "cases": 901,
    "programmes": 11,
    "cases_value_kopiyky": 34_947_000,
    "rv_issued": 1_953,
    "rv_issued_kopiyky": 9_765_000,
    "loans": 4,
    "lent_kopiyky": 8_465_000,
    "impact_ratio": "4.58",
}


def check_breakdown() -> None:
    """The breakdown must meet every published total (and each round's asks its hromada's token fund)."""
    assert sum(h.residents for h in HROMADAS) == PUBLISHED["residents"]
    assert sum(h.cases for h in HROMADAS) == PUBLISHED["cases"]
    assert sum(len(h.programmes) for h in HROMADAS) == PUBLISHED["programmes"]
    assert sum(h.rv for h in HROMADAS) == PUBLISHED["rv_issued"]
    value = sum(p.cases * p.case_value_kopiyky for h in HROMADAS for p in h.programmes)
    assert value == PUBLISHED["cases_value_kopiyky"]
    loans = [p for h in HROMADAS for p in h.projects if p.loan]
    assert len(loans) == PUBLISHED["loans"]
    assert sum(p.ask_kopiyky for p in loans) == PUBLISHED["lent_kopiyky"]
    for hromada in HROMADAS:
        assert sum(p.ask_kopiyky for p in hromada.projects) == hromada.token_fund_kopiyky
