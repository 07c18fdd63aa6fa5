package portal

import (
	"context"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/onboardkit/onboardkit/internal/telemetry"
)

// describeRequest adds the route of an answered portal request r to kv:
// the path of the pattern it matched (GET /l/{token} gives /l/{token},
// never the token), or "unmatched".
func describeRequest(r *http.Request, kv []attribute.KeyValue) []attribute.KeyValue {
	route := "unmatched"
	if r.Pattern != "" && r.Pattern != "/" {
		route = r.Pattern
		if _, path, ok := strings.Cut(route, " "); ok {
			route = path
		}
	}
	return append(kv, telemetry.HTTPRoute.String(route))
}

// traceOrganization names the organization of the request's portal
// session on its span.
func traceOrganization(ctx context.Context, orgID string) {
	if sp := trace.SpanFromContext(ctx); sp.IsRecording() {
		sp.SetAttributes(telemetry.OrgID.String(orgID))
	}
}
