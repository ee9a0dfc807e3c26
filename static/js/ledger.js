// Bar chart of the enrollment rate per group; red below 100 %, green at 100 %.
(function () {
  const source = document.getElementById("chart-data");
  const canvas = document.getElementById("rate-chart");
  if (!source || !canvas || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  const known = data.rates.filter((r) => r !== null);
  const floor = known.length ? Math.max(0, Math.floor(Math.min(...known)) - 2) : 0;
  const horizontal = data.labels.length > 8;
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{
        data: data.rates,
        backgroundColor: data.rates.map((r) => (r === 100 ? "#198754" : "#dc3545")),
      }],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      indexAxis: horizontal ? "y" : "x",
      plugins: { legend: { display: false } },
      scales: {
        x: horizontal ? { min: floor, max: 100 } : {},
        y: horizontal ? {} : { min: floor, max: 100 },
      },
    },
  });
})();
