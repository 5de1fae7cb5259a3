/* The balanced vote's arithmetic, written again from docs/voting.md for the in-browser verifier: a third
   implementation beside the contracts (QuadraticMath, Allocation) and `cts audit` (Python). Everything is
   BigInt and every division rounds down, as Solidity's and Python's integer division do. */
(function (root) {
  "use strict";
  var ZERO = BigInt(0);
  var ONE = BigInt(1);
  var TWO = BigInt(2);
  var SCALE_SQUARED = BigInt("1000000000000000000"); // 10^18: a weight carries nine decimal digits

  // floor(sqrt(n)) by Newton's method from above; exact for every BigInt (no floating point anywhere).
  function isqrt(n) {
    if (n < ZERO) throw new RangeError("isqrt of a negative number");
    if (n < TWO) return n;
    var x = ONE << BigInt(Math.ceil(n.toString(2).length / 2)); // 2^ceil(bits/2) >= sqrt(n)
    for (;;) {
      var y = (x + n / x) / TWO;
      if (y >= x) return x;
      x = y;
    }
  }

  // weight(c) = floor(sqrt(c * 10^18)): what one resident's c credits add to a project's weight.
  function weight(credits) {
    return isqrt(BigInt(credits) * SCALE_SQUARED);
  }

  // Water-filling: pass by pass, with R the money not yet given and S the sum of the open projects' scores,
  // every open project whose floor(R * s / S) reaches its ask gets its ask and leaves; when none did, every
  // open project gets floor(R * s / S) and it is over. Score 0 or ask 0: nothing.
  function cappedProportional(fund, scores, asks) {
    var n = scores.length;
    var funded = scores.map(function () { return ZERO; });
    var open = scores.map(function (s, i) { return s > ZERO && asks[i] > ZERO; });
    var left = fund;
    for (;;) {
      var total = ZERO;
      for (var i = 0; i < n; i++) if (open[i]) total += scores[i];
      if (total === ZERO || left === ZERO) break;
      // Every share of a pass is taken of the same R (the contract keeps passRemaining for this).
      var pass = left;
      var reached = [];
      for (i = 0; i < n; i++) {
        if (open[i] && (pass * scores[i]) / total >= asks[i]) reached.push(i);
      }
      if (reached.length === 0) {
        for (i = 0; i < n; i++) {
          if (open[i]) {
            funded[i] = (pass * scores[i]) / total;
            left -= funded[i];
          }
        }
        break;
      }
      reached.forEach(function (k) {
        funded[k] = asks[k];
        left -= asks[k];
        open[k] = false;
      });
    }
    return funded;
  }

  // Whole asks in order of weight (highest first, ties to the lower project id) while the fund lasts;
  // an ask that no longer fits is skipped; weight 0 gets nothing.
  function greedyByWeight(fund, weights, asks) {
    var order = weights.map(function (_, i) { return i; });
    order.sort(function (a, b) {
      if (weights[a] !== weights[b]) return weights[a] > weights[b] ? -1 : 1;
      return a - b;
    });
    var funded = weights.map(function () { return ZERO; });
    var left = fund;
    for (var k = 0; k < order.length; k++) {
      var i = order[k];
      if (weights[i] === ZERO) break;
      if (asks[i] <= left) {
        funded[i] = asks[i];
        left -= asks[i];
      }
    }
    return funded;
  }

  // Funded per project (index i is project id i + 1) under rule 0 (QuadraticFunding: scores weight^2),
  // 1 (ProportionalToWeight: scores weight) or 2 (GreedyByWeight). Not eligible: pass weight and ask 0.
  function allocate(rule, fund, weights, asks) {
    if (rule === 2) return greedyByWeight(fund, weights, asks);
    if (rule === 0) return cappedProportional(fund, weights.map(function (w) { return w * w; }), asks);
    if (rule === 1) return cappedProportional(fund, weights, asks);
    throw new RangeError("unknown allocation rule " + rule);
  }

  root.CTSVerifyRules = {
    isqrt: isqrt,
    weight: weight,
    cappedProportional: cappedProportional,
    greedyByWeight: greedyByWeight,
    allocate: allocate,
  };
})(typeof globalThis !== "undefined" ? globalThis : this);
