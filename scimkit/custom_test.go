package scimkit

import (
	"context"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/store"
)

const (
	acmeURN       = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	userURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	patchHeadURN  = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`
)

// acmeFields declares the custom attributes the tests map.
var acmeFields = &roles.Config{
	Fields: []roles.Field{
		{Key: "department", Name: "Department", Type: roles.FieldString},
		{Key: "employee_number", Name: "Employee number", Type: roles.FieldInteger},
		{Key: "level", Type: roles.FieldInteger},
		{Key: "remote", Type: roles.FieldBoolean},
		{Key: "projects", Type: roles.FieldStringList},
		{Key: "cost_center", Type: roles.FieldString},
	},
	SCIMExtension: acmeURN,
}

// customEnv is a test environment whose Server declares acmeFields and
// whose organization maps department and employee_number to the
// enterprise extension and cost_center to the core title; the other
// fields are read from the acme extension.
func customEnv(t *testing.T, mk envMaker) *testEnv {
	t.Helper()
	e := mk(t, func(c *Config) { c.Roles = acmeFields })
	err := e.st.SetAttributeMappings(context.Background(), e.org.ID, []store.AttributeMapping{
		{OrgID: e.org.ID, Field: "department", SCIMPath: enterpriseURN + ":department"},
		{OrgID: e.org.ID, Field: "employee_number", SCIMPath: enterpriseURN + ":employeeNumber"},
		{OrgID: e.org.ID, Field: "cost_center", SCIMPath: "title"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func wantCustom(t *testing.T, got, want store.CustomValues) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("Custom = %#v, want %#v", got, want)
	}
}

// customOfEvent returns the custom values of the last user event.
func customOfEvent(t *testing.T, evs []store.Event, typ string) store.CustomValues {
	t.Helper()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == typ {
			var d struct {
				Custom store.CustomValues `json:"custom"`
			}
			mustUnmarshal(t, evs[i].Data, &d)
			return d.Custom
		}
	}
	t.Fatalf("no %s event in %q", typ, eventTypes(evs))
	return nil
}

// TestCustomAttributes: values of the host's custom attributes flow from
// POST, PUT and PATCH (Okta's and Entra's shapes) to the directory user,
// its GET and its events, on every store.
func TestCustomAttributes(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk envMaker) {
		e := customEnv(t, mk)
		c := e.cursor()
		// Okta's create: the enterprise extension and the app's, typed.
		r := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["`+userURN+`","`+enterpriseURN+`","`+acmeURN+`"],
			"userName":"ada@example.com","title":"CC-12","active":true,
			"`+enterpriseURN+`":{"department":"Research","employeeNumber":"1042"},
			"`+acmeURN+`":{"remote":true,"projects":["apollo","gemini"],"level":7}}`))
		id := r.str("id")
		want := store.CustomValues{"department": "Research", "employee_number": int64(1042), "cost_center": "CC-12",
			"remote": true, "projects": []string{"apollo", "gemini"}, "level": int64(7)}
		wantCustom(t, e.user(id).Custom, want)
		evs, c := e.events(c)
		wantCustom(t, customOfEvent(t, evs, EventUserCreated), want)
		if got := r.get(acmeURN, "level"); got != float64(7) {
			t.Fatalf("the 201 shows level %v: %s", got, r.raw)
		}
		got := e.must(200, e.do("GET", "/Users/"+id, e.token, nil))
		if got.get(acmeURN, "projects", "1") != "gemini" || got.str(enterpriseURN, "employeeNumber") != "1042" || got.get(acmeURN, "remote") != true {
			t.Fatalf("GET does not return the values under their paths: %s", got.raw)
		}
		if !strings.Contains(string(got.raw), acmeURN) {
			t.Fatalf("GET: %s", got.raw)
		}

		// PUT replaces them (Entra sends integers and booleans as strings).
		e.must(200, e.do("PUT", "/Users/"+id, e.token, `{"schemas":["`+userURN+`"],"userName":"ada@example.com",
			"`+enterpriseURN+`":{"department":"Sales","employeeNumber":"77"},
			"`+acmeURN+`":{"remote":"False","projects":"apollo","level":"9"}}`))
		want = store.CustomValues{"department": "Sales", "employee_number": int64(77), "remote": false, "projects": []string{"apollo"}, "level": int64(9)}
		wantCustom(t, e.user(id).Custom, want)
		evs, c = e.events(c)
		wantCustom(t, customOfEvent(t, evs, EventUserUpdated), want)

		// Entra's PATCH: one operation per attribute, by URN-prefixed path.
		e.must(200, e.do("PATCH", "/Users/"+id, e.token, patchHeadURN+`[
			{"op":"Replace","path":"`+enterpriseURN+`:department","value":"Legal"},
			{"op":"Add","path":"`+acmeURN+`:level","value":"11"},
			{"op":"Add","path":"`+acmeURN+`:remote","value":"True"},
			{"op":"Replace","path":"title","value":"CC-99"}]}`))
		want["department"], want["level"], want["remote"], want["cost_center"] = "Legal", int64(11), true, "CC-99"
		wantCustom(t, e.user(id).Custom, want)
		evs, c = e.events(c)
		wantCustom(t, customOfEvent(t, evs, EventUserUpdated), want)

		// Entra without path: keys are full URN-prefixed names.
		e.must(200, e.do("PATCH", "/Users/"+id, e.token, patchHeadURN+`[
			{"op":"replace","value":{"`+enterpriseURN+`:employeeNumber":"5","`+acmeURN+`:projects":["x","y"]}}]}`))
		want["employee_number"], want["projects"] = int64(5), []string{"x", "y"}
		wantCustom(t, e.user(id).Custom, want)

		// Okta without path: the extension as an object.
		e.must(200, e.do("PATCH", "/Users/"+id, e.token, patchHeadURN+`[
			{"op":"replace","value":{"id":"`+id+`","`+acmeURN+`":{"level":12},"`+enterpriseURN+`":{"department":"Ops"}}}]}`))
		want["level"], want["department"] = int64(12), "Ops"
		wantCustom(t, e.user(id).Custom, want)

		// Removing an attribute removes the value.
		e.must(200, e.do("PATCH", "/Users/"+id, e.token, patchHeadURN+`[{"op":"remove","path":"`+acmeURN+`:projects"}]}`))
		delete(want, "projects")
		wantCustom(t, e.user(id).Custom, want)
		evs, _ = e.events(c)
		wantCustom(t, customOfEvent(t, evs, EventUserUpdated), want)
	})
}

