package scimkit

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// TestRolesFromGroupChanges: Okta's group push (POST, PUT, PATCH replace
// without path, remove by value filter) and Entra's membership PATCHes
// (capitalised ops, remove with a value list) give the members the roles
// their groups are mapped to, with one user.roles_changed event per user
// whose roles change, and take them back (the host's default role then
// applies) when the member leaves, the group is deleted or the mapping
// removed. On every store.
func TestRolesFromGroupChanges(t *testing.T) {
	const patchOp = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
	forEachStore(t, func(t *testing.T, mk envMaker) {
		e := mk(t, nil)
		ctx := context.Background()
		user := func(name string) string {
			return e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`@example.com","active":true}`)).str("id")
		}
		alice, bob := user("alice"), user("bob")
		grp := e.must(201, e.do("POST", "/Groups", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Admins"}`)).str("id")
		mapping := []store.RoleMapping{{OrgID: e.org.ID, Source: store.RoleFromDirectoryGroup, Value: grp, Role: "admin"}}
		if err := e.st.SetRoleMappings(ctx, e.org.ID, mapping); err != nil {
			t.Fatal(err)
		}
		// step sends a request and checks the roles of alice and bob and
		// the roles changes it caused.
		step := func(what string, send func(), wantAlice, wantBob []string, changed ...string) {
			t.Helper()
			c := e.cursor()
			send()
			for id, want := range map[string][]string{alice: wantAlice, bob: wantBob} {
				if got := e.user(id).Roles; !slices.Equal(got, want) {
					t.Fatalf("%s: roles of %s = %q, want %q", what, id, got, want)
				}
			}
			evs, _ := e.events(c)
			var got []string
			for _, ev := range evs {
				if ev.Type != store.EventUserRolesChanged {
					continue
				}
				var rc store.RolesChange
				mustUnmarshal(t, ev.Data, &rc)
				want := wantBob
				if ev.Subject == alice {
					want = wantAlice
				}
				if !slices.Equal(rc.New, want) && !(len(rc.New) == 0 && len(want) == 0) || ev.Actor != "scim:"+e.dir.ID && ev.Actor != "system" {
					t.Fatalf("%s: event %s %+v by %s", what, ev.Subject, rc, ev.Actor)
				}
				got = append(got, ev.Subject)
			}
			slices.Sort(got)
			slices.Sort(changed)
			if !slices.Equal(got, changed) {
				t.Fatalf("%s: roles events for %q, want %q", what, got, changed)
			}
		}
		patch := func(body string) {
			t.Helper()
			if r := e.do("PATCH", "/Groups/"+grp, e.token, `{`+patchOp+`,"Operations":[`+body+`]}`); r.status != 200 && r.status != 204 {
				t.Fatalf("PATCH %s: %d %s", body, r.status, r.raw)
			}
		}
		admin := []string{"admin"}
		step("Okta PUT with members", func() {
			e.must(200, e.do("PUT", "/Groups/"+grp, e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"`+grp+`","displayName":"Admins","members":[{"value":"`+alice+`","display":"alice"}]}`))
		}, admin, nil, alice)
		step("Okta PATCH replace without path (rename)", func() {
			patch(`{"op":"replace","value":{"id":"` + grp + `","displayName":"Administrators"}}`)
		}, admin, nil)
		step("Entra Add member", func() {
			patch(`{"op":"Add","path":"members","value":[{"value":"` + bob + `"}]}`)
		}, admin, admin, bob)
		step("Okta remove by value filter", func() {
			patch(`{"op":"remove","path":"members[value eq \"` + alice + `\"]"}`)
		}, nil, admin, alice)
		step("Entra Remove with a value list", func() {
			patch(`{"op":"Remove","path":"members","value":[{"value":"` + bob + `"}]}`)
		}, nil, nil, bob)
		step("Okta replace of members", func() {
			patch(`{"op":"replace","path":"members","value":[{"value":"` + alice + `"},{"value":"` + bob + `"}]}`)
		}, admin, admin, alice, bob)
		step("group deleted", func() {
			e.must(204, e.do("DELETE", "/Groups/"+grp, e.token, nil))
		}, nil, nil, alice, bob)

		// A mapping removed: the members fall back to the default role.
		grp2 := e.must(201, e.do("POST", "/Groups", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Eng","members":[{"value":"`+alice+`"}]}`)).str("id")
		step("mapping of a new group", func() {
			if err := e.st.SetRoleMappings(ctx, e.org.ID, []store.RoleMapping{{OrgID: e.org.ID, Source: store.RoleFromDirectoryGroup, Value: grp2, Role: "editor"}}); err != nil {
				t.Fatal(err)
			}
			recomputeAll(t, e.st, e.org.ID, e.clock.Now())
		}, []string{"editor"}, nil, alice)
		step("mapping removed", func() {
			if err := e.st.SetRoleMappings(ctx, e.org.ID, nil); err != nil {
				t.Fatal(err)
			}
			recomputeAll(t, e.st, e.org.ID, e.clock.Now())
		}, nil, nil, alice)
	})
}

func recomputeAll(t *testing.T, st store.RoleStore, org string, now time.Time) {
	t.Helper()
	for range 100 {
		left, err := st.RecomputeRoles(context.Background(), org, 100, "system", now)
		if err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return
		}
	}
	t.Fatal("RecomputeRoles never finishes")
}
