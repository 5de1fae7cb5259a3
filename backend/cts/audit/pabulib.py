"""A round's ballots as a pabulib file (pabulib.org/format), and reading such a file back.

The export is a cumulative election: each resident's latest ballot (a withdrawn one is left out) lists the
projects they gave RV to and the credits ("points") on each. PROJECTS carries every project that was on
the ballot (screened eligible) with cost = its ask in UAH, `votes` = supporters and `score` = credits, and,
once the round is finalised, `selected` = 1 for a project funded at its whole ask. The META section says
where the data comes from (chain, contract, block) in numbered comments.

Reading a file back gives the same ballots, so the tallies (supporters, credits, and the quadratic weight
sum of floor(sqrt(credits * 10^18))) can be recomputed from the file and compared with the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from cts.audit.errors import PabulibError
from cts.audit.model import PROJECT_ELIGIBLE, Round, Tally
from cts.audit.rules import AllocationRule, weight

if TYPE_CHECKING:
    from cts.audit.audit import Replay

# pabulib's rule names: the checker verifies "greedy" against scores; ours is greedy by quadratic weight.
_PABULIB_RULE = {
    AllocationRule.QUADRATIC_FUNDING: "unknown",
    AllocationRule.PROPORTIONAL_TO_WEIGHT: "unknown",
    AllocationRule.GREEDY_BY_WEIGHT: "greedy-custom",
}


def uah_amount(kopiyky: int) -> str:
    """Kopiyky as a pabulib number in UAH: '1500' or '527.83' (decimal point, never a float)."""
    whole, cents = divmod(kopiyky, 100)
    return str(whole) if cents == 0 else f"{whole}.{cents:02d}"


def kopiyky_of(amount: str | Fraction | int) -> int:
    """A UAH amount read from a pabulib file, back in integer kopiyky (exactly, or PabulibError)."""
    value = Fraction(str(amount)) * 100
    if value.denominator != 1:
        raise PabulibError(f"{amount} UAH is not a whole number of kopiyky")
    return int(value)


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d.%m.%Y")


# A project's title from its on-chain metadata hash, or None where it is not known.
Titles = Callable[[bytes], str | None]


def titles_from_folder(folder: Path) -> Titles:
    """Titles from a folder of project descriptions named by their SHA-256, as the service publishes them
    (`<hash>.json` holding {"title": ..., "description": ...}). A file whose content does not hash to the
    name the chain gives is ignored: nothing is taken on trust."""

    def title(digest: bytes) -> str | None:
        try:
            data = (folder / f"{digest.hex()}.json").read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).digest() != digest:
            return None
        try:
            return str(json.loads(data)["title"]) or None
        except (ValueError, KeyError, TypeError):
            return None

    return title


def _project_name(project_id: int, metadata_hash: bytes, titles: Titles | None) -> str:
    """The project's title where it is known, else its id and the start of its metadata hash."""
    title = titles(bytes(metadata_hash)) if titles is not None else None
    if title and _cell(title):
        return _cell(title)
    return f"Project {project_id} (metadata 0x{metadata_hash.hex()[:12]})"


def _cell(text: str) -> str:
    """A free-text cell: no separators or line breaks (pabulib is ';'-separated, one record per line)."""
    return " ".join(text.replace(";", ",").split())


@dataclass(frozen=True)
class PabulibElection:
    """The three sections of a pabulib file, as ordered (field, value) rows."""

    meta: list[tuple[str, str]]
    projects: list[dict[str, str]]
    votes: list[dict[str, str]]

    @property
    def num_votes(self) -> int:
        return len(self.votes)

    @property
    def num_projects(self) -> int:
        return len(self.projects)

    def render(self) -> str:
        lines = ["META", "key;value"]
        lines += [f"{key};{value}" for key, value in self.meta]
        lines.append("PROJECTS")
        header = list(self.projects[0]) if self.projects else ["project_id", "cost", "votes", "score", "name"]
        lines.append(";".join(header))
        lines += [";".join(row[h] for h in header) for row in self.projects]
        lines.append("VOTES")
        lines.append("voter_id;vote;points")
        lines += [f"{row['voter_id']};{row['vote']};{row['points']}" for row in self.votes]
        return "\n".join(lines) + "\n"


