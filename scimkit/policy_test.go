package scimkit

import (
	"context"
	"slices"
	"testing"

	"github.com/onboardkit/onboardkit/store"
)

// TestOrganizationOutsideDomainPolicy: an organization's provisioning
// policy overrides the Server's outside-domains choice, on every store.
func TestOrganizationOutsideDomainPolicy(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk envMaker) {
		for _, tc := range []struct {
			name    string
			server  OutsideDomainPolicy
			org     store.OutsideDomainAction
			status  int
			outside bool
		}{
			{"server mark, organization default", OutsideDomainsMark, store.OutsideDomainsDefault, 201, true},
			{"server mark, organization accept", OutsideDomainsMark, store.OutsideDomainsAccept, 201, false},
			{"server mark, organization refuse", OutsideDomainsMark, store.OutsideDomainsRefuse, 400, false},
			{"server refuse, organization mark", OutsideDomainsRefuse, store.OutsideDomainsMark, 201, true},
			{"server refuse, organization default", OutsideDomainsRefuse, store.OutsideDomainsDefault, 400, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := mk(t, func(c *Config) { c.OutsideDomains = tc.server })
				if err := e.st.PutProvisioningPolicy(context.Background(), &store.ProvisioningPolicy{OrgID: e.org.ID, OutsideDomains: tc.org}); err != nil {
					t.Fatal(err)
				}
				body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"contractor@gmail.com"}`
				if tc.status == 400 {
					e.scimErr(e.do("POST", "/Users", e.token, body), 400, "invalidValue")
					return
				}
				id := e.must(201, e.do("POST", "/Users", e.token, body)).str("id")
				if got := e.user(id).OutsideDomains; got != tc.outside {
					t.Fatalf("OutsideDomains = %v, want %v", got, tc.outside)
				}
				// A user inside the domains is never marked or refused.
				in := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"staff@example.com"}`)).str("id")
				if e.user(in).OutsideDomains {
					t.Fatal("a user of a verified domain marked")
				}
			})
		}
	})
}

// TestDeprovisionPolicy: an IdP's deactivation (Okta's PATCH, an AIW
// app's PUT, Entra's string boolean) deactivates the user by default and
// deletes it when the organization's policy says so; a DELETE deletes it
// either way. On every store.
func TestDeprovisionPolicy(t *testing.T) {
	const create = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jane@example.com","active":true}`
	deactivations := map[string]struct{ method, body string }{
		"okta patch":  {"PATCH", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`},
		"entra patch": {"PATCH", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`},
		"aiw put":     {"PUT", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jane@example.com","active":false}`},
	}
	forEachStore(t, func(t *testing.T, mk envMaker) {
		for name, d := range deactivations {
			for _, action := range []store.DeprovisionAction{store.DeprovisionDeactivate, store.DeprovisionDelete} {
				t.Run(name+" "+string(action), func(t *testing.T) {
					e := mk(t, nil)
					ctx := context.Background()
					if err := e.st.PutProvisioningPolicy(ctx, &store.ProvisioningPolicy{OrgID: e.org.ID, Deprovision: action}); err != nil {
						t.Fatal(err)
					}
					id := e.must(201, e.do("POST", "/Users", e.token, create)).str("id")
					grp := e.must(201, e.do("POST", "/Groups", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Eng","members":[{"value":"`+id+`"}]}`)).str("id")
					c := e.cursor()
					r := e.must(200, e.do(d.method, "/Users/"+id, e.token, d.body))
					if r.get("active") != false {
						t.Fatalf("answer: active = %v", r.get("active"))
					}
					evs, _ := e.events(c)
					types := eventTypes(evs)
					if action == store.DeprovisionDeactivate {
						if e.user(id).Active {
							t.Fatal("user still active")
						}
						e.must(200, e.do("GET", "/Users/"+id, e.token, nil))
						if len(e.members(grp)) != 1 || !slices.Contains(types, EventUserDeactivated) {
							t.Fatalf("deactivation: members %v, events %v", e.members(grp), types)
						}
						e.must(204, e.do("DELETE", "/Users/"+id, e.token, nil))
					} else if !slices.Contains(types, EventUserDeleted) || !slices.Contains(types, EventMembershipRemoved) {
						t.Fatalf("deletion events %v", types)
					}
					e.scimErr(e.do("GET", "/Users/"+id, e.token, nil), 404, "")
					if n := len(e.members(grp)); n != 0 {
						t.Fatalf("group keeps %d members", n)
					}
					// The IdP provisions the person again: a new user.
					e.must(201, e.do("POST", "/Users", e.token, create))
				})
			}
		}
	})
}
