"""Users managed by the council, and the signed-in user's own wallet."""

from __future__ import annotations

from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi import APIRouter, Request, Response, status
from sqlalchemy import select

from cts.api.deps import CouncilUser, CurrentUser, PasswordHasherDep, SessionDep, SettingsDep
from cts.api.idempotency import IdempotencyDep
from cts.api.responses import error_responses
from cts.crud import create_user
from cts.errors import ConflictError, InvalidInputError
from cts.models import User
from cts.relayer.schemas import Address, OwnWalletLink, OwnWalletStatement
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
