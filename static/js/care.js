// Care: the live open-alert count in the navigation and the running timer.
(function () {
  "use strict";

  function alertBadge() {
    var link = document.querySelector('.mainnav a[href="/alerts/"]');
    if (!link || link.querySelector("[data-alert-badge]")) return;
    var holder = document.createElement("span");
    holder.setAttribute("data-alert-badge", "");
    holder.setAttribute("hx-get", "/alerts/badge/");
    holder.setAttribute("hx-trigger", "load, every 30s");
    // A background poll: it must not extend the session's idle timeout (portal.middleware).
    holder.setAttribute("hx-headers", '{"X-Background-Poll": "1"}');
    holder.setAttribute("hx-swap", "innerHTML");
    link.appendChild(holder);
    if (window.htmx) window.htmx.process(holder);
  }

  function timers() {
    document.querySelectorAll(".care-timer__clock[data-started]").forEach(function (el) {
      var started = Date.parse(el.getAttribute("data-started"));
      if (isNaN(started)) return;
      function tick() {
        var seconds = Math.max(0, Math.floor((Date.now() - started) / 1000));
        var m = Math.floor(seconds / 60), s = seconds % 60;
        el.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      }
      tick();
      setInterval(tick, 1000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    alertBadge();
    timers();
  });
})();
