"""The resident registry: the registrar adds, suspends, reinstates and migrates residents; nothing else can.

Every revert leaves the registry exactly as it was; every change emits its event.
"""

import brownie
import pytest
from brownie import accounts
from cts_errors import ACTIVE, MIGRATED, NONE, REGISTRAR_ROLE, SUSPENDED, ZERO_ADDRESS, error
from cts_helpers import REASON_FRAUD, h

ZERO_HASH = b"\x00" * 32


@pytest.fixture(scope="module")
def newcomer():
    """Not yet registered; the registrar verifies her identity during the tests."""
    return accounts[11]


@pytest.fixture(scope="module")
def alice_new_key():
    """The address Alice moves to after losing her key."""
    return accounts[12]


@pytest.fixture(scope="module")
def alice_with_rv(cases, programme, residents, alice, verifiers):
    """Alice earned 4 RV from two approved cases of programme 1 (reward 2, 10 per resident)."""
    cases.submitCase(programme, h("alice-park-1"), {"from": alice})
    cases.submitCase(programme, h("alice-park-2"), {"from": alice})
    cases.approveCases([1, 2], {"from": verifiers[0]})
    return alice


def identity(who) -> bytes:
    """The identity hash the `residents` fixture registered `who` with."""
    return h(f"identity-check-{who}")


def registry_state(registry, *addresses):
    """Everything the registry says about these addresses, and its counters."""
    return (
        registry.residentCount(),
        registry.activeResidentCount(),
        [tuple(registry.residentOf(a)) for a in addresses],
        [registry.isActive(a) for a in addresses],
    )


# ---------------------------------------------------------------- adding residents


def test_registrar_adds_a_resident_with_the_next_id(registry, registrar, residents, newcomer):
    tx = registry.addResident(newcomer, h("identity-newcomer"), {"from": registrar})

    assert tx.return_value == 4
    assert tx.events["ResidentAdded"] == {
        "residentId": 4,
        "account": newcomer,
        "identityHash": "0x" + h("identity-newcomer").hex(),
    }
    resident = registry.residentOf(newcomer)
    assert resident["id"] == 4
    assert resident["status"] == ACTIVE
    assert resident["registeredAt"] == tx.timestamp
    assert resident["previousAddress"] == ZERO_ADDRESS
    assert resident["migratedTo"] == ZERO_ADDRESS
    assert registry.addressOf(4) == newcomer
    assert registry.residentIdByIdentity(h("identity-newcomer")) == 4
    assert registry.residentCount() == 4
    assert registry.activeResidentCount() == 4


def test_a_new_resident_is_active(registry, registrar, residents, newcomer):
    assert not registry.isActive(newcomer)
    registry.addResident(newcomer, h("identity-newcomer"), {"from": registrar})
    assert registry.isActive(newcomer)
    assert registry.requireActive(newcomer) == 4


def test_only_the_registrar_adds_residents(registry, residents, council, outsider, newcomer):
    before = registry_state(registry, newcomer)
    for caller in (council, outsider, newcomer):
        with brownie.reverts(error("AccessControlUnauthorizedAccount", caller, REGISTRAR_ROLE)):
            registry.addResident(newcomer, h("identity-newcomer"), {"from": caller})
    assert registry_state(registry, newcomer) == before


def test_adding_the_zero_address_reverts(registry, registrar, residents):
    before = registry_state(registry, ZERO_ADDRESS)
    with brownie.reverts(error("ResidentRegistryZeroAddress")):
        registry.addResident(ZERO_ADDRESS, h("identity-nobody"), {"from": registrar})
    assert registry_state(registry, ZERO_ADDRESS) == before


def test_adding_with_a_zero_identity_hash_reverts(registry, registrar, residents, newcomer):
    before = registry_state(registry, newcomer)
    with brownie.reverts(error("ResidentRegistryZeroIdentityHash")):
        registry.addResident(newcomer, ZERO_HASH, {"from": registrar})
    assert registry_state(registry, newcomer) == before


def test_an_address_already_registered_cannot_be_added_again(registry, registrar, residents, alice):
    before = registry_state(registry, alice)
    with brownie.reverts(error("ResidentRegistryAddressInUse", alice)):
        registry.addResident(alice, h("identity-someone-else"), {"from": registrar})
    assert registry_state(registry, alice) == before
    assert registry.residentIdByIdentity(h("identity-someone-else")) == 0


