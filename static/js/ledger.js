// Bar chart of the enrollment rate per group (axis and colours: rates.js).
(function () {
  const source = document.getElementById("chart-data");
  const canvas = document.getElementById("rate-chart");
  if (!source || !canvas || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  const horizontal = data.labels.length > 8;
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{
        data: data.rates,
        backgroundColor: data.rates.map(window.RateChart.colour),
      }],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      indexAxis: horizontal ? "y" : "x",
      plugins: { legend: { display: false } },
      scales: {
        x: horizontal ? window.RateChart.axis : {},
        y: horizontal ? {} : window.RateChart.axis,
      },
    },
  });
})();
