"""`cts audit` and residents who move between hromadas, on a real chain with hromadas of one factory.

Rudky and Dubechne (the second pilot cycle's two hromadas): Oksana moves from Rudky to Dubechne for good
(same custodial wallet), Taras is kept active in Rudky while registered in Dubechne at a new address (both
councils allow it), and Iryna moves to Dubechne and comes back to her old record in Rudky. Every audit
agrees, and each registry's figures show the links.

Then a chain of dual residencies that the contracts allow, one hop at a time, and that breaks the rule as a
whole: Rudky keeps Marta active and releases her to Dubechne, which keeps her active and releases her to a
third hromada. Marta is active in three hromadas while Rudky's council and the third's never agreed: the
audit of Dubechne (the one that sees both links) says so; the audits of the others cannot see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_utils.crypto import keccak
from test_audit import audit, mapping_slot, read_slot, write_slot
from web3 import Web3

from cts.audit.audit import AuditResult, run_audit
from cts.audit.rpc import RpcClient
from cts.chain.client import HromadaHandles, Sender
from cts.chain.deploy import HromadaSpec, onboard
from cts.chain.manifest import Manifest, parse_manifest

RESIDENTS_SLOT = 1  # ResidentRegistry._residents: token 0, _residents 1 (OpenZeppelin's state is namespaced)
STATUS_SHIFT = 64  # Resident: id (uint64), then status (uint8) in the same word
ACTIVE, MOVED = 1, 4


def check(label: str) -> bytes:
    """An identity-check hash, the same in every hromada (one service keys them with one secret)."""
    return keccak(text=f"identity-check-{label}")


@dataclass
class Moves:
    rudky: HromadaHandles
    dubechne: HromadaHandles
    oksana: str
    taras: str
    taras_in_dubechne: str
    iryna: str


@dataclass
class Chained:
    first: HromadaHandles
    middle: HromadaHandles
    last: HromadaHandles
    marta: str


def onboard_all(w3: Web3, manifest: Manifest, names: list[str]) -> list[HromadaHandles]:
    """Hromadas of the shared factory, each with its own registrar; the council is the deployer."""
    accounts = w3.eth.accounts
    return [
        onboard(
            Sender(w3, accounts[0]),
            manifest,
            HromadaSpec(key=name.lower(), name=name, council=accounts[0], registrar=accounts[16 + k]),
        )
        for k, name in enumerate(names)
    ]


def registrar(w3: Web3, hromada: HromadaHandles) -> Sender:
    return Sender(w3, hromada.entry.registrar or "")


@pytest.fixture(scope="session")
def own_manifest(audit_manifest: Manifest) -> Manifest:
    """The shared contracts of the audit tests, in a manifest of our own (theirs holds one hromada)."""
    return parse_manifest(audit_manifest.to_json())


@pytest.fixture(scope="session")
def moves(w3: Web3, own_manifest: Manifest) -> Moves:
    rudky, dubechne = onboard_all(w3, own_manifest, ["Rudky", "Dubechne"])
    accounts = w3.eth.accounts
    oksana, taras, iryna, stays, taras_there = accounts[4], accounts[5], accounts[6], accounts[7], accounts[8]
    in_rudky, in_dubechne = registrar(w3, rudky), registrar(w3, dubechne)
    in_rudky.send(
        rudky.registry.functions.addResidents(
            [oksana, taras, iryna, stays], [check("oksana"), check("taras"), check("iryna"), check("stays")]
        )
    )
    # Oksana moves for good, with her custodial wallet.
    in_rudky.send(rudky.registry.functions.releaseResident(oksana, dubechne.registry.address, False))
    in_dubechne.send(
        dubechne.registry.functions.addMovedResident(oksana, check("oksana"), rudky.registry.address, 1)
    )
    # Taras: both councils allow dual residency; a new address in Dubechne.
    in_rudky.send(rudky.registry.functions.releaseResident(taras, dubechne.registry.address, True))
    in_dubechne.send(
        dubechne.registry.functions.addMovedResident(taras_there, check("taras"), rudky.registry.address, 2)
    )
    # Iryna moves to Dubechne and comes back.
    in_rudky.send(rudky.registry.functions.releaseResident(iryna, dubechne.registry.address, False))
    in_dubechne.send(
        dubechne.registry.functions.addMovedResident(iryna, check("iryna"), rudky.registry.address, 3)
    )
    in_dubechne.send(dubechne.registry.functions.releaseResident(iryna, rudky.registry.address, False))
    in_rudky.send(
        rudky.registry.functions.addMovedResident(iryna, check("iryna"), dubechne.registry.address, 3)
    )
    return Moves(rudky, dubechne, oksana, taras, taras_there, iryna)


@pytest.fixture(scope="session")
def chained(w3: Web3, own_manifest: Manifest) -> Chained:
    first, middle, last = onboard_all(w3, own_manifest, ["Hrushiv", "Lypsko", "Tarnoszyn"])
    marta = w3.eth.accounts[9]
    registrar(w3, first).send(first.registry.functions.addResident(marta, check("marta")))
    registrar(w3, first).send(first.registry.functions.releaseResident(marta, middle.registry.address, True))
    registrar(w3, middle).send(
        middle.registry.functions.addMovedResident(marta, check("marta"), first.registry.address, 1)
    )
    registrar(w3, middle).send(middle.registry.functions.releaseResident(marta, last.registry.address, True))
    registrar(w3, last).send(
        last.registry.functions.addMovedResident(marta, check("marta"), middle.registry.address, 1)
    )
    return Chained(first, middle, last, marta)


def audited(rpc_url: str, hromada: HromadaHandles) -> AuditResult:
    with RpcClient(rpc_url) as client:
        return run_audit(client, hromada.registry.address)


def links_of(result: AuditResult, resident_id: int) -> list[tuple[str, int | None, bool | None]]:
    move = next(m for m in result.figures()["moves"] if m["resident_id"] == resident_id)
    return [(link["kind"], link["resident_id"], link["keep_active"]) for link in move["links"]]


def test_the_audit_of_the_hromada_people_left_agrees(moves: Moves, rpc_url: str) -> None:
    result = audited(rpc_url, moves.rudky)

    assert result.ok, [str(d) for d in result.differences]
    residents = result.figures()["residents"]
    assert residents == {"registered": 4, "active": 3, "suspended": 0, "migrated": 0, "moved": 1}
    assert result.links is not None
    assert [p.name for p in result.links.peers.values()] == ["Dubechne"]


def test_the_audit_of_the_hromada_people_moved_to_agrees(moves: Moves, rpc_url: str) -> None:
    result = audited(rpc_url, moves.dubechne)

    assert result.ok, [str(d) for d in result.differences]
    residents = result.figures()["residents"]
    assert residents == {"registered": 3, "active": 2, "suspended": 0, "migrated": 0, "moved": 1}
    assert result.links is not None and result.links.checked > 10


def test_a_residents_record_shows_where_they_went_and_where_they_came_from(
    moves: Moves, rpc_url: str
) -> None:
    rudky, dubechne = audited(rpc_url, moves.rudky), audited(rpc_url, moves.dubechne)

    assert links_of(rudky, 1) == [("released_to", None, False)]  # Oksana
    assert links_of(dubechne, 1) == [("arrived_from", 1, None)]
    assert links_of(rudky, 2) == [("released_to", None, True)]  # Taras, kept active
    assert links_of(dubechne, 2) == [("arrived_from", 2, None)]
    assert links_of(rudky, 3) == [("released_to", None, False), ("arrived_from", 3, None)]  # Iryna came back
    assert links_of(dubechne, 3) == [("arrived_from", 3, None), ("released_to", None, False)]
    statuses = {m["resident_id"]: m["status"] for m in rudky.figures()["moves"]}
    assert statuses == {1: "moved", 2: "active", 3: "active"}


def test_cts_audit_prints_the_moves(
    moves: Moves, rpc_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert audit(rpc_url, "--hromada", moves.rudky.registry.address, "--json", str(tmp_path / "a.json")) == 0
    printed = capsys.readouterr().out
    assert "4 registered, 3 active, 0 suspended, 0 migrated, 1 moved" in printed
    assert "moves       3 residents: 1 arrivals, 3 releases (1 kept active)" in printed
    assert "(Dubechne)" in printed


def test_a_dual_residency_chained_through_a_third_hromada_is_flagged_by_the_middle_one(
    chained: Chained, rpc_url: str
) -> None:
    result = audited(rpc_url, chained.middle)

    assert [d.figure for d in result.differences] == [
        "resident 1: active in two hromadas only if a release between them kept them active"
    ]
    found = str(result.differences[0].found).lower()
    assert chained.first.registry.address.lower() in found and chained.last.registry.address.lower() in found


def test_the_ends_of_a_chained_dual_residency_see_one_hop_and_agree(chained: Chained, rpc_url: str) -> None:
    for hromada in (chained.first, chained.last):
        result = audited(rpc_url, hromada)
        assert result.ok, [str(d) for d in result.differences]


def test_a_linked_registry_whose_state_contradicts_its_events_is_named(
    w3: Web3, moves: Moves, rpc_url: str, chain_snapshot: None
) -> None:
    # Oksana's record in Rudky says active again, although Rudky's events released her for good.
    rudky = moves.rudky.registry.address
    slot = mapping_slot(moves.oksana, RESIDENTS_SLOT)
    word = read_slot(w3, rudky, slot)
    assert (
        (word >> STATUS_SHIFT) & 0xFF
        == MOVED
        == moves.rudky.registry.functions.residentOf(moves.oksana).call()[1]
    )
    write_slot(w3, rudky, slot, word & ~(0xFF << STATUS_SHIFT) | ACTIVE << STATUS_SHIFT)

    result = audited(rpc_url, moves.dubechne)

    assert [(d.figure, d.expected, d.found) for d in result.differences] == [
        (f"linked resident 1 of {rudky.lower()}: status", MOVED, ACTIVE)
    ]