// TestCustomAttributeRefusals: a value of the wrong type is refused with
// 400 invalidValue whose detail names the attribute, and changes nothing.
func TestCustomAttributeRefusals(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk envMaker) {
		e := customEnv(t, mk)
		id := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["`+userURN+`"],"userName":"ada@example.com",
			"`+acmeURN+`":{"level":1}}`)).str("id")
		before := e.user(id)
		refuse := func(name, method, path, body string, mentions ...string) {
			t.Helper()
			r := e.do(method, path, e.token, body)
			e.scimErr(r, 400, "invalidValue")
			for _, m := range mentions {
				if !strings.Contains(r.str("detail"), m) {
					t.Errorf("%s: detail %q does not name %q", name, r.str("detail"), m)
				}
			}
		}
		post := func(ext string) string {
			return `{"schemas":["` + userURN + `"],"userName":"bob@example.com",` + ext + `}`
		}
		refuse("not an integer", "POST", "/Users", post(`"`+enterpriseURN+`":{"employeeNumber":"E-1"}`), enterpriseURN+":employeeNumber", "employee_number", "integer")
		refuse("overflow", "POST", "/Users", post(`"`+acmeURN+`":{"level":9223372036854775808}`), acmeURN+":level", "integer")
		refuse("overflow as a string", "POST", "/Users", post(`"`+acmeURN+`":{"level":"-9223372036854775809"}`), acmeURN+":level")
		refuse("a fraction", "POST", "/Users", post(`"`+acmeURN+`":{"level":1.5}`), acmeURN+":level")
		refuse("a list for a scalar", "POST", "/Users", post(`"`+acmeURN+`":{"remote":[true,false]}`), acmeURN+":remote", "single")
		refuse("not a boolean", "POST", "/Users", post(`"`+acmeURN+`":{"remote":"maybe"}`), acmeURN+":remote", "true or false")
		refuse("a list of numbers", "POST", "/Users", post(`"`+acmeURN+`":{"projects":[1,2]}`), acmeURN+":projects")
		refuse("an object", "POST", "/Users", post(`"`+acmeURN+`":{"department":{"a":1}}`), acmeURN+":department")
		refuse("the extension not an object", "POST", "/Users", post(`"`+acmeURN+`":"x"`), acmeURN)
		refuse("PUT", "PUT", "/Users/"+id, `{"schemas":["`+userURN+`"],"userName":"ada@example.com","`+acmeURN+`":{"level":"high"}}`, acmeURN+":level")
		refuse("Entra PATCH", "PATCH", "/Users/"+id, patchHeadURN+`[{"op":"Replace","path":"`+enterpriseURN+`:employeeNumber","value":"n/a"}]}`, "employeeNumber", "employee_number")
		refuse("PATCH without path", "PATCH", "/Users/"+id, patchHeadURN+`[{"op":"replace","value":{"`+acmeURN+`:level":1e30}}]}`, acmeURN+":level")
		refuse("Okta PATCH", "PATCH", "/Users/"+id, patchHeadURN+`[{"op":"replace","value":{"`+acmeURN+`":{"remote":["True"," False"]}}}]}`, acmeURN+":remote")
		after := e.user(id)
		if after.Version != before.Version || !after.Custom.Equal(before.Custom) {
			t.Fatalf("a refused change was written: %#v v%d", after.Custom, after.Version)
		}
		if _, _, err := e.st.ListDirectoryUsers(context.Background(), e.dir.ID, store.UserQuery{Limit: 10}); err != nil {
			t.Fatal(err)
		}
		if list, n, _ := e.st.ListDirectoryUsers(context.Background(), e.dir.ID, store.UserQuery{Limit: 10}); n != 1 {
			t.Fatalf("refused creates wrote users: %+v", list)
		}
		// A value at the extremes of int64 is kept exactly.
		r := e.must(200, e.do("PATCH", "/Users/"+id, e.token, patchHeadURN+`[{"op":"replace","path":"`+acmeURN+`:level","value":9223372036854775807}]}`))
		if got := e.user(id).Custom["level"]; got != int64(math.MaxInt64) {
			t.Fatalf("level = %v", got)
		}
		if !strings.Contains(string(r.raw), `"level":9223372036854775807`) {
			t.Fatalf("the response does not keep the integer exact: %s", r.raw)
		}
	})
}

// TestCustomAttributeMappingChange: a mapping change applies from the next
// write; fields with no path and no extension get no value.
func TestCustomAttributeMappingChange(t *testing.T) {
	e := customEnv(t, func(t *testing.T, mod func(*Config)) *testEnv { return newTestEnv(t, mod) })
	id := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["`+userURN+`"],"userName":"ada@example.com","title":"Engineer",
		"`+enterpriseURN+`":{"department":"Research","costCenter":"CC-1"}}`)).str("id")
	wantCustom(t, e.user(id).Custom, store.CustomValues{"department": "Research", "cost_center": "Engineer"})
	if err := e.st.SetAttributeMappings(context.Background(), e.org.ID, []store.AttributeMapping{
		{OrgID: e.org.ID, Field: "cost_center", SCIMPath: enterpriseURN + ":costCenter"},
		{OrgID: e.org.ID, Field: "department", SCIMPath: "urn:ietf:params:scim:schemas:extension:gone:2.0:User:x"},
	}); err != nil {
		t.Fatal(err)
	}
	e.must(200, e.do("PATCH", "/Users/"+id, e.token, patchHeadURN+`[{"op":"replace","path":"displayName","value":"Ada"}]}`))
	wantCustom(t, e.user(id).Custom, store.CustomValues{"cost_center": "CC-1"})
	if !strings.Contains(e.logs(), "does not serve") {
		t.Fatalf("a mapping to an unknown path is not logged: %s", e.logs())
	}

	// A Server without custom attributes keeps none and reads no mapping.
	plain := newTestEnv(t, nil)
	pid := plain.must(201, plain.do("POST", "/Users", plain.token, `{"schemas":["`+userURN+`"],"userName":"ada@example.com",
		"`+acmeURN+`":{"level":"x"}}`)).str("id")
	if c := plain.user(pid).Custom; c != nil {
		t.Fatalf("Custom = %#v without declared fields", c)
	}
}

