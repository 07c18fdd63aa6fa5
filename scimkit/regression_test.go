package scimkit

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/onboardkit/onboardkit/store"
)

// switchOff sets a directory's state to inactive in the Store.
func (e *testEnv) switchOff(dirID string) {
	e.t.Helper()
	_, err := e.st.UpdateDirectory(context.Background(), dirID, func(d *store.Directory) ([]store.Event, error) {
		d.State = store.DirectoryInactive
		return nil, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// TestUserStatusIgnoresInactiveDirectories: after a move from Okta to
// Entra the old directory is switched off and its copy of the user stays
// active forever; a deactivation in the live directory must win.
func TestUserStatusIgnoresInactiveDirectories(t *testing.T) {
	forEachStore(t, testUserStatusIgnoresInactiveDirectories)
}

func testUserStatusIgnoresInactiveDirectories(t *testing.T, mk envMaker) {
	e := mk(t, nil)
	ctx := context.Background()
	const email = "mover@example.com"
	e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+email+`","active":true}`))

	entra, err := e.srv.CreateDirectory(ctx, e.org.ID, DirectoryOptions{Provider: "entra", Name: "Entra", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	tokB, _, err := e.srv.CreateToken(ctx, entra.ID, TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := e.must(201, e.doDir(entra.ID, "POST", "/Users", tokB, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+email+`","active":true}`))
	idB := r.str("id")

	e.switchOff(e.dir.ID) // the Okta directory is switched off
	if st, users, err := UserStatus(ctx, e.st, e.org.ID, email); err != nil || st != UserActive || len(users) != 1 || users[0].DirectoryID != entra.ID {
		t.Fatalf("before deactivation: %v %v %+v", st, err, users)
	}
	e.must(200, e.doDir(entra.ID, "PATCH", "/Users/"+idB, tokB, patchHead+`[{"op":"replace","value":{"active":false}}]}`))
	if st, users, err := UserStatus(ctx, e.st, e.org.ID, email); err != nil || st != UserDeactivated || len(users) != 1 {
		t.Fatalf("deactivated in the live directory: %v %v %+v", st, err, users)
	}

	// Known only to a switched-off directory: unknown.
	e.switchOff(entra.ID)
	if st, users, err := UserStatus(ctx, e.st, e.org.ID, email); err != nil || st != UserUnknown || len(users) != 0 {
		t.Fatalf("only switched-off directories: %v %v %+v", st, err, users)
	}
}

// TestActiveKeptWhenAbsent: omitting or removing active on PUT or PATCH
// keeps the previous value; only a create defaults it to true.
func TestActiveKeptWhenAbsent(t *testing.T) {
	cases := []struct {
		name, method, body string
	}{
		{"patch remove active", "PATCH", patchHead + `[{"op":"remove","path":"active"}]}`},
		{"patch replace active null", "PATCH", patchHead + `[{"op":"replace","path":"active","value":null}]}`},
		{"patch pathless active null", "PATCH", patchHead + `[{"op":"Replace","value":{"active":null}}]}`},
		{"patch other attribute", "PATCH", patchHead + `[{"op":"replace","path":"displayName","value":"Kept Off"}]}`},
		{"put without active", "PUT", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"off@example.com","displayName":"Kept Off"}`},
		{"put active null", "PUT", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"off@example.com","active":null}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, nil)
			r := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"off@example.com"}`))
			id := r.str("id")
			if r.get("active") != true || !e.user(id).Active {
				t.Fatalf("create without active must default to active: %s", r.raw)
			}
			e.must(200, e.do("PATCH", "/Users/"+id, e.token, patchHead+`[{"op":"replace","path":"active","value":"False"}]}`))
			c := e.cursor()
			r = e.must(200, e.do(tc.method, "/Users/"+id, e.token, tc.body))
			if r.get("active") != false || e.user(id).Active {
				t.Fatalf("reactivated: %s", r.raw)
			}
			evs, _ := e.events(c)
			if slices.Contains(eventTypes(evs), EventUserReactivated) {
				t.Fatalf("events %v", eventTypes(evs))
			}
		})
	}
}