def test_a_retired_address_is_never_reused(registry, registrar, residents, alice, alice_new_key):
    registry.migrateResident(alice, alice_new_key, {"from": registrar})
    before = registry_state(registry, alice, alice_new_key)
    with brownie.reverts(error("ResidentRegistryAddressInUse", alice)):
        registry.addResident(alice, h("identity-someone-else"), {"from": registrar})
    assert registry_state(registry, alice, alice_new_key) == before


def test_an_identity_check_cannot_register_a_second_address(registry, registrar, residents, alice, newcomer):
    before = registry_state(registry, newcomer)
    with brownie.reverts(error("ResidentRegistryIdentityInUse", identity(alice), 1)):
        registry.addResident(newcomer, identity(alice), {"from": registrar})
    assert registry_state(registry, newcomer) == before


def test_registrar_adds_several_residents_in_one_transaction(registry, registrar, residents):
    newcomers = accounts[11:14]
    tx = registry.addResidents(newcomers, [h(f"batch-{a}") for a in newcomers], {"from": registrar})

    events = tx.events["ResidentAdded"]
    assert [e["residentId"] for e in events] == [4, 5, 6]
    assert [e["account"] for e in events] == list(newcomers)
    assert [e["identityHash"] for e in events] == ["0x" + h(f"batch-{a}").hex() for a in newcomers]
    assert [registry.addressOf(i) for i in (4, 5, 6)] == list(newcomers)
    assert registry.residentCount() == 6
    assert registry.activeResidentCount() == 6


def test_adding_an_empty_list_changes_nothing(registry, registrar, residents):
    tx = registry.addResidents([], [], {"from": registrar})
    assert "ResidentAdded" not in tx.events
    assert registry.residentCount() == 3


def test_only_the_registrar_adds_several_residents(registry, residents, council, newcomer):
    before = registry_state(registry, newcomer)
    with brownie.reverts(error("AccessControlUnauthorizedAccount", council, REGISTRAR_ROLE)):
        registry.addResidents([newcomer], [h("identity-newcomer")], {"from": council})
    assert registry_state(registry, newcomer) == before


def test_adding_several_with_mismatched_lengths_reverts(registry, registrar, residents):
    newcomers = accounts[11:13]
    before = registry_state(registry, *newcomers)
    with brownie.reverts(error("ResidentRegistryLengthMismatch", 2, 1)):
        registry.addResidents(newcomers, [h("only-one")], {"from": registrar})
    with brownie.reverts(error("ResidentRegistryLengthMismatch", 1, 2)):
        registry.addResidents(newcomers[:1], [h("one"), h("two")], {"from": registrar})
    assert registry_state(registry, *newcomers) == before


def test_adding_several_is_all_or_nothing(registry, registrar, residents, alice):
    newcomers = accounts[11:13]
    before = registry_state(registry, *newcomers)
    # The second entry reuses Alice's identity check: the first entry is not kept either.
    with brownie.reverts(error("ResidentRegistryIdentityInUse", identity(alice), 1)):
        registry.addResidents(newcomers, [h("fresh"), identity(alice)], {"from": registrar})
    assert registry_state(registry, *newcomers) == before
    assert registry.residentIdByIdentity(h("fresh")) == 0


def test_adding_several_rejects_a_duplicate_within_the_batch(registry, registrar, residents):
    first, second = accounts[11:13]
    before = registry_state(registry, first, second)
    with brownie.reverts(error("ResidentRegistryIdentityInUse", h("twin"), 4)):
        registry.addResidents([first, second], [h("twin"), h("twin")], {"from": registrar})
    with brownie.reverts(error("ResidentRegistryAddressInUse", first)):
        registry.addResidents([first, first], [h("one"), h("two")], {"from": registrar})
    assert registry_state(registry, first, second) == before


def test_adding_several_rejects_a_zero_address_or_hash(registry, registrar, residents, newcomer):
    before = registry_state(registry, newcomer)
    with brownie.reverts(error("ResidentRegistryZeroAddress")):
        registry.addResidents([newcomer, ZERO_ADDRESS], [h("one"), h("two")], {"from": registrar})
    with brownie.reverts(error("ResidentRegistryZeroIdentityHash")):
        registry.addResidents([newcomer], [ZERO_HASH], {"from": registrar})
    assert registry_state(registry, newcomer) == before


# ---------------------------------------------------------------- suspending and reinstating


