/* Signing a ballot with the resident's own wallet (EIP-1193: window.ethereum), for the relayer to send.
   The service's wallet request template (GET /api/h/<slug>/wallet/request-template) fills in the
   request; the wallet shows it (EIP-712) and signs it; POST .../relay queues it. Without a wallet in the
   browser the block stays hidden and the ordinary form is the way to vote. */
(function () {
  "use strict";
  var box = document.querySelector("[data-own-wallet]");
  var form = document.querySelector("form[data-vote]");
  if (!box || !form || !window.ethereum || typeof BigInt === "undefined") return;
  box.hidden = false;
  var button = box.querySelector("button");
  var error = box.querySelector("[data-own-wallet-error]");

  function word(value) {
    return BigInt(value).toString(16).padStart(64, "0");
  }

  // castBallot(uint256 roundId, uint256[] projectIds, uint256[] credits), ABI-encoded.
  function ballotData() {
    var ids = [];
    var credits = [];
    form.querySelectorAll("[data-project]").forEach(function (project) {
      var text = project.querySelector("input.credits").value.trim();
      if (/^\d+$/.test(text) && BigInt(text) > BigInt(0)) {
        ids.push(project.dataset.project);
        credits.push(text);
      }
    });
    var n = ids.length;
    var head = word(box.dataset.round) + word(96) + word(96 + 32 * (n + 1));
    return box.dataset.selector + head + word(n) + ids.map(word).join("") + word(n) + credits.map(word).join("");
  }

  function fail(text) {
    error.textContent = text;
    error.hidden = false;
    button.disabled = false;
  }

  async function api(url, init) {
    var response = await fetch(url, Object.assign({ credentials: "same-origin" }, init || {}));
    var body = await response.json();
    if (!response.ok) throw new Error(body.detail || box.dataset.failed);
    return body;
  }

  button.addEventListener("click", async function () {
    error.hidden = true;
    button.disabled = true;
    try {
      var query = new URLSearchParams({ to: box.dataset.to, data: ballotData() });
      var template = await api(box.dataset.template + "?" + query);
      var accounts = await window.ethereum.request({ method: "eth_requestAccounts" });
      var account = (accounts || [])[0] || "";
      if (account.toLowerCase() !== template.signer.toLowerCase()) return fail(box.dataset.otherWallet);
      var signature = await window.ethereum.request({
        method: "eth_signTypedData_v4",
        params: [account, JSON.stringify(template.typed_data)],
      });
      var action = await api(template.relay_url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
        body: JSON.stringify(Object.assign({}, template.message, { signature: signature })),
      });
      window.location.assign(box.dataset.actions + action.id);
    } catch (problem) {
      fail((problem && problem.message) || box.dataset.failed);
    }
  });
})();
