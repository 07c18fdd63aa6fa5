package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/roles"
)

func TestDashboardAttributes(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, func(c *surfacetest.Config) {
		c.Admin.Roles = &roles.Config{Fields: []roles.Field{{Key: "cost_center", Name: "Cost center", Type: roles.FieldString}}}
	})
	org := "/orgs/" + h.Org.ID
	form := url.Values{"field": {"cost_center"}, "saml_attribute": {"CostCenter"}, "scim_path": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"}}
	if w := h.DashPost(org+"/attributes", form); w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	doc := testkit.Parse(t, h.DashGet(org))
	if v, _ := testkit.TestID(doc, "attribute-saml").Attr("value"); v != "CostCenter" {
		t.Fatalf("the page shows SAML attribute %q", v)
	}
	doc = refusedPage(t, h, h.DashPost(org+"/attributes", url.Values{"field": {"cost_center"}, "scim_path": {"password"}}), "")
	if v, _ := doc.Find("#d-scim-cost_center").Attr("value"); v != "password" {
		t.Errorf("the path typed comes back as %q", v)
	}
	if ms, _ := h.Admin.ListAttributeMappings(context.Background(), h.Org.ID); len(ms) != 1 || ms[0].SAMLAttribute != "CostCenter" {
		t.Fatalf("mappings %+v", ms)
	}
}
