"""The worker: batching, fee bumps under a hard cap, requests that expire on the way, sponsor alerts."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from conftest import RelayEnv, build_env, h
from sqlalchemy import select
from web3 import Web3

from cts.models import ActionStatus, Batch, BatchStatus, RelayAction


@contextmanager
def automine_off(w3: Web3) -> Iterator[None]:
    """Hold transactions in the node's mempool (as a busy public chain would), then mine again."""
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        yield
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]


def actions(env: RelayEnv) -> list[RelayAction]:
    with env.app.state.session_factory() as session:
        found = list(session.scalars(select(RelayAction).order_by(RelayAction.id)).all())
        session.expunge_all()
        return found


def test_many_residents_actions_go_in_one_batch(env: RelayEnv) -> None:
    residents = env.people.residents
    env.register(*residents)
    programme = env.open_programme()
    ids = []
    for n, resident in enumerate(residents):
        response = env.act(
            resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h(f"batch-{n}")}
        )
        assert response.status_code == 202
        ids.append(response.json()["id"])
    env.worker.drain()
    hashes = {env.status(r, i)["tx_hash"] for r, i in zip(residents, ids, strict=True)}
    assert len(hashes) == 1  # one executeBatch transaction for the three residents
    assert env.hromada.cases.functions.caseCount().call() == 3


def test_a_stuck_batch_is_resent_with_higher_fees_and_runs_once(env: RelayEnv) -> None:
    resident = env.people.residents[0]
    env.register(resident)
    programme = env.open_programme()
    response = env.act(
        resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("stuck")}
    )
    assert response.status_code == 202
    with automine_off(env.w3):
        env.worker.run_once()  # sent, not mined
        assert env.status(resident, response.json()["id"])["status"] == "submitted"
        time.sleep(env.settings.relayer_resubmit_after_seconds + 0.2)
        env.worker.run_once()  # resent at the same nonce, higher fees
        with env.app.state.session_factory() as session:
            action = session.scalars(
                select(RelayAction).where(RelayAction.public_id == response.json()["id"])
            ).one()
            batch = session.get(Batch, action.batch_id)
            assert batch is not None
            attempts = batch.attempts
            assert len(attempts) == 2 and attempts[0].batch_id == attempts[1].batch_id
            assert attempts[1].max_fee_per_gas > attempts[0].max_fee_per_gas
            assert attempts[1].max_priority_fee_per_gas > attempts[0].max_priority_fee_per_gas
            hashes = [a.tx_hash for a in attempts]
        env.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    env.worker.drain()
    assert env.status(resident, response.json()["id"])["status"] == "confirmed"
    mined = [x for x in hashes if _mined(env.w3, x)]
    assert len(mined) == 1  # only one of the two attempts exists on chain
    assert env.hromada.cases.functions.caseCount().call() == 1


def _mined(w3: Web3, tx_hash: str) -> bool:
    try:
        w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    except Exception:
        return False
    return True


@pytest.fixture
def capped_env(make_settings, tmp_path, node, w3, deployer, shared_manifest) -> Iterator[RelayEnv]:  # type: ignore[no-untyped-def]
    built = build_env(
        make_settings, tmp_path, node.url, w3, deployer, shared_manifest, relayer_resubmit_after_seconds=0.2
    )
    with built.client:
        yield built
    built.worker.release_leases()


def test_fee_bumps_stop_at_the_hard_cap(capped_env: RelayEnv) -> None:
    env = capped_env
    resident = env.people.residents[0]
    env.register(resident)
    programme = env.open_programme()
    cap = env.settings.relayer_max_fee_per_gas_wei
    env.act(resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("cap")})
    with automine_off(env.w3):
        for _ in range(40):
            env.worker.run_once()
            time.sleep(0.25)
        with env.app.state.session_factory() as session:
            last_batch = session.scalars(select(Batch).order_by(Batch.id.desc())).first()
            assert last_batch is not None
            fees = [int(a.max_fee_per_gas) for a in last_batch.attempts]
        env.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    env.worker.drain()
    assert fees == sorted(fees) and fees[-1] == cap  # rose to the cap, and never beyond
    assert fees.count(cap) == 1  # at the cap it waits instead of resending


def test_no_batch_is_sent_while_the_base_fee_is_above_the_cap(
    make_settings,
    tmp_path,
    node,
    w3,
    deployer,
    shared_manifest,  # type: ignore[no-untyped-def]
) -> None:
    env = build_env(
        make_settings, tmp_path, node.url, w3, deployer, shared_manifest, relayer_max_fee_per_gas_wei=1
    )
    with env.client:
        response = env.act(
            env.people.council,
            "POST",
            "/api/residents",
            {"user_id": env.people.residents[0].id, "identity_check": "id-1"},
        )
        assert response.status_code == 202
        env.worker.run_once()
        assert env.status(env.people.council, response.json()["id"])["status"] == "queued"
    env.worker.release_leases()


