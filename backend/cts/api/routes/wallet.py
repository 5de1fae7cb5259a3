"""What a person's own wallet needs to sign a request the relayer sends for them (POST /api/h/<slug>/relay).

One answer carries the forwarder's EIP-712 domain and types, the signer's next nonce, the chain's time for
the deadline, the gas the service requires and the functions the person's role may call; docs/wallets.md
describes it for wallet authors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from cts.api.deps import MemberUser, RelayerDep, SessionDep
from cts.api.responses import error_responses
from cts.chain.forwarder import FORWARD_REQUEST_TYPES
from cts.errors import InvalidInputError
from cts.relayer.schemas import (
    Address,
    HexBytesStr,
    WalletDeadline,
    WalletFunction,
    WalletGas,
    WalletNonce,
    WalletRequestTemplate,
)
from cts.relayer.service import Call
from cts.relayer.simulation import GAS_MARGIN_PERCENT, MIN_REQUEST_GAS

router = APIRouter(prefix="/h/{slug}/wallet", tags=["wallet"])

EIP712_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
# The deadline a wallet is offered: long enough to confirm in the wallet, short enough to be stale soon.
SUGGESTED_DEADLINE_SECONDS = 600


@router.get(
    "/request-template",
    response_model=WalletRequestTemplate,
    responses=error_responses(401, 403, 404, 422, 503),
)
def get_request_template(
    user: MemberUser,
    session: SessionDep,
    relayer: RelayerDep,
    to: Annotated[Address | None, Query(description="The contract to call (with data).")] = None,
    data: Annotated[HexBytesStr | None, Query(description="The call's ABI-encoded data (with to).")] = None,
) -> WalletRequestTemplate:
    """Everything the signed-in person's linked own wallet needs to sign a ForwardRequest now.

    With ``to`` and ``data`` the call is checked and simulated from the wallet, and ``message`` is the
    request to sign as it stands (gas, nonce and deadline filled in)."""
    if (to is None) != (data is None):
        raise InvalidInputError("Give both to and data (the call to sign), or neither.")
    call = Call(to, bytes.fromhex(data[2:])) if to is not None and data is not None else None
    template = relayer.request_template(session, user, call)
    domain = relayer.chain.domain
    max_ahead = relayer.settings.relayer_max_request_deadline_seconds
    deadline = WalletDeadline(
        chain_time=template.chain_time,
        max_seconds_ahead=max_ahead,
        latest=template.chain_time + max_ahead,
        suggested=template.chain_time + min(SUGGESTED_DEADLINE_SECONDS, max_ahead),
    )
    nonce = WalletNonce(
        forwarder=template.forwarder_nonce,
        pending=template.pending,
        next=template.forwarder_nonce + template.pending,
    )
    message: dict[str, Any] | None = None
    typed_data: dict[str, Any] | None = None
    if call is not None and template.gas is not None:
        message = {
            "from": template.signer,
            "to": call.target,
            "value": 0,
            "gas": template.gas,
            "nonce": nonce.next,
            "deadline": deadline.suggested,
            "data": data,
        }
        typed_data = {
            "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **FORWARD_REQUEST_TYPES},
            "primaryType": "ForwardRequest",
            "domain": domain.as_dict(),
            "message": message,
        }
    return WalletRequestTemplate(
        relay_url=f"/api/h/{relayer.hromada.slug}/relay",
        forwarder=domain.verifying_contract,
        chain_id=domain.chain_id,
        signer=template.signer,
        primary_type="ForwardRequest",
        domain=domain.as_dict(),
        types=FORWARD_REQUEST_TYPES,
        nonce=nonce,
        gas=WalletGas(required=template.gas, margin_percent=GAS_MARGIN_PERCENT, minimum=MIN_REQUEST_GAS),
        deadline=deadline,
        message=message,
        typed_data=typed_data,
        functions=[
            WalletFunction(contract=f.contract, address=f.address, abi=f.abi) for f in template.functions
        ],
    )
