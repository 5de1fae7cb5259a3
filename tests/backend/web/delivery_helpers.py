"""A hromada with one funded project, for the delivery pages' tests: a round voted and finalised on chain,
its first project (pitched by the owner) funded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from web_helpers import World

from cts.web.demo import travel
from cts.web.i18n import kyiv
from cts.web.reads import call_struct

TITLE = "Світло в укритті школи"


@dataclass
class Funded:
    round_id: int
    project_id: int
    funded: int
    owner: Any
    supporter: Any

    def path(self, tail: str = "") -> str:
        return f"/rounds/{self.round_id}/projects/{self.project_id}/delivery{tail}"


def funded_project(world: World) -> Funded:
    people = world.people
    owner, supporter = people.residents[0], people.residents[1]
    world.register(owner, supporter)
    cases, vote = world.hromada.cases.functions, world.hromada.vote.functions
    programme = world.open_programme(reward=9)
    (case_id,) = world.submit_cases(programme, supporter)
    world.driver.do(people.verifier, cases.approveCase(case_id))
    round_id = world.voting_round([(owner, TITLE, 1_200_000)])
    world.driver.do(supporter, vote.castBallot(round_id, [1], [9]))
    vote_end = int(call_struct(world.hromada.vote, "round", round_id)["params"]["voteEnd"])
    travel(world.w3, vote_end - world.driver.now() + 1)
    world.driver.do(people.council, vote.finalise(round_id))
    funded = int(call_struct(world.hromada.vote, "project", round_id, 1)["funded"])
    assert funded > 0
    return Funded(round_id, 1, funded, owner, supporter)


def day(world: World, days_ahead: int) -> str:
    """The date `days_ahead` days after the chain's now, as a date field sends it."""
    return datetime.fromtimestamp(world.driver.now() + days_ahead * 86_400, kyiv()[0]).date().isoformat()
