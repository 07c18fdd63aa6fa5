package dashboard

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/onboardkit/onboardkit/internal/telemetry"
)

// describeRequest adds the route of an answered dashboard request r (a
// page or an action: GET /orgs/{id}, POST /orgs/{id}/links/{link}/revoke)
// to kv, and names the organization of the routes under /orgs/{id} on its
// span only, so that the metrics stay bounded.
func describeRequest(r *http.Request, kv []attribute.KeyValue) []attribute.KeyValue {
	if sp := trace.SpanFromContext(r.Context()); sp.IsRecording() && strings.Contains(r.Pattern, " /orgs/{id}") {
		sp.SetAttributes(telemetry.OrgID.String(r.PathValue("id")))
	}
	return append(kv, telemetry.Route(r.Pattern))
}
