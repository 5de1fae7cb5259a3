from collections.abc import Callable

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient

from cts.api.deps import (
    AuditorUser,
    CoordinatorUser,
    CouncilUser,
    CurrentUser,
    ResidentUser,
    VerifierUser,
    rate_limited,
    require_roles,
)
from cts.core.ratelimit import RateLimit
from cts.models import Hromada, Role

SLUG = "testova"  # the hromada of the API tests' app (tests/backend/api/conftest.py)

TokenFor = Callable[[Role], str]

ALLOWED = {
    "resident": {Role.RESIDENT},
    "verifier": {Role.VERIFIER, Role.COORDINATOR},
    "coordinator": {Role.COORDINATOR},
    "council": {Role.COUNCIL},
    "auditor": {Role.AUDITOR},
    "anyone": set(Role),
}


@pytest.fixture
def guarded_client(app: FastAPI) -> TestClient:
    router = APIRouter(prefix="/api/h/{slug}/test")

    @router.get("/resident")
    def for_residents(user: ResidentUser) -> int:
        return user.id

    @router.get("/verifier")
    def for_verifiers(user: VerifierUser) -> int:
        return user.id

    @router.get("/coordinator")
    def for_coordinators(user: CoordinatorUser) -> int:
        return user.id

    @router.get("/council")
    def for_council(user: CouncilUser) -> int:
        return user.id

    @router.get("/auditor")
    def for_auditors(user: AuditorUser) -> int:
        return user.id

    @router.get("/anyone")
    def for_anyone(user: CurrentUser) -> int:
        return user.id

    @router.get(
        "/limited", dependencies=[Depends(rate_limited(RateLimit("test", capacity=2, period_seconds=3600)))]
    )
    def limited() -> str:
        return "ok"

    app.include_router(router)
    return TestClient(app, base_url="https://testserver")


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("endpoint", sorted(ALLOWED))
def test_each_role_alias_lets_through_exactly_its_roles(
    guarded_client: TestClient, token_for: TokenFor, endpoint: str, role: Role
) -> None:
    response = guarded_client.get(
        f"/api/h/{SLUG}/test/{endpoint}", headers={"Authorization": f"Bearer {token_for(role)}"}
    )
    if role in ALLOWED[endpoint]:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 403
        assert response.json()["code"] == "role_required"


@pytest.mark.parametrize("endpoint", sorted(ALLOWED))
def test_every_role_alias_needs_a_session(guarded_client: TestClient, endpoint: str) -> None:
    assert guarded_client.get(f"/api/h/{SLUG}/test/{endpoint}").status_code == 401


def test_require_roles_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        require_roles()


def test_a_rate_limited_route_answers_429_with_retry_after_per_user(
    guarded_client: TestClient, token_for: TokenFor
) -> None:
    alice = {"Authorization": f"Bearer {token_for(Role.RESIDENT)}"}
    bob = {"Authorization": f"Bearer {token_for(Role.RESIDENT)}"}
    statuses = [
        guarded_client.get(f"/api/h/{SLUG}/test/limited", headers=alice).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    refused = guarded_client.get(f"/api/h/{SLUG}/test/limited", headers=alice)
    assert refused.json() == {
        "detail": "Too many requests. Please wait a little and try again.",
        "code": "rate_limited",
    }
    assert 1700 <= int(refused.headers["Retry-After"]) <= 1800  # half an hour: one of two tokens per hour
    assert guarded_client.get(f"/api/h/{SLUG}/test/limited", headers=bob).status_code == 200
    assert guarded_client.get(f"/api/h/{SLUG}/test/limited").status_code == 401


def test_a_role_in_one_hromada_is_no_role_in_another(
    app: FastAPI, guarded_client: TestClient, token_for: TokenFor
) -> None:
    """Roles are per hromada: the council of one is nobody in another, whatever the URL says."""
    with app.state.session_factory() as session:
        session.add(Hromada(slug="insha", name="Інша громада", chain_id=1337))
        session.commit()
    council = {"Authorization": f"Bearer {token_for(Role.COUNCIL)}"}
    assert guarded_client.get(f"/api/h/{SLUG}/test/council", headers=council).status_code == 200
    elsewhere = guarded_client.get("/api/h/insha/test/council", headers=council)
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "role_required"
    assert guarded_client.get("/api/h/nowhere/test/council", headers=council).status_code == 404
    assert guarded_client.get("/api/h/Not%20A%20Slug/test/council", headers=council).status_code == 422
