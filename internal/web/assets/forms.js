// onboardkit forms, for the portal's and the dashboard's pages (loaded
// before each one's own script). Every page works without it.
//   - Forms submit once: the first submit marks the form busy and, once the
//     browser has taken the submission (a button disabled before would not
//     send its name), disables its buttons and says so ("Working…", or the
//     button's data-busy); later submits of the same form (a double click,
//     Enter pressed twice) are cancelled. A page shown again from the
//     back/forward cache gets its forms back.
//   - The error summary of a refused form ([data-error-summary]) takes the
//     focus, so that a screen reader reads it and the keyboard starts
//     there; its links move the focus to their field.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form || form.nodeName !== "FORM" ||
        (form.target && form.target !== "_self")) {
      return;
    }
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault();
      return;
    }
    form.setAttribute("aria-busy", "true");
    var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
    window.setTimeout(function () {
      Array.prototype.forEach.call(buttons, function (b) {
        b.setAttribute("data-label", b.textContent);
        b.textContent = b.getAttribute("data-busy") || "Working…";
        b.disabled = true;
      });
    }, 0);
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("form[aria-busy=true]"), function (form) {
      form.removeAttribute("aria-busy");
      Array.prototype.forEach.call(form.querySelectorAll("button[data-label]"), function (b) {
        b.textContent = b.getAttribute("data-label");
        b.removeAttribute("data-label");
        b.disabled = false;
      });
    });
  });

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    Array.prototype.forEach.call(summary.querySelectorAll("a[data-focus]"), function (a) {
      a.addEventListener("click", function (event) {
        var field = document.getElementById(a.getAttribute("data-focus"));
        if (field) {
          event.preventDefault();
          field.scrollIntoView({ block: "center" });
          field.focus();
        }
      });
    });
  }
})();
