"""After a restore: the actions live at backup time that ran on chain since, found from the forwarder's
events, are recorded as run before the worker could send them again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cts.backup.files import LOG_PAGE_BLOCKS, SIGNERS_PER_QUERY, BackupError, live_actions
from cts.core.config import Settings


@dataclass
class Reconciliation:
    """What reading the chain changed in a restored database."""

    confirmed: list[str] = field(default_factory=list)  # public ids of live actions found to have run
    unknown_runs: int = 0  # requests of the signers that ran after the backup and match no action of it
    skipped: bool = False


# ---------------------------------------------------------------------------------------- the chain


def chain_for(settings: Settings) -> Any:
    from web3.exceptions import Web3Exception

    from cts.chain.client import connect

    w3 = connect(settings.rpc_url, timeout=max(settings.rpc_timeout_seconds, 30))
    try:
        _ = w3.eth.block_number
    except (OSError, Web3Exception, ValueError) as error:
        raise BackupError(
            "the backup holds actions that were queued or in flight; the restore reads the chain to find "
            "those the old service sent after the backup (so that none is sent twice), and the chain does "
            f"not answer at CTS_RPC_URL ({type(error).__name__}). Start or reach it, or pass --no-chain if "
            "the old service sent nothing after the backup; nothing was restored"
        ) from None
    return w3


def reconcile_if_needed(
    session: Session,
    settings: Settings,
    summary: dict[str, Any],
    *,
    use_chain: bool,
    say: Callable[[str], None],
) -> Reconciliation:
    live = live_actions(summary)
    if not live:
        return Reconciliation()
    if not use_chain:
        say(
            f"{live} actions were queued or in flight at backup time; not checked with the chain "
            "(--no-chain): any the old service sent after the backup would be sent again"
        )
        return Reconciliation(skipped=True)
    result = reconcile_with_chain(session, chain_for(settings))
    session.commit()
    return result


@dataclass(frozen=True)
class _Run:
    """One request the forwarder executed: its signer's nonce, outcome, transaction, call."""

    signer: str
    nonce: int
    success: bool
    tx_hash: str
    block: int
    log_index: int
    target: str | None = None
    data: str | None = None


