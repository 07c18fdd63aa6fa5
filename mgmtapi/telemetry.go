package mgmtapi

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/onboardkit/onboardkit/internal/telemetry"
)

// describeRequest adds the route of an answered request r to kv: the path
// of the endpoint's pattern (/organizations/{id}, never the id), or
// "unmatched". It routes r again: the endpoint was served a copy of r,
// which the routing does not reach.
func (m *API) describeRequest(r *http.Request, kv []attribute.KeyValue) []attribute.KeyValue {
	if r.URL.Path == "/openapi.json" {
		return append(kv, telemetry.HTTPRoute.String(r.URL.Path))
	}
	_, pattern := m.mux.Handler(r)
	return append(kv, telemetry.Route(pattern))
}

// traceOperation names the endpoint's operation, the API key (its id) and,
// for the endpoints of one organization, the organization on the span of
// r. These ids go on the span only: the metrics stay bounded.
func traceOperation(r *http.Request, op *operation, keyID string) {
	sp := trace.SpanFromContext(r.Context())
	if !sp.IsRecording() {
		return
	}
	sp.SetAttributes(telemetry.MgmtAPIOperation.String(op.ID), telemetry.APIKeyID.String(keyID))
	if strings.HasPrefix(op.Path, "/organizations/{id}") {
		sp.SetAttributes(telemetry.OrgID.String(r.PathValue("id")))
	}
}
