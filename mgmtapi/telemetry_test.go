package mgmtapi_test

import (
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"

	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/internal/telemetry/telemetrytest"
	"github.com/onboardkit/onboardkit/mgmtapi"
)

// TestTelemetryMgmtAPI: each request is one span named by its route (never
// an id or a key), with the operation, the API key's id and the
// organization on the span only; refused requests fail with their status.
func TestTelemetryMgmtAPI(t *testing.T) {
	t.Parallel()
	rec := telemetrytest.New(t)
	h := surfacetest.New(t, func(c *surfacetest.Config) {
		c.MgmtAPI = mgmtapi.Config{Logger: c.MgmtAPI.Logger, TracerProvider: rec.TracerProvider, MeterProvider: rec.MeterProvider}
	})
	key, err := h.Admin.AuthenticateAPIKey(t.Context(), h.Key)
	if err != nil {
		t.Fatal(err)
	}
	w, link := h.API(http.MethodPost, "/organizations/"+h.Org.ID+"/portal-links", map[string]any{"features": []string{"sso"}})
	if w.Code != http.StatusCreated {
		t.Fatalf("create link: %d %v", w.Code, link)
	}
	sp := rec.Span(t, telemetry.SpanMgmtAPIRequest)
	want := map[string]string{
		string(telemetry.HTTPRoute):              "/organizations/{id}/portal-links",
		string(telemetry.HTTPRequestMethod):      "POST",
		string(telemetry.HTTPResponseStatusCode): "201",
		string(telemetry.MgmtAPIOperation):       "createPortalLink",
		string(telemetry.APIKeyID):               key.ID,
		string(telemetry.OrgID):                  h.Org.ID,
	}
	for _, kv := range sp.Attributes() {
		if v, ok := want[string(kv.Key)]; ok && kv.Value.Emit() != v {
			t.Errorf("%s = %q, want %q", kv.Key, kv.Value.Emit(), v)
		}
		delete(want, string(kv.Key))
	}
	if len(want) != 0 {
		t.Errorf("span lacks %v: %v", want, sp.Attributes())
	}
	if sp.Status().Code != codes.Unset {
		t.Errorf("status %v", sp.Status())
	}
	if n := rec.Sum(t, telemetry.MetricMgmtAPIRequests, telemetry.HTTPRoute.String("/organizations/{id}/portal-links"),
		telemetry.HTTPRequestMethod.String("POST"), telemetry.HTTPResponseStatusCode.Int(201)); n != 1 {
		t.Errorf("requests counted = %d", n)
	}
	if n, _ := rec.Observations(t, telemetry.MetricMgmtAPIDuration, telemetry.HTTPRoute.String("/organizations/{id}/portal-links")); n != 1 {
		t.Errorf("durations = %d", n)
	}

	// A refused request (a wrong key) and an unknown endpoint.
	if w, _ := h.APIWith("Bearer okm_wrongwrongwrongwrongwrongwrongwrongwrong", http.MethodGet, "/organizations/"+h.Org.ID, nil); w.Code != http.StatusUnauthorized {
		t.Fatalf("wrong key: %d", w.Code)
	}
	if w, _ := h.API(http.MethodGet, "/nothing/here", nil); w.Code != http.StatusNotFound {
		t.Fatalf("unknown endpoint: %d", w.Code)
	}
	routes := map[string]string{}
	for _, s := range rec.Named(telemetry.SpanMgmtAPIRequest) {
		status := telemetrytest.Attr(s, telemetry.HTTPResponseStatusCode)
		routes[status] = telemetrytest.Attr(s, telemetry.HTTPRoute)
		if status >= "400" && (s.Status().Code != codes.Error || telemetrytest.Attr(s, telemetry.ErrorType) != status) {
			t.Errorf("%s span: %v %v", status, s.Status(), s.Attributes())
		}
		if status == "401" && (telemetrytest.Attr(s, telemetry.APIKeyID) != "" || telemetrytest.Attr(s, telemetry.OrgID) != "") {
			t.Errorf("refused span names a key or an organization: %v", s.Attributes())
		}
	}
	if routes["401"] != "/organizations/{id}" || routes["404"] != "unmatched" {
		t.Errorf("routes by status: %v", routes)
	}
	if n := rec.Sum(t, telemetry.MetricMgmtAPIRequests, telemetry.HTTPResponseStatusCode.Int(401), telemetry.ErrorType.String("401")); n != 1 {
		t.Errorf("refusals counted = %d", n)
	}
	token := strings.TrimPrefix(link["location"].(string), surfacetest.PortalURL+"/l/")
	rec.NoLeak(t, h.Key, "okm_wrong", token, "okp_")
}