// TestPrimaryKeptUnique: at most one email is primary, and adding an
// email that is already there (with "primary":"True") adds nothing.
func TestPrimaryKeptUnique(t *testing.T) {
	const user = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"p@example.com","emails":[` +
		`{"value":"b@example.com","type":"home"},{"value":"a@example.com","type":"work","primary":true}]}`
	cases := []struct {
		name        string
		patch       string // "" for the POST alone
		post        string
		wantPrimary string
		wantEmails  int
	}{
		{"post keeps last primary", "", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"p@example.com","emails":[` +
			`{"value":"a@example.com","primary":true},{"value":"b@example.com","primary":"True"}]}`, "b@example.com", 2},
		{"add new primary", patchHead + `[{"op":"add","path":"emails","value":[{"value":"c@example.com","type":"other","primary":true}]}]}`, user, "c@example.com", 3},
		{"add existing with string boolean", patchHead + `[{"op":"add","path":"emails","value":[{"value":"a@example.com","type":"work","primary":"True"}]}]}`, user, "a@example.com", 2},
		{"pathless add existing", patchHead + `[{"op":"Add","value":{"emails":[{"value":"a@example.com","type":"work","primary":"true"}]}}]}`, user, "a@example.com", 2},
		{"filtered replace marks an earlier value", patchHead + `[{"op":"replace","path":"emails[value eq \"b@example.com\"].primary","value":"True"}]}`, user, "b@example.com", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, nil)
			r := e.must(201, e.do("POST", "/Users", e.token, tc.post))
			id := r.str("id")
			if tc.patch != "" {
				r = e.must(200, e.do("PATCH", "/Users/"+id, e.token, tc.patch))
			}
			emails, _ := r.get("emails").([]any)
			var primaries []string
			for _, em := range emails {
				m := em.(map[string]any)
				if m["primary"] == true {
					primaries = append(primaries, m["value"].(string))
				}
			}
			if len(emails) != tc.wantEmails || len(primaries) != 1 || primaries[0] != tc.wantPrimary {
				t.Fatalf("emails %s, primaries %v", r.raw, primaries)
			}
			u := e.user(id)
			n := 0
			for _, em := range u.Emails {
				if em.Primary {
					n++
					if em.Value != tc.wantPrimary {
						t.Fatalf("stored primary %q", em.Value)
					}
				}
			}
			if n != 1 || len(u.Emails) != tc.wantEmails {
				t.Fatalf("stored emails %+v", u.Emails)
			}
		})
	}
}