def round_election(
    rnd: Round,
    hromada_name: str,
    chain_id: int,
    vote_contract: str,
    block: int,
    titles: Titles | None = None,
) -> PabulibElection:
    """The pabulib election of one round, from its recomputed ballots and tallies; `titles` names the
    projects (else they are named by id and metadata hash)."""
    eligible = [p for p in rnd.projects.values() if p.status == PROJECT_ELIGIBLE]
    if not eligible:
        raise PabulibError(f"round {rnd.id} has no eligible project: there was nothing to vote on")
    tallies = rnd.tallies()
    ballots = {resident: ballot for resident, ballot in sorted(rnd.ballots.items()) if ballot}
    largest = max((sum(b.values()) for b in ballots.values()), default=0)
    rule = AllocationRule(rnd.rules.rule)
    asks_total = sum(p.ask_kopiyky for p in eligible)
    meta: list[tuple[str, str]] = [
        (
            "description",
            _cell(f"CTS balanced vote, round {rnd.id} of {hromada_name}: residents spread RV over projects"),
        ),
        ("country", "Ukraine"),
        ("unit", _cell(hromada_name)),
        ("subunit", f"round {rnd.id}"),
        ("instance", datetime.fromtimestamp(rnd.vote_end, UTC).strftime("%Y")),
        ("num_projects", str(len(eligible))),
        ("num_votes", str(len(ballots))),
        ("budget", uah_amount(rnd.fund_kopiyky)),
        ("vote_type", "cumulative"),
        ("rule", _PABULIB_RULE[rule]),
        ("date_begin", _date(rnd.screen_end)),
        ("date_end", _date(rnd.vote_end)),
        # A ballot cannot name more projects than were on it, whatever the round's rules allowed.
        ("min_length", str(min(rnd.rules.min_projects_per_ballot, len(eligible)))),
        ("max_length", str(min(rnd.rules.max_projects_per_ballot, len(eligible)))),
    ]
    if rnd.rules.max_credits_per_project:
        meta.append(("max_points", str(rnd.rules.max_credits_per_project)))
    meta += [("min_sum_points", "1"), ("max_sum_points", str(max(largest, 1))), ("currency", "UAH")]
    if rnd.fund_kopiyky >= asks_total:
        meta.append(("fully_funded", "1"))
    status = "finalised" if rnd.finalised else "cancelled" if rnd.cancelled else "not finalised"
    meta.append(
        (
            "comment",
            _cell(
                f"#1: Exported by cts export-pabulib from chain {chain_id}, BalancedVote {vote_contract}, "
                f"events up to block {block}; round {status}. "
                f"#2: Points are RV credits; each resident's total is bounded by their own RV balance, so "
                f"max_sum_points is the largest ballot. "
                f"#3: The on-chain rule is {rule.label}, "
                f"with project weight = sum of floor(sqrt(points x 10^18)). "
                f"#4: cost is the project's ask in UAH; selected = 1 when the round funded the whole ask "
                f"(description gives every funded amount)."
            ),
        )
    )
    projects = []
    for p in eligible:
        tally = tallies.get(p.id, Tally())
        row = {
            "project_id": str(p.id),
            "cost": uah_amount(p.ask_kopiyky),
            "votes": str(tally.supporters),
            "score": str(tally.credits),
            "name": _project_name(p.id, p.metadata_hash, titles),
        }
        if rnd.finalised:
            row["selected"] = "1" if p.funded_kopiyky == p.ask_kopiyky else "0"
            row["description"] = f"funded UAH {uah_amount(p.funded_kopiyky)} of {uah_amount(p.ask_kopiyky)}"
        row["proposer"] = str(p.proposer_id)
        projects.append(row)
    votes = []
    for resident, ballot in ballots.items():
        ordered = sorted(ballot.items(), key=lambda item: (-item[1], item[0]))
        votes.append(
            {
                "voter_id": str(resident),
                "vote": ",".join(str(project) for project, _ in ordered),
                "points": ",".join(str(credits) for _, credits in ordered),
            }
        )
    return PabulibElection(meta=meta, projects=projects, votes=votes)


def write_round(replay: Replay, round_id: int, out: Path, titles: Titles | None = None) -> PabulibElection:
    """Write round `round_id` of a replayed hromada to `out` (a .pb file)."""
    rnd = replay.history.rounds.get(round_id)
    if rnd is None:
        known = ", ".join(str(i) for i in replay.history.rounds) or "none"
        raise PabulibError(f"no round {round_id} in this hromada (rounds: {known})")
    election = round_election(
        rnd,
        hromada_name=replay.hromada.name or f"hromada of token {replay.hromada.contracts['token']}",
        chain_id=replay.hromada.chain_id,
        vote_contract=replay.hromada.contracts["balancedVote"],
        block=replay.block,
        titles=titles,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(election.render(), encoding="utf-8")
    return election


@dataclass
class ImportedRound:
    """A cumulative pabulib election read back: budget, asks and ballots in CTS units."""

    meta: dict[str, str]
    budget_kopiyky: int
    asks_kopiyky: dict[int, int]
    ballots: dict[int, dict[int, int]] = field(default_factory=dict)

    def tallies(self) -> dict[int, Tally]:
        """Per project: weight (sum of floor(sqrt(points x 10^18))), credits (points), supporters."""
        result = {project_id: Tally() for project_id in self.asks_kopiyky}
        for ballot in self.ballots.values():
            for project_id, credits in ballot.items():
                tally = result.setdefault(project_id, Tally())
                tally.weight += weight(credits)
                tally.credits += credits
                tally.supporters += 1
        return result


def read_round(path: str | Path) -> ImportedRound:
    """Read a cumulative pabulib file (pabutools' parser) back into CTS units."""
    from pabutools.election import CumulativeBallot, parse_pabulib

    try:
        instance, profile = parse_pabulib(str(path))
    except (OSError, KeyError, ValueError) as error:
        raise PabulibError(f"cannot read {path} as pabulib: {error}") from None
    meta = {str(k): str(v) for k, v in instance.meta.items()}
    if meta.get("vote_type") != "cumulative":
        raise PabulibError(f"{path} is a {meta.get('vote_type')!r} election; CTS rounds are cumulative")
    asks = {int(p.name): kopiyky_of(Fraction(str(p.cost))) for p in instance}
    imported = ImportedRound(meta=meta, budget_kopiyky=kopiyky_of(meta["budget"]), asks_kopiyky=asks)
    for ballot in profile:
        if not isinstance(ballot, CumulativeBallot):
            raise PabulibError(f"{path}: a ballot is not cumulative")
        voter = int(ballot.meta["voter_id"])
        points = {int(project.name): int(value) for project, value in ballot.items()}
        if voter in imported.ballots:
            raise PabulibError(f"{path}: voter {voter} appears twice")
        imported.ballots[voter] = points
    return imported
