package portal

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/scimkit"
)

// TestBrowserCustomAttributes: the IT admin maps a custom attribute to the
// enterprise extension's employeeNumber on the roles and access page; the
// page reloads with the mapping (POST, then GET); a user the directory
// then pushes shows its value in the preview; a bad path is refused in
// view.
func TestBrowserCustomAttributes(t *testing.T) {
	ctx := testkit.NewBrowser(t)
	env := newSetupEnvRoles(t, &roles.Config{Fields: []roles.Field{
		{Key: "department", Name: "Department", Type: roles.FieldString},
		{Key: "employee_number", Name: "Employee number", Type: roles.FieldInteger},
	}, SCIMExtension: "urn:ietf:params:scim:schemas:extension:widgets:2.0:User"})
	env.signIn(t, ctx)
	const form = `[data-testid="attribute-form"]#attr-employee_number `
	err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(testkit.TID("nav-roles"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("roles-attributes"))),
			chromedp.SendKeys(chromedp.CSS(form+testkit.TID("attribute-saml")), "EmployeeNumber"),
			chromedp.SendKeys(chromedp.CSS(form+testkit.TID("attribute-scim")), "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"),
			chromedp.Click(chromedp.CSS(form+testkit.TID("attribute-save"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("roles-message"))),
			chromedp.Reload(),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("roles-attributes"))),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	saml, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(form+testkit.TID("attribute-saml"))))
	scim, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(form+testkit.TID("attribute-scim"))))
	location, _ := chromedp.Run(ctx, chromedp.Location())
	if saml != "EmployeeNumber" || scim != "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber" || !strings.Contains(location, "/portal/roles") {
		t.Fatalf("after reload: saml %q scim %q at %s", saml, scim, location)
	}
	ms, _ := env.st.ListAttributeMappings(context.Background(), env.org.ID)
	if len(ms) != 1 || ms[0].Field != "employee_number" {
		t.Fatalf("stored mappings %+v", ms)
	}

	// The directory pushes a user: the preview shows the typed value.
	d, err := env.scim.CreateDirectory(context.Background(), env.org.ID, scimkit.DirectoryOptions{Provider: "okta", Name: "Okta", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := env.scim.CreateToken(context.Background(), d.ID, scimkit.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, env.portalOrigin+"/scim/"+d.ID+"/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
		"userName":"ada@megacorp.example","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1042"},
		"urn:ietf:params:scim:schemas:extension:widgets:2.0:User":{"department":"Research"}}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("SCIM POST: %v %v", res, err)
	}
	res.Body.Close()
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.Reload(),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("preview-custom"))),
		)
	}); err != nil {
		t.Fatal(err)
	}
	preview, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(testkit.TID("preview-custom"))))
	if preview != "Department: Research; Employee number: 1042" {
		t.Fatalf("preview %q", preview)
	}

	// A path the SCIM server does not read is refused in view.
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS(`#attr-department `+testkit.TID("attribute-scim")), "meta.created"),
			chromedp.Click(chromedp.CSS(`#attr-department `+testkit.TID("attribute-save"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("error-summary"))),
		)
	}); err != nil {
		t.Fatal(err)
	}
	msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(testkit.TID("error-summary"))))
	if !strings.Contains(msg, "meta.created") {
		t.Fatalf("error %q", msg)
	}
	noOverflow(t, ctx, "roles page with custom attributes")
}
