"""Residents who move between hromadas: the old registry releases, the new one registers with a link back.

Two hromadas of the same factory: the conftest's "Test Hromada" (the old one: Alice, Bob and Carol are
residents 1, 2, 3) and "New Hromada" with its own council and registrar; a third for the cases where a
release goes elsewhere. RV never leaves the hromada that issued it; only the record moves.
"""

import brownie
import pytest
from brownie import LyingResidentRegistry, ResidentRegistry, accounts
from cts_errors import ACTIVE, MIGRATED, MOVED, NONE, REGISTRAR_ROLE, SUSPENDED, ZERO_ADDRESS, error
from cts_helpers import FACE_VALUE, REASON_FRAUD, h
from vote_model import close_voting, give_rv, open_round

ALICE, BOB, CAROL = 1, 2, 3  # resident ids in the old registry


def identity(who) -> bytes:
    """The identity hash the `residents` fixture registered `who` with (the same check in every hromada)."""
    return h(f"identity-check-{who}")


def onboard(factory, name: str, council, registrar):
    tx = factory.onboardHromada(
        (name, f"RV {name}", "RV-" + name[:3].upper(), FACE_VALUE, council, registrar), {"from": council}
    )
    return ResidentRegistry.at(tx.events["HromadaOnboarded"]["contracts"][0])


@pytest.fixture(scope="module")
def new_council():
    return accounts[14]


@pytest.fixture(scope="module")
def new_registrar():
    return accounts[13]


@pytest.fixture(scope="module")
def new_registry(factory, new_council, new_registrar, registry):
    """The resident registry of the hromada people move to."""
    return onboard(factory, "New Hromada", new_council, new_registrar)


@pytest.fixture(scope="module")
def third_registry(factory, new_council, new_registrar, new_registry):
    """Another hromada's registry (same council and registrar as the new one, for brevity)."""
    return onboard(factory, "Third Hromada", new_council, new_registrar)


@pytest.fixture(scope="module")
def alice_new_key():
    """The address Alice uses in the new hromada when she does not keep her wallet."""
    return accounts[15]


@pytest.fixture
def alice_with_rv(cases, council, coordinator, verifiers, residents, capital, alice):
    """Alice holds 30 RV of the old hromada (function-scoped: a module-scoped fixture would stay for the
    tests after the first that asks for it, and shift the ids of programmes made later)."""
    give_rv(cases, council, coordinator, verifiers[0], {alice: 30})
    return alice


def move(
    registry, new_registry, registrar, new_registrar, who, resident_id, *, keep_active=False, account=None
):
    """The whole move: the old registrar releases, the new one registers with the link; returns both txs."""
    released = registry.releaseResident(who, new_registry, keep_active, {"from": registrar})
    arrived = new_registry.addMovedResident(
        who if account is None else account, identity(who), registry, resident_id, {"from": new_registrar}
    )
    return released, arrived


def registry_state(registry, *addresses):
    return (
        registry.residentCount(),
        registry.activeResidentCount(),
        [tuple(registry.residentOf(a)) for a in addresses],
    )


# ---------------------------------------------------------------- the full move


def test_releasing_a_resident_moves_them_out_of_the_old_hromada(
    registry, registrar, residents, alice, new_registry
):
    tx = registry.releaseResident(alice, new_registry, False, {"from": registrar})

    assert tx.events["ResidentReleased"] == {
        "residentId": ALICE,
        "account": alice,
        "toRegistry": new_registry.address,
        "keepActive": False,
    }
    assert registry.residentOf(alice)["status"] == MOVED
    assert not registry.isActive(alice)
    assert tuple(registry.releaseOf(ALICE)) == (new_registry.address, False, 1)
    assert registry.addressOf(ALICE) == alice
    assert registry.activeAddressOf(ALICE) == ZERO_ADDRESS  # nothing is paid to a resident who moved away
    assert registry.residentCount() == 3
    assert registry.activeResidentCount() == 2


