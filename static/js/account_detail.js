// Vendor account page: the request log refreshes itself (hx-trigger="every 10s"), but not
// while the tab is hidden or a row's details are open, so a refresh never closes what
// the reader is looking at. A connection test always refreshes it.
(function () {
  "use strict";

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || elt.id !== "request-log") { return; }
    var config = event.detail.requestConfig || {};
    var trigger = config.triggeringEvent;
    if (trigger && trigger.type === "vendor-requests-changed") { return; }
    if (document.hidden || elt.querySelector(".request-detail.show, .request-detail.collapsing")) {
      event.preventDefault();
    }
  });
})();
