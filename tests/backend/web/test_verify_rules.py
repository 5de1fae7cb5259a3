"""The in-browser verifier's arithmetic (static/verify/rules.js, run by Node) against the audit's
(cts.audit.rules, Python) on random rounds: weights, the three allocation rules, and the edges (an ask
larger than the fund, ties, zero weights, huge credits)."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from typing import Any

import pytest

from cts.audit.rules import AllocationRule, allocate, weight
from cts.web.verify_page import VERIFY_DIR

RUN = """
require(process.argv[1]);
const R = globalThis.CTSVerifyRules;
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const big = (xs) => xs.map((x) => BigInt(x));
const out = cases.map((c) => ({
  weights: big(c.credits).map((x) => R.weight(x).toString()),
  funded: R.allocate(c.rule, BigInt(c.fund), big(c.weights), big(c.asks)).map(String),
}));
process.stdout.write(JSON.stringify(out));
"""


def random_round(rng: random.Random) -> dict[str, Any]:
    n = rng.randint(1, 12)
    weights = [rng.choice([0, rng.randint(1, 10**12), weight(rng.randint(1, 500))]) for _ in range(n)]
    if n > 2 and rng.random() < 0.3:
        weights[1] = weights[0]  # a tie
    asks = [rng.choice([0, rng.randint(1, 10**8)]) for _ in range(n)]
    return {
        "rule": rng.randint(0, 2),
        "fund": rng.randint(0, 2 * 10**8),
        "weights": [str(w) for w in weights],
        "asks": [str(a) for a in asks],
        "credits": [
            str(rng.choice([0, 1, rng.randint(2, 10**6), rng.randint(10**15, 10**19)])) for _ in range(4)
        ],
    }


def test_rules_js_computes_what_the_python_audit_computes() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (make setup needs it for npm)")
    rng = random.Random(17)
    cases = [random_round(rng) for _ in range(400)]
    done = subprocess.run(
        [node, "-e", RUN, str(VERIFY_DIR / "rules.js")],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    for case, answer in zip(cases, json.loads(done.stdout), strict=True):
        credits = [int(c) for c in case["credits"]]
        assert answer["weights"] == [str(weight(c)) for c in credits]
        rule = AllocationRule(case["rule"])
        expected = allocate(
            rule, int(case["fund"]), [int(w) for w in case["weights"]], [int(a) for a in case["asks"]]
        )
        assert answer["funded"] == [str(f) for f in expected], case
