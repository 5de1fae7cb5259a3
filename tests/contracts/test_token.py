"""The RV token: indivisible, a fixed face value, EIP-2612 permit, and never transferable between residents.

RV moves only between residents and the hromada's system contracts: the programmes mint it, a vote round
escrows (pulls), refunds and burns it, and the registry migrates a resident's balance to a new key.
"""

import brownie
import pytest
from brownie import accounts, chain
from brownie.test import given, strategy
from cts_errors import ZERO_ADDRESS, error
from cts_helpers import DAY, FACE_VALUE, HROMADA_KEYS, REASON_FRAUD, h, round_params
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from hypothesis import settings

PERMIT_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Permit": [
        {"name": "owner", "type": "address"},
        {"name": "spender", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
}


def sign_permit(token, private_key, owner, spender, value, deadline, nonce=None):
    """(v, r, s) of an EIP-2612 permit signed with `private_key` for `owner`."""
    domain = token.eip712Domain()
    typed = {
        "types": PERMIT_TYPES,
        "primaryType": "Permit",
        "domain": {
            "name": domain[1],
            "version": domain[2],
            "chainId": domain[3],
            "verifyingContract": domain[4],
        },
        "message": {
            "owner": str(owner),
            "spender": str(spender),
            "value": value,
            "nonce": token.nonces(owner) if nonce is None else nonce,
            "deadline": deadline,
        },
    }
    signed = Account.sign_message(encode_typed_data(full_message=typed), private_key)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


def latest_timestamp() -> int:
    """The latest block's time: the next block is never earlier. (After a snapshot is reverted, Anvil's
    clock can lag `chain.time()` until a block is mined, so windows that start "now" use this.)"""
    return chain[-1].timestamp


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def dana(registry, registrar):
    """A resident whose custodial key the relayer holds: she has no ETH and only signs."""
    account = accounts.add("0x" + keccak(text="cts-test-token-dana").hex())
    registry.addResident(account, h("identity-dana"), {"from": registrar})
    return account


@pytest.fixture(scope="module")
def earned(cases, programme, residents, verifiers):
    """Alice earned 6 RV (three cases), Bob 2 RV (one case), Carol nothing."""
    alice, bob, _ = residents
    for i in range(3):
        cases.submitCase(programme, h(f"alice-case-{i}"), {"from": alice})
    cases.submitCase(programme, h("bob-case-0"), {"from": bob})
    cases.approveCases([1, 2, 3, 4], {"from": verifiers[0]})
    return {alice: 6, bob: 2}


@pytest.fixture(scope="module")
def voting_round(vote, council, carol, earned, capital):
    """Round 1, open for voting, with one eligible grant project pitched by Carol."""
    vote.createRound(round_params(latest_timestamp(), fund=1_000_000), {"from": council})
    vote.pitchProject(1, 500_000, h("playground"), 0, {"from": carol})
    chain.sleep(DAY + 1)
    vote.screenProject(1, 1, True, 0, {"from": council})
    chain.sleep(DAY + 1)
    chain.mine()
    return 1


# ---------------------------------------------------------------- what RV is


def test_rv_is_indivisible(token):
    assert token.decimals() == 0


def test_the_face_value_is_fixed_at_creation(hromada, token, outsider):
    assert token.faceValueKopiyky() == FACE_VALUE
    # No function but the getter touches it, and the initialiser cannot run again.
    assert [f for f in token.signatures if "facevalue" in f.lower()] == ["faceValueKopiyky"]
    contracts = tuple(hromada[k] for k in HROMADA_KEYS)
    with brownie.reverts(error("InvalidInitialization")):
        token.initialize("RV", "RV", 1, contracts, outsider, {"from": outsider})
    assert token.faceValueKopiyky() == FACE_VALUE


def test_the_system_contracts_are_the_hromadas_own(hromada, token, residents, outsider):
    for name in ("registry", "cases", "vote", "fund"):
        assert token.isSystemContract(hromada[name])
    for account in (token, outsider, ZERO_ADDRESS, *residents):
        assert not token.isSystemContract(account)


# ---------------------------------------------------------------- EIP-2612 permit


def test_a_permit_signed_by_a_resident_sets_an_allowance(token, dana, bob, relayer):
    deadline = latest_timestamp() + DAY
    v, r, s = sign_permit(token, dana.private_key, dana, bob, 5, deadline)
    tx = token.permit(dana, bob, 5, deadline, v, r, s, {"from": relayer})

    assert tx.events["Approval"] == {"owner": dana, "spender": bob, "value": 5}
    assert token.allowance(dana, bob) == 5
    assert token.nonces(dana) == 1
    assert dana.balance() == 0


