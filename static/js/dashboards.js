/* Dashboards' charts: read the data the page wrote with json_script ("chart-data") and draw each chart
   on the canvas of the same id with Chart.js. Colours come from Bootstrap's palette (its CSS variables). */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var css = getComputedStyle(document.documentElement);
  function colour(name) { return css.getPropertyValue("--bs-" + name).trim(); }
  function rgba(name, alpha) { return "rgba(" + css.getPropertyValue("--bs-" + name + "-rgb").trim() + "," + alpha + ")"; }
  var STATUS = { on_track: "success", at_risk: "warning", off_track: "danger", no_plan: "secondary" };
  var lang = document.documentElement.lang || undefined;
  var whole = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  var oneDecimal = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  Chart.defaults.font.family = css.getPropertyValue("--bs-body-font-family").trim() || Chart.defaults.font.family;
  Chart.defaults.color = colour("secondary-color") || colour("secondary");
  Chart.defaults.maintainAspectRatio = false;
  if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
    Chart.defaults.animation = false;
  }

  function planActual(chart) {
    var format = chart.percent ? function (v) { return oneDecimal.format(v * 100) + "%"; } : function (v) { return whole.format(v); };
    return {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: [
          chart.level
            ? { type: "line", label: chart.actualLabel, data: chart.actual, borderColor: colour("primary"),
                backgroundColor: colour("primary"), borderWidth: 3, pointRadius: 3, tension: 0, order: 2,
                pointStyle: "line" }
            : { type: "bar", label: chart.actualLabel, data: chart.actual, backgroundColor: rgba("primary", 0.75),
                borderRadius: 3, order: 2, pointStyle: "rect" },
          { type: "line", label: chart.planLabel, data: chart.plan, borderColor: colour("gray-700"),
            backgroundColor: colour("gray-700"), borderDash: [6, 4], borderWidth: 2, pointRadius: 2,
            pointStyle: "line", tension: 0, order: 1, spanGaps: true },
        ],
      },
      options: {
        plugins: {
          title: { display: true, text: chart.title, align: "start", font: { size: 14, weight: "600" } },
          subtitle: { display: !!chart.subtitle, text: chart.subtitle, align: "start", padding: { bottom: 8 } },
          legend: { position: "bottom", labels: { usePointStyle: true, pointStyleWidth: 18 } },
          tooltip: { callbacks: { label: function (ctx) {
            return ctx.dataset.label + ": " + (ctx.parsed.y === null ? "—" : format(ctx.parsed.y));
          } } },
        },
        scales: { y: { beginAtZero: !chart.level, ticks: { callback: function (v) { return format(v); } } } },
      },
    };
  }

  // A dashed line at 100% attainment: the plan.
  var fullPlan = {
    id: "fullPlan",
    afterDatasetsDraw: function (chart) {
      var x = chart.scales.x.getPixelForValue(100), area = chart.chartArea, ctx = chart.ctx;
      if (x < area.left || x > area.right) return;
      ctx.save();
      ctx.strokeStyle = colour("gray-700");
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(x, area.top);
      ctx.lineTo(x, area.bottom);
      ctx.stroke();
      ctx.restore();
    },
  };

  function attainment(chart) {
    return {
      type: "bar",
      plugins: [fullPlan],
      data: {
        labels: chart.labels,
        datasets: [{
          label: chart.axisLabel,
          data: chart.values,
          backgroundColor: chart.statuses.map(function (s) { return colour(STATUS[s] || "secondary"); }),
          borderRadius: 3,
        }],
      },
      options: {
        indexAxis: "y",
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (ctx) {
            return ctx.parsed.x === null ? "—" : oneDecimal.format(ctx.parsed.x) + "%";
          } } },
        },
        scales: {
          x: { beginAtZero: true, suggestedMax: 110, title: { display: true, text: chart.axisLabel },
               ticks: { callback: function (v) { return whole.format(v) + "%"; } } },
        },
      },
    };
  }

  (data.charts || []).forEach(function (chart) {
    var canvas = document.getElementById(chart.id);
    if (!canvas) return;
    var config = chart.type === "attainment" ? attainment(chart) : planActual(chart);
    new Chart(canvas, config);
  });
})();
