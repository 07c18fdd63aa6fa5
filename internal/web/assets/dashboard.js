// onboardkit operator dashboard: the dashboard's own script.
//
// It does two things, all optional (every page works without it); forms.js,
// loaded before it, makes forms submit once and focuses the error summary:
//   - copy buttons: <button data-copy="ID"> copies the value of the input
//     with that id (or the text of another element, such as an id in the
//     audit log) to the clipboard and reports it in [data-copy-status="ID"];
//   - the branding preview: as the accent colour input changes, the preview
//     takes the colour, with a readable text colour computed as the
//     server's brand stylesheet does (WCAG contrast of at least 4.5:1).
(function () {
  "use strict";

  // ----- Copy buttons -----
  function status(id, text) {
    var el = document.querySelector('[data-copy-status="' + id + '"]') ||
      document.querySelector('[data-copy-status="page"]');
    if (el) {
      el.textContent = text;
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    button.addEventListener("click", function () {
      var id = button.getAttribute("data-copy");
      var input = document.getElementById(id);
      if (!input) {
        return;
      }
      var isInput = typeof input.select === "function";
      var value = isInput ? input.value : input.textContent;
      var fallback = function () {
        if (isInput) {
          input.focus();
          input.select();
        } else {
          var range = document.createRange();
          range.selectNodeContents(input);
          window.getSelection().removeAllRanges();
          window.getSelection().addRange(range);
        }
        var ok = false;
        try {
          ok = document.execCommand("copy");
        } catch (e) {
          ok = false;
        }
        status(id, ok ? "Copied." : "Select the text and copy it.");
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(value).then(function () {
          status(id, "Copied.");
        }, fallback);
      } else {
        fallback();
      }
    });
  });

  // ----- Branding preview -----
  var preview = document.querySelector("[data-testid='brand-preview']");
  var text = document.getElementById("accent-text");
  var picker = document.getElementById("accent-picker");
  if (!preview || !text) {
    return;
  }
  var valid = /^#[0-9a-fA-F]{6}$/;

  function rgb(hex) {
    var v = parseInt(hex.slice(1), 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  function hex(c) {
    return "#" + c.map(function (x) {
      var s = Math.round(x).toString(16);
      return s.length < 2 ? "0" + s : s;
    }).join("");
  }
  function luminance(c) {
    var ch = c.map(function (v) {
      var s = v / 255;
      return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  }
  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    if (la < lb) {
      var t = la; la = lb; lb = t;
    }
    return (la + 0.05) / (lb + 0.05);
  }
  function readableOn(bg) {
    var candidates = [[255, 255, 255], [17, 24, 39], [0, 0, 0]];
    var best = candidates[0];
    for (var i = 0; i < candidates.length; i++) {
      if (contrast(candidates[i], bg) >= 4.5) {
        return candidates[i];
      }
      if (contrast(candidates[i], bg) > contrast(best, bg)) {
        best = candidates[i];
      }
    }
    return best;
  }
  // inkOnPage darkens c to a 4.5:1 contrast on the page background
  // (#f6f7f9, --page), the darkest surface links are on.
  function inkOnPage(c) {
    for (var i = 0; i <= 20 && contrast(c, [246, 247, 249]) < 4.5; i++) {
      c = c.map(function (v) { return Math.floor(v * 0.9); });
    }
    return c;
  }

  // apply sets the preview's colours through the CSSOM, which the page's
  // CSP (style-src 'self') allows, unlike inline style attributes.
  function apply(value) {
    var accent = valid.test(value) ? value : preview.getAttribute("data-accent");
    if (!valid.test(accent || "")) {
      return;
    }
    var c = rgb(accent);
    preview.style.setProperty("--accent", accent.toLowerCase());
    preview.style.setProperty("--on-accent", hex(readableOn(c)));
    preview.style.setProperty("--accent-ink", hex(inkOnPage(c)));
  }

  text.addEventListener("input", function () {
    apply(text.value.trim());
    if (picker && valid.test(text.value.trim())) {
      picker.value = text.value.trim().toLowerCase();
    }
  });
  if (picker) {
    picker.addEventListener("input", function () {
      text.value = picker.value;
      apply(picker.value);
    });
  }
  apply(text.value.trim());
})();
