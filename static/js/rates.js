// The enrollment-rate charts' shared rules: an honest axis from 0 to 100 % (a 97.8 % bar is
// not made to look like a fraction of a 99.1 % one) and colours by the target's thresholds:
// green at the 100 % target, amber within a point of it, red below.
window.RateChart = {
  axis: { min: 0, max: 100, ticks: { callback: (value) => value + "%" } },
  colour(rate) {
    if (rate === null || rate === undefined) return "#adb5bd";
    if (rate >= 100) return "#198754";
    if (rate >= 99) return "#e0a800";
    return "#dc3545";
  },
  // A bar per place against a dashed line at the 100 % target (the overview and the monthly
  // report draw the same chart from their own data).
  againstTarget(canvas, labels, rates) {
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          { type: "bar", label: "%", data: rates, backgroundColor: rates.map(this.colour) },
          { type: "line", label: "100%", data: labels.map(() => 100),
            borderColor: "#198754", borderDash: [6, 4], pointRadius: 0 },
        ],
      },
      options: { maintainAspectRatio: false, animation: false,
                 plugins: { legend: { display: false } },
                 scales: { y: this.axis } },
    });
  },
};
