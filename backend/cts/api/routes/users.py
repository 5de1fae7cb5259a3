"""People: those of a hromada (managed by its council, or joining as residents), and the signed-in
user's own wallet."""

from __future__ import annotations

from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi import APIRouter, Request, Response, status
from sqlalchemy import select

from cts.api.deps import CouncilUser, CurrentHromada, CurrentUser, PasswordHasherDep, SessionDep, SettingsDep
from cts.api.idempotency import IdempotencyDep
from cts.api.responses import error_responses
from cts.crud import create_user, get_user_by_login
from cts.errors import ConflictError, InvalidInputError, NotFoundError
from cts.hromadas import grant_role
from cts.models import Role, User
from cts.relayer.schemas import Address, OwnWalletLink, OwnWalletStatement
from cts.schemas import MembershipGrant, MembershipPublic, UserCreate, UserPublic

router = APIRouter(prefix="/users", tags=["users"])
# The people of one hromada, managed by its council.
hromada_router = APIRouter(prefix="/h/{slug}", tags=["users"])


@hromada_router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
def create_user_by_council(
    council_member: CouncilUser,
    hromada: CurrentHromada,
    user_in: UserCreate,
    session: SessionDep,
    settings: SettingsDep,
    password_hasher: PasswordHasherDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Create a person's account with a role in this hromada (a verifier, a coordinator, an auditor,
    another council member, a resident), with a custodial wallet. This hromada's council only."""
    user = create_user(
        session,
        user_in,
        role=user_in.role,
        hromada=hromada,
        password_hasher=password_hasher,
        master_key=settings.master_key,
    )
    return idempotency.respond(
        UserPublic.from_user(user, only_hromada_id=hromada.id), status.HTTP_201_CREATED
    )


@hromada_router.post(
    "/members",
    status_code=status.HTTP_201_CREATED,
    response_model=MembershipPublic,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
def grant_membership(
    council_member: CouncilUser,
    hromada: CurrentHromada,
    body: MembershipGrant,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Give a role in this hromada to a person who already has an account (a verifier of one hromada
    may be a resident of another: one account, one role per hromada). This hromada's council only."""
    user = get_user_by_login(session, body.login)
    if user is None:
        raise NotFoundError("There is no account with this phone number or e-mail address.")
    membership = grant_role(session, user, hromada, body.role)
    return idempotency.respond(
        MembershipPublic(hromada=hromada.slug, role=membership.role), status.HTTP_201_CREATED
    )


@hromada_router.post(
    "/membership",
    status_code=status.HTTP_201_CREATED,
    response_model=MembershipPublic,
    responses=error_responses(400, 401, 404, 409, 422),
)
def join_as_resident(
    user: CurrentUser, hromada: CurrentHromada, session: SessionDep, idempotency: IdempotencyDep
) -> Response:
    """Join this hromada as a resident (for instance after moving here). The council registers the person
    on chain after its identity check; until then they hold no RV here and cannot vote."""
    membership = grant_role(session, user, hromada, Role.RESIDENT)
    return idempotency.respond(
        MembershipPublic(hromada=hromada.slug, role=membership.role), status.HTTP_201_CREATED
    )


# ---------------------------------------------------------------- the signed-in user's own wallet


def own_wallet_statement(host: str, user_id: int, address: str) -> str:
    """The text a person signs (EIP-191 ``personal_sign``) to link their own wallet to their account.

    It names the service and the account, so that a signature given to one cannot link the wallet
    to an account elsewhere."""
    return (
        f"CTS at {host}: I link my wallet {address} to account {user_id}, "
        "and only this account may relay requests it signs."
    )


@router.get(
    "/me/own-wallet/statement",
    response_model=OwnWalletStatement,
    responses=error_responses(401, 422),
)
def get_own_wallet_statement(address: Address, user: CurrentUser, request: Request) -> OwnWalletStatement:
    """The statement to sign with the wallet (``personal_sign``) before linking it."""
    return OwnWalletStatement(message=own_wallet_statement(request.url.netloc, user.id, address))


@router.put("/me/own-wallet", response_model=UserPublic, responses=error_responses(400, 401, 409, 422))
def link_own_wallet(
    body: OwnWalletLink, user: CurrentUser, session: SessionDep, request: Request
) -> UserPublic:
    """Link a wallet the person holds themselves, proven by its signature of the statement. Only this
    account may then relay requests that wallet signs (POST /api/relay), within this account's limits."""
    message = own_wallet_statement(request.url.netloc, user.id, body.address)
    try:
        signer = Account.recover_message(
            encode_defunct(text=message), signature=bytes.fromhex(body.signature[2:])
        )
    except Exception:  # eth-account raises several types for a malformed signature
        raise InvalidInputError("The signature is malformed.") from None
    if signer != body.address:
        raise InvalidInputError("The signature is not the wallet's signature of the statement.")
    owner = session.scalar(select(User.id).where(User.own_wallet_address == body.address))
    if owner is not None and owner != user.id:
        raise ConflictError("This wallet is linked to another account.")
    if body.address == user.wallet.address:
        raise InvalidInputError("This is your custodial wallet; link a wallet you hold yourself.")
    user.own_wallet_address = body.address
    session.commit()
    return UserPublic.from_user(user)


@router.delete("/me/own-wallet", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def unlink_own_wallet(user: CurrentUser, session: SessionDep) -> Response:
    """Unlink the own wallet (requests it signed are no longer relayed for this account)."""
    user.own_wallet_address = None
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