def test_a_request_that_expires_on_the_way_is_signed_again_and_runs(env: RelayEnv) -> None:
    resident = env.people.residents[0]
    env.register(resident)
    programme = env.open_programme()
    response = env.act(
        resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("late")}
    )
    with automine_off(env.w3):
        env.worker.run_once()
        # The block that finally includes it is later than the request's deadline.
        env.w3.provider.make_request("evm_increaseTime", [env.settings.relayer_request_ttl_seconds + 60])  # type: ignore[arg-type]
        env.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    env.worker.run_once()  # the receipt shows the forwarder skipped it: back to the queue, signed afresh
    again = actions(env)[-1]
    assert again.error_code == "request_skipped" and again.tries == 2
    assert again.status in (ActionStatus.QUEUED, ActionStatus.SUBMITTED)
    env.worker.drain()
    assert env.status(resident, response.json()["id"])["status"] == "confirmed"
    assert env.hromada.cases.functions.caseCount().call() == 1


def test_a_batch_whose_receipt_the_node_does_not_show_is_not_run_twice(env: RelayEnv) -> None:
    """A node may count the sponsor's nonce as used before it serves the receipt (seen on Anvil under
    load). The worker must then take the outcome from the forwarder's events, not send the action again:
    a deposit sent twice would be refused (its receipt is used) or, worse, counted twice."""
    env.open_programme()
    fund = env.hromada.fund.functions
    before = fund.ledger().call()
    response = env.act(
        env.people.council,
        "POST",
        "/api/fund/deposits",
        {"amount_kopiyky": 5_000, "source": 0, "source_ref_hash": h("donor"), "receipt_hash": h("lost")},
    )
    assert response.status_code == 202, response.text
    env.worker.run_once()  # sent; its receipt not yet looked at by the worker
    with env.app.state.session_factory() as session:
        action = session.scalars(
            select(RelayAction).where(RelayAction.public_id == response.json()["id"])
        ).one()
        batch = session.get(Batch, action.batch_id)
        assert batch is not None and batch.attempts
        mined_hash = batch.attempts[-1].tx_hash
        # Anvil's automine mines a moment after eth_sendRawTransaction answers, not before: wait for the
        # block, or the worker may still see the request unused and (rightly) sign it again (CI, stop 24).
        assert env.w3.eth.wait_for_transaction_receipt(mined_hash, timeout=30)["status"] == 1
        for attempt in batch.attempts:  # the node "does not know" any of them
            attempt.tx_hash = h(f"unknown-{attempt.id}")
        session.commit()
        batch_id = batch.id
    # Used at the head block only: the receipt may yet come (Anvil serves it a moment after it counts the
    # nonce), so the batch is not judged lost on this pass...
    env.worker.run_once()
    assert _batch_status(env, batch_id) == BatchStatus.SENT
    # ...but once a later block is mined (or LOST_AT_HEAD_SECONDS pass on an idle chain), it is.
    env.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    env.worker.drain()
    assert _batch_status(env, batch_id) == BatchStatus.ABANDONED
    state = env.status(env.people.council, response.json()["id"])
    assert state["status"] == "confirmed", state
    assert state["tx_hash"] == mined_hash
    after = fund.ledger().call()
    assert after[0] - before[0] == 5_000  # deposited once
    assert actions(env)[-1].tries == 1


def test_a_batch_mined_a_moment_before_its_receipt_is_served_is_settled_not_abandoned(env: RelayEnv) -> None:
    """Issue 15 (two workers on PostgreSQL, under load): the worker saw its batch's sponsor nonce used at the
    head block before Anvil served the receipt, and marked its own mined batch abandoned. The actions came out
    right (found by their events), the batch's record did not. The receipt is hidden here for one pass."""
    resident = env.people.residents[0]
    env.register(resident)
    programme = env.open_programme()
    response = env.act(
        resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("slow")}
    )
    assert response.status_code == 202, response.text
    env.worker.run_once()
    with env.app.state.session_factory() as session:
        batch = session.scalars(select(Batch).order_by(Batch.id.desc())).first()
        assert batch is not None
        real_hash, batch_id = batch.attempts[-1].tx_hash, batch.id
        assert env.w3.eth.wait_for_transaction_receipt(real_hash, timeout=30)["status"] == 1
        batch.attempts[-1].tx_hash = h("not-served-yet")
        session.commit()
    env.worker.run_once()  # nonce used at the head, no receipt: not judged lost
    assert _batch_status(env, batch_id) == BatchStatus.SENT
    with env.app.state.session_factory() as session:
        batch = session.get(Batch, batch_id)
        assert batch is not None
        batch.attempts[-1].tx_hash = real_hash  # the node now serves it
        session.commit()
    env.worker.drain()
    assert _batch_status(env, batch_id) == BatchStatus.CONFIRMED
    assert env.status(resident, response.json()["id"])["status"] == "confirmed"


