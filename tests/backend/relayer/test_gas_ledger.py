"""The gas ledger (cts.gas_ledger) stays the sum of the day's actions that did not expire, per hromada, key
and minute: as actions of every role and of the operator's tools are accepted, as self-signed requests expire
(before they are sent, or skipped on the way), and as the worker fits a custodial request's gas again."""

from __future__ import annotations

from collections import Counter

from conftest import RelayEnv, h
from sqlalchemy import select, update
from test_signed_requests import own_wallet, signed
from test_worker import automine_off

from cts.budgets import hromada_spent
from cts.gas_ledger import minute_of
from cts.hromadas import get_hromada
from cts.models import ActionStatus, GasMinute, Membership, RelayAction, Role, User
from cts.relayer.service import Call


def ledger(env: RelayEnv) -> Counter[tuple[str, int]]:
    """The hromada's ledger, per key and minute (minutes whose gas all expired left out)."""
    with env.app.state.session_factory() as session:
        rows = session.execute(
            select(GasMinute.counted_as, GasMinute.minute, GasMinute.gas).where(GasMinute.hromada == env.slug)
        ).all()
    return Counter({(key, minute): gas for key, minute, gas in rows if gas})


def actions_gas(env: RelayEnv) -> Counter[tuple[str, int]]:
    """The same, summed from the hromada's actions that did not expire."""
    totals: Counter[tuple[str, int]] = Counter()
    with env.app.state.session_factory() as session:
        rows = session.execute(
            select(RelayAction.budget_counted_as, RelayAction.created_at, RelayAction.gas).where(
                RelayAction.hromada == env.slug, RelayAction.status != ActionStatus.EXPIRED
            )
        ).all()
    for key, created_at, gas in rows:
        totals[(key, minute_of(created_at))] += gas
    return totals


def keys(counts: Counter[tuple[str, int]]) -> Counter[str]:
    totals: Counter[str] = Counter()
    for (key, _), gas in counts.items():
        totals[key] += gas
    return totals


def status_of(env: RelayEnv, public_id: str) -> ActionStatus:
    with env.app.state.session_factory() as session:
        return session.scalars(select(RelayAction.status).where(RelayAction.public_id == public_id)).one()


def test_every_roles_gas_and_the_exempt_are_in_the_ledger_and_an_expiry_takes_its_own_off(
    env: RelayEnv,
) -> None:
    resident, seeded = env.people.residents[:2]
    env.register(resident, seeded)
    programme = env.open_programme()
    submit = env.hromada.cases.functions.submitCase
    env.done(resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("own case")})
    # The operator's tools (the demo's seeding) queue a resident's case: it counts for the hromada only.
    with env.app.state.session_factory() as session:
        person = session.get(User, seeded.id)
        assert person is not None
        env.relayer().queue(
            session, person, Call.of(submit(programme, bytes.fromhex(h("seeded")[2:]))), budget_exempt=True
        )
        session.commit()
    env.worker.drain()
    env.done(env.people.verifier, "POST", "/api/cases/approvals", {"case_ids": [1, 2]})
    wallet = own_wallet(env)  # the council registers it; linked to the resident's account
    body = signed(env, wallet, submit(programme, bytes.fromhex(h("late")[2:])), deadline=env.chain_now() + 60)
    late = env.act(resident, "POST", "/api/relay", body)
    assert late.status_code == 202, late.text
    before = ledger(env)
    assert before == actions_gas(env)
    assert set(keys(before)) == {"council", "resident", "verifier", "exempt"}
    with env.app.state.session_factory() as session:
        late_gas = session.scalars(
            select(RelayAction.gas).where(RelayAction.public_id == late.json()["id"])
        ).one()
        # The person's role changes before it expires: its gas still leaves the key it was counted under.
        session.execute(
            update(Membership).where(Membership.user_id == resident.id).values(role=Role.COORDINATOR)
        )
        session.commit()
    env.travel(120)
    env.worker.drain()
    assert status_of(env, late.json()["id"]) == ActionStatus.EXPIRED
    after = ledger(env)
    assert after == actions_gas(env)
    assert keys(before) - keys(after) == Counter({"resident": late_gas})
    with env.app.state.session_factory() as session:
        assert hromada_spent(session, get_hromada(session, env.slug)) == sum(after.values())


def test_a_request_skipped_on_the_way_as_expired_leaves_the_ledger(env: RelayEnv) -> None:
    wallet = own_wallet(env)
    programme = env.open_programme()
    resident = env.people.residents[0]
    body = signed(env, wallet, env.hromada.cases.functions.submitCase(programme, bytes.fromhex(h("way")[2:])))
    response = env.act(resident, "POST", "/api/relay", body)
    assert response.status_code == 202, response.text
    before = keys(ledger(env))
    with automine_off(env.w3):
        env.worker.run_once()  # sent, not mined
        # The block that finally includes it is later than the request's deadline: the forwarder skips it.
        env.travel(700)
    env.worker.drain()
    assert status_of(env, response.json()["id"]) == ActionStatus.EXPIRED
    assert before - keys(ledger(env)) == Counter({"resident": body["gas"]})
    assert ledger(env) == actions_gas(env)


def test_the_ledger_follows_a_custodial_requests_gas_fitted_again(env: RelayEnv) -> None:
    """A person's second case waits for their first; the worker then simulates it again in the state it
    runs in, and signs it with that gas. Here it was accepted with less than it needs, so the gas changes."""
    resident = env.people.residents[0]
    env.register(resident)
    programme = env.open_programme()
    ids = []
    for label in ("first", "second"):
        response = env.act(
            resident, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h(label)}
        )
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    with env.app.state.session_factory() as session:
        second = session.scalars(select(RelayAction).where(RelayAction.public_id == ids[1])).one()
        accepted = second.gas - 20_000
        second.gas = accepted
        session.execute(
            update(GasMinute)
            .where(
                GasMinute.hromada == env.slug,
                GasMinute.counted_as == "resident",
                GasMinute.minute == minute_of(second.created_at),
            )
            .values(gas=GasMinute.gas - 20_000)
        )
        session.commit()
    assert ledger(env) == actions_gas(env)
    env.worker.drain()
    with env.app.state.session_factory() as session:
        fitted = session.scalars(select(RelayAction).where(RelayAction.public_id == ids[1])).one()
        assert fitted.status == ActionStatus.CONFIRMED and fitted.gas != accepted
    assert ledger(env) == actions_gas(env)


def test_actions_queued_together_add_their_gas_to_the_ledger_once_per_minute(env: RelayEnv) -> None:
    """queue_many writes each minute of the ledger once, with the sum of its actions' gas (not one write per
    action), and each action's claim is recorded: a second action with the same evidence is refused."""
    residents = env.people.residents[:3]
    env.register(*residents)
    programme = env.open_programme()
    submit = env.hromada.cases.functions.submitCase
    calls = [Call.of(submit(programme, bytes.fromhex(h(f"together {i}")[2:]))) for i in range(3)]
    with env.app.state.session_factory() as session:
        queued = env.relayer().queue_many(session, list(zip([r.id for r in residents], calls, strict=True)))
        session.commit()
        gas = sum(action.gas for action in queued)
    assert ledger(env) == actions_gas(env)
    assert keys(ledger(env))["exempt"] == gas
    again = env.act(
        residents[0], "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("together 1")}
    )
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "already_queued"