def test_registrar_suspends_an_active_resident(registry, registrar, residents, bob):
    tx = registry.suspendResident(bob, REASON_FRAUD, {"from": registrar})

    assert tx.events["ResidentSuspended"] == {"residentId": 2, "account": bob, "reasonCode": REASON_FRAUD}
    assert registry.residentOf(bob)["status"] == SUSPENDED
    assert not registry.isActive(bob)
    assert registry.activeResidentCount() == 2
    assert registry.residentCount() == 3
    assert registry.addressOf(2) == bob


def test_a_suspended_resident_fails_require_active(registry, registrar, residents, bob):
    registry.suspendResident(bob, REASON_FRAUD, {"from": registrar})
    with brownie.reverts(error("ResidentRegistryNotActive", bob, SUSPENDED)):
        registry.requireActive(bob)


def test_only_the_registrar_suspends(registry, residents, council, alice, bob):
    before = registry_state(registry, bob)
    for caller in (council, alice):
        with brownie.reverts(error("AccessControlUnauthorizedAccount", caller, REGISTRAR_ROLE)):
            registry.suspendResident(bob, REASON_FRAUD, {"from": caller})
    assert registry_state(registry, bob) == before


def test_suspending_needs_a_reason_code(registry, registrar, residents, bob):
    before = registry_state(registry, bob)
    with brownie.reverts(error("ResidentRegistryZeroReasonCode")):
        registry.suspendResident(bob, 0, {"from": registrar})
    assert registry_state(registry, bob) == before


def test_only_an_active_resident_can_be_suspended(registry, registrar, residents, bob, carol, outsider):
    registry.suspendResident(bob, REASON_FRAUD, {"from": registrar})
    registry.migrateResident(carol, accounts[12], {"from": registrar})
    before = registry_state(registry, bob, carol, outsider)
    for account, status in ((bob, SUSPENDED), (carol, MIGRATED), (outsider, NONE)):
        with brownie.reverts(error("ResidentRegistryUnexpectedStatus", account, status, ACTIVE)):
            registry.suspendResident(account, REASON_FRAUD, {"from": registrar})
    assert registry_state(registry, bob, carol, outsider) == before


def test_registrar_reinstates_a_suspended_resident(registry, registrar, residents, bob):
    registry.suspendResident(bob, REASON_FRAUD, {"from": registrar})
    tx = registry.reinstateResident(bob, {"from": registrar})

    assert tx.events["ResidentReinstated"] == {"residentId": 2, "account": bob}
    assert registry.residentOf(bob)["status"] == ACTIVE
    assert registry.requireActive(bob) == 2
    assert registry.activeResidentCount() == 3


def test_only_the_registrar_reinstates(registry, registrar, residents, council, bob):
    registry.suspendResident(bob, REASON_FRAUD, {"from": registrar})
    before = registry_state(registry, bob)
    for caller in (council, bob):
        with brownie.reverts(error("AccessControlUnauthorizedAccount", caller, REGISTRAR_ROLE)):
            registry.reinstateResident(bob, {"from": caller})
    assert registry_state(registry, bob) == before


def test_only_a_suspended_resident_can_be_reinstated(registry, registrar, residents, alice, carol, outsider):
    registry.migrateResident(carol, accounts[12], {"from": registrar})
    before = registry_state(registry, alice, carol, outsider)
    for account, status in ((alice, ACTIVE), (carol, MIGRATED), (outsider, NONE)):
        with brownie.reverts(error("ResidentRegistryUnexpectedStatus", account, status, SUSPENDED)):
            registry.reinstateResident(account, {"from": registrar})
    assert registry_state(registry, alice, carol, outsider) == before


# ---------------------------------------------------------------- migrating


def test_migration_moves_the_balance_and_keeps_the_resident(
    registry, token, registrar, alice_with_rv, alice_new_key
):
    alice = alice_with_rv
    before = registry.residentOf(alice)
    tx = registry.migrateResident(alice, alice_new_key, {"from": registrar})

    assert tx.events["ResidentMigrated"] == {
        "residentId": 1,
        "from": alice,
        "to": alice_new_key,
        "rvMoved": 4,
    }
    assert tx.events["RVMigrated"] == {"from": alice, "to": alice_new_key, "amount": 4}
    assert tx.events["Transfer"] == {"from": alice, "to": alice_new_key, "value": 4}
    assert token.balanceOf(alice) == 0
    assert token.balanceOf(alice_new_key) == 4
    assert token.totalSupply() == 4
    moved = registry.residentOf(alice_new_key)
    assert moved["id"] == 1
    assert moved["status"] == ACTIVE
    assert moved["registeredAt"] == before["registeredAt"]
    assert moved["previousAddress"] == alice
    assert moved["migratedTo"] == ZERO_ADDRESS
    assert registry.addressOf(1) == alice_new_key
    assert registry.residentIdByIdentity(identity(alice)) == 1


