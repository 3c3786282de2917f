// Dialdesk shell behaviour: toasts for Django messages (on page load and after htmx
// swaps) and confirmation dialogs for destructive buttons (data-confirm="…").
(function () {
  "use strict";

  function showToasts(root) {
    (root || document).querySelectorAll("#toasts .toast:not(.shown)").forEach(function (el) {
      el.classList.add("shown");
      var toast = bootstrap.Toast.getOrCreateInstance(el, {
        autohide: el.dataset.autohide !== "false",
        delay: 5000,
      });
      el.addEventListener("hidden.bs.toast", function () { el.remove(); });
      toast.show();
    });
  }

  // Checked-as-you-type forms redraw each field's message (#fb-<name>) out of band; a
  // field whose error went away must lose its red border too.
  function markInvalidFields() {
    document.querySelectorAll(".field-feedback[id^='fb-']").forEach(function (box) {
      var name = box.id.slice(3);
      var invalid = box.querySelector(".text-danger") !== null;
      document.querySelectorAll("[name='" + name + "']").forEach(function (input) {
        if (invalid) { input.setAttribute("aria-invalid", "true"); }
        else { input.removeAttribute("aria-invalid"); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { showToasts(document); });
  document.addEventListener("htmx:afterSettle", markInvalidFields);
  document.addEventListener("htmx:afterSettle", function () { showToasts(document); });
  document.addEventListener("htmx:oobAfterSwap", function () { showToasts(document); });

  // htmx's hx-confirm uses window.confirm; forms and links without htmx use data-confirm.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.dataset.confirm;
    if (message && !window.confirm(message)) { event.preventDefault(); }
  }, true);

  // A failed htmx request should say so instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 401 || xhr.getResponseHeader("HX-Redirect")) { return; }
    var text = xhr.status === 403 ? "Your role does not allow this action." :
      "The server answered " + xhr.status + ". Try again, or reload the page.";
    var container = document.getElementById("toasts");
    if (!container) { return; }
    var el = document.createElement("div");
    el.className = "toast align-items-center border-0 text-bg-danger";
    el.setAttribute("role", "alert");
    el.dataset.autohide = "false";
    var row = document.createElement("div");
    row.className = "d-flex";
    var body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close btn-close-white me-2 m-auto";
    close.setAttribute("data-bs-dismiss", "toast");
    close.setAttribute("aria-label", "Close");
    row.appendChild(body);
    row.appendChild(close);
    el.appendChild(row);
    container.appendChild(el);
    showToasts(document);
  });
  document.addEventListener("htmx:sendError", function () {
    var evt = new CustomEvent("htmx:responseError", { detail: { xhr: { status: 0, getResponseHeader: function () { return null; } } } });
    document.dispatchEvent(evt);
  });
})();

// Search forms marked data-drop-empty leave empty filters out of the request, so the
// pushed URL stays short (/users/?role=Viewer rather than /users/?q=&role=Viewer&status=).
document.addEventListener("htmx:configRequest", function (event) {
  if (!event.detail.elt.matches || !event.detail.elt.matches("form[data-drop-empty]")) { return; }
  var parameters = event.detail.parameters;
  var empty = [];
  if (typeof parameters.forEach === "function") {
    parameters.forEach(function (value, key) { if (value === "") { empty.push(key); } });
    empty.forEach(function (key) { parameters.delete(key); });
  } else {
    Object.keys(parameters).forEach(function (key) {
      if (parameters[key] === "") { delete parameters[key]; }
    });
  }
});
