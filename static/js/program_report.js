/* The program report's charts (uPlot, vendored). The figures come from a json_script block
   (report-data), so nothing inline runs under the CSP. Bars: device days and bands of minutes;
   lines: alerts per day by tier. */
(function () {
  "use strict";

  var TIER_COLORS = { critical: "#b3261e", warning: "#b7791f", information: "#1f5fbf" };
  var BRAND = "#0f6e78";

  function bars(size) { return uPlot.paths.bars({ size: [size, 60], gap: 1 }); }

  function markPlugin(value, label) {
    return {
      hooks: {
        draw: [function (u) {
          var x = Math.round(u.valToPos(value - 0.5, "x", true));
          var ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = "#1d7a46";
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
          ctx.fillStyle = "#1d7a46";
          ctx.font = (11 * devicePixelRatio) + "px system-ui, sans-serif";
          ctx.fillText(label, x + 4 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio);
          ctx.restore();
        }]
      }
    };
  }

  function base(el, xLabel, series, extra) {
    var opts = {
      width: Math.max(el.clientWidth, 260),
      height: 220,
      scales: { x: { time: false }, y: { range: function (u, min, max) { return [0, Math.max(max + 1, 4)]; } } },
      axes: [
        { stroke: "#5b6775", grid: { show: false }, label: xLabel, size: 40 },
        { stroke: "#5b6775", grid: { stroke: "#edf0f3" }, label: "patients", size: 48 }
      ],
      cursor: { drag: { x: false, y: false } },
      legend: { show: series.length > 1, live: false },
      series: [{ label: xLabel }].concat(series),
      plugins: extra || []
    };
    return opts;
  }

  function build(el, d) {
    var kind = el.dataset.reportChart;
    var opts, data;
    if (kind === "alerts") {
      opts = base(el, "day of the month", d.alerts.series.map(function (s) {
        var c = TIER_COLORS[s.severity] || BRAND;
        return { label: s.label, stroke: c, width: 2, points: { show: true, size: 5, fill: "#fff", stroke: c } };
      }));
      opts.axes[1].label = "alerts";
      opts.scales.x.range = [1, d.alerts.x.length];
      data = [d.alerts.x].concat(d.alerts.series.map(function (s) { return s.y; }));
    } else if (kind === "device_days") {
      opts = base(el, "device days in the period", [
        { label: "patients", stroke: BRAND, fill: "rgba(15,110,120,0.55)", width: 1, paths: bars(0.85), points: { show: false } }
      ], [markPlugin(d.device_days.mark, d.device_days.mark + " days")]);
      opts.scales.x.range = [-0.5, d.device_days.x.length - 0.5];
      data = [d.device_days.x, d.device_days.y];
    } else {
      var xs = d.minutes.labels.map(function (_, i) { return i; });
      opts = base(el, "billable minutes", [
        { label: "patients", stroke: BRAND, fill: "rgba(15,110,120,0.55)", width: 1, paths: bars(0.7), points: { show: false } }
      ]);
      opts.scales.x.range = [-0.5, xs.length - 0.5];
      opts.axes[0].values = function (u, splits) { return splits.map(function (v) { return d.minutes.labels[v] || ""; }); };
      opts.axes[0].splits = function () { return xs; };
      data = [xs, d.minutes.y];
    }
    return new uPlot(opts, data, el);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("report-data");
    if (!source || !window.uPlot) { return; }
    var d = JSON.parse(source.textContent);
    var charts = [];
    document.querySelectorAll("[data-report-chart]").forEach(function (el) {
      charts.push({ el: el, chart: build(el, d) });
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.chart.setSize({ width: c.el.clientWidth, height: c.chart.height }); });
    });
  });
})();
