// Reports overview: draw the charts from the page's JSON (#report-data, written by
// json_script) and draw them again each time htmx swaps #report-body after a change of
// range, filter or grouping. Also shows the custom day fields only for "Custom".
(function () {
  "use strict";
  var COLORS = {
    answered: "#198754", busy: "#fd7e14", no_answer: "#ffc107", cancelled: "#6c757d",
    failed: "#dc3545", congestion: "#b02a37", unavailable: "#6f42c1", dnd_blocked: "#343a40",
    voicemail: "#0dcaf0", in_progress: "#0d6efd"
  };
  var charts = [];
  var drawnFrom = null;  // the #report-data node the charts were drawn from

  function color(status) { return COLORS[status] || "#adb5bd"; }

  function destroy() {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
  }

  // Canvases carry data-chart, not an id: htmx copies the attributes of an element with
  // the same id across a swap, and Chart.js's style attribute would then break the CSP.
  function make(name, config) {
    var canvas = document.querySelector('canvas[data-chart="' + name + '"]');
    if (!canvas || !window.Chart) { return; }
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    charts.push(new window.Chart(canvas, config));
  }

  function draw() {
    destroy();
    var node = document.getElementById("report-data");
    drawnFrom = node;
    if (!node) { return; }
    var data = JSON.parse(node.textContent);
    make("calls", {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.stacked.map(function (s) {
          return { label: s.label, data: s.data, backgroundColor: color(s.status), stack: "calls" };
        })
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
    });
    make("split", {
      type: "doughnut",
      data: {
        labels: data.split.map(function (s) { return s.label; }),
        datasets: [{
          data: data.split.map(function (s) { return s.calls; }),
          backgroundColor: data.split.map(function (s) { return color(s.status); })
        }]
      }
    });
    make("rates", {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: "ASR (%)", data: data.asr, borderColor: "#198754", yAxisID: "y", spanGaps: true },
          { label: "ACD (s)", data: data.acd, borderColor: "#0d6efd", yAxisID: "y1", spanGaps: true }
        ]
      },
      options: {
        scales: {
          y: { beginAtZero: true, max: 100, title: { display: true, text: "ASR %" } },
          y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "ACD s" } }
        }
      }
    });
    document.dispatchEvent(new CustomEvent("reports:drawn", { detail: data }));
  }

  function toggleCustom() {
    var range = document.getElementById("report-range");
    var custom = range && range.value === "custom";
    document.querySelectorAll(".report-custom-day").forEach(function (el) {
      el.classList.toggle("d-none", !custom);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    toggleCustom();
    draw();
    var range = document.getElementById("report-range");
    if (range) { range.addEventListener("change", toggleCustom); }
  });
  // Redraw as soon as the swap is in (afterSwap, in the same task as the swap), so the
  // figures and the charts never disagree on screen; only when a swap brought new data
  // (not for unrelated swaps, e.g. toasts).
  document.addEventListener("htmx:afterSwap", function () {
    var node = document.getElementById("report-data");
    if (node !== drawnFrom || !document.getElementById("report-body").contains(node)) { draw(); }
  });
  // A back/forward restore brings the whole page back: draw again.
  document.addEventListener("htmx:historyRestore", function () { toggleCustom(); draw(); });
  window.dialdeskReports = { charts: function () { return charts; } };
})();
