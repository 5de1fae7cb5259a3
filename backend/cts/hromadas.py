"""The hromadas a service carries: onboarding one from a deployment manifest, giving its council its first
account, and the chain context (contracts, allowlist) of each, built once per process and shared.

Onboarding needs no restart: a hromada added by `cts hromada add` (or the operator's API) is in the
database, and every process builds its context the first time a request names it.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from web3 import Web3

from cts.budgets import hromada_spent
from cts.chain.client import HromadaHandles, connect
from cts.chain.manifest import HromadaEntry, Manifest, ManifestError, load_manifest
from cts.core.config import Settings
from cts.errors import ConflictError, InvalidInputError, NotFoundError
from cts.models import Hromada, Membership, Role, User
from cts.relayer.context import ChainContext
from cts.relayer.errors import RelayerNotConfiguredError

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?")


def check_slug(slug: str) -> str:
    if not _SLUG.fullmatch(slug):
        raise InvalidInputError(
            f"The hromada's key {slug!r} cannot be used in a URL: "
            "lowercase letters, digits, dashes and underscores only."
        )
    return slug


def apply_entry(hromada: Hromada, manifest: Manifest, entry: HromadaEntry) -> None:
    """Copy a manifest's record of the hromada (its contracts, council, registrar) onto the row."""
    hromada.name = entry.name
    hromada.chain_id = manifest.chain_id
    hromada.factory_id = entry.hromada_id
    hromada.contracts = dict(entry.contracts)
    hromada.forwarder = manifest.forwarder
    hromada.council = entry.council
    hromada.registrar = entry.registrar
    hromada.face_value_kopiyky = entry.face_value_kopiyky
    hromada.deployed_block = entry.block


def add_hromada(
    session: Session, manifest: Manifest, key: str, *, daily_gas_budget: int | None = None
) -> Hromada:
    """Onboard the manifest's hromada ``key`` (or complete one a migrated database knew by that key).

    Refuses a key that is already a different hromada (other contracts): a URL must never change meaning.
    Flushed, not committed.
    """
    entry = manifest.hromada(key)
    slug = check_slug(entry.key)
    hromada = session.scalar(select(Hromada).where(Hromada.slug == slug))
    if hromada is None:
        hromada = Hromada(slug=slug)
        session.add(hromada)
    elif hromada.contracts and {k: v.lower() for k, v in hromada.contracts.items()} != {
        k: v.lower() for k, v in entry.contracts.items()
    }:
        raise ConflictError(f"The service already has a hromada {slug!r} with other contracts.")
    apply_entry(hromada, manifest, entry)
    if daily_gas_budget is not None:
        hromada.daily_gas_budget = daily_gas_budget
    session.flush()
    return hromada


def sync_manifest(session: Session, settings: Settings) -> list[Hromada]:
    """Onboard the hromadas of the manifest the service is configured with (``CTS_MANIFEST_PATH``; only
    ``CTS_HROMADA`` if set) that the database does not know yet. A one-hromada service needs nothing more."""
    if settings.manifest_path is None or not settings.manifest_path.is_file():
        return []
    try:
        manifest = load_manifest(settings.manifest_path)
    except ManifestError as error:
        raise RelayerNotConfiguredError(str(error)) from None
    keys = [settings.hromada] if settings.hromada else list(manifest.hromadas)
    known = {h.slug: h for h in session.scalars(select(Hromada)).all()}
    added = []
    for key in keys:
        slug = manifest.hromada(key).key
        if slug not in known or not known[slug].is_ready:
            added.append(add_hromada(session, manifest, key))
    return added


def grant_role(session: Session, user: User, hromada: Hromada, role: Role) -> Membership:
    """Give a person a role in a hromada (one role per hromada: a different one is a conflict)."""
    current = session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.hromada_id == hromada.id)
    )
    if current is not None:
        if current.role != role:
            raise ConflictError(f"This person is already a {current.role.value} of this hromada.")
        return current
    membership = Membership(user=user, hromada=hromada, role=role)
    session.add(membership)
    session.flush()
    return membership


def get_hromada(session: Session, slug: str) -> Hromada:
    hromada = session.scalar(select(Hromada).where(Hromada.slug == slug))
    if hromada is None:
        raise NotFoundError("There is no such hromada.")
    return hromada


def hromada_to_join(session: Session, slug: str | None) -> Hromada | None:
    """The hromada a person signing up joins: the one named, or the service's only one; None when the
    service carries several and none was named (the person joins one later)."""
    if slug is not None:
        return get_hromada(session, slug)
    only = session.scalars(select(Hromada).limit(2)).all()
    return only[0] if len(only) == 1 else None


def gas_spent_today(session: Session, hromada: Hromada) -> int:
    """Sponsored gas of the hromada's actions in the last 24 hours (expired ones never ran), as the budgets
    count it: from the gas ledger's minutes (cts.gas_ledger)."""
    return hromada_spent(session, hromada)


def manifest_of(hromada: Hromada) -> tuple[Manifest, HromadaEntry]:
    """The hromada as a one-hromada manifest (its contracts, its chain's forwarder) for the chain client."""
    if not hromada.is_ready or hromada.contracts is None or hromada.forwarder is None:
        raise RelayerNotConfiguredError(f"the hromada {hromada.slug!r} has no contracts yet")
    entry = HromadaEntry(
        key=hromada.slug,
        name=hromada.name,
        hromada_id=int(hromada.factory_id or 0),
        contracts=dict(hromada.contracts),
        council=hromada.council,
        registrar=hromada.registrar,
        face_value_kopiyky=hromada.face_value_kopiyky,
        block=hromada.deployed_block,
    )
    manifest = Manifest(
        chain_id=hromada.chain_id,
        shared={"CTSForwarder": {"address": hromada.forwarder}},
        hromadas={hromada.slug: entry},
    )
    return manifest, entry


@dataclass
class HromadaDirectory:
    """Chain contexts by hromada, built on first use and shared by every request of the process."""

    settings: Settings

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._w3: Web3 | None = None
        self._contexts: dict[tuple[str, str], ChainContext] = {}

    @property
    def w3(self) -> Web3:
        if self._w3 is None:
            self._w3 = connect(self.settings.rpc_url, timeout=self.settings.rpc_timeout_seconds, retry=False)
        return self._w3

    def context(self, hromada: Hromada) -> ChainContext:
        """The chain context of a hromada whose contracts are known (RelayerNotConfiguredError if not)."""
        manifest_of(hromada)  # refuses a hromada without contracts
        assert hromada.contracts is not None
        # Keyed by the addresses too: a hromada completed by `cts hromada add` gets a new context.
        cache_key = (hromada.slug, ",".join(sorted(hromada.contracts.values())))
        with self._lock:
            context = self._contexts.get(cache_key)
            if context is None:
                manifest, entry = manifest_of(hromada)
                context = ChainContext(self.w3, manifest, HromadaHandles.from_entry(self.w3, entry))
                context.check_chain_id()  # a hromada of another chain than the node's is refused
                self._contexts[cache_key] = context
            return context
