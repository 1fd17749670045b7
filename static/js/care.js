// Care: the running timer (the live open-alert count is base.html's, on every page).
(function () {
  "use strict";

  // Also after the care panel is swapped in by its forms (a timer just started); a clock
  // already ticking is left alone, and one taken out of the page stops.
  function timers(root) {
    (root || document).querySelectorAll(".care-timer__clock[data-started]:not([data-ticking])").forEach(function (el) {
      var started = Date.parse(el.getAttribute("data-started"));
      if (isNaN(started)) return;
      el.setAttribute("data-ticking", "");
      var id;
      function tick() {
        if (!el.isConnected) { clearInterval(id); return; }
        var seconds = Math.max(0, Math.floor((Date.now() - started) / 1000));
        var m = Math.floor(seconds / 60), s = seconds % 60;
        el.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      }
      tick();
      id = setInterval(tick, 1000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    timers(document);
  });
  document.addEventListener("htmx:afterSettle", function (e) { timers(e.target); });
})();
