// Follows a run in progress: polls its status every second, shows the
// progress in the live region, and reloads the page once the run has
// finished. Without JavaScript the page says to reload it by hand.
(function () {
  "use strict";
  var el = document.querySelector("[data-status-url]");
  if (!el || !window.fetch) {
    return;
  }
  var url = el.getAttribute("data-status-url");
  var failures = 0;
  function describe(s) {
    var text = "Running";
    if (s.phase) {
      text += ": " + s.phase;
      if (s.total > 0) {
        text += " " + s.done + " of " + s.total;
      }
    }
    return text + " · " + s.requests + " requests sent";
  }
  function tick() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("status " + r.status);
        }
        return r.json();
      })
      .then(function (s) {
        failures = 0;
        if (s.state !== "running") {
          window.location.reload();
          return;
        }
        el.textContent = describe(s);
        window.setTimeout(tick, 1000);
      })
      .catch(function () {
        failures++;
        if (failures < 5) {
          window.setTimeout(tick, 2000);
        } else {
          el.textContent = "Lost track of the run: reload the page.";
        }
      });
  }
  window.setTimeout(tick, 1000);
})();