// TestCustomAttributeDiscovery: /Schemas and /ResourceTypes advertise the
// host's extension with one typed attribute per field.
func TestCustomAttributeDiscovery(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.Roles = acmeFields })
	r := e.must(200, e.do("GET", "/ResourceTypes/User", e.token, nil))
	var rt struct {
		SchemaExtensions []struct {
			Schema   string `json:"schema"`
			Required bool   `json:"required"`
		} `json:"schemaExtensions"`
	}
	mustUnmarshal(t, r.raw, &rt)
	if len(rt.SchemaExtensions) != 2 || rt.SchemaExtensions[1].Schema != acmeURN || rt.SchemaExtensions[1].Required {
		t.Fatalf("schemaExtensions = %+v", rt.SchemaExtensions)
	}
	r = e.must(200, e.do("GET", "/Schemas/"+acmeURN, e.token, nil))
	var sc struct {
		ID         string `json:"id"`
		Attributes []struct {
			Name        string `json:"name"`
			Type        string `json:"type"`
			MultiValued bool   `json:"multiValued"`
		} `json:"attributes"`
		Meta struct {
			Location string `json:"location"`
		} `json:"meta"`
	}
	mustUnmarshal(t, r.raw, &sc)
	types := map[string]string{}
	for _, a := range sc.Attributes {
		types[a.Name] = a.Type
		if a.MultiValued != (a.Name == "projects") {
			t.Errorf("%s multiValued = %v", a.Name, a.MultiValued)
		}
	}
	if sc.ID != acmeURN || types["level"] != "integer" || types["remote"] != "boolean" || types["department"] != "string" || types["projects"] != "string" || len(types) != 6 {
		t.Fatalf("schema = %s", r.raw)
	}
	if !strings.HasSuffix(sc.Meta.Location, "/Schemas/"+acmeURN) {
		t.Fatalf("location %q", sc.Meta.Location)
	}
	list := e.must(200, e.do("GET", "/Schemas", e.token, nil))
	if n := list.get("totalResults"); n != float64(4) {
		t.Fatalf("/Schemas lists %v schemas: %s", n, list.raw)
	}
	// A comparison of a number of the host's extension is refused, not
	// failed open (see TestCustomAttributeFilters).
	e.scimErr(e.do("GET", "/Users?filter="+url.QueryEscape(acmeURN+`:level eq 1`), e.token, nil), 400, "invalidFilter")
	// Without an extension, nothing more is advertised.
	plain := newTestEnv(t, nil)
	if n := plain.must(200, plain.do("GET", "/Schemas", plain.token, nil)).get("totalResults"); n != float64(3) {
		t.Fatalf("/Schemas without extension lists %v", n)
	}
}

