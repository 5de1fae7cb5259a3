"""Residents who move: the audited hromada's links to other hromadas' registries, checked from both ends.

The audit replays one hromada. A resident's ResidentReleased and ResidentArrived events name other
registries; for each of them this module
- checks that it is a minimal clone of the audited registry's implementation, onboarded by the same
  factory (the factory's HromadaOnboarded event in the block where its code appeared);
- finds its records that took up this hromada's releases (its ResidentArrived events naming this registry);
- replays every event of each linked record (every registry event indexes the resident id first, so one
  eth_getLogs filter per registry gives them all) by the same rules as the audited registry's own
  (`Resident.apply_release`, `Resident.apply_arrival`), and compares the result with that registry's views
  at the audited block (status, latest release, who took up what, with which release number);
- checks the rule of docs/design.md, "Residents who move": among a person's records (the audited one and
  those linked to it), no two are active at once unless one's latest release is to the other's registry
  with keepActive and the other took up that very release.

It sees one hop: the records directly linked to the audited hromada's. A person's records further away (a
dual residency chained through a third hromada) are compared by the audit of the hromada in the middle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from cts.audit.abi import EventDecoder, checksum, event_topic
from cts.audit.errors import AuditError, RpcError
from cts.audit.locate import Hromada, clone_target, creation_block, onboarding_event
from cts.audit.model import (
    RESIDENT_ACTIVE,
    RESIDENT_STATUS_NAMES,
    RESIDENT_SUSPENDED,
    Difference,
    Resident,
)
from cts.audit.recompute import History
from cts.audit.rpc import RpcClient
from cts.audit.scan import DEFAULT_CHUNK, ScanStats, scan_logs
from cts.audit.views import View, ViewReader

REGISTRY = "ResidentRegistry"


def _topic(value: int | str) -> str:
    """A uint or an address as a 32-byte log topic."""
    if isinstance(value, str):
        return "0x" + value[2:].lower().rjust(64, "0")
    return "0x" + value.to_bytes(32, "big").hex()


@dataclass
class Peer:
    """Another hromada's registry that the audited one links to, and its records linked to ours."""

    registry: str
    name: str | None = None
    hromada_id: int | None = None
    factory: str | None = None
    start_block: int = 0
    # Its records linked to the audited registry, replayed from their own events.
    records: dict[int, Resident] = field(default_factory=dict)
    # The audited registry's resident id -> the id here of the record that took up its latest release to here.
    took_up: dict[int, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "registry": checksum(self.registry),
            "name": self.name,
            "hromada_id": self.hromada_id,
            "factory": self.factory,
            "records": {
                str(rid): {
                    "status": RESIDENT_STATUS_NAMES.get(r.status, str(r.status)),
                    "address": checksum(r.address),
                    "links": [link.as_dict() for link in r.links],
                }
                for rid, r in sorted(self.records.items())
            },
        }


@dataclass
class LinkAudit:
    """What the link checks compared and found."""

    peers: dict[str, Peer]
    checked: int
    differences: list[Difference]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": "the records directly linked to this hromada's (one hop)",
            "registries": [peer.to_json() for peer in self.peers.values()],
            "checked": self.checked,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class _Record:
    """A person's record in one registry, for the dual-residency rule."""

    registry: str
    resident: Resident

    @property
    def label(self) -> str:
        return f"resident {self.resident.id} of {self.registry}"


def audit_links(
    client: RpcClient, hromada: Hromada, history: History, block: int, chunk: int = DEFAULT_CHUNK
) -> LinkAudit:
    """Check every link of the audited hromada's residents against the registries at the other end."""
    ours = history.contracts["registry"]
    linked = [r for r in history.residents.values() if r.links]
    result = LinkAudit(peers={}, checked=0, differences=[])
    if not linked:
        return result
    implementation = hromada.implementations.get("registry")
    for address in sorted({link.registry for r in linked for link in r.links}):
        peer = _locate_peer(client, hromada, address, implementation, block, result)
        if peer is not None:
            result.peers[address] = peer
    for peer in result.peers.values():
        _read_peer_records(client, peer, ours, linked, block, chunk)
        _compare_peer(client, peer, ours, history, block, result)
    _compare_our_arrival_numbers(client, ours, linked, result, block)
    for resident in linked:
        _check_one_active(ours, resident, result, block)
    return result


