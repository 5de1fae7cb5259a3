"""Helpers shared by the contract tests: identities, programme and round parameters, EIP-712 forwarding."""

from __future__ import annotations

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

FACE_VALUE = 5_000  # kopiyky: 50 UAH, as in the pilots
DAY = 24 * 60 * 60

# Reason codes used in tests (their meanings live off chain).
REASON_DUPLICATE_PHOTO = 7
REASON_FRAUD = 3


def h(text: str) -> bytes:
    """A bytes32 hash of a label: identity checks, evidence, metadata, receipts."""
    return keccak(text=text)


def programme_params(
    now: int,
    verifiers,
    *,
    title: str = "Cleaning the park",
    reward: int = 2,
    case_value: int = 40_000,
    token_cap: int = 100,
    per_resident_cap: int = 10,
    start: int | None = None,
    end: int | None = None,
    quorum: int = 1,
    metadata: str = "park-cleaning-2023",
):
    """The ProgrammeParams tuple, with sensible defaults: open now for 30 days."""
    return (
        title,
        h(metadata),
        reward,
        case_value,
        token_cap,
        per_resident_cap,
        now if start is None else start,
        now + 30 * DAY if end is None else end,
        quorum,
        [str(v) for v in verifiers],
    )


# The conftest `hromada` fixture's keys, in the order of the HromadaContracts struct.
HROMADA_KEYS = ("registry", "token", "cases", "vote", "fund", "delivery", "coFinancing")


def rules(
    rule: int = 0,
    min_projects: int = 1,
    max_projects: int = 10,
    max_credits: int = 0,
    co_financed: bool = False,
):
    """The Rules tuple: rule 0 QuadraticFunding, 1 ProportionalToWeight, 2 GreedyByWeight; under `co_financed`
    the vote fills only each project's ask minus the money pledged to it."""
    return (rule, min_projects, max_projects, max_credits, co_financed)


def round_params(
    now: int,
    *,
    fund: int = 1_000_000,
    pitch: int = DAY,
    screen: int = DAY,
    vote: int = 7 * DAY,
    start_delay: int = 0,
    max_projects: int = 10,
    round_rules=None,
    metadata: str = "round-2023",
):
    """The RoundParams tuple: pitching starts now (+ delay), then screening, then voting."""
    pitch_start = now + start_delay
    return (
        fund,
        pitch_start,
        pitch_start + pitch,
        pitch_start + pitch + screen,
        pitch_start + pitch + screen + vote,
        max_projects,
        h(metadata),
        round_rules if round_rules is not None else rules(),
    )


FORWARD_REQUEST_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "ForwardRequest": [
        {"name": "from", "type": "address"},
        {"name": "to", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "gas", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint48"},
        {"name": "data", "type": "bytes"},
    ],
}


def sign_forward_request(
    forwarder, private_key, signer, target, data, *, deadline, gas=1_000_000, nonce=None
):
    """A ForwardRequestData tuple for OpenZeppelin's ERC2771Forwarder, signed by `signer`."""
    domain = forwarder.eip712Domain()
    if nonce is None:
        nonce = forwarder.nonces(signer)
    message = {
        "from": str(signer),
        "to": str(target),
        "value": 0,
        "gas": gas,
        "nonce": nonce,
        "deadline": deadline,
        "data": bytes.fromhex(data[2:]) if isinstance(data, str) else data,
    }
    typed = {
        "types": FORWARD_REQUEST_TYPES,
        "primaryType": "ForwardRequest",
        "domain": {
            "name": domain[1],
            "version": domain[2],
            "chainId": domain[3],
            "verifyingContract": domain[4],
        },
        "message": message,
    }
    signature = Account.sign_message(encode_typed_data(full_message=typed), private_key).signature
    return (str(signer), str(target), 0, gas, deadline, message["data"], signature)
