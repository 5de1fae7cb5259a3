"""Own wallets with the tools wallet users have: one endpoint tells a wallet all it needs to sign a request
for the relayer (GET /api/h/<slug>/wallet/request-template), a Node script signs with ethers v6 as MetaMask
does from that answer alone, and a request signed wrongly is refused with what the wallet should sign."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from conftest import RelayEnv, build_env, h
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from sqlalchemy import func, select
from test_actions_api import ballot_setup
from test_signed_requests import own_wallet
from web3 import Web3

from cts.chain.client import Sender
from cts.chain.localnode import free_port
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.models import RelayAction
from cts.relayer.service import LIVE_STATUSES

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "tests" / "js" / "sign_and_relay.mjs"


def template(env: RelayEnv, user: Any, function: Any = None) -> Any:
    params = {}
    if function is not None:
        params = {"to": function.address, "data": function._encode_transaction_data()}
    response = env.client.get(
        env.scoped("/api/wallet/request-template"),
        params=params,
        headers={"Authorization": f"Bearer {env.token(user)}"},
    )
    return response


def sign_template(wallet: LocalAccount, answer: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Sign the template's eth_signTypedData_v4 payload (as a wallet would), with ``changes`` to its
    message or domain (``chainId``, ``verifyingContract``) first."""
    typed = json.loads(json.dumps(answer["typed_data"]))
    for name, value in changes.items():
        (typed["domain"] if name in typed["domain"] else typed["message"])[name] = value
    signature = wallet.sign_message(encode_typed_data(full_message=typed)).signature
    return {**typed["message"], "signature": "0x" + bytes(signature).hex()}


