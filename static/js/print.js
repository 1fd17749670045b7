// A [data-print] button prints the page (the evidence packet); no inline handlers (CSP).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});
