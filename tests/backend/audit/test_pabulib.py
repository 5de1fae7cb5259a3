"""`cts export-pabulib`: a round as a valid pabulib file whose ballots give back the chain's tallies."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from audit_history import HonestHistory
from pabulib.checker import Checker

from cts.audit.errors import PabulibError
from cts.audit.pabulib import kopiyky_of, read_round, uah_amount
from cts.cli import main

# The real elections the tests replay are in the repository (tests/data/pabulib, with their provenance).
PABULIB_DATA = Path(__file__).resolve().parents[2] / "data" / "pabulib"


def export(rpc_url: str, honest: HonestHistory, round_id: int, out: Path) -> int:
    return main(
        [
            "export-pabulib",
            "--rpc",
            rpc_url,
            "--hromada",
            honest.handles.vote.address,
            "--round",
            str(round_id),
            "--out",
            str(out),
            "--quiet",
        ]
    )


def check(path: Path) -> dict[str, object]:
    with contextlib.redirect_stdout(io.StringIO()):  # the checker prints a line per file
        results = Checker().process_files([str(path)])
    return results[path.stem]["results"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("round_name", ["quadratic", "cancelled", "proportional"])
def test_an_exported_round_passes_the_pabulib_checker_and_reads_back_as_the_chain_tallies(
    honest: HonestHistory, rpc_url: str, tmp_path: Path, round_name: str
) -> None:
    round_id = honest.rounds[round_name]
    path = tmp_path / f"round{round_id}.pb"
    assert export(rpc_url, honest, round_id, path) == 0

    results = check(path)
    assert results["errors"] == {}, results

    imported = read_round(path)
    vote = honest.handles.vote
    chain_round = vote.functions.round(round_id).call()
    assert imported.meta["vote_type"] == "cumulative"
    assert imported.budget_kopiyky == chain_round[0][0]
    tallies = imported.tallies()
    for project_id, tally in tallies.items():
        weight, credits, supporters = vote.functions.tally(round_id, project_id).call()
        assert (tally.weight, tally.credits, tally.supporters) == (weight, credits, supporters)
        assert imported.asks_kopiyky[project_id] == vote.functions.project(round_id, project_id).call()[2]
    assert len(imported.ballots) == chain_round[4]  # voters
    for resident_id, ballot in imported.ballots.items():
        project_ids, credits = vote.functions.ballotOf(round_id, resident_id).call()
        assert ballot == dict(zip(project_ids, credits, strict=True))


def test_ineligible_projects_and_withdrawn_ballots_are_not_exported(
    honest: HonestHistory, rpc_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "round1.pb"
    assert export(rpc_url, honest, honest.rounds["quadratic"], path) == 0
    imported = read_round(path)
    assert sorted(imported.asks_kopiyky) == [1, 2, 3]  # project 4 was screened out
    assert 4 not in imported.ballots  # resident 4 withdrew
    text = path.read_text()
    assert "rule;unknown" in text and "vote_type;cumulative" in text and "currency;UAH" in text


def test_an_unknown_round_is_refused(
    honest: HonestHistory, rpc_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert export(rpc_url, honest, 99, tmp_path / "none.pb") == 2
    assert "no round 99" in capsys.readouterr().err


def test_amounts_cross_the_format_as_exact_kopiyky() -> None:
    assert uah_amount(150_000) == "1500" and uah_amount(52_783) == "527.83" and uah_amount(5) == "0.05"
    assert kopiyky_of("527.83") == 52_783 and kopiyky_of("1500") == 150_000
    with pytest.raises(PabulibError, match="not a whole number of kopiyky"):
        kopiyky_of("0.001")


def test_a_real_pabulib_election_reads_with_its_official_tallies() -> None:
    """The reader on real data: the per-project points and voters equal the file's official columns."""
    path = PABULIB_DATA / "poland_czestochowa_2020_grabowka.pb"
    imported = read_round(path)
    tallies = imported.tallies()
    official = {}
    section = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line in ("META", "PROJECTS", "VOTES"):
            section = line
            continue
        fields = line.split(";")
        if section == "PROJECTS" and fields[0] != "project_id":
            official[int(fields[0])] = (int(fields[2]), int(fields[3]))
    assert {pid: (t.supporters, t.credits) for pid, t in tallies.items()} == official
