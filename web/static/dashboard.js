// The managers' dashboard (web/dashboard.py): one chart per figure, drawn by the vendored Chart.js
// from the JSON the page carries. The tables beside them hold the same figures without script.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") { return; }
  var palette = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#57606a", "#bf3989", "#0a7ea4"];
  JSON.parse(source.textContent).forEach(function (figure) {
    var canvas = document.getElementById(figure.id);
    if (!canvas) { return; }
    var round = figure.type !== "bar";
    new Chart(canvas, {
      type: figure.type,
      data: {
        labels: figure.labels,
        datasets: [{
          label: figure.label,
          data: figure.values,
          backgroundColor: round ? palette : palette[0]
        }]
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: round } },
        scales: round ? {} : { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  });
}());
