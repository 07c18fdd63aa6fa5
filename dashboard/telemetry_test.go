package dashboard_test

import (
	"net/http"
	"net/url"
	"testing"

	"go.opentelemetry.io/otel/codes"

	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/internal/telemetry/telemetrytest"
)

// TestTelemetryDashboard: each page and action is one span named by its
// route, with the organization on the span only; a refused action fails
// with its status; no operator, token or CSRF value reaches telemetry.
func TestTelemetryDashboard(t *testing.T) {
	t.Parallel()
	rec := telemetrytest.New(t)
	h := surfacetest.New(t, func(c *surfacetest.Config) {
		c.Dashboard.TracerProvider, c.Dashboard.MeterProvider = rec.TracerProvider, rec.MeterProvider
	})
	csrf, _ := h.DashCSRF()
	post := h.DashPost("/orgs/"+h.Org.ID+"/links", url.Values{"feature": {"sso"}, "kind": {"shareable"}})
	if post.Code != http.StatusSeeOther {
		t.Fatalf("generate: %d %s", post.Code, post.Body)
	}
	if w := h.Follow(post); w.Code != http.StatusOK {
		t.Fatalf("follow: %d", w.Code)
	}
	byRoute := map[string]int{}
	for _, s := range rec.Named(telemetry.SpanDashboardRequest) {
		route := telemetrytest.Attr(s, telemetry.HTTPRoute)
		byRoute[telemetrytest.Attr(s, telemetry.HTTPRequestMethod)+" "+route]++
		if route != "/" && telemetrytest.Attr(s, telemetry.OrgID) != h.Org.ID {
			t.Errorf("%s: organization %q", route, telemetrytest.Attr(s, telemetry.OrgID))
		}
		if s.Status().Code != codes.Unset {
			t.Errorf("%s: status %v", route, s.Status())
		}
	}
	if byRoute["GET /"] == 0 {
		t.Errorf("no span of the organizations page; spans by route: %v", byRoute)
	}
	for _, want := range []string{"POST /orgs/{id}/links", "GET /orgs/{id}/links/created"} {
		if byRoute[want] != 1 {
			t.Errorf("%s: %d spans; spans by route: %v", want, byRoute[want], byRoute)
		}
	}
	if n := rec.Sum(t, telemetry.MetricDashboardRequests, telemetry.HTTPRoute.String("/orgs/{id}/links"),
		telemetry.HTTPRequestMethod.String("POST"), telemetry.HTTPResponseStatusCode.Int(http.StatusSeeOther)); n != 1 {
		t.Errorf("actions counted = %d", n)
	}
	if n, _ := rec.Observations(t, telemetry.MetricDashboardDuration, telemetry.HTTPRoute.String("/orgs/{id}/links")); n != 1 {
		t.Errorf("action durations = %d", n)
	}

	// An action without its CSRF token is refused: its span fails.
	if w := h.Post("/dashboard/orgs/"+h.Org.ID+"/delete", url.Values{}, csrf); w.Code != http.StatusForbidden {
		t.Fatalf("post without token: %d", w.Code)
	}
	refused := rec.Named(telemetry.SpanDashboardRequest)
	sp := refused[len(refused)-1]
	if telemetrytest.Attr(sp, telemetry.HTTPRoute) != "/orgs/{id}/delete" || sp.Status().Code != codes.Error ||
		telemetrytest.Attr(sp, telemetry.ErrorType) != "403" || telemetrytest.Attr(sp, telemetry.OrgID) != h.Org.ID {
		t.Errorf("refused action span: %v %v", sp.Status(), sp.Attributes())
	}
	rec.NoLeak(t, surfacetest.Operator, csrf.Value, "okp_")
}
