package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/store"
)

func TestDashboardRolesAndPolicy(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, func(c *surfacetest.Config) {
		c.Admin.Roles = &roles.Config{Roles: []roles.Role{{Key: "admin", Name: "Administrator"}, {Key: "member", Name: "Member"}}, Default: "member"}
	})
	ctx := context.Background()
	org := "/orgs/" + h.Org.ID
	w := h.DashPost(org+"/policy", url.Values{"sign_in": {"directory_only"}, "outside_domains": {"mark"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("policy: %d %s", w.Code, w.Body)
	}
	if p, err := h.Admin.GetProvisioningPolicy(ctx, h.Org.ID); err != nil || p.SignIn != store.SignInDirectoryOnly || p.OutsideDomains != store.OutsideDomainsMark {
		t.Fatalf("policy %+v, %v", p, err)
	}
	refusedPage(t, h, h.DashPost(org+"/policy", url.Values{"sign_in": {"anyone"}}), "")
	refusedPage(t, h, h.DashPost(org+"/policy", url.Values{"sign_in": {"directory_only"}, "deprovision": {"archive"}}), "")
	if w := h.DashPost(org+"/policy", url.Values{"sign_in": {"directory_only"}, "outside_domains": {"mark"}, "deprovision": {"delete"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("deprovisioning policy: %d %s", w.Code, w.Body)
	}
	if p, err := h.Admin.GetProvisioningPolicy(ctx, h.Org.ID); err != nil || p.Deprovision != store.DeprovisionDelete || p.OutsideDomains != store.OutsideDomainsMark {
		t.Fatalf("policy %+v, %v", p, err)
	}
	form := url.Values{"source": {"idp_group"}, "value": {"Admins"}, "role": {"admin"}}
	for range 2 { // a double submission keeps one mapping
		if w := h.DashPost(org+"/roles", form); w.Code != http.StatusSeeOther {
			t.Fatalf("add mapping: %d %s", w.Code, w.Body)
		}
	}
	doc := testkit.Parse(t, h.DashGet(org))
	if n := testkit.TestID(doc, "mapping").Length(); n != 1 {
		t.Fatalf("%d mappings shown", n)
	}
	if _, ok := testkit.TestID(doc, "policy-directory-only").Attr("checked"); !ok {
		t.Error("the page does not show the policy in force")
	}
	if _, ok := testkit.TestID(doc, "policy-deprovision-delete").Attr("checked"); !ok {
		t.Error("the page does not show the deprovisioning action in force")
	}
	if evs, _ := h.Store.ListEvents(ctx, store.EventQuery{Types: []string{admin.EventRoleMappingsUpdated}, Limit: 10}); len(evs) != 1 {
		t.Errorf("%d mapping events, want 1", len(evs))
	}
	if w := h.DashPost(org+"/roles/remove", form); w.Code != http.StatusSeeOther {
		t.Fatalf("remove mapping: %d", w.Code)
	}
	if ms, _ := h.Admin.ListRoleMappings(ctx, h.Org.ID); len(ms) != 0 {
		t.Fatalf("mappings after removal: %+v", ms)
	}
}
