"""Users managed by the council."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from cts.api.deps import CouncilUser, PasswordHasherDep, SessionDep, SettingsDep
from cts.api.idempotency import IdempotencyDep
from cts.api.responses import error_responses
from cts.crud import create_user
from cts.schemas import UserCreate, UserPublic

router = APIRouter(prefix="/users", tags=["users"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=error_responses(400, 401, 403, 409, 422),
)
def create_user_by_council(
    council_member: CouncilUser,
    user_in: UserCreate,
    session: SessionDep,
    settings: SettingsDep,
    password_hasher: PasswordHasherDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Create a user of any role (a verifier, a coordinator, an auditor, another council member),
    with a custodial wallet. Council only."""
    user = create_user(
        session,
        user_in,
        role=user_in.role,
        password_hasher=password_hasher,
        master_key=settings.master_key,
    )
    return idempotency.respond(UserPublic.from_user(user), status.HTTP_201_CREATED)
