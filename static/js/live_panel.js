// The live panel polls every 5 s, but only while its page is visible: a background tab
// costs the CPaaS server nothing. (htmx trigger filters would need eval, which the
// htmx config and the CSP forbid, so a tick event is sent from here.)
(function () {
  if (window.dialdeskLivePanel) return;
  var PERIOD_MS = 5000;
  function tick() {
    if (document.visibilityState !== "visible" || !window.htmx) return;
    document.querySelectorAll("[data-live-poll]").forEach(function (el) {
      window.htmx.trigger(el, "live-tick");
    });
  }
  window.dialdeskLivePanel = window.setInterval(tick, PERIOD_MS);
  // Back in front: refresh at once rather than waiting for the next tick.
  document.addEventListener("visibilitychange", tick);
  // "Keep the call as it is" closes the confirmation.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".live-dismiss");
    if (!link) return;
    var box = document.getElementById("live-action");
    if (box) {
      event.preventDefault();
      box.innerHTML = "";
    }
  });
})();
