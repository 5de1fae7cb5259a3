/* The ballot's live preview: as a resident types RV for each project, show the weight of their vote,
   the project's weight with it, and the RV left. The arithmetic is the contracts' own, exactly:
   weight(c) = floor(sqrt(c * 10^18)), nine decimals, in integers (BigInt), shown with three decimals
   rounded down. Without this script the "preview" button asks the server for the same figures. */
(function () {
  "use strict";
  if (typeof BigInt === "undefined") return;
  var form = document.querySelector("form[data-vote]");
  if (!form) return;

  var ZERO = BigInt(0);
  var ONE = BigInt(1);
  var TWO = BigInt(2);
  var SCALE_SQUARED = BigInt("1000000000000000000"); // 10^18
  var SCALE = BigInt("1000000000"); // 10^9: the weight's nine decimals
  var MILLI = BigInt("1000000"); // 10^6: down to three decimals
  // The page's locale writes numbers this way (Babel's data, given by the server).
  var decimalSeparator = form.dataset.decimalSymbol || ".";
  var groupSeparator = form.dataset.groupSymbol || ",";
  var available = BigInt(form.dataset.available || "0");
  var used = document.getElementById("vote-used");
  var left = document.getElementById("vote-left");
  var over = document.getElementById("vote-over");

  function isqrt(n) {
    if (n < TWO) return n;
    var x = n;
    var y = (x + ONE) / TWO;
    while (y < x) {
      x = y;
      y = (x + n / x) / TWO;
    }
    return x;
  }

  function weight(credits) {
    return credits > ZERO ? isqrt(credits * SCALE_SQUARED) : ZERO;
  }

  function group(text) {
    return text.replace(/\B(?=(\d{3})+(?!\d))/g, groupSeparator);
  }

  function format(value) {
    var whole = value / SCALE;
    var fraction = ((value % SCALE) / MILLI).toString();
    while (fraction.length < 3) fraction = "0" + fraction;
    return group(whole.toString()) + decimalSeparator + fraction;
  }

  function credits(input) {
    var text = input.value.trim();
    return /^\d+$/.test(text) ? BigInt(text) : ZERO;
  }

  function update() {
    var total = ZERO;
    form.querySelectorAll("[data-project]").forEach(function (project) {
      var input = project.querySelector("input.credits");
      var given = credits(input);
      var own = weight(given);
      var base = BigInt(project.dataset.baseWeight || "0");
      total += given;
      project.querySelector("[data-weight-for]").textContent = format(own);
      project.querySelector("[data-total-for]").textContent = format(base + own);
    });
    var remaining = available - total;
    used.textContent = group(total.toString());
    left.textContent = group(remaining.toString());
    left.classList.toggle("minus", remaining < ZERO);
    over.hidden = remaining >= ZERO;
  }

  form.addEventListener("input", update);
  update();
})();
