package scimsim_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/scimkit/scimsim"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// TestExtensionAttributes: both dialects send the application's own
// extension attributes on create and update, and scimkit stores them as
// the user's custom values.
func TestExtensionAttributes(t *testing.T) {
	const urn = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := memstore.New()
	org := &store.Organization{ID: "org_x", Name: "Example", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := scimkit.New(scimkit.Config{Store: st, BaseURL: "https://app.example.com/scim", Logger: quiet, Roles: &roles.Config{
		Fields:        []roles.Field{{Key: "cost_center", Type: roles.FieldString}, {Key: "level", Type: roles.FieldInteger}, {Key: "remote", Type: roles.FieldBoolean}},
		SCIMExtension: urn,
	}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.StripPrefix("/scim", srv))
	defer hs.Close()
	for _, d := range []scimsim.Dialect{scimsim.Okta, scimsim.Entra} {
		t.Run(string(d), func(t *testing.T) {
			dir, err := srv.CreateDirectory(ctx, org.ID, scimkit.DirectoryOptions{Provider: string(d), Active: true})
			if err != nil {
				t.Fatal(err)
			}
			token, _, err := srv.CreateToken(ctx, dir.ID, scimkit.TokenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			c, err := scimsim.New(scimsim.Config{BaseURL: hs.URL + "/scim/" + dir.ID, Token: token, Dialect: d, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			spec := scimsim.UserSpec{UserName: "ada@example.com", Extensions: map[string]map[string]any{urn: {"cost_center": "CC-1", "level": 3}}}
			id, err := c.CreateUser(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			check := func(want store.CustomValues) {
				t.Helper()
				u, err := st.GetDirectoryUser(ctx, dir.ID, id)
				if err != nil || !u.Custom.Equal(want) {
					t.Fatalf("Custom = %#v (%v), want %#v", u.Custom, err, want)
				}
			}
			check(store.CustomValues{"cost_center": "CC-1", "level": int64(3)})
			spec.Extensions[urn] = map[string]any{"cost_center": "CC-2", "level": 3, "remote": true}
			if err := c.UpdateUser(ctx, id, spec); err != nil {
				t.Fatal(err)
			}
			check(store.CustomValues{"cost_center": "CC-2", "level": int64(3), "remote": true})
		})
	}
}
