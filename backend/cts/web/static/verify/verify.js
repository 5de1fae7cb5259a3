/* The verifier's page: read the inputs, read the chain, recount, compare and show project by project.
   Everything runs here, in the auditor's browser; the only network it uses is the RPC URL typed in (and the
   published results' URL, when one is given). Words come from the page (the service's gettext catalogs). */
(function () {
  "use strict";
  var Chain = window.CTSVerifyChain;
  var Recount = window.CTSVerifyRecount;
  var T = JSON.parse(document.getElementById("verify-text").textContent);
  var lang = document.documentElement.lang || "uk";
  var form = document.getElementById("verify-form");
  var statusBox = document.getElementById("verify-status");
  var errorBox = document.getElementById("verify-error");
  var out = document.getElementById("verify-result");
  var ZERO = BigInt(0);

  function say(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) {
      return values && values[name] != null ? String(values[name]) : "";
    });
  }

  var whole = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  var decimal = (new Intl.NumberFormat(lang).formatToParts(1.5).find(function (p) { return p.type === "decimal"; }) || { value: "." }).value;
  function number(n) { return whole.format(n); }
  // Kopiyky as hryvnias, exact (BigInt), whole hryvnias without decimals, as the service's pages write them.
  function uah(k) {
    var sign = k < ZERO ? "-" : "";
    if (k < ZERO) k = -k;
    var cents = k % BigInt(100);
    var text = whole.format(k / BigInt(100)) + (cents === ZERO ? "" : decimal + cents.toString().padStart(2, "0"));
    return say(T.uah, { amount: sign + text }).replace(/ /g, "\u00a0");
  }
  // A weight is sqrt(credits) with nine decimals: shown whole, every digit, so that agreement is exact.
  function weight(w) {
    var scale = BigInt(1000000000);
    return whole.format(w / scale) + decimal + (w % scale).toString().padStart(9, "0");
  }
  var FIGURES = [
    ["weight", T.weight, weight],
    ["credits", T.credits, number],
    ["supporters", T.supporters, number],
    ["funded", T.funded, uah],
  ];

  function fail(error) {
    statusBox.textContent = "";
    errorBox.textContent = error instanceof Chain.VerifyError ? say(T.errors[error.code] || error.code, error.values) : say(T.errors.unexpected, { detail: String(error && error.message) });
    errorBox.hidden = false;
  }

  function parseJson(text, code) {
    try {
      return JSON.parse(text);
    } catch (_) {
      throw new Chain.VerifyError(code);
    }
  }

  // A deployment manifest (deployments/<chain id>.json) or the service's record of one hromada.
  function readManifest(text, key) {
    var data = parseJson(text, "manifest_not_json");
    if (!data || typeof data !== "object") throw new Chain.VerifyError("manifest_not_json");
    var entry = data;
    var fromBlock = data.deployed_block;
    if (data.hromadas && typeof data.hromadas === "object") {
      var keys = Object.keys(data.hromadas);
      if (key) entry = data.hromadas[key];
      else if (keys.length === 1) entry = data.hromadas[keys[0]];
      else throw new Chain.VerifyError("manifest_which", { keys: keys.join(", ") });
      if (!entry) throw new Chain.VerifyError("manifest_which", { keys: keys.join(", ") });
      fromBlock = entry.block;
    }
    var vote = entry.contracts && entry.contracts.balancedVote;
    if (!vote || !Chain.isAddress(vote)) throw new Chain.VerifyError("manifest_no_vote");
    return { vote: vote, chainId: data.chain_id != null ? data.chain_id : null, fromBlock: Number(fromBlock || 0) };
  }

  async function readPublished(url, pasted, roundId) {
    var text = pasted.trim();
    if (url.trim()) {
      var address = url.trim().replace("{round}", roundId.toString());
      try {
        var response = await fetch(address, { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error("HTTP " + response.status);
        text = await response.text();
      } catch (error) {
        throw new Chain.VerifyError("published_unreachable", { url: address, detail: String(error.message || error) });
      }
    }
    if (!text) return null;
    var data = parseJson(text, "published_not_json");
    if (!data || !Array.isArray(data.projects)) throw new Chain.VerifyError("published_not_json");
    var byId = new Map();
    data.projects.forEach(function (p) {
      var big = function (v) { return v == null ? null : BigInt(String(v)); };
      byId.set(Number(p.id), { title: p.title || "", weight: big(p.weight), credits: big(p.credits), supporters: big(p.supporters), funded: big(p.funded_kopiyky) });
    });
    var big = function (v) { return v == null ? null : BigInt(String(v)); };
    return { projects: byId, total: big(data.total_funded_kopiyky), voters: big(data.voters) };
  }

  function cell(tag, text, differs) {
    var el = document.createElement(tag);
    el.textContent = text;
    if (differs) {
      el.className = "differs";
      el.textContent = text + " ≠";
    }
    return el;
  }

  // A figure as recomputed, then under it how the chain's and the published figures compare: a tick when
  // they are the same, the other value when not (three columns of numbers do not fit a phone).
  function row(label, figure, values, show) {
    var main = document.createElement("tr");
    main.dataset.figure = figure;
    main.appendChild(cell("th", label));
    main.appendChild(cell("td", show(values[0])));
    var checks = document.createElement("tr");
    checks.className = "verify-checks";
    var td = checks.appendChild(document.createElement("td"));
    td.colSpan = 2;
    var differs = false;
    [[T.on_chain, values[1]], [T.published, values[2]]].forEach(function (pair) {
      if (pair[1] == null) return;
      if (td.childNodes.length) td.appendChild(document.createTextNode(" · "));
      var span = td.appendChild(document.createElement("span"));
      if (pair[1] === values[0]) {
        span.textContent = "✓ " + pair[0];
      } else {
        differs = true;
        span.className = "differs";
        span.textContent = "≠ " + pair[0] + ": " + show(pair[1]);
      }
    });
    main.dataset.agree = differs ? "no" : "yes";
    return { trs: [main, checks], differs: differs };
  }

  function table(heading, rows) {
    var box = document.createElement("div");
    box.className = "table-scroll";
    var t = document.createElement("table");
    t.className = "verify-table";
    var head = document.createElement("tr");
    [heading, T.recomputed].forEach(function (h) { head.appendChild(cell("th", h)); });
    t.appendChild(document.createElement("thead")).appendChild(head);
    var body = t.appendChild(document.createElement("tbody"));
    rows.forEach(function (r) { r.trs.forEach(function (tr) { body.appendChild(tr); }); });
    box.appendChild(t);
    return box;
  }

  function show(result) {
    var counted = result.counted;
    var views = result.views;
    var published = result.published;
    var final = views.round.finalised;
    var differing = [];
    out.textContent = "";
    var intro = document.createElement("p");
    intro.textContent = say(T.read_at, { round: result.roundId.toString(), block: number(result.block), logs: number(result.logs) }) + " " +
      say(T.fund_rule, { fund: uah(counted.fund), rule: T.rules[counted.rule] || String(counted.rule) }) + " " +
      (counted.coFinanced ? T.co_financed + " " : "") +
      (final ? T.finalised : counted.cancelled ? T.cancelled : T.not_finalised);
    out.appendChild(intro);
    var verdict = document.createElement("p");
    verdict.id = "verify-verdict";
    verdict.setAttribute("role", "status");
    out.appendChild(verdict);

    var sections = [];
    counted.projects.forEach(function (p, i) {
      var chain = views.projects[i];
      var tally = chain ? chain.tally : null;
      var chainFunded = chain ? (final ? BigInt(chain.project.funded) : BigInt(views.preview[i] || 0)) : null;
      var pub = published ? published.projects.get(p.id) || {} : {};
      var event = counted.fundedEvents.get(p.id);
      var eventDiffers = final && ((event ? event.amount : ZERO) !== p.funded || (event && event.weight !== p.weight));
      var rows = FIGURES.map(function (f) {
        var onChain = tally ? (f[0] === "funded" ? chainFunded : BigInt(tally[f[0]])) : null;
        return row(f[1], f[0], [p[f[0]], onChain, pub[f[0]] == null ? null : pub[f[0]]], f[2]);
      });
      var bad = eventDiffers || !chain || rows.some(function (r) { return r.differs; });
      var section = document.createElement("section");
      section.className = "verify-project" + (bad ? " verify-project--differs" : "");
      section.dataset.project = String(p.id);
      section.dataset.agree = bad ? "no" : "yes";
      var h = section.appendChild(document.createElement("h3"));
      h.textContent = say(T.project, { id: p.id }) + (pub.title ? " — " + pub.title : "");
      var badge = h.appendChild(document.createElement("span"));
      badge.className = "badge " + (bad ? "badge--rejected" : "badge--approved");
      badge.textContent = bad ? T.disagrees : T.agrees;
      var note = section.appendChild(document.createElement("p"));
      note.className = "muted";
      note.textContent = say(T.ask, { ask: uah(p.ask) }) + " · " + (p.eligible ? T.eligible : T.not_eligible) +
        (counted.coFinanced ? " · " + say(T.pledged_gap, { pledged: uah(p.pledged), gap: uah(p.gap) }) : "");
      if (eventDiffers) {
        var warn = section.appendChild(document.createElement("p"));
        warn.className = "differs";
        warn.textContent = say(T.event_differs, { weight: event ? weight(event.weight) : "—", funded: uah(event ? event.amount : ZERO) });
      }
      section.appendChild(table(T.figure, rows));
      sections.push(section);
      if (bad) differing.push(p.id);
    });
    if (views.projects.length !== counted.projects.length) differing.push(0);

    var roundRows = [
      row(T.total_funded, "total", [counted.totalFunded, final ? BigInt(views.round.totalFunded) : null, published ? published.total : null], uah),
      row(T.voters, "voters", [counted.voters, BigInt(views.round.voters), published ? published.voters : null], number),
    ];
    var finalisedDiffers = final && counted.finalised && (counted.finalised.total !== counted.totalFunded || counted.finalised.rvBurned !== counted.escrow);
    var roundBad = finalisedDiffers || roundRows.some(function (r) { return r.differs; });
    var roundBox = document.createElement("section");
    roundBox.className = "verify-round";
    roundBox.dataset.agree = roundBad ? "no" : "yes";
    roundBox.appendChild(document.createElement("h2")).textContent = T.the_round;
    roundBox.appendChild(table(T.figure, roundRows));
    if (finalisedDiffers) roundBox.appendChild(cell("p", T.finalised_differs, true));
    out.appendChild(roundBox);
    out.appendChild(document.createElement("h2")).textContent = T.projects;
    sections.forEach(function (s) { out.appendChild(s); });

    verdict.dataset.differs = differing.filter(function (id) { return id > 0; }).join(",");
    if (differing.length === 0 && !roundBad) {
      verdict.className = "verdict verdict--good";
      verdict.textContent = say(published ? T.all_agree : T.all_agree_chain, { num: number(counted.projects.length) });
    } else {
      verdict.className = "verdict verdict--bad";
      var names = differing.filter(function (id) { return id > 0; }).map(function (id) { return say(T.project, { id: id }); });
      if (roundBad) names.push(T.the_round);
      verdict.textContent = say(T.differ, { what: names.join(", ") });
    }
    // On a phone the result starts below the form: bring the verdict into view (and to a screen reader).
    verdict.tabIndex = -1;
    verdict.focus();
  }

  async function run() {
    errorBox.hidden = true;
    out.textContent = "";
    var value = function (id) { return document.getElementById(id).value; };
    var roundText = value("verify-round").trim();
    if (!/^[0-9]+$/.test(roundText) || BigInt(roundText) === ZERO) throw new Chain.VerifyError("round_invalid", { round: roundText });
    var roundId = BigInt(roundText);
    var manifest = readManifest(value("verify-manifest"), value("verify-key").trim());
    statusBox.textContent = T.connecting;
    var node = await Chain.connect(value("verify-rpc").trim(), manifest.chainId);
    var block = await Chain.headBlock(node);
    statusBox.textContent = T.reading_views;
    var views = await Chain.roundViews(node, manifest.vote, roundId, block);
    var logs = await Chain.roundLogs(node, manifest.vote, roundId, manifest.fromBlock, block, function (from, to, last) {
      statusBox.textContent = say(T.reading_logs, { from: number(from), to: number(to), last: number(last) });
    });
    var pledges = [];
    if (views.round.params.rules.coFinanced) {
      statusBox.textContent = T.reading_pledges;
      pledges = await Chain.pledgeLogs(node, manifest.vote, roundId, manifest.fromBlock, block, function () {});
    }
    var counted = Recount.recount(logs, pledges);
    if (counted === null) throw new Chain.VerifyError("round_no_events", { round: roundText, from: String(manifest.fromBlock) });
    var published = await readPublished(value("verify-published-url"), value("verify-published"), roundId);
    show({ roundId: roundId, block: block, logs: logs.length, counted: counted, views: views, published: published });
    statusBox.textContent = T.done;
  }

  document.getElementById("verify-manifest-file").addEventListener("change", function (event) {
    var file = event.target.files && event.target.files[0];
    if (file) file.text().then(function (text) { document.getElementById("verify-manifest").value = text; });
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    run().catch(fail).finally(function () { button.disabled = false; });
  });
})();
