// The annual summary's charts, one per group of figures the sections ask to compare: rates
// against the 100 % target (the shared RateChart rules) or amounts as horizontal bars. The
// same numbers are in the tables below them.
(function () {
  const source = document.getElementById("annual-chart-data");
  if (!source || !window.Chart) return;
  const charts = JSON.parse(source.textContent);
  document.querySelectorAll("canvas[data-annual-chart]").forEach(function (canvas) {
    const chart = charts[Number(canvas.dataset.annualChart)];
    if (!chart) return;
    if (chart.kind === "rate") {
      window.RateChart.againstTarget(canvas, chart.labels, chart.values);
      return;
    }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: [{ label: chart.unit, data: chart.values, backgroundColor: "#0d6efd" }],
      },
      options: { indexAxis: "y", maintainAspectRatio: false, animation: false,
                 plugins: { legend: { display: false } } },
    });
  });
})();
