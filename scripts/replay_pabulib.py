"""Replays a real cumulative election (a pabulib .pb file) through freshly deployed CTS contracts.

    bin/brownie run scripts/replay_pabulib.py main poland_gdansk_2020_stogi.pb --network cts-anvil
    bin/brownie run scripts/replay_pabulib.py main path/to/file.pb 2 --network cts-anvil   # rule 2: greedy

A bare file name is looked up in $CTS_PABULIB_DIR, then tests/data/pabulib (set CTS_PABULIB_DIR to the
folder of the files you downloaded); a file found nowhere stops the script (exit code 1) with where to get it
(pabulib.org). Every voter registers, earns their points in RV and casts their ballot through
the forwarder (tests/contracts/election_replay.py); the script prints, per project, the on-chain
supporters and credits against the file's official `votes` and `score`, the weight against an
independent recomputation, what finalisation funds against the Python allocation, and time and gas.
"""

import math
import sys
import time
from pathlib import Path

from brownie import accounts

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "contracts"))

import pabulib
from election_replay import replay, transact
from vote_model import allocate, chain_tallies, close_voting

from scripts.cts_deployment import deploy_hromada

RULES = {0: "QuadraticFunding", 1: "ProportionalToWeight", 2: "GreedyByWeight"}


def main(file_name, rule="0"):
    rule = int(rule)
    started = time.perf_counter()
    try:
        path = pabulib.find(file_name)
    except FileNotFoundError as missing:
        sys.exit(f"replay_pabulib: {missing}")
    election = pabulib.read(path)
    council, registrar, verifier, proposer, relayer = (accounts[i] for i in (0, 1, 3, 6, 10))
    forwarder, hromada = deploy_hromada(council, registrar)
    transact(hromada["registry"].addResident, proposer, b"\x01" * 32, sender=registrar)
    deployed = time.perf_counter()

    result = replay(
        election,
        hromada,
        forwarder=forwarder,
        council=council,
        registrar=registrar,
        verifier=verifier,
        relayer=relayer,
        proposer=proposer,
        rule=rule,
    )
    vote, round_id = hromada["vote"], result.round_id
    n = len(result.project_of)
    tallies = chain_tallies(vote, round_id, n)
    recomputed = dict.fromkeys(result.project_of, 0)
    for row in election.votes:
        for project_id, points in zip(row["vote"].split(","), row["points"].split(","), strict=True):
            recomputed[project_id] += math.isqrt(int(points) * 10**18)
    expected = allocate(rule, result.fund, [t.weight for t in tallies], result.asks, [True] * n)
    close_voting(vote, round_id)
    finalising = time.perf_counter()
    finalised = transact(vote.finalise, round_id, sender=relayer)
    result.seconds["finalise"] += time.perf_counter() - finalising
    result.gas["finalise"] += finalised.gas_used
    result.transactions["finalise"] += 1
    funded = [vote.project(round_id, i)["funded"] for i in range(1, n + 1)]

    meta = election.meta
    print(f"\n{file_name}: {meta.get('description', '')} {meta.get('instance', '')}")
    print(
        f"{len(election.votes)} voters, {n} projects, fund {result.fund // 100:,} UAH, rule {RULES[rule]}\n"
    )
    header = (
        "id",
        "pabulib",
        "ask UAH",
        "votes",
        "chain",
        "score",
        "chain",
        "weight (chain)",
        "recomputed",
        "funded",
    )
    print("{:>3} {:>12} {:>11} {:>6} {:>6} {:>6} {:>6} {:>16} {:>16} {:>11}".format(*header))
    all_match = True
    for pabulib_id, project_id in sorted(result.project_of.items(), key=lambda item: item[1]):
        row = election.project(pabulib_id)
        t = tallies[project_id - 1]
        match = (
            t.supporters == int(row["votes"])
            and t.credits == int(row["score"])
            and t.weight == recomputed[pabulib_id]
            and funded[project_id - 1] == expected[project_id - 1]
        )
        all_match &= match
        print(
            f"{project_id:>3} {pabulib_id:>12} {int(row['cost']):>11,} {row['votes']:>6} {t.supporters:>6} "
            f"{row['score']:>6} {t.credits:>6} {t.weight:>16,} {recomputed[pabulib_id]:>16,} "
            f"{funded[project_id - 1] / 100:>11,.2f}{'' if match else '  MISMATCH'}"
        )
    total = finalised.events["RoundFinalised"]["totalFundedKopiyky"]
    python_total = sum(expected) / 100
    print(
        f"\nfunded {total / 100:,.2f} UAH of {result.fund / 100:,.2f}; Python allocation {python_total:,.2f}"
    )
    print(f"RV escrowed and burned: {finalised.events['RoundFinalised']['rvBurned']:,}")
    print(
        "all tallies equal the official votes and score, weights and funding equal the recomputation:",
        all_match,
    )
    print(f"\n{'phase':<20} {'seconds':>8} {'transactions':>13} {'gas':>14} {'gas per voter':>14}")
    voters = len(election.votes)
    for phase in ("register residents", "earn RV", "open the round", "cast ballots", "finalise"):
        gas = result.gas[phase]
        print(
            f"{phase:<20} {result.seconds[phase]:>8.1f} {result.transactions[phase]:>13} {gas:>14,} "
            f"{gas // voters:>14,}"
        )
    print(
        f"{'total':<20} {sum(result.seconds.values()):>8.1f} {sum(result.transactions.values()):>13} "
        f"{sum(result.gas.values()):>14,}"
    )
    print(f"(deployment {deployed - started:.1f} s; wall clock {time.perf_counter() - started:.1f} s)")
    if not all_match:
        raise SystemExit("the replay does not match the official results")
