package scimkit

import (
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/internal/telemetry/telemetrytest"
	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/seal"
)

func TestTelemetrySCIM(t *testing.T) {
	t.Parallel()
	rec := telemetrytest.New(t)
	// The Store counts the events (onboardkit.events.produced).
	st, err := memstore.NewOptions(memstore.Options{Keyring: seal.NewEphemeralKeyring(), MeterProvider: rec.MeterProvider})
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnvStore(t, st, func(c *Config) { c.TracerProvider, c.MeterProvider = rec.TracerProvider, rec.MeterProvider })
	// The directory and its token were created through the Server.
	if n := rec.Sum(t, telemetry.MetricEventsProduced, telemetry.EventType.String(EventTokenCreated)); n != 1 {
		t.Errorf("token events produced = %d", n)
	}

	created := e.must(http.StatusCreated, e.do("POST", "/Users", e.token, map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": "grace.hopper@example.com", "externalId": "ext-grace",
		"name":   map[string]any{"givenName": "Grace", "familyName": "Hopper"},
		"emails": []map[string]any{{"value": "grace.hopper@example.com", "primary": true}},
	}))
	sp := rec.Span(t, telemetry.SpanSCIMRequest)
	want := map[string]string{
		string(telemetry.SCIMOperation):          "create",
		string(telemetry.SCIMResourceType):       "User",
		string(telemetry.HTTPRequestMethod):      "POST",
		string(telemetry.HTTPResponseStatusCode): "201",
		string(telemetry.HTTPRoute):              "/{dir}/Users",
		string(telemetry.DirectoryID):            e.dir.ID,
		string(telemetry.OrgID):                  e.org.ID,
	}
	for k, v := range want {
		if got := telemetrytest.Attr(sp, attribute.Key(k)); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if telemetrytest.Attr(sp, telemetry.ErrorType) != "" || sp.Status().Code != codes.Unset {
		t.Errorf("create span failed: %v %v", sp.Status(), sp.Attributes())
	}
	if n := rec.Sum(t, telemetry.MetricSCIMRequests, telemetry.SCIMOperation.String("create"), telemetry.SCIMResourceType.String("User"),
		telemetry.HTTPResponseStatusCode.Int(201)); n != 1 {
		t.Errorf("creates counted = %d", n)
	}
	if n, _ := rec.Observations(t, telemetry.MetricSCIMDuration, telemetry.SCIMOperation.String("create")); n != 1 {
		t.Errorf("create durations = %d", n)
	}
	if n := rec.Sum(t, telemetry.MetricEventsProduced, telemetry.EventType.String(EventUserCreated)); n != 1 {
		t.Errorf("user created events produced = %d", n)
	}

	// A deactivation by PATCH: one event of another type.
	e.must(http.StatusOK, e.do("PATCH", "/Users/"+created.str("id"), e.token, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "path": "active", "value": false}},
	}))
	if n := rec.Sum(t, telemetry.MetricEventsProduced, telemetry.EventType.String(EventUserDeactivated)); n != 1 {
		t.Errorf("user deactivated events produced = %d", n)
	}
	if n := rec.Sum(t, telemetry.MetricSCIMRequests, telemetry.SCIMOperation.String("patch"), telemetry.HTTPResponseStatusCode.Int(200)); n != 1 {
		t.Errorf("patches counted = %d", n)
	}

	// A refused request: a wrong token.
	e.scimErr(e.do("GET", "/Users", "scim_wrongwrongwrongwrongwrongwrongwrongwrongwrong", nil), http.StatusUnauthorized, "")
	var refused int
	for _, s := range rec.Named(telemetry.SpanSCIMRequest) {
		if telemetrytest.Attr(s, telemetry.HTTPResponseStatusCode) != "401" {
			continue
		}
		refused++
		if s.Status().Code != codes.Error || telemetrytest.Attr(s, telemetry.ErrorType) != "401" ||
			telemetrytest.Attr(s, telemetry.SCIMOperation) != "list" || telemetrytest.Attr(s, telemetry.DirectoryID) != "" {
			t.Errorf("refused span: %v %v", s.Status(), s.Attributes())
		}
	}
	if refused != 1 {
		t.Errorf("%d refused spans", refused)
	}
	if n := rec.Sum(t, telemetry.MetricSCIMRequests, telemetry.SCIMOperation.String("list"), telemetry.HTTPResponseStatusCode.Int(401),
		telemetry.ErrorType.String("401")); n != 1 {
		t.Errorf("refused requests counted = %d", n)
	}
	rec.NoLeak(t, "grace", "hopper", "example.com", e.token, "wrongwrong", "ext-grace")
}
