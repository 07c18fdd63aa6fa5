package scimsim_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/scimkit/scimsim"
	"github.com/onboardkit/onboardkit/store"
)

// TestUIExtensionAttributes: the "Create a user" form has a field per
// declared extension attribute, and the values typed in reach the
// directory user's custom values, in both dialects; a value of the wrong
// type is refused with the form kept.
func TestUIExtensionAttributes(t *testing.T) {
	t.Parallel()
	const urn = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
	rc := &roles.Config{Fields: []roles.Field{
		{Key: "department", Name: "Department", Type: roles.FieldString},
		{Key: "level", Type: roles.FieldInteger},
		{Key: "remote", Type: roles.FieldBoolean},
		{Key: "projects", Type: roles.FieldStringList},
	}, SCIMExtension: urn}
	for _, dialect := range []string{"okta", "entra"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			env := newSCIMEnvRoles(t, rc)
			base, dirID, token := env.directory(t, dialect)
			ui := newUI(t, func(c *scimsim.UIConfig) { c.ExtensionAttributes = scimsim.ExtensionAttributesOf(rc) })
			home := ui.get(ui.base)
			checkPage(t, home)
			fields := home.doc.Find(`[data-testid="ext-field"]`)
			if fields.Length() != 4 {
				t.Fatalf("%d extension fields, want 4", fields.Length())
			}
			if schema, _ := fields.First().Attr("data-schema"); schema != urn {
				t.Errorf("schema of the first field: %q", schema)
			}
			if label := home.doc.Find(`label[for="ext_0"]`).Text(); !strings.Contains(label, "Department") {
				t.Errorf("label of the first field: %q", label)
			}
			if home.doc.Find(`select[name="ext_2"] option[value="true"]`).Length() != 1 {
				t.Error("the boolean is not a choice")
			}

			v := url.Values{"base_url": {base}, "token": {token}, "dialect": {dialect}, "action": {"create"},
				"user_name": {"ada@example.com"}, "ext_0": {"Research"}, "ext_1": {"seven"}, "csrf": {ui.csrf()}}
			p := ui.post(ui.base+"runs", v)
			if p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(text(p, "form-error"), "level must be a whole number") {
				t.Fatalf("a bad integer: %d %q", p.resp.StatusCode, text(p, "form-error"))
			}
			if val, _ := p.doc.Find(`input[name="ext_0"]`).Attr("value"); val != "Research" {
				t.Errorf("the refused form lost the extension value: %q", val)
			}

			v.Del("csrf")
			v.Set("ext_1", "7")
			v.Set("ext_2", "true")
			v.Set("ext_3", "apollo, gemini")
			p = ui.wait(ui.start(v))
			if text(p, "run-state") != "succeeded" {
				t.Fatalf("create: %q", text(p, "run-error"))
			}
			users, _, err := env.st.ListDirectoryUsers(context.Background(), dirID, store.UserQuery{Limit: 10})
			if err != nil || len(users) != 1 {
				t.Fatalf("users %+v, %v", users, err)
			}
			want := store.CustomValues{"department": "Research", "level": int64(7), "remote": true, "projects": []string{"apollo", "gemini"}}
			if !users[0].Custom.Equal(want) {
				t.Fatalf("Custom = %#v, want %#v", users[0].Custom, want)
			}
		})
	}
}

func TestUIExtensionAttributesValidation(t *testing.T) {
	t.Parallel()
	for _, bad := range []scimsim.ExtensionAttribute{
		{Schema: "acme", Name: "x"},
		{Schema: "urn:acme", Name: ""},
		{Schema: "urn:acme", Name: "a.b"},
		{Schema: "urn:acme", Name: "x", Type: "date"},
	} {
		if _, err := scimsim.NewUI(scimsim.UIConfig{Development: true, ExtensionAttributes: []scimsim.ExtensionAttribute{bad}}); err == nil {
			t.Errorf("NewUI accepted %+v", bad)
		}
	}
}
