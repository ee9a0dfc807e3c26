// The monthly report's chart: the enrollment rate of each place against the 100% target.
// The same numbers are in the table "By township/village" below it.
(function () {
  const source = document.getElementById("report-chart-data");
  const canvas = document.getElementById("report-rate-chart");
  if (!source || !canvas || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  window.RateChart.againstTarget(canvas, data.labels, data.rates);
})();
