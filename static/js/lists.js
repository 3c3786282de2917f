// Contact and DND list pages: leave empty filters out of the pushed URL, and the
// "tick every contact on this page" box (the table is swapped by htmx, so delegate).
(function () {
  "use strict";

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

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-select-all]")) { return; }
    var form = box.closest("form");
    if (!form) { return; }
    form.querySelectorAll("input[type=checkbox][name=ids]").forEach(function (el) {
      el.checked = box.checked;
    });
  });
})();