// groupEnv creates two users and a group with the first as member.
func groupEnv(t *testing.T, e *testEnv) (gid, u1, u2 string) {
	t.Helper()
	u1 = e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"one@example.com"}`)).str("id")
	u2 = e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"two@example.com"}`)).str("id")
	gid = e.must(201, e.do("POST", "/Groups", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Eng","members":[{"value":"`+u1+`"}]}`)).str("id")
	return gid, u1, u2
}

// TestGroupPutWithoutMembers: a PUT without members leaves the
// membership alone; members:[] empties it.
func TestGroupPutWithoutMembers(t *testing.T) { forEachStore(t, testGroupPutWithoutMembers) }

func testGroupPutWithoutMembers(t *testing.T, mk envMaker) {
	e := mk(t, nil)
	gid, u1, _ := groupEnv(t, e)
	c := e.cursor()
	r := e.must(200, e.do("PUT", "/Groups/"+gid, e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Engineering"}`))
	if got := e.members(gid); !slices.Equal(got, []string{u1}) || r.str("displayName") != "Engineering" {
		t.Fatalf("members after PUT without members: %v: %s", got, r.raw)
	}
	evs, _ := e.events(c)
	if got := eventTypes(evs); !slices.Equal(got, []string{EventGroupUpdated}) {
		t.Fatalf("events %v", got)
	}
	e.must(200, e.do("PUT", "/Groups/"+gid, e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Engineering","members":[]}`))
	if got := e.members(gid); len(got) != 0 {
		t.Fatalf("members after PUT members:[]: %v", got)
	}
}

// TestGroupSelfMembership: a group cannot be its own member.
func TestGroupSelfMembership(t *testing.T) {
	e := newTestEnv(t, nil)
	gid, u1, _ := groupEnv(t, e)
	g0 := e.must(200, e.do("GET", "/Groups/"+gid, e.token, nil))
	for _, tc := range []struct{ name, method, body string }{
		{"patch add", "PATCH", patchHead + `[{"op":"add","path":"members","value":[{"value":"` + gid + `"}]}]}`},
		{"patch pathless add", "PATCH", patchHead + `[{"op":"add","value":{"members":[{"value":"` + gid + `"}]}}]}`},
		{"patch replace", "PATCH", patchHead + `[{"op":"replace","path":"members","value":[{"value":"` + u1 + `"},{"value":"` + gid + `"}]}]}`},
		{"put", "PUT", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Eng","members":[{"value":"` + gid + `"}]}`},
	} {
		c := e.cursor()
		r := e.do(tc.method, "/Groups/"+gid, e.token, tc.body)
		if r.status != 400 || r.str("scimType") != "invalidValue" {
			t.Errorf("%s: status %d: %s", tc.name, r.status, r.raw)
		}
		if got := e.members(gid); !slices.Equal(got, []string{u1}) {
			t.Errorf("%s: members %v", tc.name, got)
		}
		if evs, _ := e.events(c); len(evs) != 0 {
			t.Errorf("%s: events %v", tc.name, eventTypes(evs))
		}
	}
	if g := e.must(200, e.do("GET", "/Groups/"+gid, e.token, nil)); g.header.Get("ETag") != g0.header.Get("ETag") {
		t.Fatalf("group written: %s -> %s", g0.header.Get("ETag"), g.header.Get("ETag"))
	}
	// Removing itself (never a member) is harmless.
	e.must(204, e.do("PATCH", "/Groups/"+gid, e.token, patchHead+`[{"op":"remove","path":"members[value eq \"`+gid+`\"]"}]}`))
}

// TestMemberPathOrChains: a members[...] path with any number of
// "value eq" terms joined by or is accepted.
func TestMemberPathOrChains(t *testing.T) {
	e := newTestEnv(t, nil)
	var ids []string
	for _, n := range []string{"a", "b", "c", "d"} {
		ids = append(ids, e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+n+`@example.com"}`)).str("id"))
	}
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"All","members":[`
	for i, id := range ids {
		if i > 0 {
			body += ","
		}
		body += `{"value":"` + id + `"}`
	}
	gid := e.must(201, e.do("POST", "/Groups", e.token, body+`]}`)).str("id")
	path := `members[value eq \"` + ids[0] + `\" or value eq \"` + ids[1] + `\" or value eq \"` + ids[2] + `\"]`
	e.must(204, e.do("PATCH", "/Groups/"+gid, e.token, patchHead+`[{"op":"remove","path":"`+path+`"}]}`))
	if got := e.members(gid); !slices.Equal(got, []string{ids[3]}) {
		t.Fatalf("members %v", got)
	}
	// With the Group schema URN prefix.
	e.must(204, e.do("PATCH", "/Groups/"+gid, e.token, patchHead+`[{"op":"remove","path":"urn:ietf:params:scim:schemas:core:2.0:Group:members[value eq \"`+ids[3]+`\"]"}]}`))
	if got := e.members(gid); len(got) != 0 {
		t.Fatalf("members %v", got)
	}
}

// TestFilterFlatChains: long flat or-chains (and and-chains) in filters
// are accepted; real nesting and the number of terms stay bounded.
func TestFilterFlatChains(t *testing.T) {
	e := newTestEnv(t, nil)
	e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"d@example.com"}`))
	// 80 or terms: a flat chain, not nesting.
	terms := make([]string, 80)
	for i := range terms {
		terms[i] = `userName eq "u` + itoa(i) + `@example.com"`
	}
	terms[79] = `userName eq "d@example.com"`
	r := e.must(200, e.do("GET", "/Users?filter="+url.QueryEscape(strings.Join(terms, " or ")), e.token, nil))
	if r.get("totalResults") != 1.0 {
		t.Fatalf("or-chain: %s", r.raw)
	}
	if _, err := ParseUserFilter(strings.Join(terms, " and ")); err != nil {
		t.Fatalf("and-chain: %v", err)
	}
	// Real nesting is still bounded.
	nested := strings.Repeat(`not (`, 70) + `userName eq "x"` + strings.Repeat(`)`, 70)
	if _, err := ParseUserFilter(nested); err == nil {
		t.Fatal("70 nested not accepted")
	}
	alternating := `userName eq "x"`
	for i := range 70 {
		op := " and "
		if i%2 == 1 {
			op = " or "
		}
		alternating = `(` + alternating + op + `userName eq "y")`
	}
	if _, err := ParseUserFilter(alternating); err == nil {
		t.Fatal("70 alternating levels accepted")
	}
	// The number of terms is bounded.
	many := make([]string, maxFilterTerms+1)
	for i := range many {
		many[i] = `value eq "x"`
	}
	if _, _, err := memberValuePath("members[" + strings.Join(many, " or ") + "]"); err == nil {
		t.Fatal("too many member terms accepted")
	}
	var chain filter.Expression = &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "value"}, Operator: filter.EQ, CompareValue: "x"}
	for range 100 {
		chain = &filter.LogicalExpression{Left: chain, Right: &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "value"}, Operator: filter.EQ, CompareValue: "y"}, Operator: filter.OR}
	}
	if got, err := memberFilterIDs(chain, 0); err != nil || len(got) != 101 {
		t.Fatalf("memberFilterIDs: %d %v", len(got), err)
	}
}

// TestNoOpMembershipWritesNothing: adding a present member, removing an
// absent one or replacing with the same list writes nothing.
func TestNoOpMembershipWritesNothing(t *testing.T) {
	forEachStore(t, testNoOpMembershipWritesNothing)
}

func testNoOpMembershipWritesNothing(t *testing.T, mk envMaker) {
	e := mk(t, nil)
	gid, u1, u2 := groupEnv(t, e)
	before := e.must(200, e.do("GET", "/Groups/"+gid, e.token, nil))
	e.clock.Add(time.Minute)
	for _, tc := range []struct{ name, ops string }{
		{"add present", `[{"op":"add","path":"members","value":[{"value":"` + u1 + `"}]}]`},
		{"pathless add present", `[{"op":"add","value":{"members":[{"value":"` + u1 + `","$ref":null}]}}]`},
		{"remove absent by filter", `[{"op":"remove","path":"members[value eq \"` + u2 + `\"]"}]`},
		{"remove absent by value", `[{"op":"remove","path":"members","value":[{"value":"` + u2 + `"}]}]`},
		{"add then remove absent", `[{"op":"add","path":"members","value":[{"value":"` + u2 + `"}]},{"op":"remove","path":"members","value":[{"value":"` + u2 + `"}]}]`},
		{"replace same", `[{"op":"replace","path":"members","value":[{"value":"` + u1 + `"}]}]`},
		{"empty operations", `[]`},
	} {
		c := e.cursor()
		r := e.do("PATCH", "/Groups/"+gid, e.token, patchHead+tc.ops+`}`)
		if r.status != 204 || r.header.Get("ETag") != before.header.Get("ETag") {
			t.Errorf("%s: status %d, ETag %s -> %s: %s", tc.name, r.status, before.header.Get("ETag"), r.header.Get("ETag"), r.raw)
		}
		after := e.must(200, e.do("GET", "/Groups/"+gid, e.token, nil))
		if after.str("meta", "lastModified") != before.str("meta", "lastModified") || after.str("meta", "version") != before.str("meta", "version") {
			t.Errorf("%s: meta changed: %v -> %v", tc.name, before.get("meta"), after.get("meta"))
		}
		if evs, _ := e.events(c); len(evs) != 0 {
			t.Errorf("%s: events %v", tc.name, eventTypes(evs))
		}
		if got := e.members(gid); !slices.Equal(got, []string{u1}) {
			t.Errorf("%s: members %v", tc.name, got)
		}
	}
	// A real change still writes.
	c := e.cursor()
	r := e.must(204, e.do("PATCH", "/Groups/"+gid, e.token, patchHead+`[{"op":"add","path":"members","value":[{"value":"`+u1+`"},{"value":"`+u2+`"}]}]}`))
	if r.header.Get("ETag") == before.header.Get("ETag") {
		t.Fatal("version not bumped by a real change")
	}
	if evs, _ := e.events(c); !slices.Equal(eventTypes(evs), []string{EventMembershipAdded}) {
		t.Fatalf("events %v", eventTypes(evs))
	}
}

// TestURNKeyedMembers: a path-less group PATCH may name members with the
// Group schema URN.
func TestURNKeyedMembers(t *testing.T) {
	e := newTestEnv(t, nil)
	gid, u1, u2 := groupEnv(t, e)
	e.must(204, e.do("PATCH", "/Groups/"+gid, e.token, patchHead+`[{"op":"add","value":{"urn:ietf:params:scim:schemas:core:2.0:Group:members":[{"value":"`+u2+`"}]}}]}`))
	if got := e.members(gid); !slices.Equal(got, sorted(u1, u2)) {
		t.Fatalf("members %v", got)
	}
	e.must(204, e.do("PATCH", "/Groups/"+gid, e.token, patchHead+`[{"op":"replace","value":{"URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:GROUP:MEMBERS":[{"value":"`+u1+`"}]}}]}`))
	if got := e.members(gid); !slices.Equal(got, []string{u1}) {
		t.Fatalf("members %v", got)
	}
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}

// TestHugeCount: a count too large for an integer means as many as
// allowed; a hugely negative one means none.
func TestHugeCount(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.MaxResults = 2 })
	for _, n := range []string{"a", "b", "c"} {
		e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+n+`@example.com"}`))
	}
	r := e.must(200, e.do("GET", "/Users?count=100000000000000000000", e.token, nil))
	if r.get("itemsPerPage") != 2.0 || r.get("totalResults") != 3.0 {
		t.Fatalf("huge count: %s", r.raw)
	}
	r = e.must(200, e.do("GET", "/Users?count=-100000000000000000000", e.token, nil))
	if r.get("itemsPerPage") != 0.0 || r.get("totalResults") != 3.0 || !strings.Contains(string(r.raw), `"Resources":[]`) {
		t.Fatalf("hugely negative count: %s", r.raw)
	}
	e.scimErr(e.do("GET", "/Users?count=ten", e.token, nil), 400, "invalidValue")
}

