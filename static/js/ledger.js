// Bar chart of the enrollment rate per group; red below 100 %, green at 100 %.
(function () {
  const source = document.getElementById("chart-data");
  const canvas = document.getElementById("rate-chart");
  if (!source || !canvas || !window.Chart) return;
  const data = JSON.parse(source.textContent);
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
      indexAxis: data.labels.length > 8 ? "y" : "x",
      plugins: { legend: { display: false } },
      scales: {
        x: { min: data.labels.length > 8 ? Math.max(0, Math.min(...data.rates.filter((r) => r !== null)) - 5) : undefined, max: data.labels.length > 8 ? 100 : undefined },
        y: { min: data.labels.length > 8 ? undefined : Math.max(0, Math.min(...data.rates.filter((r) => r !== null)) - 5), max: data.labels.length > 8 ? undefined : 100 },
      },
    },
  });
})();
