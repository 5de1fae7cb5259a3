"""Deploys a throwaway hromada for scripts that exercise the contracts (replays, benchmarks).

The same steps as the contract tests' fixtures (tests/contracts/conftest.py): one forwarder, the seven
implementations, the factory, one onboarded hromada, and donor capital in its community fund.
"""

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
)
from eth_utils import keccak

FACE_VALUE = 5_000  # kopiyky: 50 UAH, as in the pilots


def deploy_hromada(council, registrar, *, name="Replay Hromada", capital=10**12):
    """Deploys and onboards a hromada with `council` and `registrar`, and deposits `capital` kopiyky.

    Returns the forwarder and the hromada's contracts by name (registry, token, cases, vote, fund, delivery,
    coFinancing).
    """
    forwarder = CTSForwarder.deploy({"from": council})
    kinds = (
        ResidentRegistry,
        RVToken,
        UsefulCaseContract,
        BalancedVote,
        CommunityFund,
        ProjectDelivery,
        CoFinancing,
    )
    implementations = [contract.deploy(forwarder, {"from": council}) for contract in kinds]
    factory = HromadaFactory.deploy(forwarder, implementations, {"from": council})
    tx = factory.onboardHromada((name, f"RV {name}", "RV", FACE_VALUE, council, registrar), {"from": council})
    addresses = tx.events["HromadaOnboarded"]["contracts"]
    hromada = {
        key: kind.at(address)
        for key, kind, address in zip(
            ("registry", "token", "cases", "vote", "fund", "delivery", "coFinancing"),
            kinds,
            addresses,
            strict=True,
        )
    }
    receipt = keccak(text=f"{name} capital receipt")
    hromada["fund"].deposit(capital, 0, keccak(text=f"{name} donor"), receipt, {"from": council})
    return forwarder, hromada
