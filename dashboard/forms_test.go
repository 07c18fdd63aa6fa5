package dashboard_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/gworkspace"
	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
)

// TestDashboardRefusedFormsKeepValues: a refused form comes back with the
// error and with what was typed into it, not with the stored values, so
// nothing has to be typed again; a sync interval that is not a number is
// refused with its own message instead of being read as zero.
func TestDashboardRefusedFormsKeepValues(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, func(c *surfacetest.Config) {
		c.Kits = true
		c.Google = func(e *surfacetest.Env) admin.GoogleDirectories {
			// Nothing here reaches Google: every form below is refused first.
			g, err := gworkspace.New(gworkspace.Config{Store: e.Store, Endpoint: "http://127.0.0.1:1", TokenURL: "http://127.0.0.1:1/token",
				Now: e.Clock.Now, Logger: slog.New(slog.DiscardHandler)})
			testkit.Must(t, err)
			return g
		}
	})
	ctx := context.Background()
	org := "/orgs/" + h.Org.ID
	page := testkit.Parse(t, h.DashGet(org))
	idem, _ := page.Find(`[data-testid="create-connection-form"] input[name="idem"]`).Attr("value")
	w := h.DashPost(org+"/connections", url.Values{"protocol": {"saml"}, "provider": {"okta"}, "name": {"Okta"}, "idem": {idem}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("connection: %d", w.Code)
	}
	cs, _ := h.Store.ListConnections(ctx, h.Org.ID)
	conn := org + "/connections/" + cs[0].ID

	manual := url.Values{"entity_id": {"http://www.okta.com/exk-typed"}, "sso_url": {"https://acme.okta.com/app/sso/typed"},
		"slo_url": {"https://acme.okta.com/app/slo/typed"}, "certificate": {"-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----"}}
	w = h.DashPost(conn+"/manual", manual)
	if w.Code != http.StatusBadRequest {
		t.Fatalf("a bad certificate: %d", w.Code)
	}
	doc := testkit.Parse(t, w)
	for id, want := range map[string]string{"entity-id": manual.Get("entity_id"), "sso-url": manual.Get("sso_url"), "slo-url": manual.Get("slo_url")} {
		if got, _ := doc.Find("#" + id).Attr("value"); got != want {
			t.Errorf("%s after a refusal = %q, want %q", id, got, want)
		}
	}
	if got := doc.Find("#certificate").Text(); got != manual.Get("certificate") {
		t.Errorf("certificate after a refusal = %q", got)
	}

	w = h.DashPost(conn+"/security", url.Values{"sign_requests": {"on"}, "insecure_allow_sha1": {"on"}, "clock_skew_seconds": {"ninety"}})
	if w.Code != http.StatusBadRequest {
		t.Fatalf("a bad clock skew: %d", w.Code)
	}
	doc = testkit.Parse(t, w)
	if v, _ := doc.Find("#clock-skew").Attr("value"); v != "ninety" {
		t.Errorf("clock skew after a refusal = %q", v)
	}
	if doc.Find(`input[name="sign_requests"][checked]`).Length() != 1 || doc.Find(`input[name="insecure_allow_sha1"][checked]`).Length() != 1 {
		t.Error("the ticked boxes are not kept")
	}
	if c, _ := h.Store.GetConnection(ctx, cs[0].ID); c.SAML.AllowSHA1 {
		t.Error("a refused security form changed the connection")
	}

	idem, _ = page.Find(`[data-testid="create-directory-form"] input[name="idem"]`).Attr("value")
	w = h.DashPost(org+"/directories", url.Values{"provider": {gworkspace.Provider}, "name": {"Google"}, "idem": {idem}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("directory: %d %s", w.Code, w.Body)
	}
	dir := strings.TrimPrefix(w.Header().Get("Location"), "/dashboard")
	dir, _, _ = strings.Cut(dir, "?")
	for _, interval := range []string{"hourly", "-5", "1.5"} {
		w = h.DashPost(dir+"/google/settings", url.Values{"admin_email": {"admin@acme.example"}, "domain": {"acme.example"}, "sync_interval_minutes": {interval}})
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "whole number of minutes") {
			t.Fatalf("interval %q: %d", interval, w.Code)
		}
		doc = testkit.Parse(t, w)
		if v, _ := doc.Find("#g-interval").Attr("value"); v != interval {
			t.Errorf("interval after a refusal = %q, want %q", v, interval)
		}
		if v, _ := doc.Find("#g-admin").Attr("value"); v != "admin@acme.example" {
			t.Errorf("admin email after a refusal = %q", v)
		}
	}
}
