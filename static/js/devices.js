// Device pages: open/close native <dialog>s and check an IMEI as it is typed (the server
// checks again; this only saves a round trip). No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  if (window.vitalsDevices) return;
  window.vitalsDevices = true;

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-dialog-open"));
      if (dialog && !dialog.open) {
        dialog.showModal();
        var first = dialog.querySelector("input, select, textarea");
        if (first) first.focus();
      }
      return;
    }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) {
      closer.closest("dialog").close();
      return;
    }
    if (event.target.tagName === "DIALOG") event.target.close(); // click on the backdrop
  });

  function luhnOk(digits) {
    var total = 0;
    for (var i = 0; i < digits.length; i++) {
      var d = parseInt(digits.charAt(digits.length - 1 - i), 10);
      if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
      total += d;
    }
    return total % 10 === 0;
  }

  function imeiProblem(value) {
    var digits = value.replace(/[\s-]/g, "");
    if (!digits) return "";
    if (!/^[0-9]{15}$/.test(digits)) return "An IMEI is exactly 15 digits (" + digits.length + " so far).";
    return "";
  }

  // A failed check digit is a warning, not an error: the server asks staff to confirm it
  // (seed 004's own example IMEIs fail the check).
  function imeiWarning(value) {
    var digits = value.replace(/[\s-]/g, "");
    if (!/^[0-9]{15}$/.test(digits) || luhnOk(digits)) return "";
    return "This IMEI's last digit does not match the others: check it for a typo. You can confirm it on the next step.";
  }

  document.addEventListener("input", function (event) {
    var form = event.target.closest("[data-imei-form]");
    if (!form || event.target.name !== "imei") return;
    var problem = imeiProblem(event.target.value);
    var digits = event.target.value.replace(/[\s-]/g, "");
    form.querySelector("[data-imei-error]").textContent =
      digits.length >= 15 ? problem || imeiWarning(event.target.value) : "";
    event.target.setCustomValidity(digits.length >= 15 ? problem : "");
  });
})();
