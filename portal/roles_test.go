package portal

import (
	"context"
	"github.com/PuerkitoBio/goquery"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/store"
)

func TestRolesPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(_ *Config, a *admin.Config) {
		a.Roles = &roles.Config{Roles: []roles.Role{{Key: "admin", Name: "Administrator"}, {Key: "member", Name: "Member"}}, Default: "member"}
	})
	ctx := context.Background()
	now := h.clock.Now()
	if err := h.st.CreateDirectory(ctx, &store.Directory{ID: "dir_1", OrgID: h.org.ID, Provider: "okta", Name: "Okta", State: store.DirectoryActive, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"ann@acme.example", "bob@acme.example"} {
		if err := h.st.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: "usr_" + u[:3], DirectoryID: "dir_1", UserName: u, Active: true, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.st.CreateDirectoryGroup(ctx, &store.DirectoryGroup{ID: "grp_admins", DirectoryID: "dir_1", DisplayName: "Admins", CreatedAt: now, UpdatedAt: now},
		[]store.MemberOp{{Kind: store.MembersAdd, IDs: []string{"usr_ann"}}}, nil); err != nil {
		t.Fatal(err)
	}
	c := h.signIn(admin.LinkOptions{})
	w := h.get("/portal/roles?q=adm", c)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	doc := parse(t, w)
	if testID(doc, "nav-roles").Length() != 1 || strings.TrimSpace(testID(doc, "group-choice-name").Text()) != "Admins" {
		t.Fatalf("page without the nav item or the group found:\n%s", w.Body)
	}
	csrf := csrfOf(t, w)
	form := url.Values{web.CSRFField: {csrf}, "source": {"directory_group"}, "value": {"grp_admins"}, "role": {"admin"}}
	// A double click posts twice: one mapping, one recomputation.
	for range 2 {
		w = h.post("/portal/roles/mappings", form, c)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/portal/roles?saved=mapping" {
			t.Fatalf("status %d, location %q", w.Code, w.Header().Get("Location"))
		}
	}
	if n := h.countEvents(admin.EventRoleMappingsUpdated); n != 1 {
		t.Fatalf("%d mapping events, want 1", n)
	}
	doc = parse(t, h.get("/portal/roles?saved=mapping", c))
	if testID(doc, "mapping-row").Length() != 1 || strings.TrimSpace(testID(doc, "mapping-group").Text()) != "Admins" {
		t.Fatalf("mappings shown: %s", testID(doc, "roles-mappings").Text())
	}
	preview := map[string]string{}
	testID(doc, "preview-row").Each(func(_ int, s *goquery.Selection) {
		preview[strings.TrimSpace(s.Find(`[data-testid="preview-user"]`).Text())] = strings.TrimSpace(s.Find(`[data-testid="preview-roles"]`).Text())
	})
	if preview["ann@acme.example"] != "Administrator" || preview["bob@acme.example"] != "Member" {
		t.Fatalf("preview = %v", preview)
	}

	// An unknown role is refused in the page.
	form.Set("role", "owner")
	w = h.follow(h.post("/portal/roles/mappings", form, c), c)
	if w.Code != http.StatusOK || testID(parse(t, w), "error-summary").Length() != 1 {
		t.Fatalf("unknown role: status %d", w.Code)
	}

	// The sign-in policy.
	w = h.post("/portal/roles/policy", url.Values{web.CSRFField: {csrf}, "sign_in": {"directory_only"}, "outside_domains": {"refuse"}}, c)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("policy: status %d", w.Code)
	}
	if p, err := h.admin.GetProvisioningPolicy(ctx, h.org.ID); err != nil || p.SignIn != store.SignInDirectoryOnly || p.OutsideDomains != store.OutsideDomainsRefuse {
		t.Fatalf("policy = %+v, %v", p, err)
	}
	w = h.follow(h.post("/portal/roles/policy", url.Values{web.CSRFField: {csrf}, "sign_in": {"directory_only"}, "deprovision": {"archive"}}, c), c)
	if w.Code != http.StatusOK || testID(parse(t, w), "error-summary").Length() != 1 {
		t.Fatalf("unknown deprovisioning action: status %d", w.Code)
	}
	w = h.post("/portal/roles/policy", url.Values{web.CSRFField: {csrf}, "sign_in": {"directory_only"}, "outside_domains": {"refuse"}, "deprovision": {"delete"}}, c)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("deprovisioning policy: status %d", w.Code)
	}
	if p, err := h.admin.GetProvisioningPolicy(ctx, h.org.ID); err != nil || p.Deprovision != store.DeprovisionDelete || p.OutsideDomains != store.OutsideDomainsRefuse {
		t.Fatalf("policy = %+v, %v", p, err)
	}
	if doc := parse(t, h.get("/portal/roles", c)); testID(doc, "policy-deprovision-delete").AttrOr("checked", "no") == "no" {
		t.Fatal("the page does not show the delete action chosen")
	}

	// Removing the mapping gives the member the default role again.
	form.Set("role", "admin")
	if w = h.post("/portal/roles/mappings/remove", form, c); w.Code != http.StatusSeeOther {
		t.Fatalf("remove: status %d", w.Code)
	}
	u, err := h.st.GetDirectoryUser(ctx, "dir_1", "usr_ann")
	if err != nil || len(u.Roles) != 0 {
		t.Fatalf("roles after removal: %v, %v", u.Roles, err)
	}
}
