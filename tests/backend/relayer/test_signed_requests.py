"""Requests signed by a resident's own wallet: verified before they are queued, never run twice."""

from __future__ import annotations

from typing import Any

from conftest import RelayEnv, h
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from httpx import Response
from sqlalchemy import func, select

from cts.chain.forwarder import ForwarderDomain, ForwardRequest
from cts.models import RelayAction, User


def link(env: RelayEnv, user: User, wallet: LocalAccount, *, signer: LocalAccount | None = None) -> Response:
    """Link ``wallet`` to ``user``'s account with the wallet's signature of the service's statement."""
    headers = {"Authorization": f"Bearer {env.token(user)}"}
    statement = env.client.get(
        env.scoped("/api/users/me/own-wallet/statement"), params={"address": wallet.address}, headers=headers
    )
    assert statement.status_code == 200, statement.text
    signature = (signer or wallet).sign_message(encode_defunct(text=statement.json()["message"])).signature
    body = {"address": wallet.address, "signature": "0x" + signature.hex()}
    return env.client.put(env.scoped("/api/users/me/own-wallet"), json=body, headers=headers)


def own_wallet(env: RelayEnv) -> LocalAccount:
    """A wallet registered as a resident on chain and linked to the first resident's account."""
    wallet: LocalAccount = Account.create()
    env.done(
        env.people.council,
        "POST",
        "/api/residents",
        {"address": wallet.address, "identity_check": f"own-wallet-{wallet.address}"},
    )
    linked = link(env, env.people.residents[0], wallet)
    assert linked.status_code == 200, linked.text
    assert linked.json()["own_wallet_address"] == wallet.address
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


def test_only_the_wallets_own_account_may_relay_its_signed_request(env: RelayEnv) -> None:
    """Point 5 of the security probe: a request signed by someone's wallet, posted by another account,
    ran and spent the poster's limits. Now it is refused and nothing is queued or charged."""
    wallet = own_wallet(env)  # linked to residents[0]
    programme = env.open_programme()
    body = signed(env, wallet, env.hromada.cases.functions.submitCase(programme, bytes.fromhex(h("x")[2:])))
    with env.app.state.session_factory() as session:
        before = session.scalar(select(func.count()).select_from(RelayAction))
    for poster in (env.people.residents[1], env.people.council, env.people.outsider):
        response = env.act(poster, "POST", "/api/relay", body)
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "signer_not_linked"
    with env.app.state.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(RelayAction)) == before
    owner = env.act(env.people.residents[0], "POST", "/api/relay", body)
    assert owner.status_code == 202, owner.text


def test_a_wallet_is_linked_only_by_its_own_signature_and_to_one_account(env: RelayEnv) -> None:
    wallet: LocalAccount = Account.create()
    forged = link(env, env.people.residents[1], wallet, signer=Account.create())
    assert forged.status_code == 422 and "not the wallet's signature" in forged.json()["detail"]
    assert link(env, env.people.residents[1], wallet).status_code == 200
    taken = link(env, env.people.residents[2], wallet)
    assert taken.status_code == 409 and "another account" in taken.json()["detail"]
    # A signature made for one account does not link the wallet to another.
    headers = {"Authorization": f"Bearer {env.token(env.people.residents[1])}"}
    statement = env.client.get(
        env.scoped("/api/users/me/own-wallet/statement"), params={"address": wallet.address}, headers=headers
    ).json()["message"]
    signature = wallet.sign_message(encode_defunct(text=statement)).signature.hex()
    other = {"Authorization": f"Bearer {env.token(env.people.residents[2])}"}
    replayed = env.client.put(
        env.scoped("/api/users/me/own-wallet"),
        json={"address": wallet.address, "signature": "0x" + signature},
        headers=other,
    )
    assert replayed.status_code == 422
