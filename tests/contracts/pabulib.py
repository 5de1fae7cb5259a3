"""A small reader of pabulib `.pb` files: real participatory-budgeting elections (pabulib.org/format).

A file has three sections, each a line with its name (META, PROJECTS, VOTES) followed by ';'-separated
CSV with a header row. Pure Python (no Brownie), so that tests and scripts can share it.

The small elections the tests replay are in the repository, tests/data/pabulib (TEST_DATA). Larger ones,
for scripts/replay_pabulib.py, are looked up in $CTS_PABULIB_DIR, then TEST_DATA (`find`); they come from
pabulib.org.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
TEST_DATA = REPOSITORY_ROOT / "tests" / "data" / "pabulib"
SECTIONS = ("META", "PROJECTS", "VOTES")


def data_dirs() -> list[Path]:
    """Where `find` looks for a .pb file, in order: $CTS_PABULIB_DIR, then TEST_DATA. Nothing outside the
    repository is looked at unless the user names it."""
    configured = os.environ.get("CTS_PABULIB_DIR")
    return [*([Path(configured)] if configured else []), TEST_DATA]


def find(name: str | Path) -> Path:
    """The file `name`: a path as given if it exists, else a bare name found in `data_dirs()`.

    Raises FileNotFoundError saying where to get it when it is nowhere.
    """
    if Path(name).exists():
        return Path(name)
    for folder in data_dirs():
        if (folder / name).exists():
            return folder / name
    searched = ", ".join(str(folder) for folder in data_dirs())
    raise FileNotFoundError(
        f"pabulib file {name} not found (looked in {searched}): download it from https://pabulib.org "
        "and set CTS_PABULIB_DIR to its folder"
    )


@dataclass
class Election:
    """One election: META as a dict, PROJECTS and VOTES as rows (dicts keyed by the header), in file order."""

    meta: dict[str, str]
    projects: list[dict[str, str]]
    votes: list[dict[str, str]]

    @property
    def project_ids(self) -> list[str]:
        """The file's project ids in ascending order (numerically when they are all numbers)."""
        ids = [p["project_id"] for p in self.projects]
        return sorted(ids, key=int) if all(i.isdigit() for i in ids) else sorted(ids)

    def project(self, project_id: str) -> dict[str, str]:
        return next(p for p in self.projects if p["project_id"] == project_id)

    def cumulative_ballots(self) -> dict[str, dict[str, int]]:
        """voter id -> {project id: points}, for a cumulative election."""
        if self.meta.get("vote_type") != "cumulative":
            raise ValueError(f"not a cumulative election: vote_type={self.meta.get('vote_type')}")
        ballots = {}
        for row in self.votes:
            ids = row["vote"].split(",")
            points = [int(p) for p in row["points"].split(",")]
            if len(ids) != len(points) or len(set(ids)) != len(ids):
                raise ValueError(f"malformed ballot of voter {row['voter_id']}")
            ballots[row["voter_id"]] = dict(zip(ids, points, strict=True))
        return ballots


def read(path: str | Path) -> Election:
    """Parses a .pb file."""
    sections: dict[str, list[str]] = {}
    current = None
    with open(path, encoding="utf-8-sig", newline="") as f:
        for line in f:
            stripped = line.strip()
            if stripped in SECTIONS:
                current = sections.setdefault(stripped, [])
            elif current is not None and stripped:
                current.append(line)
    missing = [s for s in SECTIONS if s not in sections]
    if missing:
        raise ValueError(f"{path}: missing section(s) {', '.join(missing)}")
    tables = {}
    for name, lines in sections.items():
        rows = list(csv.reader(lines, delimiter=";"))
        header, body = rows[0], rows[1:]
        tables[name] = [dict(zip(header, row, strict=True)) for row in body]
    meta = {row["key"]: row["value"] for row in tables["META"]}
    return Election(meta=meta, projects=tables["PROJECTS"], votes=tables["VOTES"])


def load(name: str) -> Election:
    """Parses the file `name` (e.g. "poland_czestochowa_2020_grabowka.pb"), found by `find`."""
    return read(find(name))
