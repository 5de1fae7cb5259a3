"""How an action's outcome is decided once it ran: a valid action is never reported as refused, and an action
the chain really refuses says which rule it broke.

The false refusal of issue 15 (point 4), reproduced: a resident queues several ballots revising the same
round. Each was simulated when it was accepted, against a chain on which none of the earlier ones had run;
the later ones, which must first take back the credits the earlier ones gave, need more gas than that
estimate (+30%) allowed. Signed with the gas fixed at acceptance, they ran out of gas inside the forwarder
and were reported as "refused by the contract".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORD, RelayEnv, build_env, h
from sqlalchemy import select

from cts.chain.client import Sender
from cts.chain.forwarder import ForwardRequest
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.core.keystore import decrypt_private_key, read_encrypted_key
from cts.models import Language, RelayAction, User
from cts.relayer.outcomes import intrinsic_gas
from cts.relayer.worker import REQUEST_OVERHEAD_GAS, batch_gas_limit

PROJECTS = 32
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')


@pytest.fixture
def env(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: Any,
    w3: Any,
    deployer: Sender,
    shared_manifest: Manifest,
) -> Iterator[RelayEnv]:
    """The relayer's test world, with a rate limit that lets the council screen many projects."""
    built = build_env(
        make_settings,
        tmp_path,
        node.url,
        w3,
        deployer,
        shared_manifest,
        relayer_actions_per_window=500,
        relayer_daily_gas_budget=100_000_000,
    )
    with built.client:
        yield built
    built.worker.release_leases()


def many_projects_round(env: RelayEnv, rv: int = 100) -> tuple[int, Any]:
    """A resident with `rv` RV and a round in its voting window with PROJECTS eligible projects."""
    alice, bob = env.people.residents[:2]
    env.register(alice, bob)
    programme = env.open_programme(reward=rv, per_resident_cap=rv)
    env.done(alice, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("rv-for-alice")})
    case_id = env.hromada.cases.functions.caseCount().call()
    env.done(env.people.verifier, "POST", "/api/cases/approvals", {"case_ids": [case_id]})
    now = env.chain_now()
    env.done(
        env.people.council,
        "POST",
        "/api/rounds",
        {
            "fund_kopiyky": 100_000,
            "pitch_starts_at": now,
            "pitch_ends_at": now + 100,
            "screen_ends_at": now + 200,
            "vote_ends_at": now + 100_000,
            "max_projects": PROJECTS,
            "metadata_hash": h("many-projects"),
            "rule": 0,
            "max_projects_per_ballot": PROJECTS,
        },
    )
    round_id = int(env.hromada.vote.functions.roundCount().call())
    for n in range(PROJECTS):
        env.done(
            bob,
            "POST",
            f"/api/rounds/{round_id}/projects",
            {"ask_kopiyky": 1_000, "metadata_hash": h(f"project-{n}")},
        )
    env.travel(101)
    for project in range(1, PROJECTS + 1):
        env.done(
            env.people.council,
            "POST",
            f"/api/rounds/{round_id}/projects/{project}/screening",
            {"eligible": True},
        )
    env.travel(100)
    return round_id, alice


def allocations(projects: range, credits: int = 1) -> dict[str, Any]:
    return {"allocations": [{"project_id": p, "credits": credits} for p in projects]}


def test_revised_ballots_queued_together_all_run_none_falsely_refused(env: RelayEnv) -> None:
    round_id, alice = many_projects_round(env)
    path = f"/api/rounds/{round_id}/ballot"
    # Each ballot is simulated on a chain where alice has no ballot yet; each later one, when it runs,
    # must first take back the credits the one before gave (storage writes its estimate never saw).
    ballots = [
        allocations(range(1, PROJECTS + 1)),
        allocations(range(PROJECTS, PROJECTS + 1), credits=2),
        allocations(range(1, PROJECTS + 1), credits=3),
        allocations(range(1, 2), credits=4),
    ]
    ids = []
    for ballot in ballots:
        response = env.act(alice, "POST", path, ballot)
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    env.worker.drain()
    outcomes = [env.status(alice, action_id) for action_id in ids]
    assert [o["status"] for o in outcomes] == ["confirmed"] * len(ballots), outcomes
    vote = env.hromada.vote.functions
    assert vote.tally(round_id, 1).call()[1] == 4  # the last ballot is the one that stands
    assert vote.tally(round_id, PROJECTS).call()[1] == 0


