// The overview's two charts; the same numbers are in the tables under them.
(function () {
  const source = document.getElementById("dashboard-data");
  if (!source || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  const rates = document.getElementById("rate-chart");
  if (rates) {
    new Chart(rates, {
      type: "bar",
      data: {
        labels: data.rate_labels,
        datasets: [
          { type: "bar", label: "%", data: data.rates,
            backgroundColor: data.rates.map(window.RateChart.colour) },
          { type: "line", label: "100%", data: data.rate_labels.map(() => 100),
            borderColor: "#198754", borderDash: [6, 4], pointRadius: 0 },
        ],
      },
      options: { maintainAspectRatio: false, animation: false,
                 plugins: { legend: { display: false } },
                 scales: { y: window.RateChart.axis } },
    });
  }
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