def _locate_peer(
    client: RpcClient,
    hromada: Hromada,
    address: str,
    implementation: str | None,
    block: int,
    result: LinkAudit,
) -> Peer | None:
    """The linked registry's provenance; None (with a Difference) when it is no peer of ours."""
    found = clone_target(client.get_code(address, block))
    result.checked += 1
    if implementation is None or found != implementation:
        result.differences.append(
            Difference(
                f"linked registry {address} is a clone of this registry's implementation",
                implementation,
                found,
                f"eth_getCode({address})",
                block,
            )
        )
        return None
    peer = Peer(registry=address)
    try:
        peer.start_block = creation_block(client, address, block)
        token = ViewReader(client, {"registry": address}, block).read_one(View("registry", "token"))
        event = onboarding_event(client, peer.start_block, token)
    except (RpcError, AuditError) as error:
        result.notes.append(f"linked registry {checksum(address)}: its onboarding was not found ({error})")
        return peer
    if event is not None:
        peer.factory, peer.name, peer.hromada_id = event["factory"], event["name"], event["hromadaId"]
    if hromada.factory is not None:
        result.checked += 1
        if (peer.factory or "").lower() != hromada.factory.lower():
            result.differences.append(
                Difference(
                    f"linked registry {address} was onboarded by this hromada's factory",
                    hromada.factory,
                    peer.factory,
                    f"HromadaFactory.HromadaOnboarded in block {peer.start_block}",
                    block,
                )
            )
    return peer


def _read_peer_records(
    client: RpcClient, peer: Peer, ours: str, linked: list[Resident], block: int, chunk: int
) -> None:
    """The peer's records that arrived from ours, and the full history of every record linked to ours."""
    decoder = EventDecoder({"registry": (peer.registry, REGISTRY)})
    arrived = event_topic(REGISTRY, "ResidentArrived")
    stats = ScanStats(from_block=peer.start_block, to_block=block)
    for logs in scan_logs(
        client,
        [peer.registry],
        peer.start_block,
        block,
        stats,
        chunk,
        topics=[arrived, None, None, _topic(ours)],
    ):
        for log in logs:
            event = decoder.decode(log)
            if event is not None:
                peer.took_up[event.args["fromResidentId"]] = event.args["residentId"]
    ids = set(peer.took_up.values())
    ids |= {
        link.resident_id
        for r in linked
        for link in r.links
        if link.kind == "arrived_from" and link.registry == peer.registry and link.resident_id is not None
    }
    if not ids:
        return
    for logs in scan_logs(
        client,
        [peer.registry],
        peer.start_block,
        block,
        stats,
        chunk,
        topics=[None, [_topic(i) for i in ids]],
    ):
        for log in logs:
            event = decoder.decode(log)
            if event is None or "residentId" not in event.args:
                continue
            rid = event.args["residentId"]
            if event.name == "ResidentAdded":
                peer.records[rid] = Resident(
                    id=rid,
                    address=event.args["account"],
                    identity_hash=event.args["identityHash"],
                    registered_block=event.block,
                )
                continue
            record = peer.records.get(rid)
            if record is None:
                continue  # an event of an id we did not ask for, or a record created before the scan
            if event.name == "ResidentSuspended":
                record.status = RESIDENT_SUSPENDED
            elif event.name == "ResidentReinstated":
                record.status = RESIDENT_ACTIVE
            elif event.name == "ResidentMigrated":
                record.previous_addresses.append(event.args["from"])
                record.address = event.args["to"]
            elif event.name == "ResidentReleased":
                record.apply_release(event.args["toRegistry"], event.args["keepActive"], event.position)
            elif event.name == "ResidentArrived":
                record.apply_arrival(event.args["fromRegistry"], event.args["fromResidentId"], event.position)


def _compare_peer(
    client: RpcClient, peer: Peer, ours: str, history: History, block: int, result: LinkAudit
) -> None:
    """The peer's state at the audited block against its linked records' replayed events."""
    reader = ViewReader(client, {"registry": peer.registry}, block)
    expectations: list[tuple[View, str, Any, str | None]] = []
    for rid, record in sorted(peer.records.items()):
        prefix = f"linked resident {rid} of {peer.registry}"
        expectations.append((View("registry", "residentOf", (record.address,)), f"{prefix}: id", rid, "id"))
        expectations.append(
            (View("registry", "residentOf", (record.address,)), f"{prefix}: status", record.status, "status")
        )
        release = View("registry", "releaseOf", (rid,))
        expectations.append((release, f"{prefix}: latest release to", record.release_to, "toRegistry"))
        expectations.append((release, f"{prefix}: keepActive", record.release_keep_active, "keepActive"))
        expectations.append((release, f"{prefix}: release number", record.release_number, "number"))
    for our_id, their_id in sorted(peer.took_up.items()):
        taker = peer.records.get(their_id)
        ours_record = history.residents.get(our_id)
        if taker is None or ours_record is None:
            continue
        arrival = _latest_arrival(taker, ours, our_id)
        number = ours_record.release_number_at(arrival) if arrival is not None else 0
        view = View("registry", "arrivalOf", (ours, our_id))
        prefix = f"resident {our_id}: taken up by {peer.registry}"
        expectations.append((view, f"{prefix} as its resident", their_id, "residentId"))
        expectations.append((view, f"{prefix}, release number", number, "releaseNumber"))
    _read_and_compare(reader, expectations, block, result)