def test_the_new_hromada_registers_a_released_resident_with_a_link(
    registry, registrar, residents, alice, new_registry, new_registrar
):
    registry.releaseResident(alice, new_registry, False, {"from": registrar})
    tx = new_registry.addMovedResident(alice, identity(alice), registry, ALICE, {"from": new_registrar})

    assert tx.return_value == 1
    assert tx.events["ResidentAdded"] == {
        "residentId": 1,
        "account": alice,
        "identityHash": "0x" + identity(alice).hex(),
    }
    assert tx.events["ResidentArrived"] == {
        "residentId": 1,
        "account": alice,
        "fromRegistry": registry.address,
        "fromResidentId": ALICE,
    }
    assert new_registry.isActive(alice)
    assert tuple(new_registry.arrivalOf(registry, ALICE)) == (1, 1)
    assert new_registry.residentCount() == 1
    assert new_registry.activeResidentCount() == 1
    # Still moved out of the old one: one person, active in one hromada.
    assert registry.residentOf(alice)["status"] == MOVED


def test_a_moved_resident_may_arrive_at_a_new_address(
    registry, registrar, residents, alice, alice_new_key, new_registry, new_registrar
):
    _, arrived = move(registry, new_registry, registrar, new_registrar, alice, ALICE, account=alice_new_key)

    assert arrived.events["ResidentArrived"]["account"] == alice_new_key
    assert new_registry.residentOf(alice_new_key)["status"] == ACTIVE
    assert new_registry.residentOf(alice)["status"] == NONE


def test_a_peer_registry_is_a_clone_of_the_same_implementation(registry, new_registry, token, residents):
    assert registry.isPeerRegistry(new_registry)
    assert new_registry.isPeerRegistry(registry)
    assert not registry.isPeerRegistry(registry)
    assert not registry.isPeerRegistry(token)
    assert not registry.isPeerRegistry(accounts[9])


# ---------------------------------------------------------------- dual residency


def test_a_council_may_keep_a_released_resident_active(registry, registrar, residents, alice, new_registry):
    tx = registry.releaseResident(alice, new_registry, True, {"from": registrar})

    assert tx.events["ResidentReleased"] == {
        "residentId": ALICE,
        "account": alice,
        "toRegistry": new_registry.address,
        "keepActive": True,
    }
    assert registry.residentOf(alice)["status"] == ACTIVE
    assert tuple(registry.releaseOf(ALICE)) == (new_registry.address, True, 1)
    assert registry.activeResidentCount() == 3


def test_a_resident_kept_active_is_active_in_both_hromadas(
    registry, registrar, residents, alice, new_registry, new_registrar
):
    move(registry, new_registry, registrar, new_registrar, alice, ALICE, keep_active=True)

    assert registry.isActive(alice)
    assert new_registry.isActive(alice)


def test_releasing_again_without_keeping_active_ends_dual_residency(
    registry, registrar, residents, alice, new_registry, new_registrar
):
    move(registry, new_registry, registrar, new_registrar, alice, ALICE, keep_active=True)
    tx = registry.releaseResident(alice, new_registry, False, {"from": registrar})

    assert tx.events["ResidentReleased"]["keepActive"] is False
    assert registry.residentOf(alice)["status"] == MOVED
    assert tuple(registry.releaseOf(ALICE)) == (new_registry.address, False, 1)  # the same release
    assert registry.activeResidentCount() == 2
    assert new_registry.isActive(alice)


def test_the_same_release_cannot_be_taken_up_twice(
    registry, registrar, residents, alice, new_registry, new_registrar
):
    move(registry, new_registry, registrar, new_registrar, alice, ALICE, keep_active=True)
    registry.releaseResident(alice, new_registry, False, {"from": registrar})
    before = registry_state(new_registry, alice, accounts[16])
    with brownie.reverts(error("ResidentRegistryAlreadyArrived", registry, ALICE, 1)):
        new_registry.addMovedResident(
            accounts[16], h("another-check"), registry, ALICE, {"from": new_registrar}
        )
    assert registry_state(new_registry, alice, accounts[16]) == before


# ---------------------------------------------------------------- refusals


def test_a_resident_who_was_not_released_cannot_be_added_as_moved(
    registry, residents, bob, new_registry, new_registrar
):
    before = registry_state(new_registry, bob)
    with brownie.reverts(error("ResidentRegistryNotReleased", registry, BOB, ZERO_ADDRESS)):
        new_registry.addMovedResident(bob, identity(bob), registry, BOB, {"from": new_registrar})
    assert registry_state(new_registry, bob) == before


