package mgmtapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/store"
)

func TestMgmtAPIRolesAndPolicy(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, func(c *surfacetest.Config) {
		c.Admin.Roles = &roles.Config{Roles: []roles.Role{{Key: "admin", Name: "Administrator"}, {Key: "member", Name: "Member"}}, Default: "member"}
	})
	ctx := context.Background()
	w, org := h.API(http.MethodPost, "/organizations", map[string]any{"name": "Globex"})
	if w.Code != http.StatusCreated {
		t.Fatalf("status %d: %v", w.Code, org)
	}
	id, _ := org["id"].(string)
	now := h.Clock.Now()
	if err := h.Store.CreateDirectory(ctx, &store.Directory{ID: "dir_g", OrgID: id, Provider: "okta", Name: "Okta", State: store.DirectoryActive, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: "usr_1", DirectoryID: "dir_g", UserName: "jane@globex.example", Active: true, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.CreateDirectoryGroup(ctx, &store.DirectoryGroup{ID: "grp_1", DirectoryID: "dir_g", DisplayName: "Admins", CreatedAt: now, UpdatedAt: now},
		[]store.MemberOp{{Kind: store.MembersAdd, IDs: []string{"usr_1"}}}, nil); err != nil {
		t.Fatal(err)
	}

	w, body := h.API(http.MethodPut, "/organizations/"+id+"/roles", map[string]any{"mappings": []map[string]any{{"source": "directory_group", "value": "grp_1", "role": "owner"}}})
	if w.Code != http.StatusBadRequest {
		t.Fatalf("an unknown role: status %d: %v", w.Code, body)
	}
	w, body = h.API(http.MethodPut, "/organizations/"+id+"/roles", map[string]any{"mappings": []map[string]any{
		{"source": "directory_group", "value": "grp_1", "role": "admin"},
		{"source": "idp_group", "value": "Admins", "role": "admin"},
	}})
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %v", w.Code, body)
	}
	if ms, _ := body["mappings"].([]any); len(ms) != 2 || body["default_role"] != "member" {
		t.Fatalf("roles body %v", body)
	}
	u, err := h.Store.GetDirectoryUser(ctx, "dir_g", "usr_1")
	if err != nil || len(u.Roles) != 1 || u.Roles[0] != "admin" {
		t.Fatalf("roles of the member: %v, %v", u.Roles, err)
	}
	if ev := h.LastEvent(store.EventUserRolesChanged); ev.Subject != "usr_1" {
		t.Errorf("roles event %+v", ev)
	}
	w, body = h.API(http.MethodGet, "/organizations/"+id+"/roles", nil)
	if rs, _ := body["roles"].([]any); w.Code != http.StatusOK || len(rs) != 2 {
		t.Fatalf("GET roles: %d %v", w.Code, body)
	}

	w, body = h.API(http.MethodPatch, "/organizations/"+id+"/provisioning-policy", map[string]any{"sign_in": "whoever"})
	if w.Code != http.StatusBadRequest {
		t.Fatalf("an unknown policy: status %d: %v", w.Code, body)
	}
	w, body = h.API(http.MethodPatch, "/organizations/"+id+"/provisioning-policy", map[string]any{"outside_domains": "ignore"})
	if w.Code != http.StatusBadRequest {
		t.Fatalf("an unknown outside-domains action: status %d: %v", w.Code, body)
	}
	w, body = h.API(http.MethodPatch, "/organizations/"+id+"/provisioning-policy", map[string]any{"outside_domains": "refuse"})
	if w.Code != http.StatusOK || body["outside_domains"] != "refuse" || body["sign_in"] != "verified_domain" {
		t.Fatalf("status %d: %v", w.Code, body)
	}
	w, body = h.API(http.MethodPatch, "/organizations/"+id+"/provisioning-policy", map[string]any{"sign_in": "directory_only"})
	if w.Code != http.StatusOK || body["sign_in"] != "directory_only" || body["outside_domains"] != "refuse" {
		t.Fatalf("status %d: %v", w.Code, body)
	}
	if ev := h.LastEvent(admin.EventPolicyUpdated); ev.OrgID != id {
		t.Errorf("policy event %+v", ev)
	}
	if body["deprovision"] != "deactivate" {
		t.Fatalf("default deprovisioning: %v", body)
	}
	w, body = h.API(http.MethodPatch, "/organizations/"+id+"/provisioning-policy", map[string]any{"deprovision": "archive"})
	if w.Code != http.StatusBadRequest {
		t.Fatalf("an unknown deprovisioning action: status %d: %v", w.Code, body)
	}
	w, body = h.API(http.MethodPatch, "/organizations/"+id+"/provisioning-policy", map[string]any{"deprovision": "delete"})
	if w.Code != http.StatusOK || body["deprovision"] != "delete" || body["sign_in"] != "directory_only" {
		t.Fatalf("status %d: %v", w.Code, body)
	}
	w, body = h.API(http.MethodGet, "/organizations/"+id+"/provisioning-policy", nil)
	if w.Code != http.StatusOK || body["sign_in"] != "directory_only" || body["deprovision"] != "delete" {
		t.Fatalf("GET policy: %d %v", w.Code, body)
	}
	if p, err := h.Store.GetProvisioningPolicy(ctx, id); err != nil || p.Deprovision != store.DeprovisionDelete {
		t.Fatalf("stored policy %+v, %v", p, err)
	}
	w, body = h.API(http.MethodGet, "/organizations/org_absent/provisioning-policy", nil)
	if w.Code != http.StatusNotFound {
		t.Fatalf("unknown organization: %d %v", w.Code, body)
	}
}
