package scimkit

import (
	"context"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/store"
)

// describeRequest adds the route, SCIM operation and resource type of an
// answered request r (routed: r.Pattern is set) to kv.
func describeRequest(r *http.Request, kv []attribute.KeyValue) []attribute.KeyValue {
	op, typ := scimOperation(r.Method, r.Pattern, r.PathValue("id"))
	kv = append(kv, telemetry.SCIMOperation.String(op))
	if typ != "" {
		kv = append(kv, telemetry.SCIMResourceType.String(typ))
	}
	if r.Pattern != "" {
		kv = append(kv, telemetry.HTTPRoute.String(routeOf(r.Pattern)))
	}
	return kv
}

// routeOf is the path of a ServeMux pattern.
func routeOf(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return pattern
}

// scimOperation names the SCIM operation of a request to pattern with the
// {id} value id, and its resource type ("" for none).
func scimOperation(method, pattern, id string) (op, resourceType string) {
	switch {
	case strings.Contains(pattern, "/Users"):
		resourceType = "User"
	case strings.Contains(pattern, "/Groups"):
		resourceType = "Group"
	case strings.Contains(pattern, "/ServiceProviderConfig"), strings.Contains(pattern, "/ResourceTypes"), strings.Contains(pattern, "/Schemas"):
		return "discovery", ""
	default:
		return "other", ""
	}
	item := strings.HasSuffix(pattern, "{id}")
	switch {
	case item && id == ".search":
		return "search", resourceType
	case !item && (method == http.MethodGet || method == http.MethodHead):
		return "list", resourceType
	case !item && method == http.MethodPost:
		return "create", resourceType
	case item && (method == http.MethodGet || method == http.MethodHead):
		return "get", resourceType
	case item && method == http.MethodPut:
		return "replace", resourceType
	case item && method == http.MethodPatch:
		return "patch", resourceType
	case item && method == http.MethodDelete:
		return "delete", resourceType
	}
	return "other", resourceType
}

// traceDirectory names the authenticated directory and its organization
// on the span of ctx.
func traceDirectory(ctx context.Context, d *store.Directory) {
	if sp := trace.SpanFromContext(ctx); sp.IsRecording() {
		sp.SetAttributes(telemetry.DirectoryID.String(d.ID), telemetry.OrgID.String(d.OrgID))
	}
}
