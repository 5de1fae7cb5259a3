"""A day of the pilot's work on one hromada and one service, within the default budgets (issue 21).

The pilot registered 854 residents and recorded 901 cases in one cycle. Here a registrar registers all 854
and two verifiers approve all 901 cases in one day, every action through the API and the relayer on a
real chain, and none is refused for a limit; meanwhile one resident floods the service with cases and is
stopped by their own daily allowance, with a message that says so, while the others go on.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORD, RelayEnv, build_env, h
from sqlalchemy import func, select
from web3 import Web3

from cts.budgets import standing
from cts.chain.client import Sender
from cts.chain.manifest import Manifest
from cts.core.config import Settings
from cts.core.security import build_password_hasher
from cts.crud import create_user
from cts.hromadas import get_hromada, grant_role
from cts.models import ActionStatus, RelayAction, Role, User
from cts.relayer.service import Call
from cts.schemas import UserRegister

REGISTRATIONS = 854
CASES = 901
CASE_STATUS_APPROVED = 2


def accounts(env: RelayEnv, count: int, role: Role, prefix: str) -> list[User]:
    """``count`` accounts with ``role`` in the test's hromada (as the council's sign-up form makes them)."""
    hasher = build_password_hasher(env.settings)
    made = []
    with env.app.state.session_factory() as session:
        hromada = get_hromada(session, env.slug)
        for n in range(count):
            user = create_user(
                session,
                UserRegister.model_validate(
                    {
                        "email": f"{prefix}{n}@example.org",
                        "password": PASSWORD,
                        "display_name": f"{prefix} {n}",
                    }
                ),
                password_hasher=hasher,
                master_key=env.settings.master_key,
            )
            grant_role(session, user, hromada, role)
            made.append(user)
        session.commit()
        for user in made:
            session.refresh(user)
            _ = user.wallet.address
        session.expunge_all()
    return made


@pytest.mark.long
def test_a_pilot_day_fits_the_budgets_while_a_residents_flood_stops_at_their_own_limit(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    node: Any,
    w3: Web3,
    deployer: Sender,
    shared_manifest: Manifest,
) -> None:
    env = build_env(make_settings, tmp_path, node.url, w3, deployer, shared_manifest, residents=1)
    with env.client:
        council, first_verifier = env.people.council, env.people.verifier
        (second_verifier,) = accounts(env, 1, Role.VERIFIER, "verifier-b")
        residents = accounts(env, REGISTRATIONS, Role.RESIDENT, "pilot")

        # The registrar's day: 854 registrations, one by one, as the council's form sends them.
        for resident in residents:
            response = env.act(
                council,
                "POST",
                "/api/residents",
                {"user_id": resident.id, "identity_check": f"passport-{resident.id}"},
            )
            assert response.status_code == 202, response.text
        env.worker.drain(timeout=900)
        assert env.hromada.registry.functions.residentCount().call() == REGISTRATIONS

        # A programme that both verifiers serve (one approval decides a case), then the 901 cases.
        env.done(
            council,
            "POST",
            "/api/fund/deposits",
            {"amount_kopiyky": 10**9, "source": 0, "source_ref_hash": h("donor"), "receipt_hash": h("day")},
        )
        now = env.chain_now()
        env.done(
            council,
            "POST",
            "/api/programmes",
            {
                "title": "The pilot's programme",
                "metadata_hash": h("pilot"),
                "reward_rv": 2,
                "case_value_kopiyky": 40_000,
                "token_cap_rv": 100_000,
                "per_resident_cap_rv": 100,
                "starts_at": now,
                "ends_at": now + 30 * 86_400,
                "quorum": 1,
                "verifiers": [first_verifier.wallet.address, second_verifier.wallet.address],
            },
        )
        programme = int(env.hromada.cases.functions.programmeCount().call())
        relayer = env.relayer()
        submitters = list(itertools.islice(itertools.cycle(residents), CASES))
        with env.app.state.session_factory() as session:
            for n, resident in enumerate(submitters):
                person = session.get(User, resident.id)
                assert person is not None
                call = Call.of(env.hromada.cases.functions.submitCase(programme, h(f"case-{n}")))
                relayer.queue(session, person, call)
                session.commit()
        env.worker.drain(timeout=600)
        cases = env.hromada.cases.functions
        first_case = int(cases.caseCount().call()) - CASES + 1

        # The verifiers' day: 901 approvals, one by one, shared between the two.
        for case_id in range(first_case, first_case + CASES):
            verifier = first_verifier if case_id % 2 else second_verifier
            response = env.act(verifier, "POST", f"/api/cases/{case_id}/approval")
            assert response.status_code == 202, response.text
        env.worker.drain(timeout=900)
        statuses = [cases.caseOf(case_id).call()[4] for case_id in range(first_case, first_case + CASES)]
        assert statuses == [CASE_STATUS_APPROVED] * CASES

        # Nothing of the staff's day failed or was refused, and their budgets had room to spare.
        with env.app.state.session_factory() as session:
            failed = session.scalar(
                select(func.count())
                .select_from(RelayAction)
                .where(RelayAction.status != ActionStatus.CONFIRMED)
            )
            assert failed == 0
            hromada = get_hromada(session, env.slug)
            for person, role in ((council, Role.COUNCIL), (first_verifier, Role.VERIFIER)):
                day = standing(session, env.settings, hromada, person.id, role)
                assert day.remaining > 0, (role, day)
            print(  # the figures the budgets' defaults are chosen from (docs/operations.md)
                "pilot day:",
                {
                    role: standing(session, env.settings, hromada, person.id, role).person.spent
                    for person, role in ((council, Role.COUNCIL), (first_verifier, Role.VERIFIER))
                },
                "hromada:",
                standing(session, env.settings, hromada, council.id, Role.COUNCIL).hromada.spent,
            )

        # One resident floods: their own allowance stops them, with a message that says so.
        flooder, neighbour = residents[0], residents[1]
        codes = []
        for n in range(60):
            response = env.act(
                flooder, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h(f"flood-{n}")}
            )
            codes.append(response.status_code)
            if response.status_code != 202:
                break
        assert response.status_code == 429, response.text
        refusal = response.json()
        assert refusal["code"] == "gas_budget_exceeded"  # their own limit, not the hromada's
        assert refusal["params"]["limit_gas"] == env.settings.relayer_daily_gas_budget
        assert refusal["params"]["remaining_gas"] < refusal["params"]["needed_gas"]
        assert 10 <= codes.count(202) < 60
        # ... and the neighbour still acts.
        response = env.act(
            neighbour, "POST", "/api/cases", {"programme_id": programme, "evidence_hash": h("neighbour")}
        )
        assert response.status_code == 202, response.text
        env.worker.drain(timeout=120)
    env.worker.release_leases()
