// Call forms: a form marked data-once disables its submit button once sent, so a double
// click sends one request (the server also refuses a second one: the form's token).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once") || event.defaultPrevented) { return; }
    if (form.dataset.sent === "true") { event.preventDefault(); return; }
    form.dataset.sent = "true";
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = true;
      if (button.dataset.busyLabel) { button.textContent = button.dataset.busyLabel; }
    });
  });
})();