def test_the_template_says_all_a_wallet_needs(env: RelayEnv) -> None:
    wallet = own_wallet(env)
    resident = env.people.residents[0]
    programme = env.open_programme()
    general = template(env, resident)
    assert general.status_code == 200, general.text
    answer = general.json()
    forwarder = env.worker.chain.forwarder.address
    assert answer["forwarder"] == forwarder and answer["signer"] == wallet.address
    assert answer["domain"] == {
        "name": "CTSForwarder",
        "version": "1",
        "chainId": env.w3.eth.chain_id,
        "verifyingContract": forwarder,
    }
    assert [f["name"] for f in answer["types"]["ForwardRequest"]] == [
        *("from", "to", "value", "gas", "nonce", "deadline", "data")
    ]
    assert answer["nonce"] == {"forwarder": 0, "pending": 0, "next": 0}
    assert answer["deadline"]["chain_time"] == env.chain_now()
    assert answer["deadline"]["latest"] == env.chain_now() + env.settings.relayer_max_request_deadline_seconds
    assert answer["gas"] == {"required": None, "margin_percent": 30, "minimum": 60_000}
    names = {f["abi"]["name"]: f["address"] for f in answer["functions"]}
    assert names["castBallot"] == env.hromada.vote.address
    assert names["submitCase"] == env.hromada.cases.address
    assert "createRound" not in names  # the council's, not a resident's
    assert answer["message"] is None

    call = env.hromada.cases.functions.submitCase(programme, bytes.fromhex(h("tmpl")[2:]))
    filled = template(env, resident, call).json()
    estimate = env.w3.eth.estimate_gas(
        {"from": wallet.address, "to": call.address, "data": call._encode_transaction_data()}
    )
    assert filled["gas"]["required"] == max(60_000, estimate * 130 // 100)
    assert filled["message"]["gas"] == filled["gas"]["required"]
    assert filled["typed_data"]["types"]["EIP712Domain"][2] == {"name": "chainId", "type": "uint256"}

    # Signed from the template as it stands, the request is accepted; the next template counts it.
    response = env.act(resident, "POST", "/api/relay", sign_template(wallet, filled))
    assert response.status_code == 202, response.text
    assert template(env, resident).json()["nonce"] == {"forwarder": 0, "pending": 1, "next": 1}
    env.worker.drain()
    assert template(env, resident).json()["nonce"] == {"forwarder": 1, "pending": 0, "next": 1}


def test_the_template_refuses_clearly(env: RelayEnv) -> None:
    resident = env.people.residents[0]
    unlinked = template(env, resident)
    assert unlinked.status_code == 422 and "Link your own wallet first" in unlinked.json()["detail"]
    own_wallet(env)
    council_only = template(env, resident, env.hromada.vote.functions.cancelRound(1))
    assert council_only.status_code == 403 and council_only.json()["code"] == "not_sponsored"
    half = env.client.get(
        env.scoped("/api/wallet/request-template"),
        params={"to": env.hromada.vote.address},
        headers={"Authorization": f"Bearer {env.token(resident)}"},
    )
    assert half.status_code == 422 and "both to and data" in half.json()["detail"]
    signed_out = env.client.get(
        env.scoped("/api/wallet/request-template"), headers={"Authorization": "Bearer not-a-session"}
    )
    assert signed_out.status_code == 401


def filled_case(env: RelayEnv, label: str) -> tuple[LocalAccount, dict[str, Any]]:
    wallet = own_wallet(env)
    programme = env.open_programme()
    call = env.hromada.cases.functions.submitCase(programme, bytes.fromhex(h(label)[2:]))
    answer = template(env, env.people.residents[0], call)
    assert answer.status_code == 200, answer.text
    return wallet, answer.json()


def test_a_request_signed_for_another_chain_or_forwarder_is_refused_with_the_right_domain(
    env: RelayEnv,
) -> None:
    wallet, answer = filled_case(env, "other-domain")
    resident = env.people.residents[0]
    for change in ({"chainId": 1}, {"verifyingContract": Account.create().address}):
        response = env.act(resident, "POST", "/api/relay", sign_template(wallet, answer, **change))
        detail = response.json()["detail"]
        assert response.status_code == 422 and "does not match the request's sender" in detail
        assert f"chainId {answer['chain_id']}" in detail and answer["forwarder"] in detail
    assert env.hromada.cases.functions.caseCount().call() == 0


def test_a_wrong_nonce_says_the_expected_one(env: RelayEnv) -> None:
    wallet, answer = filled_case(env, "nonce")
    response = env.act(env.people.residents[0], "POST", "/api/relay", sign_template(wallet, answer, nonce=3))
    assert response.status_code == 409 and "nonce should be 0" in response.json()["detail"]


def test_too_little_gas_says_what_it_needs(env: RelayEnv) -> None:
    wallet, answer = filled_case(env, "gas")
    required = answer["gas"]["required"]
    low = required * 12 // 13  # the estimate x 1.2: what wallets that add 20% would sign
    response = env.act(env.people.residents[0], "POST", "/api/relay", sign_template(wallet, answer, gas=low))
    detail = response.json()["detail"]
    assert response.status_code == 422 and f"({low}) is below what it needs ({required}" in detail
    assert "plus 30%" in detail  # the margin, which a wallet cannot guess
    assert env.hromada.cases.functions.caseCount().call() == 0


def test_a_deadline_from_the_wall_clock_when_the_chain_is_ahead_is_refused_clearly(env: RelayEnv) -> None:
    env.travel(2 * 3_600)  # the demo chain runs two hours ahead of the wall clock
    wallet, answer = filled_case(env, "deadline")
    wall_clock = int(time.time()) + 600
    assert wall_clock < answer["deadline"]["chain_time"]
    response = env.act(
        env.people.residents[0], "POST", "/api/relay", sign_template(wallet, answer, deadline=wall_clock)
    )
    detail = response.json()["detail"]
    assert response.status_code == 422 and "deadline has passed" in detail
    assert "the chain's time is" in detail and f"the deadline {wall_clock}" in detail
    too_far = answer["deadline"]["latest"] + 60
    response = env.act(
        env.people.residents[0], "POST", "/api/relay", sign_template(wallet, answer, deadline=too_far)
    )
    assert response.status_code == 422 and "latest deadline accepted" in response.json()["detail"]
    # The template's own deadline, on the chain's clock, is accepted.
    accepted = env.act(env.people.residents[0], "POST", "/api/relay", sign_template(wallet, answer))
    assert accepted.status_code == 202, accepted.text


# ---------------------------------------------------------------- the Node test, with ethers v6


@pytest.fixture
def served_env(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: Any,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
) -> Iterator[tuple[RelayEnv, str]]:
    """The app served by uvicorn on a free port with its worker in a thread (as the web tests' ``served``)."""
    env = build_env(make_settings, tmp_path, node.url, w3, deployer, shared_manifest)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(env.app, host="127.0.0.1", port=port, log_level="warning"))
    stop = threading.Event()
    threads = [
        threading.Thread(target=server.run, daemon=True),
        threading.Thread(target=env.worker.run_forever, args=(stop,), daemon=True),
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield env, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        env.worker.release_leases()


def wait_idle(env: RelayEnv) -> None:
    """Wait until the worker's thread has run every accepted action."""
    deadline = time.monotonic() + 60
    while True:
        with env.app.state.session_factory() as session:
            live = session.scalar(
                select(func.count()).select_from(RelayAction).where(RelayAction.status.in_(LIVE_STATUSES))
            )
        if not live:
            return
        assert time.monotonic() < deadline, "the worker did not run the actions"
        time.sleep(0.1)


def sign_and_relay(
    env: RelayEnv, url: str, user: Any, wallet: LocalAccount, function: str, *args: Any
) -> Any:
    command = [
        *("node", str(SCRIPT), url, env.slug, env.token(user), "0x" + bytes(wallet.key).hex()),
        *(function, json.dumps(list(args))),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_ethers_signs_a_case_and_a_ballot_from_the_template_alone(served_env: tuple[RelayEnv, str]) -> None:
    env, url = served_env
    env.worker.drain = lambda: wait_idle(env)  # type: ignore[method-assign]  # the worker's thread sends
    wallet = own_wallet(env)
    resident = env.people.residents[0]
    round_id, _ = ballot_setup(env)  # programme 1; two residents with 4 RV, two eligible projects

    # The own wallet earns RV with a case it signed in Node, approved by the verifier.
    case = sign_and_relay(env, url, resident, wallet, "submitCase", 1, h("node-case"))
    assert case["action"]["kind"] == "submitCase"
    env.done(env.people.verifier, "POST", "/api/cases/approvals", {"case_ids": [3]})
    assert env.hromada.token.functions.balanceOf(wallet.address).call() == 4

    # Then it votes, and the tally on chain has the wallet's 4 RV on project 2.
    vote = env.hromada.vote.functions
    before = vote.tally(round_id, 2).call()
    ballot = sign_and_relay(env, url, resident, wallet, "castBallot", round_id, [2], [4])
    assert ballot["request"]["from"] == wallet.address and ballot["request"]["nonce"] == 1
    weight, credits, supporters = vote.tally(round_id, 2).call()
    assert (credits, supporters) == (before[1] + 4, before[2] + 1) and weight > before[0]
    assert env.hromada.token.functions.balanceOf(wallet.address).call() == 0
