// onboardkit admin portal: the script of the single sign-on setup pages
// (portal.js does the rest, copy buttons included).
//
//   - back and forward: a page restored from the back-forward cache is
//     reloaded, so that it shows the settings as saved;
//   - metadata upload: <input type="file" data-fill="ID"> reads the chosen
//     file into the textarea with that id (the form stays a plain
//     url-encoded post carrying the CSRF token);
//   - test connection: the [data-test-popup] link opens the test sign-in in
//     a popup, and the page polls data-status-url until the result is
//     recorded, then shows data-result-url.
(function () {
  "use strict";

  // Back and forward must show what is saved, not the page as it was left:
  // a page restored from the back-forward cache is loaded again.
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) {
      window.location.reload();
    }
  });

  Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-fill]"), function (input) {
    input.addEventListener("change", function () {
      var target = document.getElementById(input.getAttribute("data-fill"));
      var file = input.files && input.files[0];
      if (!target || !file) {
        return;
      }
      if (file.size > 60000) {
        target.value = "";
        target.setAttribute("aria-invalid", "true");
        window.alert("This file is larger than 60 KB. Use the metadata URL instead.");
        return;
      }
      var reader = new FileReader();
      reader.onload = function () {
        target.value = String(reader.result || "");
      };
      reader.readAsText(file);
    });
  });

  var run = document.querySelector("[data-status-url]");
  if (!run) {
    return;
  }
  var statusURL = run.getAttribute("data-status-url");
  var resultURL = run.getAttribute("data-result-url");
  var waiting = document.getElementById("test-waiting");
  var popup = null;
  var polling = false;
  var deadline = 0;

  function poll() {
    if (Date.now() > deadline) {
      if (waiting) {
        waiting.textContent = "No result yet. Use “Show the result” when you have signed in.";
      }
      return;
    }
    fetch(statusURL, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { done: false }; })
      .then(function (s) {
        if (s && s.done) {
          try {
            if (popup && !popup.closed) {
              popup.close();
            }
          } catch (e) {
            // The popup may be on another origin; nothing to do.
          }
          window.location.assign(resultURL);
          return;
        }
        window.setTimeout(poll, 1000);
      }, function () {
        window.setTimeout(poll, 2000);
      });
  }

  var link = document.querySelector("a[data-test-popup]");
  if (link) {
    link.addEventListener("click", function (e) {
      var w = Math.min(560, screen.availWidth || 560);
      var h = Math.min(720, screen.availHeight || 720);
      popup = window.open(link.href, "onboardkit_sso_test", "popup,width=" + w + ",height=" + h);
      if (popup) {
        e.preventDefault();
      }
      if (waiting) {
        waiting.textContent = "Waiting for the sign-in in the new window…";
      }
      deadline = Date.now() + 10 * 60 * 1000;
      if (!polling) {
        polling = true;
        poll();
      }
    });
  }
})();
