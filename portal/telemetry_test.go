package portal

import (
	"net/http"
	"net/url"
	"testing"

	"go.opentelemetry.io/otel/codes"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/internal/telemetry/telemetrytest"
	"github.com/onboardkit/onboardkit/store"
)

func TestTelemetryPortal(t *testing.T) {
	t.Parallel()
	rec := telemetrytest.New(t)
	h := newHarness(t, func(c *Config, _ *admin.Config) {
		c.TracerProvider, c.MeterProvider = rec.TracerProvider, rec.MeterProvider
	})
	_, tok := h.link(admin.LinkOptions{Features: store.Features{store.FeatureSSO}})
	if w := h.get("/portal/l/" + tok); w.Code != http.StatusOK {
		t.Fatalf("landing: %d", w.Code)
	}
	w, cookie := h.redeem(tok)
	if w.Code != http.StatusSeeOther || cookie == nil {
		t.Fatalf("redeem: %d", w.Code)
	}
	if w := h.get("/portal/", cookie); w.Code != http.StatusOK {
		t.Fatalf("home: %d", w.Code)
	}
	// A state-changing action without its CSRF token is refused.
	if w := h.post("/portal/logout", url.Values{}, cookie); w.Code != http.StatusForbidden {
		t.Fatalf("logout without CSRF: %d", w.Code)
	}

	spans := rec.Named(telemetry.SpanPortalRequest)
	if len(spans) != 4 {
		t.Fatalf("%d portal spans, want 4", len(spans))
	}
	want := []struct{ route, method, status, org string }{
		{"/l/{token}", "GET", "200", ""},
		{"/l", "POST", "303", ""},
		{"/", "GET", "200", h.org.ID},
		{"/logout", "POST", "403", h.org.ID},
	}
	for i, sp := range spans {
		wt := want[i]
		if telemetrytest.Attr(sp, telemetry.HTTPRoute) != wt.route || telemetrytest.Attr(sp, telemetry.HTTPRequestMethod) != wt.method ||
			telemetrytest.Attr(sp, telemetry.HTTPResponseStatusCode) != wt.status || telemetrytest.Attr(sp, telemetry.OrgID) != wt.org {
			t.Errorf("span %d attributes = %v, want %+v", i, sp.Attributes(), wt)
		}
		failed := wt.status == "403"
		if (sp.Status().Code == codes.Error) != failed || failed && telemetrytest.Attr(sp, telemetry.ErrorType) != "403" {
			t.Errorf("span %d: status %v, attributes %v", i, sp.Status(), sp.Attributes())
		}
	}
	if n := rec.Sum(t, telemetry.MetricPortalRequests, telemetry.HTTPRoute.String("/logout"), telemetry.HTTPResponseStatusCode.Int(403)); n != 1 {
		t.Errorf("refused logouts counted = %d", n)
	}
	if n := rec.Sum(t, telemetry.MetricPortalRequests); n != 4 {
		t.Errorf("requests counted = %d", n)
	}
	if n, _ := rec.Observations(t, telemetry.MetricPortalDuration, telemetry.HTTPRoute.String("/l")); n != 1 {
		t.Errorf("redemptions timed = %d", n)
	}
	rec.NoLeak(t, tok, cookie.Value)
}