def _batch_status(env: RelayEnv, batch_id: int) -> BatchStatus:
    with env.app.state.session_factory() as session:
        batch = session.get(Batch, batch_id)
        assert batch is not None
        return batch.status


def test_an_action_whose_mined_request_went_back_to_the_queue_is_not_signed_again(env: RelayEnv) -> None:
    """Issue 15, found by the chaos benchmark: a worker judged its own mined batch lost (reads at "latest"
    straddled the block) and gave one of its actions back to the queue; signed again at the next forwarder
    nonce, the approval ran twice and the verifier read "already decided". Here the database is put in the
    state that misjudgement left: the request ran, the action is queued with its old request nonce. The
    worker must find the run from the forwarder's events and record it, never sign and send it again."""
    resident = env.people.residents[0]
    env.register(resident)
    programme = env.open_programme()
    response = env.act(
        resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("misjudged")}
    )
    assert response.status_code == 202
    env.worker.run_once()  # sent; its receipt not yet looked at by the worker
    with env.app.state.session_factory() as session:
        action = session.scalars(
            select(RelayAction).where(RelayAction.public_id == response.json()["id"])
        ).one()
        batch = session.get(Batch, action.batch_id)
        assert batch is not None and batch.attempts
        mined_hash = batch.attempts[-1].tx_hash
        # Anvil's automine mines a moment after eth_sendRawTransaction answers, not before: wait for the
        # block, or the worker may still see the request unused and (rightly) sign it again (CI, stop 24).
        assert env.w3.eth.wait_for_transaction_receipt(mined_hash, timeout=30)["status"] == 1
        batch.status = BatchStatus.ABANDONED
        action.status = ActionStatus.QUEUED
        action.batch_id = None
        action.error_code = "batch_lost"
        ran_nonce = action.request_nonce
        session.commit()
    env.worker.drain()
    state = env.status(resident, response.json()["id"])
    assert state["status"] == "confirmed", state
    assert state["tx_hash"] == mined_hash
    assert env.hromada.cases.functions.caseCount().call() == 1  # the case exists once
    forwarder = env.worker.chain.forwarder.functions
    assert forwarder.nonces(resident.wallet.address).call() == int(ran_nonce) + 1  # one request ran, not two
    again = actions(env)[-1]
    assert again.tries == 1 and again.request_nonce == ran_nonce


def test_a_request_relayed_by_somebody_else_is_not_run_again(env: RelayEnv) -> None:
    """Anybody may relay a signed ForwardRequest seen in the mempool. When another sender runs it first,
    the worker's batch skips it; the worker must record that run, not sign and send the case again."""
    resident = env.people.residents[0]
    env.register(resident)
    programme = env.open_programme()
    response = env.act(
        resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("front-run")}
    )
    assert response.status_code == 202
    forwarder = env.worker.chain.forwarder
    with automine_off(env.w3):
        env.worker.run_once()  # the batch waits in the mempool
        with env.app.state.session_factory() as session:
            action = session.scalars(
                select(RelayAction).where(RelayAction.public_id == response.json()["id"])
            ).one()
            call_data = session.get(Batch, action.batch_id).call_data  # type: ignore[union-attr]
        _, arguments = forwarder.decode_function_input(call_data)
        (request,) = arguments["request"] if "request" in arguments else arguments["requests"]
        stranger = env.w3.eth.accounts[3]
        tip = Web3.to_wei(50, "gwei")  # above the worker's tip: mined first in the block
        front_run = forwarder.functions.execute(request).transact(
            {"from": stranger, "maxPriorityFeePerGas": tip, "maxFeePerGas": 4 * tip}
        )
        env.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    receipt = env.w3.eth.get_transaction_receipt(front_run)
    assert receipt["status"] == 1
    env.worker.drain()
    state = env.status(resident, response.json()["id"])
    assert state["status"] == "confirmed", state
    assert state["tx_hash"] == "0x" + bytes(front_run).hex().removeprefix("0x")
    assert env.hromada.cases.functions.caseCount().call() == 1  # the case exists once


def test_a_low_sponsor_balance_raises_an_alert(
    make_settings,
    tmp_path,
    node,
    w3,
    deployer,
    shared_manifest,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    env = build_env(
        make_settings, tmp_path, node.url, w3, deployer, shared_manifest, relayer_low_balance_wei=10**30
    )
    with env.client, caplog.at_level(logging.WARNING, logger="cts.relayer.worker"):
        env.worker.run_once()
        views = env.worker.check_balances()
        assert views and all(v.low for v in views)
        assert any("balance is low" in record.getMessage() for record in caplog.records)
        status = env.client.get(env.scoped("/api/relayer/status")).json()
        assert status["chain_reachable"] is True
        assert status["sponsors"][0]["low_balance"] is True
        assert any("low on funds" in alert for alert in status["alerts"])
    env.worker.release_leases()