def test_a_permit_cannot_be_used_twice(token, dana, bob, relayer):
    deadline = latest_timestamp() + DAY
    v, r, s = sign_permit(token, dana.private_key, dana, bob, 5, deadline)
    token.permit(dana, bob, 5, deadline, v, r, s, {"from": relayer})
    # The nonce moved on: the same signature now recovers to an unrelated address.
    with brownie.reverts(revert_pattern=rf"ERC2612InvalidSigner: 0x[0-9a-f]{{40}}, {dana.address.lower()}"):
        token.permit(dana, bob, 5, deadline, v, r, s, {"from": relayer})
    assert token.nonces(dana) == 1


def test_an_expired_permit_reverts(token, dana, bob, relayer):
    deadline = latest_timestamp() - 1
    v, r, s = sign_permit(token, dana.private_key, dana, bob, 5, deadline)
    with brownie.reverts(error("ERC2612ExpiredSignature", deadline)):
        token.permit(dana, bob, 5, deadline, v, r, s, {"from": relayer})
    assert token.allowance(dana, bob) == 0
    assert token.nonces(dana) == 0


def test_a_permit_signed_by_someone_else_reverts(token, dana, bob, relayer):
    mallory = Account.from_key(keccak(text="cts-test-token-mallory"))
    deadline = latest_timestamp() + DAY
    v, r, s = sign_permit(token, mallory.key, dana, bob, 5, deadline)
    with brownie.reverts(error("ERC2612InvalidSigner", mallory.address, dana)):
        token.permit(dana, bob, 5, deadline, v, r, s, {"from": relayer})
    assert token.allowance(dana, bob) == 0


def test_a_permitted_spender_still_cannot_move_rv_between_residents(token, earned, alice, bob, carol):
    token.approve(bob, 6, {"from": alice})
    with brownie.reverts(error("RVTokenNonTransferable", alice, carol)):
        token.transferFrom(alice, carol, 1, {"from": bob})
    with brownie.reverts(error("RVTokenNonTransferable", alice, bob)):
        token.transferFrom(alice, bob, 1, {"from": bob})
    assert token.allowance(alice, bob) == 6
    assert token.balanceOf(alice) == 6


# ---------------------------------------------------------------- no transfers between residents


def test_a_resident_cannot_transfer_rv_to_another_resident(token, earned, alice, bob):
    with brownie.reverts(error("RVTokenNonTransferable", alice, bob)):
        token.transfer(bob, 1, {"from": alice})
    assert token.balanceOf(alice) == 6
    assert token.balanceOf(bob) == 2


@given(
    sender=strategy("uint8", max_value=3),
    receiver=strategy("uint8", max_value=3),
    amount=strategy("uint256", max_value=8),
)
@settings(max_examples=8)
def test_no_transfer_between_two_non_system_accounts_ever_succeeds(
    token, earned, residents, outsider, sender, receiver, amount
):
    people = [*residents, outsider]
    source, target = people[sender], people[receiver]
    # Whatever the amount (zero, within or beyond the balance), to self or to anyone.
    with brownie.reverts(error("RVTokenNonTransferable", source, target)):
        token.transfer(target, amount, {"from": source})
    assert token.balanceOf(source) == earned.get(source, 0)
    assert token.balanceOf(target) == earned.get(target, 0)


def test_transfer_from_with_an_allowance_between_residents_reverts(token, earned, alice, bob, carol):
    approval = token.approve(carol, 2, {"from": bob})
    assert approval.events["Approval"] == {"owner": bob, "spender": carol, "value": 2}
    with brownie.reverts(error("RVTokenNonTransferable", bob, carol)):
        token.transferFrom(bob, carol, 2, {"from": carol})
    with brownie.reverts(error("RVTokenNonTransferable", bob, alice)):
        token.transferFrom(bob, alice, 2, {"from": carol})
    assert token.balanceOf(bob) == 2


# ---------------------------------------------------------------- movements with system contracts


def test_a_resident_cannot_send_rv_to_a_system_contract_either(token, fund, vote, earned, alice, bob):
    # Only a system contract moves RV (to or from itself): sent by hand, RV would be stranded there.
    for target in (fund, vote):
        with brownie.reverts(error("RVTokenNonTransferable", alice, target)):
            token.transfer(target, 1, {"from": alice})
    token.approve(bob, 3, {"from": alice})
    with brownie.reverts(error("RVTokenNonTransferable", alice, fund)):
        token.transferFrom(alice, fund, 1, {"from": bob})
    assert token.balanceOf(fund) == 0
    assert token.balanceOf(alice) == 6


def test_a_ballot_pulls_rv_into_the_vote(token, vote, voting_round, alice):
    tx = vote.castBallot(voting_round, [1], [4], {"from": alice})
    assert tx.events["Transfer"] == {"from": alice, "to": vote, "value": 4}
    assert token.balanceOf(vote) == 4
    assert token.balanceOf(alice) == 2


def test_a_revised_ballot_returns_rv_from_the_vote(token, vote, voting_round, alice):
    vote.castBallot(voting_round, [1], [4], {"from": alice})
    tx = vote.castBallot(voting_round, [1], [1], {"from": alice})
    assert tx.events["Transfer"] == {"from": vote, "to": alice, "value": 3}
    assert token.balanceOf(vote) == 1
    assert token.balanceOf(alice) == 5


