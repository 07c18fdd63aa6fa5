// onboardkit admin portal: the only script of the portal's pages.
//
// It reads its inputs from data attributes of <body> (rendered by the
// server) and does four things:
//   - submits the continue form of an embedded link's landing page;
//   - when the page runs in an iframe, posts UI events to the parent window,
//     with targetOrigin set to each configured host origin, never "*";
//   - warns before the session expires and reports the expiry;
//   - turns [data-portal-event] elements into UI events.
(function () {
  "use strict";

  var body = document.body;
  if (!body) {
    return;
  }
  var ds = body.dataset;
  var embedded = window.parent && window.parent !== window;

  function parentOrigins() {
    var configured = (ds.parentOrigins || "").split(/\s+/).filter(Boolean);
    // Where the browser tells us the embedding origin, post only to it.
    var ancestors = window.location.ancestorOrigins;
    if (ancestors && ancestors.length > 0) {
      var parent = ancestors[0];
      return configured.filter(function (o) { return o === parent; });
    }
    return configured;
  }

  function post(type, data) {
    if (!embedded) {
      return;
    }
    var payload = data || {};
    if (ds.org && !payload.organizationId) {
      payload.organizationId = ds.org;
    }
    var msg = { type: type, data: payload };
    parentOrigins().forEach(function (origin) {
      try {
        window.parent.postMessage(msg, origin);
      } catch (e) {
        // A mismatched origin is dropped by the browser; nothing to do.
      }
    });
  }

  // Embedded landing page: continue by itself, still with a POST.
  var auto = document.querySelector("form[data-autocontinue]");
  if (auto) {
    var button = auto.querySelector("button");
    if (button) {
      button.disabled = true;
    }
    auto.submit();
    return;
  }

  // Load events.
  var features = (ds.features || "").split(/\s+/).filter(Boolean);
  if (ds.load === "success") {
    post("PORTAL_LOAD_SUCCESS", { features: features, expiresAt: ds.expiresAt || "" });
  } else if (ds.load === "failure") {
    post("PORTAL_LOAD_FAILURE", { reason: ds.reason || "" });
  }
  if (ds.expired === "true") {
    post("PORTAL_SESSION_EXPIRY", { reason: "session_expired" });
  }

  // Events a page asks for after a change of state.
  var nodes = document.querySelectorAll("[data-portal-event]");
  Array.prototype.forEach.call(nodes, function (el) {
    var data = {};
    try {
      data = JSON.parse(el.getAttribute("data-portal-event-data") || "{}") || {};
    } catch (e) {
      data = {};
    }
    post(el.getAttribute("data-portal-event"), data);
  });

  // Session timers, relative to the server's clock at render time.
  var left = parseInt(ds.expiresIn || "", 10);
  var warnBefore = parseInt(ds.warnBefore || "", 10);
  // setTimeout cannot wait longer than 2^31-1 ms (about 24 days).
  if (!isNaN(left) && left < 2147483647) {
    var warning = document.getElementById("session-warning");
    var expired = document.getElementById("session-expired");
    var warnAt = Math.max(0, left - (isNaN(warnBefore) ? 0 : warnBefore));
    window.setTimeout(function () {
      if (warning) {
        warning.hidden = false;
      }
      post("PORTAL_SESSION_WARNING", {
        expiresAt: ds.expiresAt || "",
        secondsLeft: Math.max(0, Math.round((left - warnAt) / 1000))
      });
    }, warnAt);
    window.setTimeout(function () {
      if (warning) {
        warning.hidden = true;
      }
      if (expired) {
        expired.hidden = false;
      }
      Array.prototype.forEach.call(document.querySelectorAll("main form button"), function (b) {
        b.disabled = true;
      });
      post("PORTAL_SESSION_EXPIRY", { expiresAt: ds.expiresAt || "" });
    }, left);
  }
})();