// TestContentType: only application/json and application/scim+json
// bodies are accepted.
func TestContentType(t *testing.T) {
	e := newTestEnv(t, nil)
	for i, tc := range []struct {
		ct   string
		want int
	}{
		{"application/scim+json", 201},
		{"application/json", 201},
		{"Application/JSON; charset=utf-8", 201},
		{"application/scim+json;charset=UTF-8", 201},
		{"text/plain; x=json", 415},
		{"text/json", 415},
		{"application/jsonp", 415},
		{"application/json-patch+json", 415},
		{"application/x-www-form-urlencoded", 415},
		{"application/json; charset", 415}, // malformed parameter
	} {
		body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ct` + itoa(i) + `@example.com"}`
		r := e.doHeader("POST", "/Users", body, map[string]string{"Content-Type": tc.ct})
		if r.status != tc.want {
			t.Errorf("Content-Type %q: status %d, want %d: %s", tc.ct, r.status, tc.want, r.raw)
		}
	}
}

// TestCreatedTimestampsStable: the meta times answered on creation are
// the ones later reads show.
func TestCreatedTimestampsStable(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk envMaker) {
		e := mk(t, nil)
		e.clock.Add(123456789 * time.Nanosecond)
		u := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ts@example.com"}`))
		g := e.must(201, e.do("POST", "/Groups", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"TS"}`))
		check := func(name string, got resp, path string) {
			t.Helper()
			r := e.must(200, e.do("GET", path, e.token, nil))
			for _, k := range []string{"created", "lastModified"} {
				if got.str("meta", k) != r.str("meta", k) {
					t.Errorf("%s meta.%s: answered %q, read %q", name, k, got.str("meta", k), r.str("meta", k))
				}
			}
		}
		check("user", u, "/Users/"+u.str("id"))
		check("group", g, "/Groups/"+g.str("id"))
		e.clock.Add(987654321 * time.Nanosecond)
		pu := e.must(200, e.do("PATCH", "/Users/"+u.str("id"), e.token, patchHead+`[{"op":"replace","path":"displayName","value":"T S"}]}`))
		check("patched user", pu, "/Users/"+u.str("id"))
	})
}