func TestCheckAttributePath(t *testing.T) {
	for path, want := range map[string]string{
		"title":                     "title",
		"TITLE":                     "title",
		"name.middleName":           "name.middleName",
		"emails.value":              "emails.value",
		userURN + ":userType":       "userType",
		enterpriseURN + ":division": enterpriseURN + ":division",
		strings.ToUpper(enterpriseURN) + ":DEPARTMENT": enterpriseURN + ":department",
		enterpriseURN + ":manager.value":               enterpriseURN + ":manager.value",
		acmeURN + ":level":                             acmeURN + ":level",
		" title ":                                      "title",
	} {
		got, err := CheckAttributePath(acmeFields, path)
		if err != nil || got != want {
			t.Errorf("CheckAttributePath(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
	for _, path := range []string{
		"", "nope", "name", "name.nope", "id", "meta.created", "groups.value", "password", "emails",
		enterpriseURN + ":manager", enterpriseURN + ":manager.displayName", "urn:other:2.0:User:x", acmeURN + ":nope",
		"x\xff", strings.Repeat("a", 301),
	} {
		if got, err := CheckAttributePath(acmeFields, path); err == nil {
			t.Errorf("CheckAttributePath(%q) = %q, want an error", path, got)
		}
	}
	if _, err := CheckAttributePath(nil, acmeURN+":level"); err == nil {
		t.Error("the host's extension path is accepted without the extension")
	}
}

func TestNewRefusesBadRoles(t *testing.T) {
	for _, rc := range []*roles.Config{
		{Fields: []roles.Field{{Key: "1x", Type: roles.FieldString}}},
		{Fields: []roles.Field{{Key: "a", Type: "float"}}},
		{Fields: []roles.Field{{Key: "a", Type: roles.FieldString}}, SCIMExtension: enterpriseURN},
		{Fields: []roles.Field{{Key: "a", Type: roles.FieldString}}, SCIMExtension: "acme"},
	} {
		if _, err := New(Config{Store: newTestEnv(t, nil).st, BaseURL: "https://app.example.com/scim", Roles: rc}); err == nil {
			t.Errorf("New accepts %+v", rc)
		}
	}
}

// TestCustomAttributeFilters: filters on the enterprise extension (as
// Entra sends them) and on the host's extension select the users whose
// stored resource matches, on every store; what a Field cannot compare is
// refused with invalidFilter.
func TestCustomAttributeFilters(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk envMaker) {
		e := customEnv(t, mk)
		names := map[string]string{}
		for _, body := range []string{
			`"userName":"ada@example.com","` + enterpriseURN + `":{"department":"Sales","employeeNumber":"7"},"` + acmeURN + `":{"remote":true,"projects":["apollo","gemini"],"level":7}`,
			`"userName":"bob@example.com","` + enterpriseURN + `":{"department":"Research"},"` + acmeURN + `":{"remote":"False","projects":"Mercury"}`,
			`"userName":"cy@example.com"`,
		} {
			r := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["`+userURN+`","`+enterpriseURN+`","`+acmeURN+`"],`+body+`}`))
			names[r.str("id")] = r.str("userName")
		}
		list := func(filter string) []string {
			t.Helper()
			r := e.must(200, e.do("GET", "/Users?filter="+url.QueryEscape(filter), e.token, nil))
			var got []string
			res, _ := r.get("Resources").([]any)
			for _, x := range res {
				got = append(got, names[x.(map[string]any)["id"].(string)])
			}
			if n, _ := r.get("totalResults").(float64); int(n) != len(got) {
				t.Errorf("%s: totalResults %v, %d resources", filter, r.get("totalResults"), len(got))
			}
			slices.Sort(got)
			return got
		}
		a, b, c := "ada@example.com", "bob@example.com", "cy@example.com"
		for _, tc := range []struct {
			filter string
			want   []string
		}{
			// Entra's and Okta's shapes: the URN-prefixed attribute, alone
			// or with userName.
			{enterpriseURN + `:department eq "Sales"`, []string{a}},
			{enterpriseURN + `:department eq "sales"`, []string{a}},
			{`userName eq "bob@example.com" and ` + enterpriseURN + `:department eq "Research"`, []string{b}},
			{enterpriseURN + `:department pr`, []string{a, b}},
			{enterpriseURN + `:department sw "Re"`, []string{b}},
			{enterpriseURN + `:employeeNumber eq "7"`, []string{a}},
			// The host's extension: strings (a list matches by any of its
			// values), booleans, and presence of any type.
			{acmeURN + `:projects eq "gemini"`, []string{a}},
			{acmeURN + `:projects co "cur"`, []string{b}},
			{acmeURN + `:projects ew "O"`, []string{a}},
			{acmeURN + `:remote eq true`, []string{a}},
			// A missing boolean compares as false, as a missing active does.
			{acmeURN + `:remote eq false`, []string{b, c}},
			{acmeURN + `:level pr`, []string{a}},
			{`not (` + acmeURN + `:projects pr)`, []string{c}},
			{strings.ToUpper(acmeURN) + `:PROJECTS eq "apollo"`, []string{a}},
		} {
			if got := list(tc.filter); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %q, want %q", tc.filter, got, tc.want)
			}
		}
		for _, bad := range []string{
			acmeURN + `:level eq 7`,
			acmeURN + `:level gt 1`,
			acmeURN + `:remote co "t"`,
			acmeURN + `:salary eq "x"`,
			`urn:ietf:params:scim:schemas:extension:other:2.0:User:department eq "x"`,
		} {
			e.scimErr(e.do("GET", "/Users?filter="+url.QueryEscape(bad), e.token, nil), 400, "invalidFilter")
		}
	})
}
