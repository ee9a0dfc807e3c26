// The monthly report's chart: the enrollment rate of each place against the 100% target.
// The same numbers are in the table "By township/village" below it.
(function () {
  const source = document.getElementById("report-chart-data");
  const canvas = document.getElementById("report-rate-chart");
  if (!source || !canvas || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { type: "bar", label: "%", data: data.rates,
          backgroundColor: data.rates.map(window.RateChart.colour) },
        { type: "line", label: "100%", data: data.labels.map(() => 100),
          borderColor: "#198754", borderDash: [6, 4], pointRadius: 0 },
      ],
    },
    options: { maintainAspectRatio: false, animation: false,
               plugins: { legend: { display: false } },
               scales: { y: window.RateChart.axis } },
  });
})();
