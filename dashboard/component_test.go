package dashboard

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// TestDashboardOrgListComponent renders the list component directly.
func TestDashboardOrgListComponent(t *testing.T) {
	t.Parallel()
	dv := &dashView{Head: web.Head{Title: "Organizations", ProductName: "Widgets", CSSURL: "/d/assets/portal.css", JSURL: "/d/assets/dashboard.js",
		BrandCSSURL: "/d/brand/style.css"}, CSRF: "tok", Nav: []web.NavItem{{Label: "Organizations", Href: "/d/", TestID: "nav-orgs", Current: true}},
		Operator: "jane", Error: "bad " + testkit.Evil}
	data := orgListData{ListHref: "/d/", CreateAction: "/d/orgs", Rows: []orgRow{
		{ID: "org_1", Name: "A", Href: "/d/orgs/org_1", SSO: badge{"Active", "active"}, Directory: badge{"Not set up", "none"}, Domains: badge{"None", "none"}},
	}, NextHref: "/d/?after=org_1"}
	var buf bytes.Buffer
	if err := orgListPage(dv, data).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if testkit.TestID(doc, "org-row").Length() != 1 || testkit.TestID(doc, "next-page").AttrOr("href", "") != "/d/?after=org_1" {
		t.Error("rows or pager")
	}
	if st, _ := testkit.TestID(doc, "org-sso").Attr("data-state"); st != "active" {
		t.Errorf("sso state %q", st)
	}
	if testkit.TestID(doc, "error").Text() != "bad "+testkit.Evil || doc.Find("img").Length() != 0 {
		t.Error("error notice not escaped")
	}
	if doc.Find(`[aria-current="page"]`).Text() != "Organizations" {
		t.Error("current navigation entry")
	}
	if v, _ := doc.Find(`[data-testid="create-org-form"] input[name="csrf"]`).Attr("value"); v != "tok" {
		t.Error("CSRF field")
	}
}

func TestBaseURLConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url, wantErr, wantMount string
	}{
		{"", "", "/dashboard"},
		{"https://admin.example.com/staff/onboarding/", "", "/staff/onboarding"},
		{"http://localhost:8080/dash", "", "/dash"},
		{"http://admin.example.com/dashboard", "BaseURL", ""},
		{"https://admin.example.com/d?x=1", "BaseURL", ""},
		{"ftp://admin.example.com/", "BaseURL", ""},
	}
	a, err := admin.New(admin.Config{Store: memstore.New(), PortalURL: "https://app.example.com/portal"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		d, err := New(Config{Admin: a, BaseURL: tt.url})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: error %v", tt.url, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.url, err)
			continue
		}
		if d.mount != tt.wantMount {
			t.Errorf("%q: mount %q", tt.url, d.mount)
		}
	}
}
