// Behaviours that used to be inline handlers (onchange="…", onclick="…"), wired here so that the
// Content-Security-Policy can forbid inline script.
//   <select data-autosubmit>          submits its form when changed (the language menu)
//   <button data-print>               prints the page
//   <span data-reload-page> swapped in by htmx reloads the page (a finished job's progress)
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target.closest ? event.target.closest("[data-autosubmit]") : null;
    if (field && field.form) {
      field.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (document.querySelector("[data-reload-page]")) {
      window.location.reload();
    }
  });
})();