def test_finalising_a_round_burns_the_escrowed_rv(token, vote, voting_round, alice, bob, outsider):
    vote.castBallot(voting_round, [1], [3], {"from": alice})
    vote.castBallot(voting_round, [1], [2], {"from": bob})
    chain.sleep(7 * DAY + 1)
    tx = vote.finalise(voting_round, {"from": outsider})

    assert tx.events["RVBurned"] == {"systemContract": vote, "amount": 5}
    assert tx.events["Transfer"] == {"from": vote, "to": ZERO_ADDRESS, "value": 5}
    assert token.balanceOf(vote) == 0
    assert token.totalBurned() == 5
    assert token.totalMinted() == 8
    assert token.totalSupply() == 3


# ---------------------------------------------------------------- minting


def test_an_approved_case_mints_rv_to_the_resident(token, cases, programme, earned, alice, verifiers):
    cases.submitCase(programme, h("alice-mint"), {"from": alice})
    tx = cases.approveCase(5, {"from": verifiers[0]})

    assert tx.events["Transfer"] == {"from": ZERO_ADDRESS, "to": alice, "value": 2}
    assert token.balanceOf(alice) == 8
    assert token.totalMinted() == token.totalSupply() == 10


def test_only_the_useful_case_contract_mints(token, earned, council, registrar, alice, outsider):
    for caller in (council, registrar, alice, outsider):
        with brownie.reverts(error("RVTokenUnauthorised", caller)):
            token.mint(alice, 1, {"from": caller})
    assert token.balanceOf(alice) == 6
    assert token.totalSupply() == token.totalMinted() == 8


def test_rv_is_minted_only_to_an_active_resident(
    token, registry, cases, programme, earned, registrar, alice, verifiers
):
    cases.submitCase(programme, h("alice-then-suspended"), {"from": alice})
    case_id = 5
    registry.suspendResident(alice, REASON_FRAUD, {"from": registrar})
    # The programmes contract refuses first, with its own error (the token would refuse too).
    with brownie.reverts(error("UsefulCaseResidentNotActive", case_id, 1)):
        cases.approveCase(case_id, {"from": verifiers[0]})
    assert token.balanceOf(alice) == 6
    assert token.totalMinted() == 8
    # Once reinstated, the same case can be approved and paid.
    registry.reinstateResident(alice, {"from": registrar})
    assert cases.approveCase(case_id, {"from": verifiers[0]}).events["Transfer"]["to"] == alice


# ---------------------------------------------------------------- pulling, burning, migrating


def test_only_the_balanced_vote_pulls_a_residents_rv(token, earned, council, alice, bob, outsider):
    for caller in (council, alice, bob, outsider):
        with brownie.reverts(error("RVTokenUnauthorised", caller)):
            token.pullFromResident(alice, 1, {"from": caller})
    assert token.balanceOf(alice) == 6


def test_only_a_system_contract_burns(token, earned, council, alice, outsider):
    for caller in (council, alice, outsider):
        with brownie.reverts(error("RVTokenUnauthorised", caller)):
            token.burn(1, {"from": caller})
    assert token.totalBurned() == 0
    assert token.totalSupply() == 8


def test_only_the_registry_migrates_a_balance(token, earned, council, registrar, alice, bob, outsider):
    for caller in (council, registrar, alice, outsider):
        with brownie.reverts(error("RVTokenUnauthorised", caller)):
            token.migrateBalance(alice, outsider, {"from": caller})
    assert token.balanceOf(alice) == 6
    assert token.balanceOf(outsider) == 0


def test_the_registry_migrates_a_balance_to_the_new_key(token, registry, earned, registrar, alice):
    new_key = accounts[12]
    tx = registry.migrateResident(alice, new_key, {"from": registrar})
    assert tx.events["RVMigrated"] == {"from": alice, "to": new_key, "amount": 6}
    assert tx.events["Transfer"] == {"from": alice, "to": new_key, "value": 6}
    assert token.balanceOf(new_key) == 6
    assert token.totalSupply() == token.totalMinted() == 8


# ---------------------------------------------------------------- totals


def test_total_minted_and_burned_account_for_the_supply(token, cases, vote, voting_round, alice, verifiers):
    # 8 minted by the `earned` cases; Alice spends 6 in the round, then earns 2 more.
    vote.castBallot(voting_round, [1], [6], {"from": alice})
    chain.sleep(7 * DAY + 1)
    vote.finalise(voting_round, {"from": alice})
    cases.submitCase(1, h("alice-after-vote"), {"from": alice})
    cases.approveCase(5, {"from": verifiers[0]})

    assert token.totalMinted() == 10
    assert token.totalBurned() == 6
    assert token.totalSupply() == token.totalMinted() - token.totalBurned() == 4
