// Call search: show the custom day fields only when the range is "Custom".
(function () {
  "use strict";
  function toggleCustom() {
    var range = document.getElementById("report-range");
    var custom = range && range.value === "custom";
    document.querySelectorAll(".report-custom-day").forEach(function (el) {
      el.classList.toggle("d-none", !custom);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    toggleCustom();
    var range = document.getElementById("report-range");
    if (range) { range.addEventListener("change", toggleCustom); }
  });
})();
