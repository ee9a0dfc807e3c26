// The overview's two charts; the same numbers are in the tables under them.
(function () {
  const source = document.getElementById("dashboard-data");
  if (!source || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  const rates = document.getElementById("rate-chart");
  if (rates) window.RateChart.againstTarget(rates, data.rate_labels, data.rates);
  const trend = document.getElementById("trend-chart");
  if (trend) {
    new Chart(trend, {
      type: "line",
      data: { labels: data.trend_labels,
              datasets: [{ data: data.trend, borderColor: "#dc3545", tension: 0.2 }] },
      options: { maintainAspectRatio: false, animation: false,
                 plugins: { legend: { display: false } },
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
})();