def test_two_approvals_in_one_batch_the_second_reaching_quorum_both_confirmed(env: RelayEnv) -> None:
    """Ordering within a batch: the second approval of a case reaches the quorum and mints the reward, which
    its simulation (made before the first approval ran, in the same batch) could not see; it runs out of
    gas, is sent again with gas fitted to the state then, and is confirmed. Never "refused"."""
    resident = env.people.residents[0]
    verifier, coordinator = env.people.verifier, env.people.coordinator
    env.register(resident)
    env.done(env.people.council, "POST", "/api/coordinators", {"user_id": coordinator.id})
    env.open_programme()  # capital deposited
    now = env.chain_now()
    env.done(
        env.people.council,
        "POST",
        "/api/programmes",
        {
            "title": "Two verifiers",
            "metadata_hash": h("two-verifiers"),
            "reward_rv": 5,
            "case_value_kopiyky": 40_000,
            "token_cap_rv": 100,
            "per_resident_cap_rv": 50,
            "starts_at": now,
            "ends_at": now + 86_400,
            "quorum": 2,
            "verifiers": [verifier.wallet.address, coordinator.wallet.address],
        },
    )
    programme = int(env.hromada.cases.functions.programmeCount().call())
    env.done(resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("quorum")})
    case_id = int(env.hromada.cases.functions.caseCount().call())
    first = env.act(verifier, "POST", f"/api/cases/{case_id}/approval")
    second = env.act(coordinator, "POST", f"/api/cases/{case_id}/approval")
    assert first.status_code == 202 and second.status_code == 202, second.text
    env.worker.drain()
    assert env.status(verifier, first.json()["id"])["status"] == "confirmed"
    assert env.status(coordinator, second.json()["id"])["status"] == "confirmed"
    assert env.hromada.token.functions.balanceOf(resident.wallet.address).call() == 5
    with env.app.state.session_factory() as session:
        action = session.scalars(
            select(RelayAction).where(RelayAction.public_id == second.json()["id"])
        ).one()
        batches = {a.batch_id for a in session.scalars(select(RelayAction)).all()}
        assert action.tries == 2, "the second approval ran out of gas once and was sent again"
        assert len(batches) >= 2


def refused_ballot(env: RelayEnv) -> tuple[Any, str]:
    """A ballot accepted in the voting window that runs after the window closed: the contract refuses it."""
    round_id, alice = many_projects_round(env, rv=10)
    response = env.act(alice, "POST", f"/api/rounds/{round_id}/ballot", allocations(range(1, 3), credits=2))
    assert response.status_code == 202, response.text
    env.travel(100_000)  # the vote closes before the worker sends it
    env.worker.drain()
    return alice, str(response.json()["id"])


def prefer(env: RelayEnv, user: Any, language: str) -> None:
    with env.app.state.session_factory() as session:
        session.get(User, user.id).preferred_language = Language(language)  # type: ignore[union-attr]
        session.commit()


def test_a_real_refusal_when_it_ran_says_which_rule_in_the_api_in_the_residents_language(
    env: RelayEnv,
) -> None:
    alice, action_id = refused_ballot(env)
    refused = env.status(alice, action_id)
    assert refused["status"] == "failed"
    assert refused["error_code"] == "balanced_vote_unexpected_round_state", refused
    assert refused["message"].startswith("Раунд зараз на іншому етапі"), refused  # alice reads Ukrainian
    assert "BalancedVoteUnexpectedRoundState" in refused["error_detail"]  # the decoded error, for support
    assert refused["tx_hash"] is not None  # it ran (and was refused) in this transaction
    prefer(env, alice, "en")
    assert env.status(alice, action_id)["message"].startswith("The round is at another stage now")


