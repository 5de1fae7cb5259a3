"""A real election replayed through the contracts: Grabówka (Częstochowa, 2020), 201 voters, 8 projects,
cumulative ballots of 1-10 points (tests/data/pabulib, in the repository).

Every voter registers, earns exactly their points in RV and casts their ballot through the forwarder; the
on-chain tallies must equal the official `votes` and `score` columns of the file exactly.
"""

import math

import pabulib
import pytest
from election_replay import replay
from vote_model import QUADRATIC_FUNDING, allocate, chain_tallies, close_voting

GRABOWKA = "poland_czestochowa_2020_grabowka.pb"


@pytest.fixture(scope="module")
def election():
    return pabulib.read(pabulib.TEST_DATA / GRABOWKA)


@pytest.fixture(scope="module")
def replayed(election, hromada, forwarder, council, registrar, verifiers, relayer, residents, capital):
    return replay(
        election,
        hromada,
        forwarder=forwarder,
        council=council,
        registrar=registrar,
        verifier=verifiers[0],
        relayer=relayer,
        proposer=residents[0],
        rule=QUADRATIC_FUNDING,
    )


def official(election, column):
    """The file's per-project column, in on-chain project order."""
    return [int(election.project(p)[column]) for p in election.project_ids]


def test_the_file_is_the_smallest_real_election(election):
    assert election.meta["vote_type"] == "cumulative"
    assert len(election.votes) == int(election.meta["num_votes"]) == 201
    assert len(election.projects) == int(election.meta["num_projects"]) == 8
    assert election.project_ids == ["47", "89", "177", "196", "198", "443", "448", "463"]


def test_every_voter_escrowed_exactly_their_points(vote, token, replayed, election):
    stored = vote.round(replayed.round_id)
    assert stored["voters"] == 201
    assert stored["escrowed"] == token.balanceOf(vote) == sum(official(election, "score"))
    assert stored["projectCount"] == 8


def test_on_chain_supporters_and_credits_equal_the_official_votes_and_score(vote, replayed, election):
    tallies = chain_tallies(vote, replayed.round_id, 8)
    assert [t.supporters for t in tallies] == official(election, "votes")
    assert [t.credits for t in tallies] == official(election, "score")


def test_on_chain_weights_equal_an_independent_recomputation(vote, replayed, election):
    weights = dict.fromkeys(election.project_ids, 0)
    for row in election.votes:
        for project_id, points in zip(row["vote"].split(","), row["points"].split(","), strict=True):
            weights[project_id] += math.isqrt(int(points) * 10**18)
    tallies = chain_tallies(vote, replayed.round_id, 8)
    assert [t.weight for t in tallies] == [weights[p] for p in election.project_ids]


def test_finalisation_funds_what_the_python_allocation_computes(vote, replayed, outsider):
    round_id = replayed.round_id
    weights = [t.weight for t in chain_tallies(vote, round_id, 8)]
    expected = allocate(QUADRATIC_FUNDING, replayed.fund, weights, replayed.asks, [True] * 8)
    close_voting(vote, round_id)
    tx = vote.finalise(round_id, {"from": outsider})
    assert [vote.project(round_id, i)["funded"] for i in range(1, 9)] == expected
    assert tx.events["RoundFinalised"]["totalFundedKopiyky"] == sum(expected) <= replayed.fund
    assert tx.events["RoundFinalised"]["rvBurned"] == sum(
        replayed.model().escrow_of(r) for r in replayed.ballots
    )
