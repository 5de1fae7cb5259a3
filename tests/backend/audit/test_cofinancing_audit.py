"""`cts audit` on a round under the co-financing rule: the gap each project got, recomputed from CoFinancing's
events alone, and the partners' pledges per sector (the story is in tests/backend/cofinancing_history.py).
The audit must agree with every ProjectFunded event, which it can only do by subtracting the money pledged.
"""

from __future__ import annotations

import copy

import pytest
from cofinancing_history import FUNDED, GIFT_KOPIYKY, CoFinanced, act_out_co_financing
from web3 import Web3

from cts.audit.audit import format_summary, run_audit
from cts.audit.rpc import RpcClient
from cts.chain.client import Sender
from cts.chain.deploy import HromadaSpec, onboard
from cts.chain.manifest import Manifest


@pytest.fixture(scope="module")
def co_financed(w3: Web3, audit_manifest: Manifest, honest: object) -> CoFinanced:
    handles = onboard(
        Sender(w3, w3.eth.accounts[0]),
        copy.deepcopy(audit_manifest),
        HromadaSpec(
            key="cofinanced",
            name="Co-financed Hromada",
            council=w3.eth.accounts[0],
            registrar=w3.eth.accounts[1],
        ),
    )
    return act_out_co_financing(w3, handles)


def test_the_audit_recomputes_each_gap_from_the_pledges(co_financed: CoFinanced, rpc_url: str) -> None:
    vote = co_financed.handles.vote
    assert [vote.functions.project(1, p).call()[7] for p in (1, 2, 3)] == list(FUNDED.values())
    result = run_audit(RpcClient(rpc_url), co_financed.handles.co_financing.address)
    assert result.ok, format_summary(result)
    rounds = {r["id"]: r for r in result.figures()["rounds"]}
    assert [p["funded_kopiyky"] for p in rounds[1]["projects"]] == list(FUNDED.values())


def test_the_audit_counts_pledges_per_sector(co_financed: CoFinanced, rpc_url: str) -> None:
    figures = run_audit(RpcClient(rpc_url), co_financed.handles.vote.address).figures()["co_financing"]
    assert (figures["partners"], figures["pledges"]) == (4, 6)
    sectors = figures["by_sector"]
    assert sectors["business"] == {
        "pledges": 2,
        "money_pledged": 10_000,
        "money_fulfilled": 10_000,
        "in_kind_pledged": 15_000,
        "in_kind_fulfilled": 15_000,
        "stablecoin_pledged": 0,
        "stablecoin_fulfilled": 0,
    }
    assert (sectors["local_budget"]["pledges"], sectors["local_budget"]["money_pledged"]) == (2, 20_000)
    assert sectors["local_budget"]["money_fulfilled"] == 0
    assert (sectors["ngo"]["pledges"], sectors["ngo"]["money_pledged"]) == (1, 0)  # lapsed
    assert sectors["diaspora"]["stablecoin_fulfilled"] == GIFT_KOPIYKY
    assert figures["escrowed"] == {}  # released: nothing left in escrow
    # The round moved 40,000 through the vote and 10,000 + 15,000 + 10,250 (the stablecoin, at the donor's
    # valuation) of fulfilled pledges, on a fund of 60,000: leverage 75,250 / 60,000.
    assert figures["leverage"] == [
        {
            "round_id": 1,
            "fund_kopiyky": 60_000,
            "funded_by_vote_kopiyky": 40_000,
            "fulfilled_pledges_kopiyky": 35_250,
            "leverage_bps": 12_541,
        }
    ]