@pytest.mark.parametrize(
    ("language", "says"),
    [("uk", "Раунд зараз на іншому етапі"), ("en", "The round is at another stage now")],
)
def test_the_page_shows_the_rule_a_refused_action_broke_in_the_residents_language(
    env: RelayEnv, language: str, says: str
) -> None:
    alice, action_id = refused_ballot(env)
    prefer(env, alice, language)
    page = env.client.get("/signin")
    signed_in = env.client.post(
        "/signin",
        data={
            "csrf_token": CSRF.findall(page.text)[-1],
            **({"form_key": FORM_KEY.findall(page.text)[0]} if FORM_KEY.findall(page.text) else {}),
            "login": alice.email,
            "password": PASSWORD,
        },
    )
    assert signed_in.status_code == 200, signed_in.text[:500]
    shown = env.client.get(f"/h/{env.slug}/actions/{action_id}")
    assert shown.status_code == 200
    assert 'data-status="failed"' in shown.text
    assert says in shown.text, shown.text[-3000:]


def test_a_self_signed_request_whose_gas_became_too_small_is_out_of_gas_not_refused(env: RelayEnv) -> None:
    """A request a wallet signed with the gas it needed then (no ballot yet) runs after a ballot over every
    project: it runs out of gas, and says so; its gas is the signer's, so it is not sent again."""
    round_id, alice = many_projects_round(env)
    vote = env.hromada.vote
    call = vote.functions.castBallot(round_id, [PROJECTS], [2])
    data = bytes.fromhex(call._encode_transaction_data()[2:])
    needed_now = env.w3.eth.estimate_gas({"from": alice.wallet.address, "to": vote.address, "data": data})
    custodial = env.act(alice, "POST", f"/api/rounds/{round_id}/ballot", allocations(range(1, PROJECTS + 1)))
    assert custodial.status_code == 202
    # The wallet's request comes next in alice's nonce order. It is written to the outbox as the API
    # writes an accepted self-signed request (the signature checked there is the forwarder's to check too).
    forwarder = env.worker.chain.forwarder
    request = ForwardRequest(
        sender=alice.wallet.address,
        to=vote.address,
        data=data,
        gas=needed_now,
        nonce=int(forwarder.functions.nonces(alice.wallet.address).call()) + 1,
        deadline=env.chain_now() + 600,
    )
    with env.app.state.session_factory() as session:
        wallet = session.get(User, alice.id).wallet  # type: ignore[union-attr]
        key = decrypt_private_key(read_encrypted_key(wallet), env.settings.master_key)
        signature = request.sign(env.worker.chain.domain, key)
        action = RelayAction(
            user_id=alice.id,
            hromada=env.hromada.entry.key,
            kind="castBallot",
            signer=alice.wallet.address,
            target=vote.address,
            calldata="0x" + data.hex(),
            gas=request.gas,
            custodial=False,
            request_nonce=request.nonce,
            request_deadline=request.deadline,
            signature="0x" + signature.hex(),
        )
        session.add(action)
        session.commit()
        signed_id = action.public_id
    env.worker.drain()
    assert env.status(alice, custodial.json()["id"])["status"] == "confirmed"
    outcome = env.status(alice, signed_id)
    assert outcome["status"] == "failed"
    assert outcome["error_code"] == "out_of_gas", outcome
    assert outcome["message"].startswith("Забракло газу"), outcome
    assert "ran out of gas" in outcome["error_detail"] and "refused" not in outcome["error_detail"]
    assert forwarder.functions.nonces(alice.wallet.address).call() == request.nonce + 1  # it ran, once


@pytest.mark.parametrize("gases", [[60_000], [300_000] * 50, [10_000_000, 80_000], [5_000_000] * 3])
def test_a_batch_leaves_every_request_its_whole_gas_under_the_63_64_rule(gases: list[int]) -> None:
    """ERC2771Forwarder invalidates the whole batch when a call got less than its request's gas; the call
    gets at most 63/64 of what is left. The limit covers the transaction's intrinsic gas (its call data at
    16 gas a byte in the worst case), and for each request its gas, 1/63 more, and the forwarder's work."""
    data = bytes(range(1, 256)) * (20 * len(gases))  # call data of about the batch's size, no zero byte
    limit = batch_gas_limit(gases, data)
    assert limit >= 21_000 + 16 * len(data) + sum(g * 64 // 63 + REQUEST_OVERHEAD_GAS for g in gases)
    # The last request, with every earlier one having used all of its gas and overhead:
    left = limit - intrinsic_gas(data) - sum(g + REQUEST_OVERHEAD_GAS for g in gases[:-1])
    assert (left - REQUEST_OVERHEAD_GAS) * 63 // 64 >= gases[-1]
