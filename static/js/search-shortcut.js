// "/" from anywhere on a page puts the cursor in the patient search (the hint beside the box
// says so). Not while the person is typing in a field, and not with a modifier key, so "/" in a
// note, a URL or a browser shortcut still does what it always did. Escape leaves the box.
(function () {
  "use strict";
  function typing(target) {
    if (!target || !target.tagName) return false;
    if (target.isContentEditable) return true;
    return /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("nav-search");
    if (!box) return;
    if (event.key === "Escape" && event.target === box) {
      box.blur();
      return;
    }
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    event.preventDefault();
    box.focus();
    box.select();
  });
})();
