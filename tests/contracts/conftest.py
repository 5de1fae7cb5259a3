"""Fixtures for the contract tests: one chain-wide forwarder and factory, one onboarded hromada, named actors.

Deployments are module-scoped; `fn_isolation` reverts the chain after every test.
"""

import gc

import pytest
from brownie import (
    BalancedVote,
    CoFinancing,
    CommunityFund,
    CTSForwarder,
    HromadaFactory,
    ProjectDelivery,
    ResidentRegistry,
    RVToken,
    UsefulCaseContract,
    accounts,
    web3,
)
from cts_helpers import FACE_VALUE, h, programme_params
from own_chain import install as install_checked_revert
from own_chain import refuse_a_shared_node
from receipt_compat import install as install_receipt_compat

# An EIP-1167 minimal proxy's creation code around its implementation's address.
CLONE_PREFIX = "3d602d80600a3d3981f3363d3d373d3d3d363d73"
CLONE_SUFFIX = "5af43d82803e903d91602b57fd5bf3"

install_receipt_compat()  # a mined transaction is never taken for dropped (see receipt_compat.py)
install_checked_revert()  # a revert the node refused is an error, never a silent no-op (see own_chain.py)


@pytest.fixture(scope="session", autouse=True)
def own_node():
    """The run stops before its first test if Brownie attached to a node that another run started."""
    refuse_a_shared_node()


@pytest.fixture(scope="session", autouse=True)
def frozen_gc():
    """Brownie runs gc.collect() at every chain revert (after every test, before every stateful example);
    scanning the objects already alive (the loaded project, its ABIs and sources) costs about half a second
    each time. Freezing them takes them out of the collector's sight for the session."""
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    """Each test starts from the module's deployment: a chain snapshot is reverted after it."""


# ---------------------------------------------------------------- actors


@pytest.fixture(scope="module")
def council():
    return accounts[0]


@pytest.fixture(scope="module")
def registrar():
    return accounts[1]


@pytest.fixture(scope="module")
def coordinator():
    return accounts[2]


@pytest.fixture(scope="module")
def verifiers():
    return [accounts[3], accounts[4], accounts[5]]


@pytest.fixture(scope="module")
def alice():
    return accounts[6]


@pytest.fixture(scope="module")
def bob():
    return accounts[7]


@pytest.fixture(scope="module")
def carol():
    return accounts[8]


@pytest.fixture(scope="module")
def outsider():
    """Never registered anywhere."""
    return accounts[9]


@pytest.fixture(scope="module")
def relayer():
    """Pays gas for other people's signed requests."""
    return accounts[10]


# ---------------------------------------------------------------- deployment


@pytest.fixture(scope="module")
def forwarder(council):
    return CTSForwarder.deploy({"from": council})


@pytest.fixture(scope="module")
def factory(forwarder, council):
    implementations = (
        ResidentRegistry.deploy(forwarder, {"from": council}),
        RVToken.deploy(forwarder, {"from": council}),
        UsefulCaseContract.deploy(forwarder, {"from": council}),
        BalancedVote.deploy(forwarder, {"from": council}),
        CommunityFund.deploy(forwarder, {"from": council}),
        ProjectDelivery.deploy(forwarder, {"from": council}),
        CoFinancing.deploy(forwarder, {"from": council}),
    )
    return HromadaFactory.deploy(forwarder, implementations, {"from": council})


@pytest.fixture(scope="module")
def onboarding(factory, council, registrar):
    """The transaction that onboarded the test hromada."""
    return factory.onboardHromada(
        ("Test Hromada", "RV Test Hromada", "RV-TST", FACE_VALUE, council, registrar), {"from": council}
    )


@pytest.fixture(scope="module")
def hromada(onboarding):
    contracts = onboarding.events["HromadaOnboarded"]["contracts"]
    return {
        "registry": ResidentRegistry.at(contracts[0]),
        "token": RVToken.at(contracts[1]),
        "cases": UsefulCaseContract.at(contracts[2]),
        "vote": BalancedVote.at(contracts[3]),
        "fund": CommunityFund.at(contracts[4]),
        "delivery": ProjectDelivery.at(contracts[5]),
        "coFinancing": CoFinancing.at(contracts[6]),
    }


@pytest.fixture(scope="module")
def registry(hromada):
    return hromada["registry"]


@pytest.fixture(scope="module")
def token(hromada):
    return hromada["token"]


@pytest.fixture(scope="module")
def cases(hromada, council, coordinator):
    cases = hromada["cases"]
    cases.grantRole(cases.COORDINATOR_ROLE(), coordinator, {"from": council})
    return cases


@pytest.fixture(scope="module")
def vote(hromada):
    return hromada["vote"]


@pytest.fixture(scope="module")
def fund(hromada):
    return hromada["fund"]


@pytest.fixture(scope="module")
def delivery(hromada):
    return hromada["delivery"]


@pytest.fixture(scope="module")
def cofinancing(hromada):
    return hromada["coFinancing"]


@pytest.fixture(scope="module")
def residents(registry, registrar, alice, bob, carol):
    """Alice, Bob and Carol, registered and active (resident ids 1, 2, 3)."""
    for who in (alice, bob, carol):
        registry.addResident(who, h(f"identity-check-{who}"), {"from": registrar})
    return [alice, bob, carol]


@pytest.fixture(scope="module")
def capital(fund, council):
    """10,000,000 UAH of donor capital, deposited."""
    amount = 1_000_000_000
    fund.deposit(amount, 0, h("donor-agreement-1"), h("receipt-capital-1"), {"from": council})
    return amount


@pytest.fixture(scope="module")
def programme(cases, council, verifiers, capital, residents):
    """Programme 1: reward 2 RV per case, value 400 UAH, cap 100 RV, 10 per resident, quorum 1 of 3."""
    # The latest block's time: after a snapshot revert on Anvil, Brownie's chain.time() runs ahead of it.
    now = web3.eth.get_block("latest").timestamp
    cases.createProgramme(programme_params(now, verifiers), {"from": council})
    return 1
