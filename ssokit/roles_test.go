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
		{name: "verified domain: deleted by the directory", want: ReasonUserDeprovisioned, event: true, setup: func(e *env) {
			deprovision(t, e, "jane@example.com")
		}},
		{name: "directory only: deleted by the directory", want: ReasonUserDeprovisioned, event: true, setup: func(e *env) {
			directoryOnly(t, e)
			deprovision(t, e, "jane@example.com")
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

// deprovision provisions email in the organization's directory, then
// deletes it, as a SCIM DELETE does.
func deprovision(t testing.TB, e *env, email string) {
	t.Helper()
	u := addDirectoryUser(t, e, email, true)
	if err := e.st.DeleteDirectoryUser(context.Background(), u.DirectoryID, u.ID, nil); err != nil {
		t.Fatal(err)
	}
}

func TestDeprovisionedUserProvisionedAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	deprovision(t, e, "jane@example.com")
	login := func() int {
		b := e.browser()
		id := b.startSAML(t, "connection="+connSAML)
		return b.postSAML(connSAML, respSpec{InResponseTo: id}.build(t), id).Code
	}
	if code := login(); code != http.StatusForbidden {
		t.Fatalf("deprovisioned user: status %d, want 403", code)
	}
	u := addDirectoryUser(t, e, "jane@example.com", true)
	if code := login(); code != http.StatusSeeOther {
		t.Fatalf("provisioned again: status %d\n%s", code, e.logs)
	}
	if p := e.logins()[0]; p.DirectoryUser == nil || p.DirectoryUser.ID != u.ID {
		t.Fatalf("profile = %+v", p)
	}
}

func TestUserMessage(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&LoginError{Reason: ReasonUserDeprovisioned}, "Your access to this application has been removed"},
		{&LoginError{Reason: ReasonUserDeactivated}, "Your access to this application has been removed"},
		{&LoginError{Reason: ReasonNotProvisioned}, "Your account has not been set up for this application"},
		{&LoginError{Reason: ReasonBadSignature}, "Sign-in failed"},
		{ErrNoSSO, "Single sign-on is not set up for this email domain"},
	} {
		if title, advice := UserMessage(tc.err); title != tc.want || advice == "" {
			t.Errorf("UserMessage(%v) = %q, %q; want %q", tc.err, title, advice, tc.want)
		}
	}
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
