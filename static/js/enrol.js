// Enrolment form: Enter in the diagnosis search runs the search instead of submitting the
// whole enrolment (htmx searches on "search" and on typing).
document.addEventListener("keydown", (event) => {
  const input = event.target;
  if (event.key === "Enter" && input instanceof HTMLInputElement && input.hasAttribute("data-enrol-search")) {
    event.preventDefault();
    input.dispatchEvent(new Event("search"));
  }
});
