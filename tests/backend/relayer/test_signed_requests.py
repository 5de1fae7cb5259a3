"""Requests signed by a resident's own wallet: verified before they are queued, never run twice."""

from __future__ import annotations

from typing import Any

from conftest import RelayEnv, h
from eth_account import Account
from eth_account.signers.local import LocalAccount

from cts.chain.forwarder import ForwarderDomain, ForwardRequest


def own_wallet(env: RelayEnv) -> LocalAccount:
    wallet: LocalAccount = Account.create()
    env.done(
        env.people.council,
        "POST",
        "/api/residents",
        {"address": wallet.address, "identity_check": f"own-wallet-{wallet.address}"},
    )
    return wallet


def signed(
    env: RelayEnv,
    wallet: LocalAccount,
    function: Any,
    *,
    nonce: int | None = None,
    deadline: int | None = None,
    signer: LocalAccount | None = None,
    gas: int = 300_000,
) -> dict[str, Any]:
    forwarder = env.worker.chain.forwarder
    request = ForwardRequest(
        sender=wallet.address,
        to=function.address,
        data=bytes.fromhex(function._encode_transaction_data()[2:]),
        gas=gas,
        nonce=forwarder.functions.nonces(wallet.address).call() if nonce is None else nonce,
        deadline=env.chain_now() + 600 if deadline is None else deadline,
    )
    signature = request.sign(ForwarderDomain.of(forwarder), (signer or wallet).key)
    return {
        "from": request.sender,
        "to": request.to,
        "gas": request.gas,
        "nonce": request.nonce,
        "deadline": request.deadline,
        "data": "0x" + request.data.hex(),
        "signature": "0x" + signature.hex(),
    }


def test_a_self_signed_case_is_verified_queued_and_run(env: RelayEnv) -> None:
    wallet = own_wallet(env)
    programme = env.open_programme()
    body = signed(env, wallet, env.hromada.cases.functions.submitCase(programme, bytes.fromhex(h("own")[2:])))
    user = env.people.residents[0]
    response = env.act(user, "POST", "/api/relay", body)
    assert response.status_code == 202, response.text
    env.worker.drain()
    assert env.status(user, response.json()["id"])["status"] == "confirmed"
    case = env.hromada.cases.functions.caseOf(1).call()
    assert case[6] == wallet.address  # submitted by the wallet's owner, not by the relayer


def test_a_replayed_signature_is_refused(env: RelayEnv) -> None:
    wallet = own_wallet(env)
    programme = env.open_programme()
    body = signed(
        env, wallet, env.hromada.cases.functions.submitCase(programme, bytes.fromhex(h("replay")[2:]))
    )
    user = env.people.residents[0]
    assert env.act(user, "POST", "/api/relay", body).status_code == 202
    again = env.act(user, "POST", "/api/relay", body)  # a new idempotency key: a real second submission
    assert again.status_code == 409 and "replayed" in again.json()["detail"]
    env.worker.drain()
    after_run = env.act(user, "POST", "/api/relay", body)
    assert after_run.status_code == 409
    assert env.hromada.cases.functions.caseCount().call() == 1


def test_an_expired_deadline_is_refused(env: RelayEnv) -> None:
    wallet = own_wallet(env)
    body = signed(env, wallet, env.hromada.vote.functions.withdrawBallot(1), deadline=env.chain_now() - 1)
    response = env.act(env.people.residents[0], "POST", "/api/relay", body)
    assert response.status_code == 422 and "deadline has passed" in response.json()["detail"]


def test_a_signature_by_someone_else_is_refused(env: RelayEnv) -> None:
    wallet = own_wallet(env)
    body = signed(env, wallet, env.hromada.vote.functions.withdrawBallot(1), signer=Account.create())
    response = env.act(env.people.residents[0], "POST", "/api/relay", body)
    assert response.status_code == 422 and "does not match" in response.json()["detail"]


def test_a_nonce_ahead_of_the_queue_is_refused(env: RelayEnv) -> None:
    wallet = own_wallet(env)
    body = signed(env, wallet, env.hromada.vote.functions.withdrawBallot(1), nonce=5)
    response = env.act(env.people.residents[0], "POST", "/api/relay", body)
    assert response.status_code == 409 and "nonce should be 0" in response.json()["detail"]


def test_a_call_the_relayer_does_not_sponsor_is_refused(env: RelayEnv) -> None:
    wallet = own_wallet(env)
    token = env.hromada.token
    for function in (
        token.functions.transfer(env.people.council.wallet.address, 1),  # not an allowlisted function
        env.worker.chain.forwarder.functions.nonces(wallet.address),  # not a hromada contract
    ):
        body = signed(env, wallet, function)
        response = env.act(env.people.residents[0], "POST", "/api/relay", body)
        assert response.status_code == 403 and response.json()["code"] == "not_sponsored"


def test_a_malformed_request_is_422(env: RelayEnv) -> None:
    wallet = own_wallet(env)
    body = signed(env, wallet, env.hromada.vote.functions.withdrawBallot(1))
    for broken in ({**body, "to": "0xnot-an-address"}, {**body, "signature": "0xzz"}, {**body, "gas": -1}):
        response = env.act(env.people.residents[0], "POST", "/api/relay", broken)
        assert response.status_code == 422
