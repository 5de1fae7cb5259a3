/* CTS pages: small improvements over plain HTML forms, which work without this script.
   - Marks the page as scripted (the ballot hides its "preview" button, which this script replaces).
   - A form cannot be sent twice by a double tap while the first sending is under way (the server
     also refuses to act twice on one form: this only saves a round trip on a slow connection). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.dataset.sending === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "1";
    if (event.submitter) event.submitter.setAttribute("aria-busy", "true");
  });

  // Coming back to a page (the back button) must leave its forms usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      delete form.dataset.sending;
    });
    document.querySelectorAll("[aria-busy]").forEach(function (element) {
      element.removeAttribute("aria-busy");
    });
  });
})();