def test_a_resident_released_to_another_registry_cannot_be_added_here(
    registry, registrar, residents, alice, new_registry, new_registrar, third_registry
):
    registry.releaseResident(alice, third_registry, False, {"from": registrar})
    before = registry_state(new_registry, alice)
    with brownie.reverts(error("ResidentRegistryNotReleased", registry, ALICE, third_registry)):
        new_registry.addMovedResident(alice, identity(alice), registry, ALICE, {"from": new_registrar})
    assert registry_state(new_registry, alice) == before


def test_an_unknown_resident_id_was_never_released(registry, residents, new_registry, new_registrar):
    with brownie.reverts(error("ResidentRegistryNotReleased", registry, 99, ZERO_ADDRESS)):
        new_registry.addMovedResident(accounts[16], h("nobody"), registry, 99, {"from": new_registrar})


def test_a_lying_registry_is_no_source_of_moved_residents(
    registry, residents, new_registry, new_registrar, new_council
):
    liar = LyingResidentRegistry.deploy({"from": new_council})
    assert liar.releaseOf(1)[0] == new_council  # it would say "released to you" to anyone
    before = registry_state(new_registry, accounts[16])
    with brownie.reverts(error("ResidentRegistryNotPeerRegistry", liar)):
        new_registry.addMovedResident(accounts[16], h("made-up"), liar, 1, {"from": new_registrar})
    assert registry_state(new_registry, accounts[16]) == before


def test_only_a_peer_registry_is_a_source_of_moved_residents(
    registry, token, residents, new_registry, new_registrar, factory
):
    implementation = factory.registryImplementation()
    for stranger in (token, implementation, accounts[9], new_registry):
        with brownie.reverts(error("ResidentRegistryNotPeerRegistry", stranger)):
            new_registry.addMovedResident(accounts[16], h("someone"), stranger, 1, {"from": new_registrar})


def test_a_resident_is_released_only_to_a_peer_registry(
    registry, registrar, token, residents, alice, factory
):
    liar = LyingResidentRegistry.deploy({"from": registrar})
    before = registry_state(registry, alice)
    for stranger in (liar, token, factory.registryImplementation(), accounts[9], registry):
        with brownie.reverts(error("ResidentRegistryNotPeerRegistry", stranger)):
            registry.releaseResident(alice, stranger, False, {"from": registrar})
    assert registry_state(registry, alice) == before
    assert tuple(registry.releaseOf(ALICE)) == (ZERO_ADDRESS, False, 0)


def test_only_the_registrar_releases(registry, residents, council, alice, new_registry, new_registrar):
    before = registry_state(registry, alice)
    for caller in (council, alice, new_registrar):
        with brownie.reverts(error("AccessControlUnauthorizedAccount", caller, REGISTRAR_ROLE)):
            registry.releaseResident(alice, new_registry, False, {"from": caller})
    assert registry_state(registry, alice) == before


def test_only_the_new_hromadas_registrar_adds_a_moved_resident(
    registry, registrar, residents, alice, new_registry, new_council
):
    registry.releaseResident(alice, new_registry, False, {"from": registrar})
    before = registry_state(new_registry, alice)
    for caller in (registrar, new_council, alice):
        with brownie.reverts(error("AccessControlUnauthorizedAccount", caller, REGISTRAR_ROLE)):
            new_registry.addMovedResident(alice, identity(alice), registry, ALICE, {"from": caller})
    assert registry_state(new_registry, alice) == before


def test_an_address_already_registered_in_the_new_hromada_is_refused(
    registry, registrar, residents, alice, new_registry, new_registrar
):
    new_registry.addResident(alice, h("new-hromada-check"), {"from": new_registrar})
    registry.releaseResident(alice, new_registry, False, {"from": registrar})
    before = registry_state(new_registry, alice)
    with brownie.reverts(error("ResidentRegistryAddressInUse", alice)):
        new_registry.addMovedResident(alice, identity(alice), registry, ALICE, {"from": new_registrar})
    assert registry_state(new_registry, alice) == before


