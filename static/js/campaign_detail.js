// Campaign page and its confirmation pages: size the funnel and pace bars from their
// data-width (inline styles are blocked by CSP), again after each htmx poll swaps them.
(function () {
  "use strict";
  function sizeBars(root) {
    (root || document).querySelectorAll("[data-width]").forEach(function (el) {
      el.style.width = el.dataset.width + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { sizeBars(document); });
  document.addEventListener("htmx:afterSettle", function () { sizeBars(document); });
})();
