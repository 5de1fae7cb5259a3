"""The factory onboards a hromada in one transaction, wired, with roles granted to the council."""

import brownie
from brownie import ResidentRegistry, chain
from cts_helpers import FACE_VALUE, HROMADA_KEYS

ADMIN = "0x" + "00" * 32


def test_onboarding_creates_five_wired_contracts(factory, hromada, onboarding, council):
    event = onboarding.events["HromadaOnboarded"]
    assert event["hromadaId"] == 1
    assert event["name"] == "Test Hromada"
    assert event["council"] == council
    registry, token, cases, vote, fund = (hromada[k] for k in ("registry", "token", "cases", "vote", "fund"))
    assert token.registry() == registry
    assert token.usefulCases() == cases
    assert token.balancedVote() == vote
    assert token.fund() == fund
    assert registry.token() == token
    assert cases.fund() == fund and vote.fund() == fund
    assert fund.usefulCases() == cases and fund.balancedVote() == vote
    assert fund.delivery() == hromada["delivery"] and hromada["delivery"].fund() == fund
    assert hromada["coFinancing"].fund() == fund and vote.coFinancing() == hromada["coFinancing"]
    assert token.faceValueKopiyky() == FACE_VALUE
    assert token.decimals() == 0
    assert token.name() == "RV Test Hromada" and token.symbol() == "RV-TST"
    assert factory.hromadaCount() == 1
    assert factory.predictContracts(council, "Test Hromada") == event["contracts"]


def test_council_holds_the_roles_and_the_factory_none(factory, hromada, council, registrar):
    for key, contract in hromada.items():
        if key in ("delivery", "coFinancing"):
            continue  # they hold no roles: they ask the fund who its treasurer is (docs/delivery.md)
        assert contract.hasRole(ADMIN, council)
        assert not contract.hasRole(ADMIN, factory)
    assert hromada["registry"].hasRole(hromada["registry"].REGISTRAR_ROLE(), registrar)
    assert hromada["fund"].hasRole(hromada["fund"].TREASURER_ROLE(), council)
    assert hromada["cases"].hasRole(hromada["cases"].COORDINATOR_ROLE(), council)


def test_every_contract_trusts_the_forwarder(hromada, forwarder):
    for contract in hromada.values():
        assert contract.trustedForwarder() == forwarder


def test_contracts_cannot_be_initialised_twice(hromada, council, outsider):
    contracts = tuple(hromada[k] for k in HROMADA_KEYS)
    with brownie.reverts(revert_pattern="InvalidInitialization.*"):
        hromada["registry"].initialize(contracts, outsider, outsider, {"from": outsider})
    with brownie.reverts(revert_pattern="InvalidInitialization.*"):
        hromada["fund"].initialize(contracts, outsider, {"from": outsider})
    with brownie.reverts(revert_pattern="InvalidInitialization.*"):
        hromada["delivery"].initialize(contracts, {"from": outsider})
    with brownie.reverts(revert_pattern="InvalidInitialization.*"):
        hromada["coFinancing"].initialize(contracts, {"from": outsider})


def test_implementations_cannot_be_initialised(factory, outsider):
    implementation = ResidentRegistry.at(factory.registryImplementation())
    zero = "0x" + "00" * 20
    with brownie.reverts(revert_pattern="InvalidInitialization.*"):
        implementation.initialize((zero,) * 7, outsider, outsider, {"from": outsider})


def test_same_onboarder_cannot_onboard_a_name_twice(factory, onboarding, council, registrar):
    with brownie.reverts(revert_pattern=r"HromadaFactoryAlreadyOnboarded: .*, 1"):
        factory.onboardHromada(
            ("Test Hromada", "RV", "RV", FACE_VALUE, council, registrar), {"from": council}
        )
    assert factory.hromadaCount() == 1


def test_onboarding_rejects_bad_parameters(factory, council, registrar):
    zero = "0x" + "00" * 20
    with brownie.reverts("HromadaFactoryEmptyName: "):
        factory.onboardHromada(("", "RV", "RV", FACE_VALUE, council, registrar), {"from": council})
    with brownie.reverts("HromadaFactoryZeroAddress: "):
        factory.onboardHromada(("Other", "RV", "RV", FACE_VALUE, zero, registrar), {"from": council})
    with brownie.reverts("RVTokenZeroFaceValue: "):
        factory.onboardHromada(("Other", "RV", "RV", 0, council, registrar), {"from": council})
    assert factory.hromadaCount() == 1


def test_another_onboarder_gets_other_addresses(factory, onboarding, registrar, outsider):
    tx = factory.onboardHromada(
        ("Test Hromada", "RV Other", "RV-OTH", FACE_VALUE, outsider, registrar), {"from": outsider}
    )
    assert tx.events["HromadaOnboarded"]["hromadaId"] == 2
    assert tx.events["HromadaOnboarded"]["contracts"] != onboarding.events["HromadaOnboarded"]["contracts"]
    assert factory.hromada(2)["council"] == outsider
    assert chain.height >= tx.block_number