def test_an_identity_already_registered_in_the_new_hromada_is_refused(
    registry, registrar, residents, alice, alice_new_key, new_registry, new_registrar
):
    new_registry.addResident(alice, identity(alice), {"from": new_registrar})
    registry.releaseResident(alice, new_registry, False, {"from": registrar})
    before = registry_state(new_registry, alice_new_key)
    with brownie.reverts(error("ResidentRegistryIdentityInUse", identity(alice), 1)):
        new_registry.addMovedResident(
            alice_new_key, identity(alice), registry, ALICE, {"from": new_registrar}
        )
    assert registry_state(new_registry, alice_new_key) == before


def test_a_moved_resident_is_refused_like_any_new_one(
    registry, registrar, residents, alice, new_registry, new_registrar
):
    registry.releaseResident(alice, new_registry, False, {"from": registrar})
    with brownie.reverts(error("ResidentRegistryZeroIdentityHash")):
        new_registry.addMovedResident(alice, b"\x00" * 32, registry, ALICE, {"from": new_registrar})
    with brownie.reverts(error("ResidentRegistryZeroAddress")):
        new_registry.addMovedResident(ZERO_ADDRESS, identity(alice), registry, ALICE, {"from": new_registrar})


def test_only_an_active_resident_is_released(
    registry, registrar, residents, alice, bob, carol, outsider, new_registry
):
    registry.suspendResident(bob, REASON_FRAUD, {"from": registrar})
    registry.migrateResident(carol, accounts[16], {"from": registrar})
    before = registry_state(registry, bob, carol, outsider)
    for account, status in ((bob, SUSPENDED), (carol, MIGRATED), (outsider, NONE)):
        for keep in (False, True):
            with brownie.reverts(error("ResidentRegistryUnexpectedStatus", account, status, ACTIVE)):
                registry.releaseResident(account, new_registry, keep, {"from": registrar})
    assert registry_state(registry, bob, carol, outsider) == before


def test_releasing_again_on_the_same_terms_is_refused(registry, registrar, residents, alice, new_registry):
    for keep in (True, False):
        registry.releaseResident(alice, new_registry, keep, {"from": registrar})
        before = registry_state(registry, alice)
        with brownie.reverts(error("ResidentRegistryAlreadyReleased", alice, new_registry)):
            registry.releaseResident(alice, new_registry, keep, {"from": registrar})
        assert registry_state(registry, alice) == before


def test_a_moved_resident_cannot_be_kept_active_by_a_new_release(
    registry, registrar, residents, alice, new_registry, third_registry
):
    registry.releaseResident(alice, new_registry, False, {"from": registrar})
    with brownie.reverts(error("ResidentRegistryUnexpectedStatus", alice, MOVED, ACTIVE)):
        registry.releaseResident(alice, third_registry, True, {"from": registrar})
    assert tuple(registry.releaseOf(ALICE)) == (new_registry.address, False, 1)


# ---------------------------------------------------------------- redirecting a release


def test_a_release_not_yet_taken_up_can_be_redirected(
    registry, registrar, residents, alice, new_registry, new_registrar, third_registry
):
    registry.releaseResident(alice, new_registry, False, {"from": registrar})
    tx = registry.releaseResident(alice, third_registry, False, {"from": registrar})

    assert tx.events["ResidentReleased"]["toRegistry"] == third_registry.address
    assert tuple(registry.releaseOf(ALICE)) == (third_registry.address, False, 2)
    assert registry.activeResidentCount() == 2  # moved out once, not twice
    with brownie.reverts(error("ResidentRegistryNotReleased", registry, ALICE, third_registry)):
        new_registry.addMovedResident(alice, identity(alice), registry, ALICE, {"from": new_registrar})
    third_registry.addMovedResident(alice, identity(alice), registry, ALICE, {"from": new_registrar})
    assert tuple(third_registry.arrivalOf(registry, ALICE)) == (1, 2)


def test_a_release_taken_up_cannot_be_redirected(
    registry, registrar, residents, alice, new_registry, new_registrar, third_registry
):
    move(registry, new_registry, registrar, new_registrar, alice, ALICE, keep_active=True)
    before = registry_state(registry, alice)
    for keep in (True, False):
        with brownie.reverts(error("ResidentRegistryReleaseTakenUp", alice, new_registry, 1)):
            registry.releaseResident(alice, third_registry, keep, {"from": registrar})
    assert registry_state(registry, alice) == before
    assert tuple(registry.releaseOf(ALICE)) == (new_registry.address, True, 1)


