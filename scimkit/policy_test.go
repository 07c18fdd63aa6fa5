package scimkit

import (
	"context"
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
