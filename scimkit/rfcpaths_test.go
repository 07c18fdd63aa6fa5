package scimkit

import (
	"net/http"
	"testing"
)

// TestCollectionTrailingSlash: /Users/ and /Groups/ list and create as
// /Users and /Groups do.
func TestCollectionTrailingSlash(t *testing.T) {
	e := newTestEnv(t, nil)
	r := e.must(http.StatusCreated, e.do(http.MethodPost, "/Users/", e.token, map[string]any{"schemas": []any{UserSchemaURI}, "userName": "slash@example.com"}))
	if r.header.Get("Location") == "" || r.str("id") == "" {
		t.Fatalf("POST /Users/: no Location or id: %s", r.raw)
	}
	e.must(http.StatusCreated, e.do(http.MethodPost, "/Groups/", e.token, map[string]any{"schemas": []any{GroupSchemaURI}, "displayName": "Slash"}))
	for _, path := range []string{"/Users/", "/Users/?filter=userName%20eq%20%22slash@example.com%22", "/Groups/", "/Groups/?count=5"} {
		r := e.must(http.StatusOK, e.do(http.MethodGet, path, e.token, nil))
		if n, _ := r.get("totalResults").(float64); n != 1 {
			t.Errorf("GET %s: totalResults %v, want 1: %s", path, r.get("totalResults"), r.raw)
		}
	}
	e.scimErr(e.do(http.MethodDelete, "/Users/", e.token, nil), http.StatusMethodNotAllowed, "")
	// Still authenticated.
	e.scimErr(e.do(http.MethodGet, "/Users/", "", nil), http.StatusUnauthorized, "")
	e.scimErr(e.do(http.MethodPost, "/Groups/", "", map[string]any{"displayName": "x"}), http.StatusUnauthorized, "")
}

// TestDiscoveryFilterForbidden: RFC 7644 section 4 answers a filter on a
// discovery endpoint with 403.
func TestDiscoveryFilterForbidden(t *testing.T) {
	e := newTestEnv(t, nil)
	for _, path := range []string{
		"/ServiceProviderConfig", "/Schemas", "/ResourceTypes",
		"/Schemas/" + UserSchemaURI, "/ResourceTypes/User",
	} {
		e.must(http.StatusOK, e.do(http.MethodGet, path, e.token, nil))
		e.must(http.StatusOK, e.do(http.MethodGet, path+"?attributes=id&unknown=1", e.token, nil))
		for _, q := range []string{`?filter=id%20eq%20%22User%22`, `?filter=`, `?count=1&filter=x`} {
			e.scimErr(e.do(http.MethodGet, path+q, e.token, nil), http.StatusForbidden, "")
		}
	}
	// The token is checked first.
	e.scimErr(e.do(http.MethodGet, "/Schemas?filter=x", "", nil), http.StatusUnauthorized, "")
}
