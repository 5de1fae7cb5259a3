"""The pabulib export names projects by their titles where they are known (issue 21: it wrote "Project 1
(metadata 0x103a…)"), from the service's published descriptions, each checked against the hash on chain."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from audit_history import HonestHistory, h

from cts.audit.audit import replay
from cts.audit.pabulib import read_round, titles_from_folder, write_round
from cts.audit.rpc import RpcClient
from cts.cli import main


def publish(folder: Path, title: str) -> bytes:
    """A description as the service publishes it: named by the SHA-256 of its bytes."""
    data = json.dumps({"description": "", "title": title}, ensure_ascii=False).encode()
    digest = hashlib.sha256(data).digest()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{digest.hex()}.json").write_bytes(data)
    return digest


def names(path: Path) -> dict[int, str]:
    lines = path.read_text(encoding="utf-8").split("PROJECTS\n", 1)[1].split("VOTES\n", 1)[0].splitlines()
    header = lines[0].split(";")
    rows = [dict(zip(header, line.split(";"), strict=True)) for line in lines[1:]]
    return {int(row["project_id"]): row["name"] for row in rows}


def test_projects_are_named_by_their_titles_and_by_id_where_none_is_known(
    honest: HonestHistory, rpc_url: str, tmp_path: Path
) -> None:
    titles = {h("r1-p1"): "Лавки в парку", h("r1-p2"): "Ліхтарі; на вулиці\nШкільній"}
    with RpcClient(rpc_url) as client:
        replayed = replay(client, honest.handles.vote.address)
    out = tmp_path / "round1.pb"
    write_round(replayed, honest.rounds["quadratic"], out, titles.get)
    named = names(out)
    assert named[1] == "Лавки в парку"
    assert named[2] == "Ліхтарі, на вулиці Шкільній"  # no separator or line break inside a cell
    assert named[3].startswith("Project 3 (metadata 0x")
    assert sorted(read_round(out).asks_kopiyky) == [1, 2, 3]  # the file still reads back


def test_a_description_that_does_not_match_the_chains_hash_is_not_used(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    digest = publish(folder, "Лавки в парку")
    title = titles_from_folder(folder)
    assert title(digest) == "Лавки в парку"
    forged = h("r1-p1")
    (folder / f"{forged.hex()}.json").write_text('{"title": "Not what the chain names"}')
    assert title(forged) is None
    assert title(b"\x01" * 32) is None  # not published here


def test_cts_export_pabulib_reads_titles_from_the_services_documents(
    honest: HonestHistory, rpc_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "documents"
    publish(folder, "unrelated")
    (folder / f"{h('r1-p1').hex()}.json").write_text('{"title": "forged"}')
    out = tmp_path / "round1.pb"
    argv = ["export-pabulib", "--rpc", rpc_url, "--hromada", honest.handles.vote.address]
    argv += [
        "--round",
        str(honest.rounds["quadratic"]),
        "--out",
        str(out),
        "--quiet",
        "--documents",
        str(folder),
    ]
    assert main(argv) == 0
    assert names(out)[1].startswith("Project 1 (metadata 0x")
