"""`cts replay FILE.pb`: a real election replayed through the relayer reproduces its official tallies and
passes the audit; files it cannot replay are refused with a clear message."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from web3 import Web3

from cts.chain.client import Sender, contract_at
from cts.chain.manifest import Manifest
from cts.cli import main
from cts.core.db import upgrade_database
from cts.election_replay import ReplayError, read_election, replay_election, replay_settings

# The real elections the tests replay are in the repository (tests/data/pabulib, with their provenance).
PABULIB_DATA = Path(__file__).resolve().parents[2] / "data" / "pabulib"
SMALLEST = PABULIB_DATA / "poland_czestochowa_2020_grabowka.pb"


def official_columns(path: Path) -> dict[str, tuple[int, int]]:
    """The file's own `votes` and `score` per project, read from its text (not through pabutools)."""
    official, section, header = {}, "", []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line in ("META", "PROJECTS", "VOTES"):
            section, header = line, []
            continue
        fields = line.split(";")
        if section == "PROJECTS":
            if not header:
                header = fields
                continue
            row = dict(zip(header, fields, strict=False))
            official[row["project_id"]] = (int(row["votes"]), int(row["score"]))
    return official


@pytest.fixture
def smallest() -> Path:
    return SMALLEST


def test_the_smallest_real_election_replayed_through_the_relayer_gives_its_official_tallies(
    smallest: Path, tmp_path: Path, w3: Web3, deployer: Sender, shared_manifest: Manifest, rpc_url: str
) -> None:
    settings = replay_settings(tmp_path, rpc_url)
    upgrade_database(settings.database_url)
    election = read_election(smallest)
    first_block = w3.eth.block_number + 1
    result = replay_election(settings, deployer, shared_manifest, election, say=lambda _: None)

    # Read back from the chain by this test, against the file's own columns.
    vote = contract_at(w3, "BalancedVote", result.vote_address)
    official = official_columns(smallest)
    by_id = sorted(official, key=int)  # pitched in ascending pabulib id: on-chain ids 1, 2, ...
    assert len(by_id) == 8 and vote.functions.round(result.round_id).call()[4] == 201  # voters
    for project_id, pabulib_id in enumerate(by_id, start=1):
        weight, credits, supporters = vote.functions.tally(result.round_id, project_id).call()
        assert (supporters, credits) == official[pabulib_id], pabulib_id
        assert weight > 0
    chain_round = vote.functions.round(result.round_id).call()
    assert chain_round[2] is True and chain_round[5] == 0  # finalised, nothing left in escrow
    funded = sum(vote.functions.project(result.round_id, i).call()[7] for i in range(1, 9))
    assert 0 < funded <= result.fund_kopiyky
    assert result.matches

    # Every action went through the relayer: confirmed, none failed.
    with sqlite3.connect(tmp_path / "replay.sqlite3") as db:
        statuses = dict(db.execute("select status, count(*) from relay_actions group by status").fetchall())
    assert {status.lower() for status in statuses} == {"confirmed"}, statuses
    assert sum(statuses.values()) >= 201 * 2  # a case and a ballot per voter, at least

    # Anvil mined on demand, once per pass of the worker: the batches a pass sent share a block (the
    # node pays for each block in proportion to the whole state), and automine is on again afterwards.
    # Ganache 7 has no switch for automine and mines each transaction as before.
    if "anvil" in w3.client_version.lower():
        blocks = [w3.eth.get_block(n) for n in range(first_block, w3.eth.block_number + 1)]
        transactions = sum(len(block["transactions"]) for block in blocks)
        assert max(len(block["transactions"]) for block in blocks) > 1
        assert len([b for b in blocks if b["transactions"]]) < transactions
        assert w3.provider.make_request("anvil_getAutomine", [])["result"] is True  # type: ignore[arg-type]

    # The auditor's independent recomputation agrees.
    assert main(["audit", "--rpc", rpc_url, "--hromada", str(settings.manifest_path), "--quiet"]) == 0


def test_cts_replay_runs_end_to_end_on_its_own_chain(
    smallest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(smallest), "--quiet", "--var", str(tmp_path / "replay")]) == 0
    out = capsys.readouterr().out
    assert "equal the file's official votes and score" in out
    assert "AGREE:" in out and "MISMATCH" not in out


APPROVAL = """META
key;value
description;an approval election
num_projects;2
num_votes;1
budget;1000
vote_type;approval
PROJECTS
project_id;cost
1;500
2;600
VOTES
voter_id;vote
1;1,2
"""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (APPROVAL, "is a 'approval' election; a CTS round takes cumulative ballots"),
        ("this is not pabulib\n", "is not a readable pabulib file"),
        (APPROVAL.replace("approval", "cumulative").replace("1;1,2", "1;1,2;3,4"), "not a readable pabulib"),
    ],
)
def test_files_that_cannot_be_replayed_are_refused_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "election.pb"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["replay", str(path), "--quiet", "--var", str(tmp_path / "var")]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert not (tmp_path / "var").exists()  # no chain started, no database made
    with pytest.raises(ReplayError):
        read_election(path)
