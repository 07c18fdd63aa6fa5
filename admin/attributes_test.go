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
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

const acmeExt = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"

func newAttrAdmin(t *testing.T, rc *roles.Config) (*admin.Admin, store.Store, string) {
	t.Helper()
	st := memstore.New()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	a, err := admin.New(admin.Config{Store: st, PortalURL: "https://app.example.com/portal", Now: func() time.Time { return now }, Roles: rc})
	if err != nil {
		t.Fatal(err)
	}
	o, err := a.CreateOrganization(context.Background(), admin.OrganizationInput{Name: "Acme"}, "operator:test")
	if err != nil {
		t.Fatal(err)
	}
	return a, st, o.ID
}

func TestSetAttributeMappings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st, org := newAttrAdmin(t, &roles.Config{Fields: []roles.Field{
		{Key: "department", Type: roles.FieldString}, {Key: "employee_number", Type: roles.FieldInteger},
	}, SCIMExtension: acmeExt})
	for name, bad := range map[string][]admin.AttributeMappingInput{
		"an undeclared field": {{Field: "salary", SAMLAttribute: "x"}},
		"a field twice":       {{Field: "department", SAMLAttribute: "a"}, {Field: "Department", OIDCClaim: "b"}},
		"a bad SCIM path":     {{Field: "department", SCIMPath: "nope"}},
		"a read-only path":    {{Field: "department", SCIMPath: "meta.created"}},
		"a control character": {{Field: "department", SAMLAttribute: "a\x01"}},
	} {
		_, err := a.SetAttributeMappings(ctx, org, bad, "operator:test")
		var ae *admin.AdminError
		if !errors.As(err, &ae) || ae.Kind != admin.ErrInvalidInput {
			t.Errorf("%s: %v", name, err)
		}
	}
	if ms, _ := st.ListAttributeMappings(ctx, org); len(ms) != 0 {
		t.Fatalf("refused input wrote %+v", ms)
	}
	c, _ := st.LastEventCursor(ctx)
	got, err := a.SetAttributeMappings(ctx, org, []admin.AttributeMappingInput{
		{Field: "employee_number", SCIMPath: "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:EMPLOYEENUMBER", OIDCClaim: " employee_number "},
		{Field: "department", SAMLAttribute: "Department"},
	}, "operator:test")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.AttributeMapping{
		{OrgID: org, Field: "department", SAMLAttribute: "Department"},
		{OrgID: org, Field: "employee_number", OIDCClaim: "employee_number", SCIMPath: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"},
	}
	if stored, _ := a.ListAttributeMappings(ctx, org); !slices.Equal(got, want) || !slices.Equal(stored, want) {
		t.Fatalf("mappings = %+v, stored %+v, want %+v", got, stored, want)
	}
	evs, _ := st.ListEvents(ctx, store.EventQuery{After: c})
	if len(evs) != 1 || evs[0].Type != admin.EventAttributeMappingsUpdated || evs[0].Actor != "operator:test" {
		t.Fatalf("events %+v", evs)
	}
	// The same mappings again write nothing.
	if _, err := a.SetAttributeMappings(ctx, org, []admin.AttributeMappingInput{
		{Field: "department", SAMLAttribute: "Department"},
		{Field: "employee_number", OIDCClaim: "employee_number", SCIMPath: want[1].SCIMPath},
	}, "operator:test"); err != nil {
		t.Fatal(err)
	}
	if evs, _ := st.ListEvents(ctx, store.EventQuery{After: c}); len(evs) != 1 {
		t.Fatalf("a no-op wrote %d events", len(evs))
	}
	// One field at a time; an empty mapping removes it.
	if _, err := a.SetAttributeMapping(ctx, org, admin.AttributeMappingInput{Field: "department", SCIMPath: "title"}, "it-admin"); err != nil {
		t.Fatal(err)
	}
	got, _ = a.ListAttributeMappings(ctx, org)
	if len(got) != 2 || got[0].SCIMPath != "title" || got[0].SAMLAttribute != "" || got[1] != want[1] {
		t.Fatalf("after SetAttributeMapping: %+v", got)
	}
	if _, err := a.SetAttributeMapping(ctx, org, admin.AttributeMappingInput{Field: "department"}, "it-admin"); err != nil {
		t.Fatal(err)
	}
	if got, _ = a.ListAttributeMappings(ctx, org); len(got) != 1 || got[0].Field != "employee_number" {
		t.Fatalf("after removing: %+v", got)
	}
	if p := a.SCIMPathOf("department", nil); p != acmeExt+":department" {
		t.Fatalf("default SCIM path %q", p)
	}
	if _, err := a.ListAttributeMappings(ctx, "org_absent"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown organization: %v", err)
	}

	plain, _, porg := newAttrAdmin(t, nil)
	if _, err := plain.SetAttributeMappings(ctx, porg, []admin.AttributeMappingInput{{Field: "department", SAMLAttribute: "x"}}, ""); err == nil {
		t.Fatal("mappings accepted without declared fields")
	}
}

func TestAttributeMappingChangeReadsValuesAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st, org := newAttrAdmin(t, &roles.Config{Fields: []roles.Field{{Key: "department", Type: roles.FieldString}}, SCIMExtension: acmeExt})
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := st.CreateDirectory(ctx, &store.Directory{ID: "dir_1", OrgID: org, Provider: "okta", Name: "Okta", State: store.DirectoryActive, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetAttributeMappings(ctx, org, []admin.AttributeMappingInput{{Field: "department", SCIMPath: "title"}}, "operator:test"); err != nil {
		t.Fatal(err)
	}
	// More users than one batch, all read under "title"; the last has no
	// enterprise department, the one before a number there.
	n := admin.RecomputeBatch + 3
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("usr_%05d", i)
		ent := `,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"}`
		switch i {
		case n - 1:
			ent = ""
		case n - 2:
			ent = `,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":42}`
		}
		u := &store.DirectoryUser{ID: ids[i], DirectoryID: "dir_1", UserName: ids[i] + "@acme.example", Active: true,
			Attributes: []byte(`{"userName":"` + ids[i] + `@acme.example","title":"Engineer"` + ent + `}`),
			Custom:     store.CustomValues{"department": "Engineer"}, CreatedAt: now.Add(time.Duration(i) * time.Second), UpdatedAt: now}
		if err := st.CreateDirectoryUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := st.LastEventCursor(ctx)
	if _, err := a.SetAttributeMapping(ctx, org, admin.AttributeMappingInput{Field: "department", SCIMPath: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}, "portal:ses"); err != nil {
		t.Fatal(err)
	}
	evs, _ := st.ListEvents(ctx, store.EventQuery{After: c, Limit: 10000})
	if len(evs) != n+1 || evs[0].Type != admin.EventAttributeMappingsUpdated {
		t.Fatalf("%d events, want the mapping's and one per user (%d)", len(evs), n)
	}
	for i, e := range evs[1:] {
		var d scimkit.UserData
		if err := json.Unmarshal(e.Data, &d); err != nil || e.Type != scimkit.EventUserUpdated || e.Subject != ids[i] || e.Actor != "portal:ses" || d.Version != 2 {
			t.Fatalf("event %d: %+v (%v)", i, e, err)
		}
		want := "Sales"
		if i >= n-2 {
			want = ""
		}
		if got, _ := d.Custom["department"].(string); got != want {
			t.Fatalf("event of user %d: department %q, want %q", i, got, want)
		}
	}
	for i, id := range []string{ids[0], ids[n-1]} {
		u, err := st.GetDirectoryUser(ctx, "dir_1", id)
		if err != nil {
			t.Fatal(err)
		}
		if want := []any{"Sales", nil}[i]; u.Custom["department"] != want {
			t.Fatalf("user %s: custom %+v", id, u.Custom)
		}
	}
	// A change that leaves every SCIM path as it was reads nothing again.
	c, _ = st.LastEventCursor(ctx)
	if _, err := a.SetAttributeMapping(ctx, org, admin.AttributeMappingInput{Field: "department", SAMLAttribute: "dept", SCIMPath: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}, "portal:ses"); err != nil {
		t.Fatal(err)
	}
	if evs, _ := st.ListEvents(ctx, store.EventQuery{After: c, Limit: 10}); len(evs) != 1 {
		t.Fatalf("a SAML-only change appended %d events", len(evs))
	}
}
