/* A round recounted from its events alone (docs/voting.md): the rules fixed at opening, the projects and
   their screening, each resident's latest ballot (an empty one is a withdrawal), then every project's
   weight, credits and supporters, and the allocation by the round's rule. */
(function (root) {
  "use strict";
  var R = root.CTSVerifyRules;
  var ZERO = BigInt(0);

  /** `logs`: decoded events of one round in chain order (CTSVerifyChain.roundLogs). */
  function recount(logs) {
    var created = null;
    var rule = null;
    var projects = new Map(); // project id (Number) -> {ask, eligible}
    var ballots = new Map(); // resident id (string) -> {ids: [BigInt], credits: [BigInt]}
    var fundedEvents = new Map(); // project id -> {weight, amount}
    var finalised = null;
    var cancelled = false;
    logs.forEach(function (log) {
      var a = log.args;
      switch (log.name) {
        case "RoundCreated":
          created = a.params;
          rule = Number(a.params.rules.rule);
          break;
        case "RulesSet": // allowed only before voting opens: the latest one is the rule fixed at opening
          rule = Number(a.rules.rule);
          break;
        case "ProjectPitched":
          projects.set(Number(a.projectId), { ask: BigInt(a.askKopiyky), eligible: false });
          break;
        case "ProjectScreened": // the council may screen again before voting; the latest word counts
          if (projects.has(Number(a.projectId))) projects.get(Number(a.projectId)).eligible = a.eligible;
          break;
        case "BallotCast":
          ballots.set(a.residentId.toString(), { ids: Array.from(a.projectIds), credits: Array.from(a.credits) });
          break;
        case "ProjectFunded":
          fundedEvents.set(Number(a.projectId), { weight: BigInt(a.weight), amount: BigInt(a.fundedKopiyky) });
          break;
        case "RoundFinalised":
          finalised = { total: BigInt(a.totalFundedKopiyky), rvBurned: BigInt(a.rvBurned), block: log.block };
          break;
        case "RoundCancelled":
          cancelled = true;
          break;
      }
    });
    if (created === null) return null;

    var count = projects.size === 0 ? 0 : Math.max.apply(null, Array.from(projects.keys()));
    var rows = [];
    for (var id = 1; id <= count; id++) {
      var p = projects.get(id) || { ask: ZERO, eligible: false };
      rows.push({ id: id, ask: p.ask, eligible: p.eligible, weight: ZERO, credits: ZERO, supporters: ZERO, funded: ZERO });
    }
    var voters = ZERO;
    var escrow = ZERO;
    ballots.forEach(function (ballot) {
      if (ballot.ids.length > 0) voters += BigInt(1);
      ballot.ids.forEach(function (projectId, k) {
        var c = BigInt(ballot.credits[k]);
        var row = rows[Number(projectId) - 1];
        escrow += c;
        if (!row || c === ZERO) return;
        row.weight += R.weight(c);
        row.credits += c;
        row.supporters += BigInt(1);
      });
    });
    var weights = rows.map(function (r) { return r.eligible ? r.weight : ZERO; });
    var asks = rows.map(function (r) { return r.eligible ? r.ask : ZERO; });
    var fund = BigInt(created.fundKopiyky);
    var funded = cancelled ? rows.map(function () { return ZERO; }) : R.allocate(rule, fund, weights, asks);
    var total = ZERO;
    rows.forEach(function (r, i) {
      r.funded = funded[i];
      total += funded[i];
    });
    return {
      fund: fund,
      rule: rule,
      projects: rows,
      voters: voters,
      escrow: escrow,
      totalFunded: total,
      fundedEvents: fundedEvents,
      finalised: finalised,
      cancelled: cancelled,
    };
  }

  root.CTSVerifyRecount = { recount: recount };
})(typeof globalThis !== "undefined" ? globalThis : this);
