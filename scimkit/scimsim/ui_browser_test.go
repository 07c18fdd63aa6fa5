package scimsim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	bt "github.com/onboardkit/onboardkit/internal/browsertest"
	"github.com/onboardkit/onboardkit/scimkit/scimsim"
	"github.com/onboardkit/onboardkit/store"
)

// TestBrowserUIForms submits every form of the directory simulator's UI
// from headless Chromium against onboardkit's SCIM server: a connection
// test, a full sync, a user creation and a deactivation for a configured
// directory, a connection test for a base URL and token typed in, and the
// cancel button of a run in progress. Each run must start and succeed
// (the cancelled one end cancelled), never stop at the CSRF check:
// Chromium sends the Origin header a referrer policy leaves it, unlike Go's
// HTTP client.
func TestBrowserUIForms(t *testing.T) {
	ctx := bt.New(t)
	env := newSCIMEnv(t)
	base, dirID, token := env.directory(t, "okta")
	typedBase, _, typedToken := env.directory(t, "entra")
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	ui := newUI(t, func(c *scimsim.UIConfig) {
		c.Targets = []scimsim.Target{{Name: "Acme", BaseURL: base, Token: token}, {Name: "Slow", BaseURL: slow.URL + "/scim", Token: "t"}}
	})

	// run fills the home page's form with fill, presses button and waits
	// for the run's page to show a finished state.
	run := func(t *testing.T, button string, fill ...chromedp.Action[chromedp.Void]) string {
		t.Helper()
		bt.Do(t, ctx, "open the simulator", chromedp.Navigate(ui.base), chromedp.WaitVisible(bt.TID("run-form")))
		bt.Do(t, ctx, "fill in the form", fill...)
		bt.Do(t, ctx, "press "+button, chromedp.Click(bt.TID(button)))
		bt.WaitFor(t, ctx, "the run's page with a finished run", `(function () {
  var s = document.querySelector('[data-testid="run-state"]');
  return s !== null && s.textContent.trim() !== "running";
})()`)
		return strings.TrimSpace(bt.Eval[string](t, ctx, `document.querySelector('[data-testid="run-state"]').textContent`))
	}
	typed := func(id, value string) chromedp.Action[chromedp.Void] {
		return chromedp.SetValue(chromedp.CSS("#"+id), value)
	}
	acme := chromedp.SetValue(bt.TID("target-select"), "Acme")
	// ada is the user the runs below create and deactivate in Acme.
	ada := func(t *testing.T) store.DirectoryUser {
		t.Helper()
		us, err := env.st.FindDirectoryUsersByEmail(context.Background(), env.org, "ada@example.com")
		if err != nil || len(us) != 1 || us[0].DirectoryID != dirID {
			t.Fatalf("users with ada's email: %v %+v", err, us)
		}
		return us[0]
	}

	t.Run("test connection", func(t *testing.T) {
		if got := run(t, "run-test", acme, chromedp.Click(bt.TID("dialect-okta"))); got != "succeeded" {
			t.Fatalf("run state %q\n%s", got, bt.Body(t, ctx))
		}
	})
	t.Run("full sync", func(t *testing.T) {
		if got := run(t, "run-sync", acme, chromedp.Click(bt.TID("dialect-okta")),
			typed("users", "5"), typed("groups", "1"), typed("domain", "example.com")); got != "succeeded" {
			t.Fatalf("run state %q\n%s", got, bt.Body(t, ctx))
		}
		if got := bt.Eval[string](t, ctx, `document.querySelector('[data-testid="users-created"]').textContent.trim()`); got != "5" {
			t.Errorf("users created %q", got)
		}
	})
	t.Run("create a user", func(t *testing.T) {
		if got := run(t, "run-create", acme, typed("user_name", "ada@example.com"), typed("given_name", "Ada"), typed("family_name", "Lovelace")); got != "succeeded" {
			t.Fatalf("run state %q\n%s", got, bt.Body(t, ctx))
		}
		if u := ada(t); !u.Active {
			t.Fatalf("created user %+v", u)
		}
	})
	t.Run("deactivate a user", func(t *testing.T) {
		if got := run(t, "run-deactivate", acme, typed("ident", "ada@example.com")); got != "succeeded" {
			t.Fatalf("run state %q\n%s", got, bt.Body(t, ctx))
		}
		if u := ada(t); u.Active {
			t.Fatalf("deactivated user %+v", u)
		}
	})
	t.Run("typed-in base URL and token", func(t *testing.T) {
		if got := run(t, "run-test", chromedp.SetValue(bt.TID("target-select"), ""), chromedp.Click(bt.TID("dialect-entra")),
			typed("base_url", typedBase), chromedp.SendKeys(chromedp.CSS("#token"), typedToken)); got != "succeeded" {
			t.Fatalf("run state %q\n%s", got, bt.Body(t, ctx))
		}
	})
	t.Run("cancel a run", func(t *testing.T) {
		bt.Do(t, ctx, "start a run against a server that does not answer",
			chromedp.Navigate(ui.base), chromedp.WaitVisible(bt.TID("run-form")),
			chromedp.SetValue(bt.TID("target-select"), "Slow"), chromedp.Click(bt.TID("run-test")),
			chromedp.WaitVisible(bt.TID("cancel-form")))
		bt.Do(t, ctx, "cancel", chromedp.Click(chromedp.CSS(`[data-testid="cancel-form"] button`)))
		bt.WaitFor(t, ctx, "the cancelled run", `(function () {
  var s = document.querySelector('[data-testid="run-state"]');
  return s !== null && s.textContent.trim() === "cancelled";
})()`)
	})
}
