// onboardkit admin portal: the portal's own script.
//
// It reads its inputs from data attributes of <body> (rendered by the
// server) and does four things:
//   - removes the link's token from the landing page's URL, and submits
//     the continue form of an embedded link's landing page when framed;
//   - when the page runs in an iframe, posts UI events to the parent window,
//     with targetOrigin set to each configured host origin, never a wildcard;
//   - warns before the session expires and reports the expiry;
//   - turns [data-portal-event] elements into UI events;
//   - copy buttons ([data-copy]) for values shown in read-only inputs.
// forms.js, loaded before it, makes forms submit once and focuses the
// error summary of a refused form.
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

  // Landing page: the link's token is in the URL and in the form. Take it
  // out of the URL (and so out of the history: Back must not lead to a
  // usable link after sign-out); the form keeps it for the POST.
  var landing = document.querySelector("form[data-landing]");
  if (landing) {
    if (window.history && window.history.replaceState) {
      try {
        window.history.replaceState(null, "", landing.getAttribute("action"));
      } catch (e) {
        // Some sandboxed contexts refuse; the page still works.
      }
    }
    // Leaving the page (the form has been posted by then) drops the token
    // from the document too, so that a copy kept by the back/forward cache
    // holds none; such a copy shown again is reloaded from the server.
    window.addEventListener("pagehide", function () {
      Array.prototype.forEach.call(landing.querySelectorAll("input[name=token]"), function (input) {
        input.value = "";
      });
    });
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        window.location.reload();
      }
    });
  }

  // Embedded landing page: continue by itself, still with a POST, but only
  // inside a frame (the host's page). Opened at the top level, the visitor
  // clicks Continue: a link sent by someone else must not sign a visitor
  // into the sender's organization unawares.
  var auto = document.querySelector("form[data-autocontinue]");
  if (auto && embedded) {
    var button = auto.querySelector("button");
    if (button) {
      button.disabled = true;
    }
    auto.submit();
    return;
  }

  // Copy buttons: <button data-copy="ID"> copies the value of the input
  // with that id and reports it in [data-copy-status="ID"]. Without the
  // clipboard API (or its permission), the text is selected for the user
  // to copy.
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    button.addEventListener("click", function () {
      var id = button.getAttribute("data-copy");
      var input = document.getElementById(id);
      if (!input) {
        return;
      }
      var status = function (text) {
        Array.prototype.forEach.call(document.querySelectorAll("[data-copy-status]"), function (el) {
          if (el.getAttribute("data-copy-status") === id) {
            el.textContent = text;
          }
        });
      };
      var fallback = function () {
        input.focus();
        input.select();
        var ok = false;
        try {
          ok = document.execCommand("copy");
        } catch (e) {
          ok = false;
        }
        status(ok ? "Copied." : "Selected: press Ctrl+C (or Cmd+C) to copy.");
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(input.value).then(function () {
          status("Copied.");
        }, fallback);
      } else {
        fallback();
      }
    });
  });

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