# ---------------------------------------------------------------- RV stays where it was issued


def test_rv_stays_in_the_hromada_that_issued_it(
    registry, token, registrar, alice_with_rv, new_registry, new_registrar
):
    alice = alice_with_rv
    new_token = brownie.RVToken.at(new_registry.token())
    released, arrived = move(registry, new_registry, registrar, new_registrar, alice, ALICE)

    assert "Transfer" not in released.events and "Transfer" not in arrived.events
    assert token.balanceOf(alice) == 30
    assert token.totalSupply() == 30
    assert new_token.balanceOf(alice) == 0
    assert new_token.totalSupply() == 0


def test_a_moved_resident_cannot_earn_in_the_old_hromada(
    registry, cases, registrar, programme, residents, alice, new_registry, verifiers
):
    pending = cases.submitCase(programme, h("alice-before-moving"), {"from": alice}).events["CaseSubmitted"][
        "caseId"
    ]
    registry.releaseResident(alice, new_registry, False, {"from": registrar})

    with brownie.reverts(error("ResidentRegistryNotActive", alice, MOVED)):
        cases.submitCase(programme, h("alice-after-moving"), {"from": alice})
    # A case submitted before the move is not paid either (the verifiers may still reject it).
    with brownie.reverts(error("UsefulCaseResidentNotActive", pending, ALICE)):
        cases.approveCase(pending, {"from": verifiers[0]})


@pytest.fixture
def voting_round(vote, council, capital, alice_with_rv, bob):
    """A round open for voting on one project (Bob's), with Alice's ballot of 10 RV standing."""
    round_id = open_round(vote, council, bob, [100_000], fund=100_000, label="moves")
    vote.castBallot(round_id, [1], [10], {"from": alice_with_rv})
    return round_id


def test_a_moved_resident_cannot_vote_in_the_old_hromada(
    registry, vote, registrar, voting_round, alice, new_registry
):
    registry.releaseResident(alice, new_registry, False, {"from": registrar})

    with brownie.reverts(error("ResidentRegistryNotActive", alice, MOVED)):
        vote.castBallot(voting_round, [1], [12], {"from": alice})


def test_a_ballot_cast_before_moving_counts_until_the_round_ends(
    registry, vote, token, registrar, voting_round, alice, new_registry
):
    registry.releaseResident(alice, new_registry, False, {"from": registrar})

    # As for a suspended resident: BalancedVote lets only an active resident withdraw.
    with brownie.reverts(error("ResidentRegistryNotActive", alice, MOVED)):
        vote.withdrawBallot(voting_round, {"from": alice})
    assert vote.tally(voting_round, 1)["credits"] == 10
    close_voting(vote, voting_round)
    finalised = vote.finalise(voting_round, {"from": alice})
    assert finalised.events["RoundFinalised"]["rvBurned"] == 10
    assert token.balanceOf(alice) == 20


def test_a_cancelled_rounds_refund_reaches_a_moved_resident(
    registry, vote, token, council, registrar, voting_round, alice, new_registry
):
    registry.releaseResident(alice, new_registry, False, {"from": registrar})
    vote.cancelRound(voting_round, {"from": council})
    tx = vote.refund(voting_round, [ALICE], {"from": alice})

    assert tx.events["RefundPaid"] == {
        "roundId": voting_round,
        "residentId": ALICE,
        "account": alice,
        "amount": 10,
    }
    assert token.balanceOf(alice) == 30


def test_a_resident_kept_active_still_earns_and_votes_in_the_old_hromada(
    registry,
    cases,
    vote,
    council,
    registrar,
    coordinator,
    verifiers,
    capital,
    alice_with_rv,
    bob,
    new_registry,
):
    alice = alice_with_rv
    round_id = open_round(vote, council, bob, [100_000], fund=100_000, label="kept")
    registry.releaseResident(alice, new_registry, True, {"from": registrar})

    cast = vote.castBallot(round_id, [1], [9], {"from": alice})
    assert cast.events["BallotCast"]["residentId"] == ALICE
    give_rv(cases, council, coordinator, verifiers[0], {alice: 5}, label="kept-rv")
    assert brownie.RVToken.at(registry.token()).balanceOf(alice) == 30 - 9 + 5


