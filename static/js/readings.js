/* Readings charts (uPlot). Data comes from a <script type="application/json"> block rendered by
   the server (json_script), so nothing inline runs under the CSP. Re-initialised after every
   HTMX swap, after htmx restores a page from its history, and after the browser's back-forward
   cache shows a page again. */
(function () {
  "use strict";

  var COLORS = ["#c0392b", "#1f5fbf", "#0d7a5f", "#8e44ad"];
  var charts = [];

  // The patient's rules in force: critical tiers red, warnings amber; a line the patient's
  // own override set is solid and thicker, a default is dashed. Compact charts draw the lines
  // without their labels.
  var LINE_COLORS = { critical: ["#c0392b", "#9b2c21"], warning: ["#b7791f", "#8a5a12"] };

  function thresholdsPlugin(lines, labelled) {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx;
          ctx.save();
          ctx.font = (11 * devicePixelRatio) + "px system-ui, sans-serif";
          ctx.textAlign = "right";
          lines.forEach(function (line) {
            var y = Math.round(u.valToPos(line.value, "y", true));
            if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) { return; }
            var colors = LINE_COLORS[line.severity] || LINE_COLORS.warning;
            ctx.setLineDash(line.override ? [] : [6 * devicePixelRatio, 4 * devicePixelRatio]);
            ctx.lineWidth = (line.override ? 2 : 1) * devicePixelRatio;
            ctx.strokeStyle = colors[0];
            ctx.fillStyle = colors[1];
            ctx.beginPath();
            ctx.moveTo(u.bbox.left, y);
            ctx.lineTo(u.bbox.left + u.bbox.width, y);
            ctx.stroke();
            if (labelled) { ctx.fillText(line.label, u.bbox.left + u.bbox.width - 4, y - 4); }
          });
          ctx.restore();
        }]
      }
    };
  }

  function fmt(v) {
    if (v === null || v === undefined) { return "–"; }
    return Math.round(v * 10) / 10;
  }

  // The mini chart's x axis: dates only ("Nov 3"), in the patient's zone, spaced for a
  // narrow card; the hover line below the chart gives the exact time.
  function compactDates(tz) {
    var day = uPlot.fmtDate("{MMM} {D}");
    return {
      stroke: "#5b6775",
      grid: { stroke: "#edf0f3" },
      space: 64,
      size: 30,
      values: function (u, splits) {
        return splits.map(function (s) { return day(uPlot.tzDate(new Date(s * 1e3), tz)); });
      }
    };
  }

  function build(el) {
    var source = document.getElementById(el.dataset.source);
    if (!source || el.dataset.ready) { return; }
    el.dataset.ready = "1";
    var d = JSON.parse(source.textContent);
    var compact = el.hasAttribute("data-compact");
    var hoverEl = el.parentElement.querySelector("[data-chart-hover]");
    var data = [d.x];
    var series = [{}];
    var bands = [];
    var all = [];
    d.series.forEach(function (s, i) {
      var color = COLORS[i % COLORS.length];
      if (d.bucketed && d.series.length === 1) {
        data.push(s.high, s.low);
        series.push({ label: s.label + " max", stroke: "rgba(13,122,95,0.25)", width: 1, points: { show: false } });
        series.push({ label: s.label + " min", stroke: "rgba(13,122,95,0.25)", width: 1, points: { show: false } });
        bands.push({ series: [data.length - 2, data.length - 1], fill: "rgba(13,122,95,0.12)" });
        color = COLORS[2];
      }
      data.push(s.avg);
      series.push({
        label: s.label,
        stroke: color,
        width: 2,
        spanGaps: false,  // a null point is a day without readings: the line breaks there
        points: { show: !compact, size: 6, fill: "#fff", stroke: color }
      });
      s.low.concat(s.high).forEach(function (v) { if (v !== null) { all.push(v); } });
    });
    if (d.series.length === 2) {
      // Blood pressure: the band between systolic and diastolic.
      bands.push({ series: [data.length - 2, data.length - 1], fill: "rgba(192,57,43,0.08)" });
    }
    d.thresholds.forEach(function (t) { all.push(t.value); });
    var lo = Math.min.apply(null, all), hi = Math.max.apply(null, all);
    var pad = Math.max((hi - lo) * 0.08, 1);
    var opts = {
      width: Math.max(el.clientWidth, 200),
      height: compact ? 170 : parseInt(el.dataset.height || "360", 10),
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), d.tz); },
      series: series,
      bands: bands,
      legend: { show: !compact },
      cursor: { points: { size: 9 }, drag: { x: !compact, y: false } },
      scales: { y: { range: [Math.floor(lo - pad), Math.ceil(hi + pad)] } },
      axes: [
        compact ? compactDates(d.tz) : { stroke: "#5b6775", grid: { stroke: "#edf0f3" } },
        { stroke: "#5b6775", grid: { stroke: "#edf0f3" }, label: compact ? "" : d.unit, size: compact ? 40 : 56 }
      ],
      plugins: [thresholdsPlugin(d.thresholds, !compact)],
      hooks: {
        setCursor: [function (u) {
          var idx = u.cursor.idx;
          if (!hoverEl || idx === null || idx === undefined) { return; }
          if (!d.series.some(function (s) { return s.count[idx]; })) {
            hoverEl.textContent = d.hover[idx];
            return;
          }
          var values = d.series.map(function (s) {
            var text = s.label + " " + fmt(s.avg[idx]);
            if (d.bucketed && s.count[idx]) { text += " (" + fmt(s.low[idx]) + "–" + fmt(s.high[idx]) + ")"; }
            return text;
          }).join(" / ");
          hoverEl.textContent = values + " " + d.unit + " · " + d.hover[idx];
        }]
      }
    };
    var chart = new uPlot(opts, data, el);
    charts.push({ el: el, chart: chart });
  }

  function init(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(build);
  }

  function live() {
    charts = charts.filter(function (c) { return document.body.contains(c.el); });
    return charts;
  }

  // htmx keeps a copy of the page's HTML for its Back button. uPlot's drawn chart must not go
  // into it: the copy keeps the canvas but not its pixels (a blank chart once restored), and
  // uPlot's element styles come back as style="" attributes, which the CSP refuses. So the
  // charts are taken down for the snapshot and drawn again right after it.
  function takeDown() {
    live().forEach(function (c) {
      c.chart.destroy();
      delete c.el.dataset.ready;
    });
    charts = [];
  }

  window.addEventListener("resize", function () {
    live().forEach(function (c) { c.chart.setSize({ width: c.el.clientWidth, height: c.chart.height }); });
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (e) { init(e.target); });
  document.addEventListener("htmx:beforeHistorySave", function () {
    takeDown();
    setTimeout(function () { init(document); }, 0);
  });
  document.addEventListener("htmx:historyRestore", function () { init(document); });
  window.addEventListener("pageshow", function (e) {
    if (!e.persisted) { return; }
    // Shown again from the back-forward cache: draw anything the cache did not keep.
    live().forEach(function (c) { c.chart.redraw(); });
    init(document);
  });
})();