def reconcile_with_chain(session: Session, w3: Any) -> Reconciliation:
    """Mark as confirmed each live action of the restored database whose call already ran on chain after
    the backup (see the module's docstring). Leaves the session's changes uncommitted."""
    from eth_abi.abi import decode, encode
    from eth_utils.abi import function_signature_to_4byte_selector
    from eth_utils.address import to_checksum_address

    from cts.models import ActionStatus, Batch, Hromada, RelayAction
    from cts.relayer.worker import EXECUTED_TOPIC, executed_outcome

    request = "(address,address,uint256,uint256,uint48,bytes,bytes)"
    batch_selector = function_signature_to_4byte_selector(f"executeBatch({request}[],address)")
    single_selector = function_signature_to_4byte_selector(f"execute({request})")

    result = Reconciliation()
    hromadas = {h.slug: h for h in session.scalars(select(Hromada))}
    live = session.scalars(
        select(RelayAction)
        .where(RelayAction.status.in_((ActionStatus.QUEUED, ActionStatus.SUBMITTED)))
        .order_by(RelayAction.id)
    ).all()
    if not live:
        return result
    chain_id = int(w3.eth.chain_id)
    foreign = {h.chain_id for h in hromadas.values() if h.slug in {a.hromada for a in live}} - {chain_id}
    if foreign:
        raise BackupError(
            f"the node at CTS_RPC_URL is chain {chain_id}; the backup's hromadas are on chain "
            f"{', '.join(map(str, sorted(foreign)))}; nothing was restored"
        )
    # The signers to look at, per forwarder, and the request nonces the backup already knows of them.
    signers: dict[str, set[str]] = defaultdict(set)
    for action in live:
        hromada = hromadas.get(action.hromada)
        if hromada is not None and hromada.forwarder:
            signers[to_checksum_address(hromada.forwarder)].add(to_checksum_address(action.signer))
    everyone = {s for group in signers.values() for s in group}
    known: dict[str, set[int]] = defaultdict(set)
    for signer, nonce, custodial, status in session.execute(
        select(
            RelayAction.signer, RelayAction.request_nonce, RelayAction.custodial, RelayAction.status
        ).where(
            func.lower(RelayAction.signer).in_([s.lower() for s in everyone]),
            RelayAction.request_nonce.is_not(None),
        )
    ).all():
        # A queued self-signed request's nonce is not used yet; every other recorded one was.
        if nonce is not None and (custodial or status != ActionStatus.QUEUED):
            known[to_checksum_address(signer)].add(int(nonce))
    # From the last block the backup knows of (anything sent after it is mined after it).
    last_mined = session.scalar(select(func.max(Batch.mined_block)))
    deployed = [int(h.deployed_block) for h in hromadas.values() if h.deployed_block is not None]
    start = int(last_mined) if last_mined is not None else min(deployed, default=0)
    head = int(w3.eth.block_number)

    runs: dict[tuple[str, str], list[_Run]] = defaultdict(list)  # (forwarder, signer) -> runs, in order
    topic = "0x" + EXECUTED_TOPIC.hex()
    for forwarder, group in signers.items():
        ordered = sorted(group)
        for first in range(0, len(ordered), SIGNERS_PER_QUERY):
            topics = [
                "0x" + encode(["address"], [s]).hex() for s in ordered[first : first + SIGNERS_PER_QUERY]
            ]
            for low in range(start, head + 1, LOG_PAGE_BLOCKS):
                logs = w3.eth.get_logs(
                    {
                        "address": forwarder,
                        "fromBlock": low,
                        "toBlock": min(head, low + LOG_PAGE_BLOCKS - 1),
                        "topics": [topic, topics],
                    }
                )
                for log in logs:
                    signer = to_checksum_address("0x" + bytes(log["topics"][1])[-20:].hex())
                    nonce, success = executed_outcome(bytes(log["data"]))
                    runs[(forwarder, signer)].append(
                        _Run(
                            signer,
                            nonce,
                            success,
                            "0x" + bytes(log["transactionHash"]).hex().removeprefix("0x"),
                            int(log["blockNumber"]),
                            int(log["logIndex"]),
                        )
                    )

    transactions: dict[str, list[tuple[str, str, str]]] = {}

    def requests_in(tx_hash: str, forwarder: str) -> list[tuple[str, str, str]]:
        """(from, to, data hex) of the requests a transaction handed to the forwarder, in order."""
        if tx_hash not in transactions:
            tx = w3.eth.get_transaction(tx_hash)
            data = bytes(tx["input"])
            found: list[tuple[str, str, str]] = []
            if tx.get("to") and to_checksum_address(tx["to"]) == forwarder:
                try:
                    if data[:4] == batch_selector:
                        items = decode([f"{request}[]", "address"], data[4:])[0]
                    elif data[:4] == single_selector:
                        items = [decode([request], data[4:])[0]]
                    else:
                        items = []
                except Exception:
                    items = []
                found = [
                    (to_checksum_address(item[0]), to_checksum_address(item[1]), "0x" + bytes(item[5]).hex())
                    for item in items
                ]
            transactions[tx_hash] = found
        return transactions[tx_hash]

    def call_of(run: _Run, forwarder: str, same_tx: list[_Run]) -> tuple[str, str] | None:
        """The (contract, call data) that ``run`` executed, when its transaction says so unambiguously."""
        mine = [r for r in requests_in(run.tx_hash, forwarder) if r[0] == run.signer]
        if len(mine) == 1:
            return mine[0][1], mine[0][2].lower()
        if len(mine) == len(same_tx):  # several requests of one signer in one transaction, all of them ran
            index = [r.log_index for r in same_tx].index(run.log_index)
            return mine[index][1], mine[index][2].lower()
        return None

    by_signer: dict[tuple[str, str], list[RelayAction]] = defaultdict(list)
    for action in live:
        hromada = hromadas.get(action.hromada)
        if hromada is not None and hromada.forwarder:
            by_signer[(to_checksum_address(hromada.forwarder), to_checksum_address(action.signer))].append(
                action
            )

    for key, actions in by_signer.items():
        forwarder, signer = key
        signer_runs = sorted(runs.get(key, []), key=lambda r: (r.block, r.log_index))
        by_nonce = {r.nonce: r for r in signer_runs}
        matched: set[int] = set()
        # Self-signed requests carry their nonce: the run at that nonce is theirs.
        for action in actions:
            if action.custodial or action.status != ActionStatus.QUEUED or action.request_nonce is None:
                continue
            run = by_nonce.get(int(action.request_nonce))
            if run is not None and run.success:
                _mark_ran(action, run, ActionStatus.CONFIRMED)
                result.confirmed.append(action.public_id)
            if run is not None:
                matched.add(run.nonce)
        # Custodial requests were signed when sent: a run the backup does not know is matched by its call.
        unknown = [r for r in signer_runs if r.nonce not in known[signer] and r.nonce not in matched]
        for run in unknown:
            if not run.success:
                continue
            same_tx = [r for r in signer_runs if r.tx_hash == run.tx_hash]
            call = call_of(run, forwarder, same_tx)
            if call is None:
                continue
            for action in actions:
                if (
                    action.custodial
                    and action.public_id not in result.confirmed
                    and _may_have_run_unseen(action, by_nonce, ActionStatus.QUEUED)
                    and to_checksum_address(action.target) == call[0]
                    and action.calldata.lower() == call[1]
                ):
                    _mark_ran(action, run, ActionStatus.CONFIRMED)
                    result.confirmed.append(action.public_id)
                    matched.add(run.nonce)
                    break
        result.unknown_runs += sum(1 for r in unknown if r.success and r.nonce not in matched)
    session.flush()
    return result


def _may_have_run_unseen(action: Any, by_nonce: dict[int, _Run], queued: Any) -> bool:
    """Whether a custodial action may have run in a transaction the backup does not know: queued at backup
    time, or submitted with a request that has not run successfully (lost, or out of gas and sent again)."""
    if action.status == queued:
        return True
    own = by_nonce.get(int(action.request_nonce)) if action.request_nonce is not None else None
    return own is None or not own.success


def _mark_ran(action: Any, run: _Run, status: Any) -> None:
    """Record that ``action``'s request ran in ``run`` (final: detached from any batch of the backup, so
    that settling that batch later does not revisit it)."""
    action.status = status
    action.request_nonce = run.nonce
    action.tx_hash = run.tx_hash
    action.block_number = run.block
    action.batch_id = None
    action.error_code = None
    action.error_detail = None
