// The ledger's chart by area; the same numbers are in the table under it.
(function () {
  const source = document.getElementById("ledger-data");
  const canvas = document.getElementById("area-chart");
  if (!source || !canvas || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  const label = (id) => canvas.dataset[id] || id;
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: label("found"), data: data.found, backgroundColor: "#dc3545" },
        { label: label("rectified"), data: data.rectified, backgroundColor: "#0d6efd" },
        { label: label("verified"), data: data.verified, backgroundColor: "#198754" },
      ],
    },
    options: { maintainAspectRatio: false, animation: false,
               scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
})();
