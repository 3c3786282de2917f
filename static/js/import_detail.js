// Import progress: size the bar from its data-width (inline styles are blocked by CSP).
(function () {
  "use strict";
  function sizeBars() {
    document.querySelectorAll(".progress-bar[data-width]").forEach(function (bar) {
      bar.style.width = bar.dataset.width + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", sizeBars);
  document.addEventListener("htmx:afterSettle", sizeBars);
})();
