"""The relayer's worker: turns queued actions into sponsored `executeBatch` transactions, exactly once.

The rules that make it safe:

- One writer per sponsor account: a worker acts for an account only while it holds the account's lease
  (a row in `sponsor_accounts`, taken with a conditional UPDATE), so no two processes ever pick the
  same sponsor nonce. Several workers (processes, machines sharing PostgreSQL) use different sponsors.
- Nonces are reserved in the database: the batch row (unique on sponsor and nonce) and the account's
  `next_nonce` change in one transaction.
- Persist, then send: the signed transaction is committed to the outbox before it is sent. A worker that
  dies before sending finds it PREPARED and sends the same bytes; one that dies after sending finds it SENT
  and looks for its receipt. Resending identical bytes, or a fee bump at the same nonce, can never make a
  second transaction: only one transaction per sponsor nonce is ever mined.
- Actions are claimed with a conditional UPDATE (status still QUEUED), so a race between workers claims
  each action once.
- Outcomes come from the forwarder's ExecutedForwardRequest events (signer, nonce, success) in the receipt.
  A request the forwarder skipped (its deadline passed while the chain was away) goes back to the queue and
  is signed afresh: nothing is lost.
- The forwarder's nonce of the signer decides whether a request may be sent again. A request whose nonce
  the forwarder has used ran somewhere: in a transaction whose receipt the node does not show yet, or in
  one sent by anybody else who relayed the signed request (front-running a public mempool is allowed by
  ERC-2771). Its outcome is then read from the forwarder's events, never by running it a second time.

A fault hook for tests: CTS_RELAYER_FAULT=after_persist (written down, not sent), after_raw_send (sent, not
yet marked sent) or after_send (sent and marked, receipt not recorded) makes the process SIGKILL itself
at that point (nothing else reads it).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from eth_abi.abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from web3.exceptions import Web3Exception, Web3RPCError
from web3.types import RPCEndpoint

from cts import gas_ledger
from cts.chain.forwarder import ForwardRequest
from cts.core.config import Settings
from cts.core.db import utcnow
from cts.core.keystore import EncryptedKey, decrypt_private_key, read_encrypted_key
from cts.gas_ledger import LedgerKey
from cts.models import ActionStatus, Batch, BatchAttempt, BatchStatus, RelayAction, SponsorAccount, Wallet
from cts.relayer.context import UNREACHABLE_ERRORS, ChainConnection, describe_unreachable
from cts.relayer.outcomes import OUT_OF_GAS, Failure, FailureExplainer, RequestRun, intrinsic_gas
from cts.relayer.simulation import request_gas

logger = logging.getLogger(__name__)

ZERO_ADDRESS = "0x" + "00" * 20
# ERC2771Forwarder's ABI, encoded directly: web3's generic contract machinery spent most of the worker's
# time re-deriving these for every batch.
NONCES_SELECTOR = function_signature_to_4byte_selector("nonces(address)")
_REQUEST_TUPLE = "(address,address,uint256,uint256,uint48,bytes,bytes)"
EXECUTE_BATCH_SELECTOR = function_signature_to_4byte_selector(f"executeBatch({_REQUEST_TUPLE}[],address)")


EXECUTED_TOPIC = keccak(text="ExecutedForwardRequest(address,uint256,bool)")
# How nodes say that a transaction, or another at its nonce, is already theirs (resending the same bytes
# after a crash): Geth, Anvil, Erigon and others; Ganache's "the tx doesn't have the correct nonce" (its
# account nonce is past it). The batch is then treated as sent, and its receipt looked for.
NONCE_TAKEN_MESSAGES = (
    "already known",
    "nonce too low",
    "known transaction",
    "already imported",
    "doesn't have the correct nonce",
)
# How far back (blocks) the worker looks for the event of a request that ran outside its own transaction,
# in pages that public RPC providers accept.
ELSEWHERE_LOOKBACK_BLOCKS = 50_000
ELSEWHERE_PAGE_BLOCKS = 5_000
# How long a lost batch waits for the event of a request whose nonce is used before giving up on it.
ELSEWHERE_PATIENCE = timedelta(minutes=10)
# A sponsor nonce used at the head block only, with no receipt for any attempt, is judged lost after this
# long, or as soon as a later block is mined: Anvil counts the nonce as used a moment before it serves the
# block's receipts (issue 15: two workers on PostgreSQL marked their own mined batch abandoned).
LOST_AT_HEAD_SECONDS = 10.0


@dataclass(frozen=True)
class RanElsewhere:
    """A request whose forwarder nonce is used; where it ran, if its event was found."""

    success: bool | None = None
    tx_hash: str | None = None
    block: int | None = None


@dataclass(frozen=True)
class Receipt:
    """What the worker reads of a transaction receipt (parsed from the raw JSON-RPC answer: web3's
    formatters cost tens of milliseconds on a batch's receipt with a hundred logs)."""

    block_number: int
    tx_hash: str
    gas_used: int
    status: int
    logs: list[dict[str, Any]]

    @classmethod
    def from_rpc(cls, raw: dict[str, Any]) -> Receipt:
        return cls(
            block_number=int(raw["blockNumber"], 16),
            tx_hash="0x" + raw["transactionHash"].removeprefix("0x").lower(),
            gas_used=int(raw["gasUsed"], 16),
            status=int(raw["status"], 16),
            logs=list(raw.get("logs") or []),
        )


def executed_outcome(data: bytes) -> tuple[int, bool]:
    """(nonce, success): the data words of an ExecutedForwardRequest event (the signer is its topic)."""
    return int.from_bytes(data[:32], "big"), data[63] == 1


def executed_requests(receipt: Receipt, forwarder: str) -> dict[tuple[str, int], bool]:
    """(signer, nonce) -> success, from the forwarder's ExecutedForwardRequest events in a receipt.

    `signer` is the indexed topic; nonce and success are the data words."""
    outcomes: dict[tuple[str, int], bool] = {}
    forwarder = forwarder.lower()
    topic = "0x" + EXECUTED_TOPIC.hex()
    for log in receipt.logs:
        topics = log["topics"]
        if log["address"].lower() != forwarder or not topics or topics[0].lower() != topic:
            continue
        nonce, success = executed_outcome(bytes.fromhex(log["data"].removeprefix("0x")))
        outcomes[(to_checksum_address("0x" + topics[1].removeprefix("0x")[24:]), nonce)] = success
    return outcomes


def encode_execute_batch(requests: list[tuple[Any, ...]], refund_receiver: str) -> str:
    """The call data of ERC2771Forwarder.executeBatch(requests, refundReceiver), as hex."""
    return (
        "0x"
        + (
            EXECUTE_BATCH_SELECTOR + encode([f"{_REQUEST_TUPLE}[]", "address"], [requests, refund_receiver])
        ).hex()
    )


# The batch's gas limit: the transaction's own intrinsic gas (base and call data, computed), this much for
# executeBatch around its loop, and for each request its gas, the 1/63 more that the 63/64 rule keeps back
# from a call (so that the target gets all of its gas, or ERC2771Forwarder's check would invalidate the whole
# batch), and this much for the forwarder's work around the call (signature, nonce, event).
BATCH_OVERHEAD_GAS = 60_000
REQUEST_OVERHEAD_GAS = 40_000
MAX_TRIES = 5
BALANCE_CHECK_SECONDS = 60.0
# A custodial request that ran out of gas is sent again with at least this much more than it carried.
OUT_OF_GAS_BUMP_PERCENT = 50
# While the chain does not answer, how often the worker asks it (one cheap call) whether it is back.
OUTAGE_PROBE_SECONDS = 0.5


def batch_gas_limit(request_gases: list[int], call_data: bytes) -> int:
    """The gas limit of an executeBatch transaction carrying requests with these gases (see above)."""
    forwarded = sum(gas + -(-gas // 63) + REQUEST_OVERHEAD_GAS for gas in request_gases)
    return intrinsic_gas(call_data) + BATCH_OVERHEAD_GAS + forwarded


def _fault(point: str) -> None:
    if os.environ.get("CTS_RELAYER_FAULT") == point:
        logger.warning("fault hook: killing the worker %s", point)
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True)
class _Unrunnable:
    """Why a queued action can never run (it is marked so instead of being sent)."""

    status: ActionStatus
    code: str
    detail: str


@dataclass
class _Candidate:
    """What the worker needs of a queued action, read once so that no database transaction stays open
    while it talks to the chain."""

    id: int
    signer: str
    target: str
    calldata: str
    gas: int
    custodial: bool
    request_nonce: int | None
    request_deadline: int | None
    signature: str | None
    encrypted_key: EncryptedKey | None
    # Where the gas ledger counts its gas, and how much it counts: the gas as read, before any refit.
    ledger_key: LedgerKey | None
    ledger_gas: int
    previous_code: str | None = None
    # Simulate it again before signing it: its estimate from acceptance may not fit the state any more.
    resimulate: bool = False

    @classmethod
    def all_of(cls, session: Session, actions: list[RelayAction]) -> list[_Candidate]:
        """Candidates for the chosen actions, with the custodial wallets read in one query."""
        user_ids = {a.user_id for a in actions if a.custodial and a.user_id is not None}
        wallets = {
            wallet.user_id: wallet
            for wallet in session.scalars(select(Wallet).where(Wallet.user_id.in_(user_ids)))
        }
        return [
            cls.of(action, wallets.get(action.user_id) if action.user_id is not None else None)
            for action in actions
        ]

    @classmethod
    def of(cls, action: RelayAction, wallet: Wallet | None) -> _Candidate:
        key = None
        if action.custodial and wallet is not None and wallet.address == action.signer:
            key = read_encrypted_key(wallet)
        return cls(
            id=action.id,
            signer=action.signer,
            target=action.target,
            calldata=action.calldata,
            gas=action.gas,
            custodial=action.custodial,
            request_nonce=None if action.request_nonce is None else int(action.request_nonce),
            request_deadline=action.request_deadline,
            signature=action.signature,
            encrypted_key=key,
            ledger_key=LedgerKey.of(action),
            ledger_gas=action.gas,
            previous_code=action.error_code,
            resimulate=action.custodial and action.tries > 0,
        )


@dataclass
class SponsorView:
    """What the status endpoint shows of a sponsor account."""

    address: str
    balance_wei: int | None
    low: bool
    leased_by: str | None


@dataclass
class RelayerWorker:
    settings: Settings
    session_factory: sessionmaker[Session]
    chain: ChainConnection
    worker_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    sponsors: dict[str, LocalAccount] = field(default_factory=dict)
    _last_balance_check: float = 0.0
    explainer: FailureExplainer = field(init=False)
    # Batch id -> when its nonce was first seen used at the head block with no receipt (see _judged_lost).
    _used_at_head_since: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.explainer = FailureExplainer(self.chain.w3)
        if not self.sponsors:
            for key in self.settings.sponsor_keys():
                account = Account.from_key(key)
                self.sponsors[account.address] = account

    # ------------------------------------------------------------ loop

    def run_forever(self, stop: threading.Event) -> None:
        """Work until `stop` is set; while the chain does not answer, wait for it and resume at once.

        The leases on the sponsor accounts are renewed by a heartbeat thread as long as the process lives
        (a pass that waits on a slow node keeps them), so they can be short: a worker killed outright is
        replaced within CTS_RELAYER_LEASE_SECONDS.
        """
        heartbeat = threading.Thread(
            target=self._heartbeat, args=(stop,), name=f"relayer-lease-{self.worker_id}", daemon=True
        )
        heartbeat.start()
        outage_since: float | None = None
        try:
            while not stop.is_set():
                try:
                    busy = self.run_once()
                except UNREACHABLE_ERRORS as error:
                    if outage_since is None:
                        outage_since = time.monotonic()
                        logger.warning(
                            "relayer: %s; queued actions wait, and the worker asks again every %.1f s",
                            describe_unreachable(error),
                            OUTAGE_PROBE_SECONDS,
                        )
                    self._await_chain(stop)
                    continue
                except Exception:
                    logger.exception("relayer: unexpected error in the worker loop")
                    stop.wait(1.0)
                    continue
                if outage_since is not None:
                    logger.warning(
                        "relayer: the chain answers again after %.1f s; sending resumes",
                        time.monotonic() - outage_since,
                    )
                    outage_since = None
                if not busy:
                    stop.wait(self.settings.relayer_poll_seconds)
        finally:
            stop.set()
            heartbeat.join(timeout=5)

    def _await_chain(self, stop: threading.Event) -> None:
        """Return as soon as the node answers a cheap call (or `stop` is set). A node that hangs holds each
        call for the RPC timeout; one that refuses connections is asked again every OUTAGE_PROBE_SECONDS."""
        while not stop.is_set():
            if self.chain.is_reachable():
                return
            stop.wait(OUTAGE_PROBE_SECONDS)

    def _heartbeat(self, stop: threading.Event) -> None:
        """Renew this worker's leases a few times per lease period until `stop` is set."""
        interval = max(self.settings.relayer_lease_seconds / 3, 0.05)
        while not stop.wait(interval):
            try:
                self.renew_leases()
            except Exception:
                logger.exception("relayer: could not renew the sponsor leases")

    def run_once(self) -> int:
        """One pass: recover, track and dispatch for every sponsor this worker holds; returns work done."""
        done = 0
        for address in self._hold_leases():
            done += self._resend_prepared(address)
            done += self._track(address)
            done += self._dispatch(address)
        if time.monotonic() - self._last_balance_check > BALANCE_CHECK_SECONDS:
            self.check_balances()
        return done

    def drain(self, timeout: float = 60.0) -> None:
        """Run until no action is queued or submitted (tests and the command line's `--until-idle`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.run_once():
                continue  # more may be ready at once (a person's next action, once the last one is mined)
            with self.session_factory() as session:
                live = session.scalar(
                    select(func.count())
                    .select_from(RelayAction)
                    .where(RelayAction.status.in_((ActionStatus.QUEUED, ActionStatus.SUBMITTED)))
                )
            if not live:
                return
            time.sleep(0.05)
        raise TimeoutError("the relayer did not finish its queue in time")

    # ------------------------------------------------------------ leases

    def _hold_leases(self) -> list[str]:
        """Take or renew the lease of each configured sponsor that no other live worker holds."""
        held = []
        now = utcnow()
        expires = now + timedelta(seconds=self.settings.relayer_lease_seconds)
        with self.session_factory() as session:
            for address in self.sponsors:
                if session.get(SponsorAccount, address) is None:
                    try:
                        with session.begin_nested():
                            session.add(SponsorAccount(address=address, next_nonce=0))
                    except IntegrityError:
                        pass  # another worker created it first
                result = session.execute(
                    update(SponsorAccount)
                    .where(
                        SponsorAccount.address == address,
                        (SponsorAccount.lease_owner.is_(None))
                        | (SponsorAccount.lease_owner == self.worker_id)
                        | (SponsorAccount.lease_expires_at < now),
                    )
                    .values(lease_owner=self.worker_id, lease_expires_at=expires)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    held.append(address)
            session.commit()
            for address in held:
                account = session.get(SponsorAccount, address)
                assert account is not None
                # The chain's pending count is the floor: a nonce below it is used (by us, earlier).
                chain_nonce = self.chain.w3.eth.get_transaction_count(to_checksum_address(address), "pending")
                if chain_nonce > account.next_nonce:
                    account.next_nonce = chain_nonce
            session.commit()
        return held

    def renew_leases(self) -> None:
        """Extend the leases this worker holds (never takes one: that is _hold_leases's job)."""
        expires = utcnow() + timedelta(seconds=self.settings.relayer_lease_seconds)
        with self.session_factory() as session:
            session.execute(
                update(SponsorAccount)
                .where(SponsorAccount.lease_owner == self.worker_id)
                .values(lease_expires_at=expires)
            )
            session.commit()

    def release_leases(self) -> None:
        with self.session_factory() as session:
            session.execute(
                update(SponsorAccount)
                .where(SponsorAccount.lease_owner == self.worker_id)
                .values(lease_owner=None, lease_expires_at=None)
            )
            session.commit()

    # ------------------------------------------------------------ dispatch

    def _dispatch(self, sponsor: str) -> int:
        """Put the oldest queued actions in one batch at the sponsor's next nonce, write it down, send it.

        The slow part (reading forwarder nonces, signing) happens before the write transaction, so the
        database's write lock is held only for the claim and the nonce reservation; a claim that loses a
        race to another worker is simply dropped and retried on the next pass.
        """
        with self.session_factory() as session:
            in_flight = session.scalar(
                select(func.count())
                .select_from(Batch)
                .where(Batch.sponsor == sponsor, Batch.status.in_((BatchStatus.PREPARED, BatchStatus.SENT)))
            )
            if (in_flight or 0) >= self.settings.relayer_max_in_flight:
                return 0
            chosen = _Candidate.all_of(session, self._choose_actions(session))
            self._mark_stale_estimates(session, chosen)
        if not chosen:
            return 0
        chain_now, nonces, estimates = self._read_chain(chosen)
        requests: list[tuple[Any, ...]] = []
        included: list[_Candidate] = []
        unrunnable: list[tuple[_Candidate, _Unrunnable]] = []
        ran_before: list[tuple[_Candidate, RanElsewhere]] = []
        for candidate in chosen:
            if (
                candidate.custodial
                and candidate.request_nonce is not None
                and candidate.request_nonce < nonces[candidate.signer]
            ):
                # Its request ran after all (its batch was judged lost, yet mined): record that run and
                # never sign the action again, or it would run twice (issue 15, docs/relayer.md).
                elsewhere = self._ran_elsewhere(candidate.signer, candidate.request_nonce)
                ran_before.append((candidate, elsewhere or RanElsewhere()))
                continue
            if candidate.custodial and candidate.resimulate:
                candidate.gas = self._fitted_gas(candidate, estimates.get(candidate.id))
            outcome = self._request_data(candidate, chain_now, nonces[candidate.signer])
            if isinstance(outcome, _Unrunnable):
                unrunnable.append((candidate, outcome))
            elif outcome is not None:
                requests.append(outcome)
                included.append(candidate)
        fees = self._initial_fees() if included else None
        with self.session_factory() as session:
            for candidate, elsewhere in ran_before:
                self._record_ran_before(session, candidate.id, elsewhere)
            expired: list[tuple[LedgerKey | None, int]] = []
            for candidate, reason in unrunnable:
                ended = session.execute(
                    update(RelayAction)
                    .where(RelayAction.id == candidate.id, RelayAction.status == ActionStatus.QUEUED)
                    .values(status=reason.status, error_code=reason.code, error_detail=reason.detail)
                )
                if reason.status == ActionStatus.EXPIRED and ended.rowcount == 1:  # type: ignore[attr-defined]
                    expired.append((candidate.ledger_key, -candidate.ledger_gas))
            gas_ledger.adjust(session, expired)
            if not included or fees is None:
                session.commit()
                return len(unrunnable) + len(ran_before)
            account = session.get(SponsorAccount, sponsor, with_for_update=True)
            assert account is not None
            nonce = account.next_nonce
            call_data = encode_execute_batch(requests, sponsor)
            gas_limit = batch_gas_limit([int(r[3]) for r in requests], bytes.fromhex(call_data[2:]))
            batch = Batch(
                sponsor=sponsor,
                nonce=nonce,
                status=BatchStatus.PREPARED,
                gas_limit=gas_limit,
                call_data=call_data,
            )
            session.add(batch)
            account.next_nonce = nonce + 1
            session.flush()
            attempt = self._sign_attempt(batch, 1, *fees)
            session.add(attempt)
            for candidate in included:
                claimed = session.execute(
                    update(RelayAction)
                    .where(
                        RelayAction.id == candidate.id,
                        RelayAction.status == ActionStatus.QUEUED,
                        RelayAction.gas == candidate.ledger_gas,  # as read: the ledger moves by the refit
                    )
                    .values(
                        status=ActionStatus.SUBMITTED,
                        batch_id=batch.id,
                        tries=RelayAction.tries + 1,
                        request_nonce=candidate.request_nonce,
                        request_deadline=candidate.request_deadline,
                        gas=candidate.gas,  # what the signed request carries (custodial: fitted just now)
                    )
                    .execution_options(synchronize_session=False)
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    session.rollback()  # another worker claimed it first; try again next pass
                    return 0
            gas_ledger.adjust(session, [(c.ledger_key, c.gas - c.ledger_gas) for c in included])
            session.commit()
            _fault("after_persist")
            self._send(session, attempt)
            _fault("after_send")
            return len(included)

    def _record_ran_before(self, session: Session, action_id: int, elsewhere: RanElsewhere) -> None:
        """Record the run of a queued action's earlier request; while that run's event is not visible
        yet, the action waits (up to ELSEWHERE_PATIENCE), still never signed again."""
        action = session.get(RelayAction, action_id)
        if action is None or action.status != ActionStatus.QUEUED:
            return
        if elsewhere.success is None and utcnow() - action.updated_at < ELSEWHERE_PATIENCE:
            return
        logger.warning(
            "relayer: action %s was queued again, yet its request %s had run; recording that run",
            action.id,
            action.request_nonce,
        )
        self._record_elsewhere(action, elsewhere)

    def _choose_actions(self, session: Session) -> list[RelayAction]:
        """Queued actions, fairly between hromadas (each hromada's oldest first, then each one's second...,
        so that one hromada's thousand queued actions never hold back another's one), at most one per
        signer, none for a signer with an action in flight."""
        busy = set(
            session.scalars(
                select(RelayAction.signer).where(RelayAction.status == ActionStatus.SUBMITTED)
            ).all()
        )
        turn = func.row_number().over(partition_by=RelayAction.hromada, order_by=RelayAction.id).label("turn")
        queued = select(RelayAction.id, turn).where(RelayAction.status == ActionStatus.QUEUED).subquery()
        candidates = session.scalars(
            select(RelayAction)
            .join(queued, queued.c.id == RelayAction.id)
            .order_by(queued.c.turn, RelayAction.id)
            .limit(self.settings.relayer_batch_size * 4)
        ).all()
        chosen: list[RelayAction] = []
        for action in candidates:
            if action.signer in busy:
                continue
            busy.add(action.signer)
            chosen.append(action)
            if len(chosen) == self.settings.relayer_batch_size:
                break
        return chosen

    def _mark_stale_estimates(self, session: Session, chosen: list[_Candidate]) -> None:
        """Mark the custodial candidates whose gas must be simulated again before they are signed: those
        sent before (they ran out of gas, or their batch was lost), and those of a person with another
        action that ended after this one was accepted (issue 15: a ballot accepted while the person's
        earlier ballot waited needs more gas once that one has run). The others' estimates are of the state
        they run in, as far as their own person goes; what others change meanwhile (an approval that an
        earlier one in the same batch brings to the quorum) shows as out of gas, and the request is sent
        again with gas simulated then."""
        signers = {c.signer for c in chosen if c.custodial and not c.resimulate}
        if not signers:
            return
        ended = dict(
            session.execute(
                select(RelayAction.signer, func.max(RelayAction.updated_at))
                .where(
                    RelayAction.signer.in_(signers),
                    RelayAction.status.in_(
                        (ActionStatus.CONFIRMED, ActionStatus.FAILED, ActionStatus.EXPIRED)
                    ),
                )
                .group_by(RelayAction.signer)
            ).all()
        )
        created = dict(
            session.execute(
                select(RelayAction.id, RelayAction.created_at).where(
                    RelayAction.id.in_([c.id for c in chosen if c.signer in ended])
                )
            ).all()
        )
        for candidate in chosen:
            last = ended.get(candidate.signer)
            if candidate.custodial and last is not None and last >= created.get(candidate.id, last):
                candidate.resimulate = True

    def _read_chain(self, chosen: list[_Candidate]) -> tuple[int, dict[str, int], dict[int, int | None]]:
        """The latest block's time, each signer's forwarder nonce and the gas each custodial action needs
        now (None where its simulation fails; only for those marked to resimulate), in one JSON-RPC batch.

        Sent as a raw batch: web3's per-call formatters cost more CPU than the node's answers (a batch of
        50 signers took about 65 ms through them). The gas is simulated against the state the request will
        run in, not the one it was accepted in: earlier actions of the same person have run since (one
        action per signer is in flight at a time), and they can change what this one costs (issue 15: a
        revised ballot must first take back the credits of the ballot before it)."""
        signers = sorted({c.signer for c in chosen})
        custodial = [c for c in chosen if c.custodial and c.resimulate]
        forwarder = self.chain.forwarder.address
        calls: list[tuple[Any, Any]] = [("eth_getBlockByNumber", ["latest", False])]
        calls += [
            (
                "eth_call",
                [
                    {"to": forwarder, "data": "0x" + (NONCES_SELECTOR + encode(["address"], [s])).hex()},
                    "latest",
                ],
            )
            for s in signers
        ]
        calls += [
            ("eth_estimateGas", [{"from": c.signer, "to": c.target, "data": c.calldata}]) for c in custodial
        ]
        responses = self.chain.w3.provider.make_batch_request(calls)  # type: ignore[attr-defined]
        if not isinstance(responses, list) or len(responses) != len(calls):
            raise Web3RPCError(f"the node answered a batch of {len(calls)} calls with {responses!r}")
        reads = responses[: 1 + len(signers)]
        for response in reads:
            if "error" in response or response.get("result") is None:
                raise Web3RPCError(f"the node refused a read: {response.get('error')!r}")
        block, *values = (response["result"] for response in reads)
        nonces = {signer: int(value, 16) for signer, value in zip(signers, values, strict=True)}
        estimates: dict[int, int | None] = {}
        for candidate, response in zip(custodial, responses[1 + len(signers) :], strict=True):
            result = response.get("result") if "error" not in response else None
            estimates[candidate.id] = int(result, 16) if isinstance(result, str) else None
        return int(block["timestamp"], 16), nonces, estimates

    def _fitted_gas(self, candidate: _Candidate, estimate: int | None) -> int:
        """The gas a custodial request is signed with: what it needs in the current state, with the margin.

        A simulation that fails now (the contract would refuse it in this state) keeps the gas it was
        accepted with: the request is sent all the same and the chain decides, so that its refusal, if it
        comes, is the one it meets when it runs (an earlier batch still in flight may change the state).
        After running out of gas it carries at least half as much again as the time before: its gas may
        depend on an earlier request of the same batch, which its simulation cannot see."""
        gas = candidate.gas if estimate is None else request_gas(estimate)
        if candidate.previous_code == OUT_OF_GAS:
            gas = max(gas, candidate.gas * (100 + OUT_OF_GAS_BUMP_PERCENT) // 100)
        return gas

    def _request_data(
        self, candidate: _Candidate, chain_now: int, chain_nonce: int
    ) -> tuple[Any, ...] | _Unrunnable | None:
        """The signed ForwardRequestData for an action; _Unrunnable if it can never run; None if it must
        wait (a self-signed request whose nonce comes after another's)."""
        data = bytes.fromhex(candidate.calldata[2:])
        if candidate.custodial:
            if candidate.encrypted_key is None:
                return _Unrunnable(
                    ActionStatus.FAILED, "signer_unavailable", "The account that asked is gone."
                )
            request = ForwardRequest(
                sender=candidate.signer,
                to=candidate.target,
                data=data,
                gas=candidate.gas,
                nonce=chain_nonce,
                deadline=chain_now + self.settings.relayer_request_ttl_seconds,
            )
            key = decrypt_private_key(candidate.encrypted_key, self.settings.master_key)
            signature = request.sign(self.chain.domain, key)
            candidate.request_nonce = request.nonce
            candidate.request_deadline = request.deadline
            return request.as_request_data(signature)
        assert candidate.request_nonce is not None and candidate.request_deadline is not None
        assert candidate.signature is not None
        if candidate.request_deadline <= chain_now:
            return _Unrunnable(
                ActionStatus.EXPIRED,
                "request_expired",
                "The signed request expired before it could be sent.",
            )
        if candidate.request_nonce != chain_nonce:
            if candidate.request_nonce < chain_nonce:
                return _Unrunnable(
                    ActionStatus.FAILED, "nonce_used", "The signed request's nonce was used meanwhile."
                )
            return None  # a later nonce waits for the earlier one
        request = ForwardRequest(
            sender=candidate.signer,
            to=candidate.target,
            data=data,
            gas=candidate.gas,
            nonce=candidate.request_nonce,
            deadline=candidate.request_deadline,
        )
        return request.as_request_data(bytes.fromhex(candidate.signature[2:]))

    # ------------------------------------------------------------ fees, signing, sending

    def _initial_fees(self) -> tuple[int, int] | None:
        base_fee = int(self.chain.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
        priority = self.settings.relayer_priority_fee_wei
        cap = self.settings.relayer_max_fee_per_gas_wei
        if base_fee + priority > cap:
            logger.warning("relayer: base fee %d wei is above the fee cap %d; waiting", base_fee, cap)
            return None
        return min(2 * base_fee + priority, cap), priority

    def _sign_attempt(self, batch: Batch, number: int, max_fee: int, priority: int) -> BatchAttempt:
        tx: dict[str, Any] = {
            "from": batch.sponsor,
            "to": self.chain.forwarder.address,
            "data": batch.call_data,
            "nonce": batch.nonce,
            "gas": batch.gas_limit,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": priority,
            "chainId": self.chain.manifest.chain_id,
            "value": 0,
            "type": 2,
        }
        signed = self.sponsors[batch.sponsor].sign_transaction(tx)
        return BatchAttempt(
            batch_id=batch.id,
            attempt=number,
            tx_hash="0x" + bytes(signed.hash).hex(),
            raw_tx="0x" + bytes(signed.raw_transaction).hex(),
            max_fee_per_gas=max_fee,
            max_priority_fee_per_gas=priority,
        )

    def _send(self, session: Session, attempt: BatchAttempt) -> None:
        """Send a persisted attempt; a node that already has it (or its nonce) is not an error."""
        try:
            self.chain.w3.eth.send_raw_transaction(HexBytes(attempt.raw_tx))
            _fault("after_raw_send")
        except UNREACHABLE_ERRORS:
            logger.warning(
                "relayer: could not send batch %s; it stays prepared and will be resent", attempt.batch_id
            )
            return
        except (Web3RPCError, ValueError) as error:
            message = str(error).lower()
            if not any(s in message for s in NONCE_TAKEN_MESSAGES):
                logger.error("relayer: the node refused batch %s: %s", attempt.batch_id, error)
                return
        attempt.sent_at = utcnow()
        batch = session.get(Batch, attempt.batch_id)
        assert batch is not None
        if batch.status == BatchStatus.PREPARED:
            batch.status = BatchStatus.SENT
        session.commit()

    def _resend_prepared(self, sponsor: str) -> int:
        """After a crash (or an unreachable node): send what was written down but not sent."""
        with self.session_factory() as session:
            batches = session.scalars(
                select(Batch)
                .where(Batch.sponsor == sponsor, Batch.status == BatchStatus.PREPARED)
                .order_by(Batch.nonce)
            ).all()
            for batch in batches:
                self._send(session, batch.attempts[-1])
            return len(batches)

    # ------------------------------------------------------------ receipts and fee bumps

    def _track(self, sponsor: str) -> int:
        done = 0
        with self.session_factory() as session:
            batches = session.scalars(
                select(Batch)
                .where(Batch.sponsor == sponsor, Batch.status == BatchStatus.SENT)
                .order_by(Batch.nonce)
            ).all()
            for batch in batches:
                receipt = self._find_receipt(batch)
                if receipt is not None:
                    self._settle(session, batch, receipt)
                    done += 1
                    continue
                # Every read that judges the batch lost is pinned to one block: read at "latest" one by
                # one, they can straddle the block that mined it (issue 15: an approval ran twice).
                head = int(self.chain.w3.eth.block_number)
                mined_nonce = self.chain.w3.eth.get_transaction_count(to_checksum_address(sponsor), head)
                if mined_nonce > batch.nonce:
                    # The nonce is used, yet by none of our attempts: give the actions back to the queue.
                    receipt = self._find_receipt(batch)
                    if receipt is not None:
                        self._used_at_head_since.pop(batch.id, None)
                        self._settle(session, batch, receipt)
                    elif self._judged_lost(sponsor, batch, head):
                        done += int(self._abandon(session, batch, head))
                    continue
                self._used_at_head_since.pop(batch.id, None)
                done += self._maybe_bump(session, batch)
        return done

    def _judged_lost(self, sponsor: str, batch: Batch, head: int) -> bool:
        """Whether a batch whose sponsor nonce is used at `head`, with no receipt for any attempt, is lost:
        when the nonce was already used a block earlier (that block's receipts are served by now), or when
        it has been seen so for LOST_AT_HEAD_SECONDS (no later block may come on an idle chain)."""
        earlier = head > 0 and (
            self.chain.w3.eth.get_transaction_count(to_checksum_address(sponsor), head - 1) > batch.nonce
        )
        first_seen = self._used_at_head_since.setdefault(batch.id, time.monotonic())
        if earlier and self._find_receipt(batch) is not None:
            return False  # mined by us after all: settled on the next pass
        if earlier or time.monotonic() - first_seen >= LOST_AT_HEAD_SECONDS:
            self._used_at_head_since.pop(batch.id, None)
            return True
        return False

    def _find_receipt(self, batch: Batch) -> Receipt | None:
        for attempt in reversed(batch.attempts):
            response = self.chain.w3.provider.make_request(
                RPCEndpoint("eth_getTransactionReceipt"), [attempt.tx_hash]
            )
            if "error" in response:
                raise Web3RPCError(f"the node refused a receipt: {response['error']!r}")
            if response.get("result") and response["result"].get("blockNumber"):
                return Receipt.from_rpc(response["result"])
        return None

    def _settle(self, session: Session, batch: Batch, receipt: Receipt) -> None:
        batch.mined_block = receipt.block_number
        batch.mined_tx_hash = receipt.tx_hash
        batch.gas_used = receipt.gas_used
        if receipt.status != 1:
            batch.status = BatchStatus.REVERTED
            reason = self._batch_failure(batch, receipt)
            logger.warning("relayer: batch %s reverted in %s: %s", batch.id, receipt.tx_hash, reason)
            for action in batch.actions:
                self._retry_or_fail(
                    action,
                    "batch_reverted",
                    f"The batch transaction failed ({reason}); the action will be sent again.",
                )
            session.commit()
            return
        batch.status = BatchStatus.CONFIRMED
        executed = executed_requests(receipt, self.chain.forwarder.address)
        expired: list[tuple[LedgerKey | None, int]] = []
        for action in batch.actions:
            nonce = -1 if action.request_nonce is None else int(action.request_nonce)
            outcome = executed.get((action.signer, nonce))
            if outcome is not None:
                self._record_run(action, outcome, receipt.tx_hash, receipt.block_number)
            else:
                # Skipped by the forwarder: expired on the way, or its nonce used by another transaction.
                elsewhere = self._ran_elsewhere_action(action)
                if elsewhere is not None:
                    self._record_elsewhere(action, elsewhere)
                elif action.custodial:
                    self._retry_or_fail(
                        action, "request_skipped", "The request expired on the way; it will be sent again."
                    )
                else:
                    self._finish(
                        action,
                        ActionStatus.EXPIRED,
                        "request_expired",
                        "The signed request expired before it ran.",
                    )
                    expired.append((LedgerKey.of(action), -action.gas))
        gas_ledger.adjust(session, expired)
        session.commit()

    def _ran_elsewhere_action(self, action: RelayAction, block: int | None = None) -> RanElsewhere | None:
        if action.request_nonce is None:
            return None
        return self._ran_elsewhere(action.signer, int(action.request_nonce), block)

    def _ran_elsewhere(self, signer: str, nonce: int, block: int | None = None) -> RanElsewhere | None:
        """None if the forwarder has not used the signer's request nonce by `block` (default: the latest;
        sending it again is safe); otherwise where and how it ran, from the forwarder's
        ExecutedForwardRequest events up to that block."""
        signer = to_checksum_address(signer)
        forwarder = self.chain.forwarder.address
        high = int(self.chain.w3.eth.block_number) if block is None else block
        used = self.chain.w3.eth.call(
            {"to": forwarder, "data": NONCES_SELECTOR + encode(["address"], [signer])}, high
        )
        if int.from_bytes(bytes(used), "big") <= nonce:
            return None
        signer_topic = "0x" + encode(["address"], [signer]).hex()
        floor = max(0, high - ELSEWHERE_LOOKBACK_BLOCKS)
        while high >= floor:
            low = max(floor, high - ELSEWHERE_PAGE_BLOCKS + 1)
            logs = self.chain.w3.eth.get_logs(
                {
                    "address": forwarder,
                    "fromBlock": low,
                    "toBlock": high,
                    "topics": ["0x" + EXECUTED_TOPIC.hex(), signer_topic],
                }
            )
            for log in logs:
                logged_nonce, success = executed_outcome(bytes(log["data"]))
                if logged_nonce == nonce:
                    return RanElsewhere(
                        success=success,
                        tx_hash="0x" + bytes(log["transactionHash"]).hex().removeprefix("0x"),
                        block=int(log["blockNumber"]),
                    )
            high = low - 1
        return RanElsewhere()

    def _record_run(self, action: RelayAction, success: bool, tx_hash: str | None, block: int | None) -> None:
        """The action's request ran on chain, in `tx_hash`: confirmed, or failed for the reason found."""
        if success:
            action.status = ActionStatus.CONFIRMED
            action.error_code = action.error_detail = None
            action.tx_hash = tx_hash
            action.block_number = block
            return
        failure = self._explain(action, tx_hash, block)
        detail = failure.detail(int(action.gas))
        if failure.kind != "refused" and action.custodial:
            # Out of gas, or a failure that cannot be explained, is never reported as a refusal: the worker
            # signs the request again (fresh nonce, gas fitted to the state then) and sends it again.
            self._retry_or_fail(action, failure.code, detail)
            if action.status == ActionStatus.QUEUED:
                # Its request ran: a queued action's request nonce names one not seen running (dispatch
                # records such a request's run instead of signing the action again).
                action.request_nonce = None
        else:
            self._finish(action, ActionStatus.FAILED, failure.code, detail)
        if action.status == ActionStatus.FAILED:
            action.tx_hash = tx_hash
            action.block_number = block

    def _explain(self, action: RelayAction, tx_hash: str | None, block: int | None) -> Failure:
        """Why the action's request failed in `tx_hash` (cts.relayer.outcomes)."""
        if tx_hash is None or block is None:
            return Failure("unexplained", "no transaction")
        run = RequestRun(
            signer=to_checksum_address(action.signer),
            target=to_checksum_address(action.target),
            data=bytes.fromhex(action.calldata.removeprefix("0x")),
            gas=int(action.gas),
        )
        try:
            return self.explainer.explain(tx_hash, block, [run])[run]
        except UNREACHABLE_ERRORS:
            raise
        except Exception:
            logger.exception("relayer: could not find out why action %s failed", action.id)
            return Failure("unexplained", "error")

    def _batch_failure(self, batch: Batch, receipt: Receipt) -> str:
        """Why a whole batch transaction reverted, in a few words for the log and the actions' detail."""
        if receipt.gas_used >= batch.gas_limit:
            return "it ran out of gas"
        try:
            forwarder = self.chain.forwarder.address
            return self.explainer.explain_transaction(
                batch.sponsor, forwarder, batch.call_data, batch.gas_limit, receipt.block_number
            )
        except UNREACHABLE_ERRORS:
            raise
        except Exception:
            logger.exception("relayer: could not find out why batch %s reverted", batch.id)
            return "reason unknown"

    def _record_elsewhere(self, action: RelayAction, elsewhere: RanElsewhere) -> None:
        """Give an action the outcome of the transaction its request ran in; when that transaction's event
        cannot be found, the action fails saying so (it is never sent again)."""
        if elsewhere.success is None:
            self._finish(
                action,
                ActionStatus.FAILED,
                "outcome_unknown",
                "The request ran in a transaction the relayer could not find; it was not sent again.",
            )
            return
        self._record_run(action, elsewhere.success, elsewhere.tx_hash, elsewhere.block)

    def _abandon(self, session: Session, batch: Batch, block: int) -> bool:
        """The batch's sponsor nonce is used, at `block`, by none of its attempts: send its actions again,
        except those whose request the forwarder already ran by that block (a receipt the node is slow to
        show, or somebody else relayed it). Returns False, changing nothing, while such a request's event
        is not visible yet."""
        outcomes = {action.id: self._ran_elsewhere_action(action, block) for action in batch.actions}
        unseen = any(o is not None and o.success is None for o in outcomes.values())
        if unseen and utcnow() - batch.created_at < ELSEWHERE_PATIENCE:
            session.rollback()
            return False
        batch.status = BatchStatus.ABANDONED
        for action in batch.actions:
            elsewhere = outcomes[action.id]
            if elsewhere is not None:
                self._record_elsewhere(action, elsewhere)
            else:
                self._retry_or_fail(
                    action, "batch_lost", "The transaction was lost; the action will be sent again."
                )
        session.commit()
        return True

    def _maybe_bump(self, session: Session, batch: Batch) -> int:
        last = batch.attempts[-1]
        if last.sent_at is None:
            self._send(session, last)
            return 1
        waited = (utcnow() - last.sent_at).total_seconds()
        if waited < self.settings.relayer_resubmit_after_seconds:
            return 0
        cap = self.settings.relayer_max_fee_per_gas_wei
        old_fee, old_tip = int(last.max_fee_per_gas), int(last.max_priority_fee_per_gas)
        if old_fee >= cap:
            return 0  # at the hard cap: keep waiting, never pay more
        factor = 100 + self.settings.relayer_fee_bump_percent
        base_fee = int(self.chain.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
        new_tip = min(old_tip * factor // 100 + 1, cap)
        new_fee = min(max(old_fee * factor // 100 + 1, 2 * base_fee + new_tip), cap)
        attempt = self._sign_attempt(batch, last.attempt + 1, new_fee, min(new_tip, new_fee))
        session.add(attempt)
        session.commit()  # persisted before it is sent, like the first
        logger.info(
            "relayer: batch %s not mined after %.0f s; resending at %d wei/gas", batch.id, waited, new_fee
        )
        self._send(session, attempt)
        return 1

    # ------------------------------------------------------------ outcomes

    def _finish(self, action: RelayAction, status: ActionStatus, code: str, detail: str) -> None:
        action.status = status
        action.error_code = code
        action.error_detail = detail

    def _retry_or_fail(self, action: RelayAction, code: str, detail: str) -> None:
        if action.custodial and action.tries < MAX_TRIES:
            action.status = ActionStatus.QUEUED
            action.batch_id = None
            action.error_code = code
            action.error_detail = detail
        else:
            self._finish(action, ActionStatus.FAILED, code, detail)

    # ------------------------------------------------------------ sponsor balances

    def check_balances(self) -> list[SponsorView]:
        """Read each sponsor's balance; log a warning for each one below the alert threshold."""
        self._last_balance_check = time.monotonic()
        views = []
        with self.session_factory() as session:
            for address in self.sponsors:
                account = session.get(SponsorAccount, address)
                if account is None:
                    continue
                try:
                    balance = int(self.chain.w3.eth.get_balance(to_checksum_address(address)))
                except (*UNREACHABLE_ERRORS, Web3Exception):  # type: ignore[misc]
                    continue
                account.balance_wei = balance
                account.balance_checked_at = utcnow()
                low = balance < self.settings.relayer_low_balance_wei
                if low:
                    logger.warning(
                        "relayer: sponsor %s balance is low: %d wei (alert below %d)",
                        address,
                        balance,
                        self.settings.relayer_low_balance_wei,
                    )
                views.append(SponsorView(address, balance, low, account.lease_owner))
            session.commit()
        return views
