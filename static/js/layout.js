// Page layout helpers every page loads (base.html); no inline handlers (CSP).
// 1. The main navigation folds into a "Menu" button on phones (portal.css, max-width 720px).
//    Without this script the menu simply stays open: the class it adds is what lets CSS fold it.
// 2. The "Printed …" time at the top of a printed page is the moment of printing, not of loading.
document.addEventListener("DOMContentLoaded", function () {
  var nav = document.querySelector(".mainnav");
  var toggle = nav && nav.querySelector(".mainnav__toggle");
  if (!toggle) return;
  nav.classList.add("mainnav--foldable");
  toggle.addEventListener("click", function () {
    toggle.setAttribute("aria-expanded", String(toggle.getAttribute("aria-expanded") !== "true"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    }
  });
});

window.addEventListener("beforeprint", function () {
  var now = new Date();
  var text = now.toLocaleString(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short",
  });
  document.querySelectorAll("time[data-printed-at]").forEach(function (el) {
    el.textContent = text;
    el.setAttribute("datetime", now.toISOString());
  });
});
