// Contact and DND list pages: the "tick every contact on this page" box (the table is
// swapped by htmx, so the listener is delegated).
(function () {
  "use strict";

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
