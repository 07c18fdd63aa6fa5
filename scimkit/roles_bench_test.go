package scimkit

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// BenchmarkCreateUserRoles: an Okta-style provisioning of one user over
// HTTP (POST /Users, then PATCH /Groups adding it to a group) with no role
// mapping (none) and with the group mapped to a role (mapping), so that
// the PATCH recomputes the user's roles and appends user.roles_changed.
func BenchmarkCreateUserRoles(b *testing.B) {
	for name, open := range testStores() {
		b.Run(name, func(b *testing.B) {
			for _, mapped := range []bool{false, true} {
				sub := "none"
				if mapped {
					sub = "mapping"
				}
				b.Run(sub, func(b *testing.B) {
					e := newBenchEnv(b, open(b))
					ctx := context.Background()
					g := &store.DirectoryGroup{ID: "grp_staff", DirectoryID: e.dir.ID, DisplayName: "Staff", Attributes: []byte(`{"displayName":"Staff"}`), CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
					if err := e.st.CreateDirectoryGroup(ctx, g, nil, nil); err != nil {
						b.Fatal(err)
					}
					if mapped {
						if err := e.st.SetRoleMappings(ctx, "org_bench", []store.RoleMapping{{OrgID: "org_bench", Source: store.RoleFromDirectoryGroup, Value: g.ID, Role: "staff"}}); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						id := e.create(b, userBody(i))
						i++
						e.do(b, "PATCH", "/Groups/"+g.ID, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+id+`"}]}]}`, http.StatusNoContent)
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
					if mapped {
						u, err := e.st.GetDirectoryUser(ctx, e.dir.ID, e.lastID)
						if err != nil || len(u.Roles) != 1 {
							b.Fatalf("roles of the last user: %v, %v", u.Roles, err)
						}
					}
				})
			}
		})
	}
}

// create posts a user and returns its id.
func (e *benchEnv) create(b *testing.B, body string) string {
	req, err := http.NewRequest("POST", e.hs.URL+"/scim/"+e.dir.ID+"/Users", strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := e.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		b.Fatalf("POST /Users: %d: %s", res.StatusCode, raw)
	}
	var out struct{ ID string }
	if err := json.Unmarshal(raw, &out); err != nil {
		b.Fatal(err)
	}
	e.lastID = out.ID
	return out.ID
}
