package mgmtapi_test

import (
	"net/http"
	"testing"

	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/roles"
)

func TestMgmtAPIAttributes(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, func(c *surfacetest.Config) {
		c.Admin.Roles = &roles.Config{Fields: []roles.Field{
			{Key: "department", Name: "Department", Type: roles.FieldString},
			{Key: "employee_number", Type: roles.FieldInteger},
		}, SCIMExtension: "urn:ietf:params:scim:schemas:extension:acme:2.0:User"}
	})
	w, org := h.API(http.MethodPost, "/organizations", map[string]any{"name": "Globex"})
	if w.Code != http.StatusCreated {
		t.Fatalf("status %d: %v", w.Code, org)
	}
	id, _ := org["id"].(string)
	w, body := h.API(http.MethodGet, "/organizations/"+id+"/attributes", nil)
	fields, _ := body["fields"].([]any)
	if w.Code != http.StatusOK || len(fields) != 2 {
		t.Fatalf("GET: %d %v", w.Code, body)
	}
	if f, _ := fields[1].(map[string]any); f["type"] != "integer" || f["default_scim_path"] != "urn:ietf:params:scim:schemas:extension:acme:2.0:User:employee_number" {
		t.Fatalf("field %v", f)
	}
	w, body = h.API(http.MethodPut, "/organizations/"+id+"/attributes", map[string]any{"mappings": []map[string]any{{"field": "department", "scim_path": "nope"}}})
	if w.Code != http.StatusBadRequest {
		t.Fatalf("a bad path: %d %v", w.Code, body)
	}
	w, body = h.API(http.MethodPut, "/organizations/"+id+"/attributes", map[string]any{"mappings": []map[string]any{
		{"field": "department", "saml_attribute": "Department", "oidc_claim": "department", "scim_path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"},
	}})
	if w.Code != http.StatusOK {
		t.Fatalf("PUT: %d %v", w.Code, body)
	}
	w, body = h.API(http.MethodGet, "/organizations/"+id+"/attributes", nil)
	ms, _ := body["mappings"].([]any)
	if w.Code != http.StatusOK || len(ms) != 1 || ms[0].(map[string]any)["saml_attribute"] != "Department" {
		t.Fatalf("GET after PUT: %v", body)
	}
	if w, _ := h.API(http.MethodGet, "/organizations/org_absent/attributes", nil); w.Code != http.StatusNotFound {
		t.Fatalf("unknown organization: %d", w.Code)
	}
}
