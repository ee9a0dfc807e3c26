// The backtest chart: recall and precision at the top 5 % and 10 % per month (the same
// numbers are in the table under it).
(function () {
  const source = document.getElementById("backtest-data");
  const canvas = document.getElementById("backtest-chart");
  if (!source || !canvas || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  const labels = JSON.parse(document.getElementById("backtest-labels").textContent);
  const line = (label, values, color, dash) => ({
    label: label, data: values, borderColor: color, backgroundColor: color,
    borderDash: dash ? [6, 4] : [], tension: 0.2, spanGaps: true,
  });
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        line(labels.recall5, data.recall5, "#b02a37", false),
        line(labels.recall10, data.recall10, "#0a58ca", false),
        line(labels.precision5, data.precision5, "#b02a37", true),
        line(labels.precision10, data.precision10, "#0a58ca", true),
      ],
    },
    options: {
      maintainAspectRatio: false, animation: false,
      scales: { y: { beginAtZero: true, max: 100, ticks: { callback: (v) => v + "%" } } },
    },
  });
})();
