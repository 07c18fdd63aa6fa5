package portal

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/onboardkit/onboardkit/internal/telemetry"
)

// describeRequest adds the route of an answered portal request r to kv:
// the path of the pattern it matched (GET /l/{token} gives /l/{token},
// never the token), or "unmatched".
func describeRequest(r *http.Request, kv []attribute.KeyValue) []attribute.KeyValue {
	return append(kv, telemetry.Route(r.Pattern))
}

// traceOrganization names the organization of the request's portal
// session on its span.
func traceOrganization(ctx context.Context, orgID string) {
	if sp := trace.SpanFromContext(ctx); sp.IsRecording() {
		sp.SetAttributes(telemetry.OrgID.String(orgID))
	}
}
