"""Accepting actions: check, simulate, budget, and write them to the outbox (never send here).

An action accepted here is in the database in the same transaction as the request's idempotency record
(the route commits both), so a retried request never queues twice and a crash never loses one; its gas is
added to the gas ledger (cts.gas_ledger) in that transaction too.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cts import gas_ledger
from cts.budgets import RoleLimits, check_budget, check_hromada_budget, limits_of
from cts.chain.forwarder import ForwardRequest
from cts.core.config import Settings
from cts.core.ratelimit import RateLimit, check_rate_limit, enforce_rate_limit, user_subject
from cts.errors import ConflictError, InvalidInputError, RoleRequiredError
from cts.models import ActionStatus, Hromada, Membership, RelayAction, Role, User, Wallet
from cts.relayer.allowlist import SponsoredCall, SponsoredFunction
from cts.relayer.claims import ActionAlreadyQueuedError, claims_of, record_claims, reserve_claims
from cts.relayer.context import UNREACHABLE_ERRORS, ChainContext
from cts.relayer.errors import (
    ChainUnavailableError,
    SignerNotLinkedError,
)
from cts.relayer.simulation import (
    GAS_MARGIN_PERCENT,
    MIN_REQUEST_GAS,
    estimate_params,
    required_gas,
    simulation_batches,
)

LIVE_STATUSES = (ActionStatus.QUEUED, ActionStatus.SUBMITTED)

logger = logging.getLogger(__name__)


WALLET_TEMPLATE_HINT = "GET /api/h/<slug>/wallet/request-template gives it"


@dataclass(frozen=True)
class WalletTemplate:
    """The per-person, per-moment part of what a wallet signs (see RelayerService.request_template)."""

    signer: str
    chain_time: int
    forwarder_nonce: int
    pending: int
    gas: int | None
    functions: list[SponsoredFunction]


@dataclass(frozen=True)
class Call:
    """One contract call: target address and ABI-encoded data."""

    target: str
    data: bytes

    @classmethod
    def of(cls, function: Any) -> Call:
        """From a web3 contract function with its arguments bound, e.g. cases.functions.submitCase(1, h)."""
        return cls(
            to_checksum_address(function.address), bytes.fromhex(function._encode_transaction_data()[2:])
        )


def identity_hash(settings: Settings, identity_check: str) -> bytes:
    """The on-chain hash of an identity check's reference: keyed, so that the public hash cannot be
    matched against guessed document numbers."""
    key = hmac.new(
        settings.master_key.get_secret_value().encode(), b"cts/identity-hash/v1", hashlib.sha256
    ).digest()
    return hmac.new(key, identity_check.strip().encode("utf-8"), hashlib.sha256).digest()


class RelayerService:
    """Accepts actions for one hromada: its contracts (``chain``), its row (budget, key) and its members."""

    def __init__(self, settings: Settings, chain: ChainContext, hromada: Hromada) -> None:
        if chain.hromada.entry.key != hromada.slug:
            raise ValueError("the chain context is of another hromada")
        self.settings = settings
        self.chain = chain
        self.hromada = hromada

    # ------------------------------------------------------------ custodial actions

    def queue(self, session: Session, user: User, call: Call, *, budget_exempt: bool = False) -> RelayAction:
        """Queue `call`, to be signed with the user's custodial key; a clear CTSError on any refusal.

        ``budget_exempt`` is for the operator's own tools (the demo's seeding): the action counts for the
        hromada's budget only, not for the person's or their role's, and takes no rate-limit token."""
        role = self._role_of(user)
        sponsored = self.chain.allowlist.check(call.target, call.data, role)
        signer = user.wallet.address
        # Refuse a throttled user before simulating, but take the token (a write) only after the
        # simulation: SQLite's write lock is then never held across a call to the node.
        claims = self._claims(sponsored, call.data, signer)
        limits = limits_of(session, self.settings, self.hromada, role)
        if not budget_exempt:
            self._check_rate_token(session, user, limits)
        gas = self._simulate(signer, call)
        if not budget_exempt:
            self._take_rate_token(session, user, limits)
        reserve_claims(session, self.hromada.slug, claims)  # after the first write: see there
        if budget_exempt:
            check_hromada_budget(session, self.hromada, gas)
        else:
            check_budget(session, self.hromada, user.id, limits, gas)
        action = self._custodial_action(user.id, role, signer, sponsored, call, gas, budget_exempt)
        session.add(action)
        session.flush()
        record_claims(session, [(action, claims)])
        gas_ledger.record(session, action)  # last: PostgreSQL then locks the minute's row the least time
        return action

    def queue_many(self, session: Session, steps: Sequence[tuple[int, Call]]) -> list[RelayAction]:
        """Queue independent actions of the operator's own tools together: (user id, call) each.

        For `cts replay` and the demo's seeding, which queue thousands. Each action gets the checks that
        ``queue(..., budget_exempt=True)`` gives it (the person's role, the allowlist, its claims, also
        against the others', its simulation, the hromada's budget), but the roles and wallets are read in
        one query each and the simulations go to the node in JSON-RPC batches, all against the same state:
        the actions must not depend on each other. The first refusal raises and queues nothing (the caller
        commits them all or none)."""
        user_ids = sorted({user_id for user_id, _ in steps})
        roles: dict[int, Role] = dict(
            session.execute(
                select(Membership.user_id, Membership.role).where(
                    Membership.hromada_id == self.hromada.id, Membership.user_id.in_(user_ids)
                )
            ).all()
        )
        signers: dict[int, str] = dict(
            session.execute(select(Wallet.user_id, Wallet.address).where(Wallet.user_id.in_(user_ids))).all()
        )
        planned: list[tuple[int, Role, str, SponsoredCall, Call, list[str]]] = []
        taken: set[str] = set()
        for user_id, call in steps:
            role = roles.get(user_id)
            if role is None:
                raise RoleRequiredError()
            sponsored = self.chain.allowlist.check(call.target, call.data, role)
            signer = signers[user_id]
            claims = self._claims(sponsored, call.data, signer)
            if taken.intersection(claims):
                raise ActionAlreadyQueuedError()
            taken.update(claims)
            planned.append((user_id, role, signer, sponsored, call, claims))
        gases = self._simulate_many([(signer, call) for _, _, signer, _, call, _ in planned])
        reserve_claims(session, self.hromada.slug, sorted(taken))
        check_hromada_budget(session, self.hromada, sum(gases))
        actions = [
            self._custodial_action(user_id, role, signer, sponsored, call, gas, budget_exempt=True)
            for (user_id, role, signer, sponsored, call, _), gas in zip(planned, gases, strict=True)
        ]
        session.add_all(actions)
        session.flush()
        record_claims(
            session, [(action, claims) for action, (*_, claims) in zip(actions, planned, strict=True)]
        )
        gas_ledger.record_all(session, actions)  # last, as in `queue`
        return actions

    def _custodial_action(
        self,
        user_id: int,
        role: Role,
        signer: str,
        sponsored: SponsoredCall,
        call: Call,
        gas: int,
        budget_exempt: bool,
    ) -> RelayAction:
        """The outbox row of an accepted custodial action (signed by the worker with the person's key)."""
        return RelayAction(
            user_id=user_id,
            hromada=self.hromada.slug,
            kind=sponsored.function,
            signer=signer,
            target=call.target,
            calldata="0x" + call.data.hex(),
            gas=gas,
            custodial=True,
            budget_exempt=budget_exempt,
            budget_counted_as=gas_ledger.counted_as(role, budget_exempt),
        )

    # ------------------------------------------------------------ self-signed requests

    def queue_signed(
        self, session: Session, user: User, request: ForwardRequest, signature: bytes
    ) -> RelayAction:
        """Queue a ForwardRequest the person signed with their own wallet, after verifying it."""
        signer = to_checksum_address(request.sender)
        # Only the wallet's owner relays its requests, so that limits and budgets are the signer's own:
        # see docs/threat-model.md ("Who may relay a signed request").
        if user.own_wallet_address is None or signer != user.own_wallet_address:
            raise SignerNotLinkedError()
        role = self._role_of(user)
        sponsored: SponsoredCall = self.chain.allowlist.check(request.to, request.data, role)
        limits = limits_of(session, self.settings, self.hromada, role)
        claims = self._claims(sponsored, request.data, signer)
        try:
            recovered = request.recover_signer(self.chain.domain, signature)
        except Exception:
            raise InvalidInputError("The signature is malformed.") from None
        if recovered != signer:
            # A request signed for another chain or forwarder recovers another address: name the right one.
            domain = self.chain.domain
            raise InvalidInputError(
                "The signature does not match the request's sender. Sign it for this chain's forwarder: "
                f"EIP-712 domain {domain.name} version {domain.version}, chainId {domain.chain_id}, "
                f"verifyingContract {domain.verifying_contract} ({WALLET_TEMPLATE_HINT})."
            )
        now = self._chain_time()
        if request.deadline <= now:
            # The demo chain runs ahead of the wall clock: a deadline from the computer's clock has passed.
            raise InvalidInputError(
                f"The request's deadline has passed: the chain's time is {now}, "
                f"the deadline {request.deadline}. Take the deadline from the chain's time "
                f"({WALLET_TEMPLATE_HINT})."
            )
        latest = now + self.settings.relayer_max_request_deadline_seconds
        if request.deadline > latest:
            raise InvalidInputError(
                f"The request's deadline is too far ahead: the chain's time is {now}, "
                f"the latest deadline accepted is {latest}."
            )
        expected_nonce = self._forwarder_nonce(signer)
        if request.nonce < expected_nonce:
            raise ConflictError("This signed request was already used (replayed signature).")
        duplicate = session.scalar(
            select(RelayAction.id).where(
                RelayAction.signer == signer, RelayAction.signature == "0x" + signature.hex()
            )
        )
        if duplicate is not None:
            raise ConflictError("This signed request was already received (replayed signature).")
        pending = self._pending_count(session, signer)
        if request.nonce != expected_nonce + pending:
            raise ConflictError(
                f"The request's nonce should be {expected_nonce + pending}: the forwarder runs each "
                "person's requests in nonce order."
            )
        self._check_rate_token(session, user, limits)
        gas = self._simulate(signer, Call(request.to, request.data))
        if request.gas < gas:
            raise InvalidInputError(
                f"The request's gas ({request.gas}) is below what it needs ({gas}: the simulated gas "
                f"plus {GAS_MARGIN_PERCENT}%, at least {MIN_REQUEST_GAS})."
            )
        self._take_rate_token(session, user, limits)
        reserve_claims(session, self.hromada.slug, claims)
        check_budget(session, self.hromada, user.id, limits, request.gas)
        action = RelayAction(
            user_id=user.id,
            hromada=self.hromada.slug,
            kind=sponsored.function,
            signer=signer,
            target=to_checksum_address(request.to),
            calldata="0x" + request.data.hex(),
            gas=request.gas,
            custodial=False,
            request_nonce=request.nonce,
            request_deadline=request.deadline,
            signature="0x" + signature.hex(),
            budget_counted_as=gas_ledger.counted_as(role, budget_exempt=False),
        )
        session.add(action)
        session.flush()
        record_claims(session, [(action, claims)])
        gas_ledger.record(session, action)
        return action

    # ------------------------------------------------------------ what a wallet needs to sign

    def request_template(self, session: Session, user: User, call: Call | None) -> WalletTemplate:
        """Everything the user's own wallet needs to sign a request for POST /api/h/<slug>/relay: the
        forwarder's domain, the chain's time, the signer's next nonce, the functions their role may call
        and, for a given ``call``, the gas the service requires (the call simulated from the wallet)."""
        signer = user.own_wallet_address
        if signer is None:
            raise InvalidInputError(
                "Link your own wallet first (PUT /api/users/me/own-wallet): requests are relayed only for "
                "the wallet linked to your account."
            )
        role = self._role_of(user)
        gas: int | None = None
        if call is not None:
            sponsored = self.chain.allowlist.check(call.target, call.data, role)
            self._claims(sponsored, call.data, signer)  # calldata that does not decode is refused here
            gas = self._simulate(signer, call)
        forwarder_nonce = self._forwarder_nonce(signer)
        pending = self._pending_count(session, signer)
        return WalletTemplate(
            signer=signer,
            chain_time=self._chain_time(),
            forwarder_nonce=forwarder_nonce,
            pending=pending,
            gas=gas,
            functions=self.chain.allowlist.functions_for(role),
        )

    # ------------------------------------------------------------ checks

    def _pending_count(self, session: Session, signer: str) -> int:
        """The signer's requests accepted but not yet run: each takes the next forwarder nonce."""
        pending = session.scalar(
            select(func.count())
            .select_from(RelayAction)
            .where(RelayAction.signer == signer, RelayAction.status.in_(LIVE_STATUSES))
        )
        return int(pending or 0)

    def _role_of(self, user: User) -> Role:
        role = user.role_in(self.hromada.id)
        if role is None:  # the routes check roles first; this is the service's own guard
            raise RoleRequiredError()
        return role

    def _claims(self, sponsored: SponsoredCall, calldata: bytes, signer: str) -> list[str]:
        try:
            arguments = self.chain.allowlist.arguments(sponsored, calldata)
        except Exception:  # web3 raises several types for calldata that does not decode
            raise InvalidInputError("The call's data does not match the function's parameters.") from None
        return claims_of(sponsored.contract, sponsored.function, arguments, signer)

    def _rate_limit(self, limits: RoleLimits) -> RateLimit:
        """Actions per window for the person's role in this hromada (its own bucket per hromada)."""
        return RateLimit(
            scope=f"relay:{self.hromada.slug}",
            capacity=limits.actions_per_window,
            period_seconds=self.settings.relayer_action_window_seconds,
        )

    def _check_rate_token(self, session: Session, user: User, limits: RoleLimits) -> None:
        check_rate_limit(session, self._rate_limit(limits), user_subject(user.id))

    def _take_rate_token(self, session: Session, user: User, limits: RoleLimits) -> None:
        enforce_rate_limit(session, self._rate_limit(limits), user_subject(user.id))

    def _simulate(self, signer: str, call: Call) -> int:
        """Run the call from the signer's address without sending it; its gas, or the contract's refusal
        (cts.relayer.simulation says why that is the chain's answer). The request goes to the provider
        directly: web3's formatting layers cost more CPU than the node's answer."""
        try:
            response: dict[str, Any] = dict(
                self.chain.w3.provider.make_request("eth_estimateGas", [estimate_params(signer, call)])  # type: ignore[arg-type]
            )
        except UNREACHABLE_ERRORS:
            raise ChainUnavailableError() from None
        return required_gas(response)

    def _simulate_many(self, calls: Sequence[tuple[str, Call]]) -> list[int]:
        """``_simulate`` for many calls, in JSON-RPC batches (each call against the same state).

        A batch carries at most SIMULATION_BATCH_BYTES of calldata and SIMULATION_BATCH_CALLS calls: nodes
        cap a request's body (Anvil refuses one over 2 MiB as an "Invalid request"; 250 registrations of
        100 residents are 3.3 MB), and the node must answer within the call's timeout."""
        gases: list[int] = []
        for batch in simulation_batches(calls):
            try:
                responses = self.chain.w3.provider.make_batch_request(  # type: ignore[attr-defined]
                    [("eth_estimateGas", [estimate_params(signer, call)]) for signer, call in batch]
                )
            except UNREACHABLE_ERRORS:
                raise ChainUnavailableError() from None
            if not isinstance(responses, list) or len(responses) != len(batch):
                logger.warning("relayer: the node answered %d simulations with %.300r", len(batch), responses)
                raise ChainUnavailableError()
            gases += [required_gas(dict(response)) for response in responses]
        return gases

    def _chain_time(self) -> int:
        try:
            return int(self.chain.w3.eth.get_block("latest")["timestamp"])
        except UNREACHABLE_ERRORS:
            raise ChainUnavailableError() from None

    def _forwarder_nonce(self, signer: str) -> int:
        try:
            return int(self.chain.forwarder.functions.nonces(signer).call())
        except UNREACHABLE_ERRORS:
            raise ChainUnavailableError() from None