def test_migration_retires_the_old_address(registry, registrar, alice_with_rv, alice_new_key):
    alice = alice_with_rv
    registry.migrateResident(alice, alice_new_key, {"from": registrar})

    old = registry.residentOf(alice)
    assert old["id"] == 1
    assert old["status"] == MIGRATED
    assert old["migratedTo"] == alice_new_key
    assert not registry.isActive(alice)
    with brownie.reverts(error("ResidentRegistryNotActive", alice, MIGRATED)):
        registry.requireActive(alice)
    assert registry.residentCount() == 3
    assert registry.activeResidentCount() == 3


def test_migration_of_a_resident_without_rv_moves_nothing(registry, token, registrar, residents, bob):
    new_key = accounts[12]
    tx = registry.migrateResident(bob, new_key, {"from": registrar})

    assert tx.events["ResidentMigrated"] == {"residentId": 2, "from": bob, "to": new_key, "rvMoved": 0}
    assert "RVMigrated" not in tx.events
    assert "Transfer" not in tx.events
    assert registry.addressOf(2) == new_key


def test_a_suspended_resident_migrates_and_stays_suspended(registry, registrar, residents, bob):
    new_key = accounts[12]
    registry.suspendResident(bob, REASON_FRAUD, {"from": registrar})
    tx = registry.migrateResident(bob, new_key, {"from": registrar})

    assert tx.events["ResidentMigrated"]["to"] == new_key
    assert registry.residentOf(new_key)["status"] == SUSPENDED
    assert registry.residentOf(bob)["status"] == MIGRATED
    assert registry.activeResidentCount() == 2
    reinstated = registry.reinstateResident(new_key, {"from": registrar})
    assert reinstated.events["ResidentReinstated"] == {"residentId": 2, "account": new_key}
    assert registry.activeResidentCount() == 3


def test_a_resident_migrates_twice_along_a_chain_of_addresses(registry, registrar, residents, alice):
    second, third = accounts[12:14]
    registry.migrateResident(alice, second, {"from": registrar})
    registry.migrateResident(second, third, {"from": registrar})

    assert registry.addressOf(1) == third
    assert registry.residentOf(third)["previousAddress"] == second
    assert registry.residentOf(second)["migratedTo"] == third
    assert registry.residentOf(second)["status"] == MIGRATED


def test_only_the_registrar_migrates(registry, residents, council, alice, alice_new_key):
    before = registry_state(registry, alice, alice_new_key)
    for caller in (council, alice, alice_new_key):
        with brownie.reverts(error("AccessControlUnauthorizedAccount", caller, REGISTRAR_ROLE)):
            registry.migrateResident(alice, alice_new_key, {"from": caller})
    assert registry_state(registry, alice, alice_new_key) == before


def test_migrating_to_the_zero_address_reverts(registry, token, registrar, alice_with_rv):
    before = registry_state(registry, alice_with_rv)
    with brownie.reverts(error("ResidentRegistryZeroAddress")):
        registry.migrateResident(alice_with_rv, ZERO_ADDRESS, {"from": registrar})
    assert registry_state(registry, alice_with_rv) == before
    assert token.balanceOf(alice_with_rv) == 4


def test_migrating_to_an_address_in_use_reverts(registry, token, registrar, alice_with_rv, bob, carol):
    alice = alice_with_rv
    registry.migrateResident(carol, accounts[12], {"from": registrar})
    before = registry_state(registry, alice, bob, carol)
    # Bob is a resident; Carol's old address is retired; Alice cannot move onto herself.
    for target in (bob, carol, alice):
        with brownie.reverts(error("ResidentRegistryAddressInUse", target)):
            registry.migrateResident(alice, target, {"from": registrar})
    assert registry_state(registry, alice, bob, carol) == before
    assert token.balanceOf(alice) == 4


def test_only_an_active_or_suspended_resident_migrates(registry, registrar, residents, carol, outsider):
    registry.migrateResident(carol, accounts[12], {"from": registrar})
    target = accounts[13]
    before = registry_state(registry, carol, outsider, target)
    for account, status in ((carol, MIGRATED), (outsider, NONE)):
        with brownie.reverts(error("ResidentRegistryUnexpectedStatus", account, status, ACTIVE)):
            registry.migrateResident(account, target, {"from": registrar})
    assert registry_state(registry, carol, outsider, target) == before


