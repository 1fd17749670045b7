// Account security: show the new passkey once django-otp-webauthn's script has registered it,
// and print backup codes. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  if (window.vitalsSecondFactor) return;
  window.vitalsSecondFactor = true;

  document.addEventListener("otp_webauthn.register_complete", function () {
    window.location.reload(); // the device list is rendered by the server
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
