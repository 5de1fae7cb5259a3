/* A round recounted from its events alone (docs/voting.md): the rules fixed at opening, the projects and
   their screening, each resident's latest ballot (an empty one is a withdrawal), then every project's
   weight, credits and supporters, and the allocation by the round's rule; under the co-financing rule each
   ask counts only its gap, the ask minus the money pledged to the project (docs/cofinancing.md). */
(function (root) {
  "use strict";
  var R = root.CTSVerifyRules;
  var ZERO = BigInt(0);

  var MONEY = 1; // ICoFinancing's kind of a money pledge

  /** Money pledged per project (Number -> BigInt): money pledges made, less those cancelled. Lapses come only
      after finalisation, so they never change what the rule used. */
  function pledgedMoney(pledges) {
    var money = new Map();
    var kept = new Map(); // pledge id (string) -> {project, value}, money pledges only
    (pledges || []).forEach(function (log) {
      var a = log.args;
      if (log.name === "Pledged" && Number(a.kind) === MONEY) {
        kept.set(a.pledgeId.toString(), { project: Number(a.projectId), value: BigInt(a.valueKopiyky) });
        money.set(Number(a.projectId), (money.get(Number(a.projectId)) || ZERO) + BigInt(a.valueKopiyky));
      } else if (log.name === "PledgeCancelled" && kept.has(a.pledgeId.toString())) {
        var p = kept.get(a.pledgeId.toString());
        money.set(p.project, money.get(p.project) - p.value);
      }
    });
    return money;
  }

  /** `logs`: decoded events of one round in chain order (CTSVerifyChain.roundLogs); `pledges`: the round's
      CoFinancing events (CTSVerifyChain.pledgeLogs), needed only for a co-financed round. */
  function recount(logs, pledges) {
    var created = null;
    var rule = null;
    var coFinanced = false;
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
          coFinanced = a.params.rules.coFinanced;
          break;
        case "RulesSet": // allowed only before voting opens: the latest one is the rule fixed at opening
          rule = Number(a.rules.rule);
          coFinanced = a.rules.coFinanced;
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
    var money = coFinanced ? pledgedMoney(pledges) : new Map();
    rows.forEach(function (r) {
      var m = money.get(r.id) || ZERO;
      r.pledged = m;
      r.gap = m >= r.ask ? ZERO : r.ask - m;
    });
    var asks = rows.map(function (r) { return r.eligible ? r.gap : ZERO; });
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
      coFinanced: coFinanced,
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
