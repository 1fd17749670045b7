// Visit page: copy the patient's join link. No inline scripts: the CSP forbids them. The link
// arrives in an htmx fragment, so the click is handled on the document.
(function () {
  "use strict";
  if (window.vitalsAppointments) return;
  window.vitalsAppointments = true;

  function said(button, text) {
    var status = button.parentNode.querySelector("[data-copy-status]");
    if (status) status.textContent = text;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { said(button, "Copied."); },
        function () { said(button, "Selected: press Ctrl+C (⌘C) to copy."); }
      );
    } else {
      // Plain HTTP (the demo): the Clipboard API is not offered; the selected text is.
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      said(button, copied ? "Copied." : "Selected: press Ctrl+C (⌘C) to copy.");
    }
  });
})();
