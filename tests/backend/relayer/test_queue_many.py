"""RelayerService.queue_many: the operator's tools queue many actions at once, with every check `queue` gives
each, and a refusal of any one queues none (`cts replay` and the demo's seeding use it)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import RelayEnv, h
from sqlalchemy import func, select

from cts.core.security import build_password_hasher
from cts.crud import create_user
from cts.errors import CTSError, RoleRequiredError
from cts.models import ActionStatus, RelayAction, User
from cts.relayer.allowlist import NotSponsoredError
from cts.relayer.claims import ActionAlreadyQueuedError
from cts.relayer.errors import ContractRefusedError
from cts.relayer.service import Call
from cts.relayer.simulation import SIMULATION_BATCH_BYTES, SIMULATION_BATCH_CALLS, simulation_batches
from cts.schemas import UserRegister


def submission(env: RelayEnv, programme: int, evidence: str) -> Call:
    return Call.of(env.hromada.cases.functions.submitCase(programme, bytes.fromhex(h(evidence)[2:])))


def stranger(env: RelayEnv) -> User:
    """An account with no role in the hromada."""
    with env.app.state.session_factory() as session:
        user = create_user(
            session,
            UserRegister.model_validate(
                {
                    "email": "stranger@example.org",
                    "password": "a long passphrase 1",
                    "display_name": "Stranger",
                }
            ),
            password_hasher=build_password_hasher(env.settings),
            master_key=env.settings.master_key,
        )
        session.commit()
        session.refresh(user)
        session.expunge(user)
        return user


def actions(env: RelayEnv) -> int:
    with env.app.state.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(RelayAction)) or 0)


def queue_many(env: RelayEnv, steps: list[tuple[User, Call]]) -> list[tuple[str, str, int]]:
    """Queue and commit; each action's signer, kind and gas."""
    with env.app.state.session_factory() as session:
        queued = env.relayer().queue_many(session, [(user.id, call) for user, call in steps])
        session.commit()
        return [(action.signer, action.kind, action.gas) for action in queued]


def refused(env: RelayEnv, steps: list[tuple[User, Call]], error: type[CTSError]) -> Any:
    """The refusal `error` raised, and nothing queued."""
    before = actions(env)
    with pytest.raises(error) as raised:
        queue_many(env, steps)
    assert actions(env) == before
    return raised.value


def test_each_action_is_checked_and_simulated_and_all_are_sent(env: RelayEnv) -> None:
    residents = env.people.residents[:3]
    env.register(*residents)
    programme = env.open_programme()
    before = actions(env)
    queued = queue_many(env, [(r, submission(env, programme, f"many-{i}")) for i, r in enumerate(residents)])
    # Each in its signer's name, with the gas its own simulation asked for (the margin over ~100k).
    assert [signer for signer, _, _ in queued] == [r.wallet.address for r in residents]
    assert {kind for _, kind, _ in queued} == {"submitCase"}
    assert all(100_000 < gas < 300_000 for _, _, gas in queued)
    assert actions(env) == before + 3
    env.worker.drain()
    with env.app.state.session_factory() as session:
        statuses = session.scalars(select(RelayAction.status).order_by(RelayAction.id.desc()).limit(3)).all()
    assert set(statuses) == {ActionStatus.CONFIRMED}
    assert int(env.hromada.cases.functions.caseCount().call()) == 3


def test_one_refusal_queues_none_of_them(env: RelayEnv) -> None:
    residents = env.people.residents[:3]
    env.register(*residents)
    programme = env.open_programme()
    good = [(r, submission(env, programme, f"good-{i}")) for i, r in enumerate(residents[:2])]
    # The contract's refusal of one (no such programme), named as for a single action.
    error = refused(env, [*good, (residents[2], submission(env, programme + 7, "bad"))], ContractRefusedError)
    assert "Programme" in error.revert.name
    # Two actions claiming the same evidence: the second would fail on chain.
    same = submission(env, programme, "same")
    refused(env, [*good, (residents[2], same), (residents[0], same)], ActionAlreadyQueuedError)
    # A resident nobody registered on chain: the contract's refusal again.
    refused(env, [*good, (env.people.outsider, submission(env, programme, "x"))], ContractRefusedError)
    # Someone with no role in the hromada, and a function the role may not ask for.
    refused(env, [*good, (stranger(env), submission(env, programme, "y"))], RoleRequiredError)
    create = Call.of(env.hromada.cases.functions.programmeCount())
    refused(env, [*good, (residents[2], create)], NotSponsoredError)
    # The good ones alone go through.
    assert len(queue_many(env, good)) == 2


def test_an_action_already_queued_refuses_the_batch(env: RelayEnv) -> None:
    residents = env.people.residents[:2]
    env.register(*residents)
    programme = env.open_programme()
    queue_many(env, [(residents[0], submission(env, programme, "first"))])
    refused(env, [(residents[1], submission(env, programme, "first"))], ActionAlreadyQueuedError)


def test_simulations_go_in_batches_a_node_accepts() -> None:
    """Anvil refuses a request body over 2 MiB ("Invalid request"): 250 registrations of 100 residents
    are 3.3 MB; and a batch must be answered within one call's timeout. The simulations go in order, in
    groups of at most SIMULATION_BATCH_CALLS calls and SIMULATION_BATCH_BYTES of calldata; a larger call
    goes alone."""
    sizes = [6_500] * 250 + [SIMULATION_BATCH_BYTES + 1, 100, 100] + [200] * 45
    calls = [(f"0x{i:040x}", Call(f"0x{i:040x}", bytes(size))) for i, size in enumerate(sizes)]
    groups = list(simulation_batches(calls))
    assert [call for group in groups for call in group] == calls
    for group in groups:
        calldata = sum(len(call.data) for _, call in group)
        fits = len(group) <= SIMULATION_BATCH_CALLS and calldata <= SIMULATION_BATCH_BYTES
        assert fits or len(group) == 1
    large = [g for g in groups if len(g[0][1].data) > SIMULATION_BATCH_BYTES]
    assert [len(g) for g in large] == [1]
    per_group = min(SIMULATION_BATCH_CALLS, SIMULATION_BATCH_BYTES // 6_500)
    small = 2 + 45  # the two calls of 100 bytes and the 45 of 200 after the large one
    assert len(groups) == -(-250 // per_group) + 1 + -(-small // SIMULATION_BATCH_CALLS)