def _compare_our_arrival_numbers(
    client: RpcClient, ours: str, linked: list[Resident], result: LinkAudit, block: int
) -> None:
    """The number of each release we took up, from the history of the record it released."""
    reader = ViewReader(client, {"registry": ours}, block)
    latest: dict[tuple[str, int], tuple[tuple[int, int], int]] = {}
    for resident in linked:
        for link in resident.links:
            if link.kind == "arrived_from" and link.resident_id is not None:
                latest[(link.registry, link.resident_id)] = (link.position, resident.id)
    expectations: list[tuple[View, str, Any, str | None]] = []
    for (registry, their_id), (position, our_id) in sorted(latest.items()):
        peer = result.peers.get(registry)
        record = peer.records.get(their_id) if peer is not None else None
        if record is None:
            continue
        expectations.append(
            (
                View("registry", "arrivalOf", (registry, their_id)),
                f"resident {our_id}: number of the release of resident {their_id} of {registry} taken up",
                record.release_number_at(position),
                "releaseNumber",
            )
        )
    _read_and_compare(reader, expectations, block, result)


def _read_and_compare(
    reader: ViewReader, expectations: list[tuple[View, str, Any, str | None]], block: int, result: LinkAudit
) -> None:
    views = sorted({view for view, *_ in expectations}, key=lambda v: v.label)
    answers = dict(zip(views, reader.read(views), strict=True))
    for view, figure, expected, path in expectations:
        result.checked += 1
        answer = answers[view]
        label = f"{REGISTRY}({reader.addresses['registry']}).{view.function}{view.args}"
        if not answer.ok:
            result.differences.append(Difference(figure, expected, answer.failure, label, block))
            continue
        found = answer.value[path] if path is not None else answer.value
        if found != expected:
            result.differences.append(Difference(figure, expected, found, f"{label}.{path}", block))


def _latest_arrival(record: Resident, registry: str, resident_id: int) -> tuple[int, int] | None:
    """Where `record` last arrived from resident `resident_id` of `registry` (None: never)."""
    positions = [
        link.position
        for link in record.links
        if link.kind == "arrived_from" and link.registry == registry and link.resident_id == resident_id
    ]
    return positions[-1] if positions else None


def _keeps_active(x: _Record, y: _Record) -> bool:
    """x's latest release is to y's registry with keepActive, and y took up that very release."""
    release = x.resident
    if release.release_to != y.registry or not release.release_keep_active:
        return False
    arrival = _latest_arrival(y.resident, x.registry, x.resident.id)
    return arrival is not None and release.release_number_at(arrival) == release.release_number


def _check_one_active(ours: str, resident: Resident, result: LinkAudit, block: int) -> None:
    """Among this person's records (ours and those linked to it), two active ones need a kept release."""
    records = {(ours, resident.id): _Record(ours, resident)}
    for link in resident.links:
        peer = result.peers.get(link.registry)
        if peer is None:
            continue
        their_id = link.resident_id if link.kind == "arrived_from" else peer.took_up.get(resident.id)
        record = peer.records.get(their_id) if their_id is not None else None
        if record is not None:
            records[(link.registry, record.id)] = _Record(link.registry, record)
    active = [r for r in records.values() if r.resident.status == RESIDENT_ACTIVE]
    for x, y in combinations(active, 2):
        result.checked += 1
        if not (_keeps_active(x, y) or _keeps_active(y, x)):
            result.differences.append(
                Difference(
                    f"resident {resident.id}: active in two hromadas only if a release between them kept "
                    "them active",
                    "active in one of them",
                    f"active as {x.label} and as {y.label}",
                    "ResidentReleased / ResidentArrived events of both registries",
                    block,
                )
            )
