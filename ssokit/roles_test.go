package ssokit

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/store"
)

func TestProfileRoles(t *testing.T) {
	t.Parallel()
	cfg := &roles.Config{Roles: []roles.Role{{Key: "admin"}, {Key: "editor"}, {Key: "member"}}, Default: "member"}
	pass := *cfg
	pass.PassThrough = true
	maps := []store.RoleMapping{
		{OrgID: testOrg, Source: store.RoleFromIdPGroup, Value: "Admins", Role: "admin"},
		{OrgID: testOrg, Source: store.RoleFromDirectoryGroup, Value: "grp_eng", Role: "editor"},
	}
	for _, tc := range []struct {
		name        string
		cfg         *roles.Config
		provisioned bool     // jane is a directory user, member of grp_eng
		groups      []string // the IdP's group values
		want        []string
	}{
		{"no roles config: the raw values", nil, false, []string{"Admins", "Other"}, []string{"raw-role"}},
		{"IdP group mapped", cfg, false, []string{"Admins", "Other"}, []string{"admin"}},
		{"nothing mapped: the default role", cfg, false, []string{"Other"}, []string{"member"}},
		{"pass-through keeps unmapped values", &pass, false, []string{"Other"}, []string{"Other", "raw-role"}},
		{"a provisioned user's roles come from the directory", cfg, true, []string{"Admins"}, []string{"editor"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *Config) { c.Roles = tc.cfg })
			ctx := context.Background()
			if err := e.st.SetRoleMappings(ctx, testOrg, maps); err != nil {
				t.Fatal(err)
			}
			if tc.provisioned {
				u := addDirectoryUser(t, e, "jane@example.com", true)
				g := &store.DirectoryGroup{ID: "grp_eng", DirectoryID: "dir_a", DisplayName: "Engineering", CreatedAt: testNow, UpdatedAt: testNow}
				if err := e.st.CreateDirectoryGroup(ctx, g, []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{u.ID}}}, nil); err != nil {
					t.Fatal(err)
				}
			}
			b := e.browser()
			id := b.startSAML(t, "connection="+connSAML)
			raw := respSpec{InResponseTo: id, Attrs: []attr{
				{Name: "email", Values: []string{"jane@example.com"}},
				{Name: "groups", Values: tc.groups},
				{Name: "roles", Values: []string{"raw-role"}},
			}}.build(t)
			if w := b.postSAML(connSAML, raw, id); w.Code != http.StatusSeeOther {
				t.Fatalf("status %d\n%s", w.Code, e.logs)
			}
			if got := e.logins()[0].Roles; !slices.Equal(got, tc.want) {
				t.Fatalf("Profile.Roles = %q, want %q", got, tc.want)
			}
		})
	}
}

func directoryOnly(t testing.TB, e *env) {
	t.Helper()
	if err := e.st.PutProvisioningPolicy(context.Background(), &store.ProvisioningPolicy{OrgID: testOrg, SignIn: store.SignInDirectoryOnly, UpdatedAt: testNow}); err != nil {
		t.Fatal(err)
	}
}

func TestSignInPolicyRefuses(t *testing.T) {
	runAttacks(t, []attack{
		{name: "directory only: not provisioned", want: ReasonNotProvisioned, event: true, setup: func(e *env) {
			directoryOnly(t, e)
		}},
		{name: "directory only: deprovisioned", want: ReasonUserDeactivated, event: true, setup: func(e *env) {
			directoryOnly(t, e)
			addDirectoryUser(t, e, "jane@example.com", false)
		}},
		{name: "directory only: provisioned in another organization's directory", want: ReasonNotProvisioned, event: true, setup: func(e *env) {
			directoryOnly(t, e)
			ctx := context.Background()
			if err := e.st.CreateDirectory(ctx, &store.Directory{ID: "dir_b", OrgID: testOrgB, Provider: "okta", Name: "B", State: store.DirectoryActive, CreatedAt: testNow, UpdatedAt: testNow}); err != nil {
				t.Fatal(err)
			}
			if err := e.st.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: "dusr_b", DirectoryID: "dir_b", UserName: "jane@example.com", Active: true, CreatedAt: testNow, UpdatedAt: testNow}); err != nil {
				t.Fatal(err)
			}
		}},
	})
}

func TestSignInPolicyAdmitsProvisioned(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	directoryOnly(t, e)
	addDirectoryUser(t, e, "jane@example.com", true)
	b := e.browser()
	id := b.startSAML(t, "connection="+connSAML)
	if w := b.postSAML(connSAML, respSpec{InResponseTo: id}.build(t), id); w.Code != http.StatusSeeOther {
		t.Fatalf("status %d\n%s", w.Code, e.logs)
	}
	if p := e.logins()[0]; p.DirectoryUser == nil || p.DirectoryUser.ID != "dusr_jane" {
		t.Fatalf("profile = %+v", p)
	}
}