def test_after_migration_rewards_go_to_the_new_address(
    registry, cases, token, registrar, programme, alice_with_rv, alice_new_key, verifiers
):
    alice = alice_with_rv
    cases.submitCase(programme, h("alice-park-3"), {"from": alice})
    registry.migrateResident(alice, alice_new_key, {"from": registrar})
    # The case submitted from the old key is paid to the new one.
    approved = cases.approveCase(3, {"from": verifiers[0]})
    assert approved.events["CaseApproved"]["residentId"] == 1
    assert approved.events["CaseApproved"]["resident"] == alice_new_key
    # And the new key submits as the same resident.
    submitted = cases.submitCase(programme, h("alice-park-4"), {"from": alice_new_key})
    assert submitted.events["CaseSubmitted"]["residentId"] == 1
    assert submitted.events["CaseSubmitted"]["resident"] == alice_new_key
    cases.approveCase(4, {"from": verifiers[0]})
    assert token.balanceOf(alice_new_key) == 8
    assert token.balanceOf(alice) == 0
    assert cases.earnedBy(programme, 1) == 8


def test_the_per_resident_cap_follows_the_resident_id(
    registry, cases, registrar, programme, alice_with_rv, alice_new_key, verifiers
):
    alice = alice_with_rv
    cases.submitCase(programme, h("alice-park-3"), {"from": alice})
    cases.submitCase(programme, h("alice-park-4"), {"from": alice})
    cases.approveCases([3, 4], {"from": verifiers[0]})
    registry.migrateResident(alice, alice_new_key, {"from": registrar})
    cases.submitCase(programme, h("alice-park-5"), {"from": alice_new_key})
    cases.approveCase(5, {"from": verifiers[0]})
    assert cases.earnedBy(programme, 1) == 10

    # 10 RV is the cap: a new key does not make a new earner.
    with brownie.reverts(error("UsefulCaseResidentCapExceeded", programme, 1, 10, 2, 10)):
        cases.submitCase(programme, h("alice-park-6"), {"from": alice_new_key})
    assert cases.caseCount() == 5


def test_the_old_address_can_no_longer_submit_cases(registry, cases, registrar, programme, residents, alice):
    registry.migrateResident(alice, accounts[12], {"from": registrar})
    count = cases.caseCount()
    with brownie.reverts(error("ResidentRegistryNotActive", alice, MIGRATED)):
        cases.submitCase(programme, h("stale-key"), {"from": alice})
    assert cases.caseCount() == count


# ---------------------------------------------------------------- views


def test_address_of_an_unknown_resident_reverts(registry, residents):
    for resident_id in (0, 4, 2**64):
        with brownie.reverts(error("ResidentRegistryUnknownResident", resident_id)):
            registry.addressOf(resident_id)


def test_active_address_of_is_the_current_address_only_while_active(
    registry, registrar, residents, alice, bob, alice_new_key
):
    # Alice 1, Bob 2, Carol 3 are active at the addresses they registered with.
    assert [registry.activeAddressOf(i) for i in (1, 2, 3)] == [str(a) for a in residents]
    registry.migrateResident(alice, alice_new_key, {"from": registrar})
    registry.suspendResident(bob, REASON_FRAUD, {"from": registrar})
    assert registry.activeAddressOf(1) == alice_new_key  # the new address, never the retired one
    assert registry.activeAddressOf(2) == ZERO_ADDRESS  # suspended
    registry.reinstateResident(bob, {"from": registrar})
    assert registry.activeAddressOf(2) == bob
    for unknown in (0, 4, 2**64):
        assert registry.activeAddressOf(unknown) == ZERO_ADDRESS


def test_an_unknown_address_has_status_none(registry, residents, outsider):
    unknown = registry.residentOf(outsider)
    assert unknown["id"] == 0
    assert unknown["status"] == NONE
    assert unknown["registeredAt"] == 0
    assert unknown["previousAddress"] == ZERO_ADDRESS
    assert unknown["migratedTo"] == ZERO_ADDRESS
    assert not registry.isActive(outsider)
    with brownie.reverts(error("ResidentRegistryNotActive", outsider, NONE)):
        registry.requireActive(outsider)


def test_identity_lookup_finds_the_resident_or_zero(registry, residents, alice, carol):
    assert registry.residentIdByIdentity(identity(alice)) == 1
    assert registry.residentIdByIdentity(identity(carol)) == 3
    assert registry.residentIdByIdentity(h("never-checked")) == 0
