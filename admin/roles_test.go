package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

func TestSetRoleMappings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := memstore.New()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	a, err := admin.New(admin.Config{Store: st, PortalURL: "https://app.example.com/portal", Now: func() time.Time { return now },
		Roles: &roles.Config{Roles: []roles.Role{{Key: "admin", Name: "Administrator"}, {Key: "member", Name: "Member"}}, Default: "member"}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := a.CreateOrganization(ctx, admin.OrganizationInput{Name: "Acme"}, "operator:test")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateDirectory(ctx, &store.Directory{ID: "dir_1", OrgID: o.ID, Provider: "okta", Name: "Okta", State: store.DirectoryActive, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	// More members than one batch.
	n := admin.RecomputeBatch*2 + 7
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("usr_%05d", i)
		if err := st.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: ids[i], DirectoryID: "dir_1", UserName: ids[i] + "@acme.example", Active: true, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	g := &store.DirectoryGroup{ID: "grp_admins", DirectoryID: "dir_1", DisplayName: "Admins", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateDirectoryGroup(ctx, g, []store.MemberOp{{Kind: store.MembersAdd, IDs: ids}}, nil); err != nil {
		t.Fatal(err)
	}

	for _, bad := range [][]admin.RoleMappingInput{
		{{Source: store.RoleFromDirectoryGroup, Value: "grp_admins", Role: "owner"}},
		{{Source: store.RoleFromDirectoryGroup, Value: "grp_absent", Role: "admin"}},
		{{Source: "ldap", Value: "x", Role: "admin"}},
		{{Source: store.RoleFromIdPGroup, Value: " ", Role: "admin"}},
	} {
		if _, err := a.SetRoleMappings(ctx, o.ID, bad, "operator:test"); !errors.Is(err, admin.ErrInvalidInput) {
			t.Errorf("SetRoleMappings(%+v) = %v, want ErrInvalidInput", bad, err)
		}
	}

	last, _ := st.LastEventCursor(ctx)
	in := []admin.RoleMappingInput{{Source: store.RoleFromDirectoryGroup, Value: "grp_admins", Role: "admin"}, {Source: store.RoleFromIdPGroup, Value: "Admins", Role: "admin"}}
	if _, err := a.SetRoleMappings(ctx, o.ID, in, "operator:test"); err != nil {
		t.Fatal(err)
	}
	evs, err := st.ListEvents(ctx, store.EventQuery{After: last, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != n+1 || evs[0].Type != admin.EventRoleMappingsUpdated {
		t.Fatalf("%d events, the first %q; want %d, the first %s", len(evs), evs[0].Type, n+1, admin.EventRoleMappingsUpdated)
	}
	for _, e := range evs[1:] {
		if e.Type != store.EventUserRolesChanged || e.Actor != "operator:test" {
			t.Fatalf("event %+v", e)
		}
		// The events carry the roles a user has at sign-in: the host's
		// default role before the mapping.
		var rc store.RolesChange
		if err := json.Unmarshal(e.Data, &rc); err != nil || !slices.Equal(rc.Old, []string{"member"}) || !slices.Equal(rc.New, []string{"admin"}) {
			t.Fatalf("roles change %s: %+v, %v", e.Data, rc, err)
		}
	}
	u, err := st.GetDirectoryUser(ctx, "dir_1", ids[n-1])
	if err != nil || !slices.Equal(u.Roles, []string{"admin"}) {
		t.Fatalf("roles of the last member: %v, %v", u.Roles, err)
	}
	// The same mappings again write nothing.
	last, _ = st.LastEventCursor(ctx)
	if _, err := a.SetRoleMappings(ctx, o.ID, []admin.RoleMappingInput{in[1], in[0]}, "operator:test"); err != nil {
		t.Fatal(err)
	}
	if now, _ := st.LastEventCursor(ctx); now != last {
		t.Fatalf("setting the mappings in force appended %d events", now-last)
	}
	ms, err := a.ListRoleMappings(ctx, o.ID)
	if err != nil || len(ms) != 2 {
		t.Fatalf("ListRoleMappings = %+v, %v", ms, err)
	}
	// Without the group's mapping its members fall back to the default
	// role, and the events say so.
	last, _ = st.LastEventCursor(ctx)
	if _, err := a.SetRoleMappings(ctx, o.ID, in[1:], "operator:test"); err != nil {
		t.Fatal(err)
	}
	evs, _ = st.ListEvents(ctx, store.EventQuery{After: last, Limit: 10000})
	var rc store.RolesChange
	if len(evs) != n+1 || json.Unmarshal(evs[n].Data, &rc) != nil || !slices.Equal(rc.Old, []string{"admin"}) || !slices.Equal(rc.New, []string{"member"}) {
		t.Fatalf("%d events, the last %s", len(evs), evs[len(evs)-1].Data)
	}
}

func TestSignInPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := memstore.New()
	a, err := admin.New(admin.Config{Store: st, PortalURL: "https://app.example.com/portal"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := a.CreateOrganization(ctx, admin.OrganizationInput{Name: "Acme"}, "operator:test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetSignInPolicy(ctx, o.ID, "anyone", ""); !errors.Is(err, admin.ErrInvalidInput) {
		t.Fatalf("an unknown policy: %v", err)
	}
	if _, err := a.SetSignInPolicy(ctx, "org_absent", store.SignInDirectoryOnly, ""); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("an unknown organization: %v", err)
	}
	last, _ := st.LastEventCursor(ctx)
	for range 2 {
		if _, err := a.SetSignInPolicy(ctx, o.ID, store.SignInDirectoryOnly, "operator:test"); err != nil {
			t.Fatal(err)
		}
	}
	evs, _ := st.ListEvents(ctx, store.EventQuery{After: last, Limit: 10})
	if len(evs) != 1 || evs[0].Type != admin.EventPolicyUpdated {
		t.Fatalf("events = %+v", evs)
	}
	p, err := a.GetProvisioningPolicy(ctx, o.ID)
	if err != nil || p.SignIn != store.SignInDirectoryOnly {
		t.Fatalf("policy = %+v, %v", p, err)
	}
	if n, err := admin.ParseSignInPolicy(admin.SignInPolicyName(store.SignInVerifiedDomain)); err != nil || n != store.SignInVerifiedDomain {
		t.Fatalf("ParseSignInPolicy round trip: %q, %v", n, err)
	}
}