# ---------------------------------------------------------------- what a moved resident keeps


def test_a_moved_residents_address_can_still_be_migrated_with_their_rv(
    registry, token, registrar, alice_with_rv, new_registry, alice_new_key
):
    alice = alice_with_rv
    registry.releaseResident(alice, new_registry, False, {"from": registrar})
    tx = registry.migrateResident(alice, alice_new_key, {"from": registrar})

    assert tx.events["ResidentMigrated"] == {
        "residentId": ALICE,
        "from": alice,
        "to": alice_new_key,
        "rvMoved": 30,
    }
    assert registry.residentOf(alice_new_key)["status"] == MOVED
    assert token.balanceOf(alice_new_key) == 30
    assert registry.activeResidentCount() == 2


# ---------------------------------------------------------------- coming back


def test_a_resident_who_comes_back_gets_their_old_record(
    registry, token, registrar, alice_with_rv, new_registry, new_registrar, capital
):
    alice = alice_with_rv
    move(registry, new_registry, registrar, new_registrar, alice, ALICE)
    new_registry.releaseResident(alice, registry, False, {"from": new_registrar})
    tx = registry.addMovedResident(alice, identity(alice), new_registry, 1, {"from": registrar})

    assert tx.return_value == ALICE
    assert "ResidentAdded" not in tx.events
    assert tx.events["ResidentArrived"] == {
        "residentId": ALICE,
        "account": alice,
        "fromRegistry": new_registry.address,
        "fromResidentId": 1,
    }
    assert registry.residentOf(alice)["status"] == ACTIVE
    assert registry.activeResidentCount() == 3
    assert registry.residentCount() == 3
    assert tuple(registry.releaseOf(ALICE)) == (ZERO_ADDRESS, False, 1)
    assert tuple(registry.arrivalOf(new_registry, 1)) == (ALICE, 1)
    assert token.balanceOf(alice) == 30
    assert new_registry.residentOf(alice)["status"] == MOVED


def test_coming_back_needs_the_identity_check_of_the_old_record(
    registry, registrar, residents, alice, new_registry, new_registrar
):
    move(registry, new_registry, registrar, new_registrar, alice, ALICE)
    new_registry.releaseResident(alice, registry, False, {"from": new_registrar})
    before = registry_state(registry, alice)
    with brownie.reverts(error("ResidentRegistryIdentityMismatch", ALICE, h("another-check"))):
        registry.addMovedResident(alice, h("another-check"), new_registry, 1, {"from": registrar})
    assert registry_state(registry, alice) == before


def test_a_known_address_that_is_not_coming_back_is_in_use(
    registry, registrar, residents, alice, bob, new_registry, new_registrar
):
    move(registry, new_registry, registrar, new_registrar, alice, ALICE)
    new_registry.releaseResident(alice, registry, False, {"from": new_registrar})
    # Bob never left: his address is simply in use.
    with brownie.reverts(error("ResidentRegistryAddressInUse", bob)):
        registry.addMovedResident(bob, identity(alice), new_registry, 1, {"from": registrar})


def test_a_resident_may_move_away_again_after_coming_back(
    registry, registrar, residents, alice, new_registry, new_registrar
):
    move(registry, new_registry, registrar, new_registrar, alice, ALICE)
    new_registry.releaseResident(alice, registry, False, {"from": new_registrar})
    registry.addMovedResident(alice, identity(alice), new_registry, 1, {"from": registrar})
    # The second trip is a new release (number 2), which the new hromada takes up as a return to its record 1.
    registry.releaseResident(alice, new_registry, False, {"from": registrar})
    tx = new_registry.addMovedResident(alice, identity(alice), registry, ALICE, {"from": new_registrar})

    assert "ResidentAdded" not in tx.events
    assert tx.events["ResidentArrived"]["residentId"] == 1
    assert tuple(registry.releaseOf(ALICE)) == (new_registry.address, False, 2)
    assert tuple(new_registry.arrivalOf(registry, ALICE)) == (1, 2)
    assert new_registry.isActive(alice) and not registry.isActive(alice)
    assert new_registry.residentCount() == 1
