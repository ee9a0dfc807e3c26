// Behaviours that used to be inline handlers (onchange="…", onclick="…"), wired here so that the
// Content-Security-Policy can forbid inline script.
//   <div data-error-summary>          takes the focus when the page loads (a refused submit), and
//     <a data-error-link href="#id">   inside it moves the focus to that field
// (No select submits itself on change: an arrow key in it must not leave the page, WCAG 3.2.2.)
//   <button data-print>               prints the page
//   <div class="table-responsive">    joins the Tab order while its table is wider than it, so that
//                                     a keyboard can scroll it (WCAG 2.1.1)
//   <span data-reload-page> swapped in by htmx reloads the page (a finished job's progress)
(function () {
  "use strict";
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusErrorSummary);
  } else {
    focusErrorSummary();
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-error-link]") : null;
    if (!link) {
      return;
    }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      // The label above the field comes into view with it (GOV.UK's error summary does the same).
      var label = document.querySelector('label[for="' + field.id + '"]');
      (label || field).scrollIntoView();
      field.focus({ preventScroll: true });
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
  var FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";
  function letKeyboardsScroll() {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth && !box.querySelector(FOCUSABLE);
      if (scrolls) {
        box.setAttribute("tabindex", "0");
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
      }
    });
  }
  window.addEventListener("load", letKeyboardsScroll);
  window.addEventListener("resize", letKeyboardsScroll);
  document.addEventListener("htmx:afterSettle", function () {
    letKeyboardsScroll();
    if (document.querySelector("[data-reload-page]")) {
      window.location.reload();
    }
  });
})();
