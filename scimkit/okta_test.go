package scimkit

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/store"
)

// TestOktaSpecTest replays the requests of Okta's "SCIM 2.0 Spec Test"
// (Runscope collection), in order, checking status, body and Store state.
func TestOktaSpecTest(t *testing.T) { forEachStore(t, testOktaSpecTest) }

func testOktaSpecTest(t *testing.T, mk envMaker) {
	e := mk(t, nil)
	tok := e.token
	// The spec test expects one existing user.
	seed := e.must(201, e.do("POST", "/Users", tok, map[string]any{
		"schemas": []string{UserSchemaURI}, "userName": "existing@example.com",
		"name": map[string]any{"givenName": "Ex", "familyName": "Isting"}, "active": true,
		"emails": []any{map[string]any{"primary": true, "value": "existing@example.com", "type": "work"}},
	}))

	// Okta's connection test
	r := e.must(200, e.do("GET", "/Users?startIndex=1&count=2", tok, nil))
	if r.get("totalResults") != 1.0 || r.get("itemsPerPage") != 1.0 {
		t.Fatalf("connection test: %s", r.raw)
	}

	// Required Test: Test Users endpoint
	r = e.must(200, e.do("GET", "/Users?count=1&startIndex=1", tok, nil))
	if r.get("Resources") == nil || r.get("totalResults") != 1.0 || r.get("itemsPerPage") != 1.0 || r.get("startIndex") != 1.0 {
		t.Fatalf("list: %s", r.raw)
	}
	isvID := r.str("Resources", "0", "id")
	if isvID != seed.str("id") {
		t.Fatalf("first user %q, want %q", isvID, seed.str("id"))
	}

	// Required Test: Get Users/{{id}}
	r = e.must(200, e.do("GET", "/Users/"+isvID, tok, nil))
	if r.str("id") != isvID || r.str("userName") != "existing@example.com" || r.str("name", "familyName") != "Isting" || r.str("emails", "0", "value") != "existing@example.com" || r.get("active") != true {
		t.Fatalf("get: %s", r.raw)
	}

	// Required Test: Test invalid User by username
	r = e.must(200, e.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "invalid-user-4711@example.com"`), tok, nil))
	if r.get("totalResults") != 0.0 || r.get("Resources") == nil || len(r.get("Resources").([]any)) != 0 {
		t.Fatalf("invalid user: %s", r.raw)
	}

	// Required Test: Test invalid User by ID
	r = e.do("GET", "/Users/010101010101010101", tok, nil)
	e.scimErr(r, 404, "")
	if r.str("detail") == "" {
		t.Fatal("404 without detail")
	}

	// Required Test: Make sure random user doesn't exist
	random := "Aoe3f7bB.Zmv9wiHu@example.com"
	r = e.must(200, e.do("GET", "/Users?filter=userName+eq+%22"+url.QueryEscape(random)+"%22", tok, nil))
	if r.get("totalResults") != 0.0 || r.get("itemsPerPage") != 0.0 || !strings.Contains(string(r.raw), `"Resources":[]`) {
		t.Fatalf("random user: %s", r.raw)
	}

	// Required Test: Create Okta user with realistic values
	c0 := e.cursor()
	// Okta's body, as sent (Content-Type application/json).
	create := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + random + `","name":{"givenName":"Wilma","familyName":"Flintstone"},"emails":[{"primary":true,"value":"` + random + `","type":"work"}],"displayName":"Wilma Flintstone","active":true}`
	jsonCT := map[string]string{"Content-Type": "application/json", "Accept": "application/scim+json; charset=utf-8"}
	r = e.must(201, e.doHeader("POST", "/Users", create, jsonCT))
	id := r.str("id")
	if id == "" || r.get("active") != true || r.str("name", "givenName") != "Wilma" || r.str("emails", "0", "value") != random {
		t.Fatalf("create: %s", r.raw)
	}
	if loc := r.header.Get("Location"); loc != "https://app.example.com/scim/"+e.dir.ID+"/Users/"+id || r.str("meta", "location") != loc {
		t.Fatalf("Location %q, meta.location %q", loc, r.str("meta", "location"))
	}
	if r.str("meta", "resourceType") != "User" || r.str("meta", "created") == "" || r.str("meta", "version") != r.header.Get("ETag") {
		t.Fatalf("meta: %s", r.raw)
	}
	u := e.user(id)
	if u.UserName != random || u.DisplayName != "Wilma Flintstone" || !u.Active || u.GivenName != "Wilma" || u.FamilyName != "Flintstone" || u.PrimaryEmail() != random || u.OutsideDomains {
		t.Fatalf("stored user %+v", u)
	}
	evs, _ := e.events(c0)
	if !slices.Equal(eventTypes(evs), []string{EventUserCreated}) || evs[0].Subject != id || evs[0].Actor != "scim:"+e.dir.ID {
		t.Fatalf("events %v", evs)
	}

	// Required Test: Verify that user was created
	r = e.must(200, e.do("GET", "/Users/"+id, tok, nil))
	if r.str("userName") != random {
		t.Fatalf("verify: %s", r.raw)
	}

	// Required Test: Expect failure when recreating user with same values
	c1 := e.cursor()
	// Okta posts the very same body again.
	e.scimErr(e.doHeader("POST", "/Users", create, jsonCT), 409, "uniqueness")
	if evs, _ := e.events(c1); len(evs) != 0 {
		t.Fatalf("events after 409: %v", evs)
	}

	// Required Test: Username Case Sensitivity Check
	r = e.must(200, e.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "`+strings.ToUpper(random)+`"`), tok, nil))
	if r.get("totalResults") != 1.0 || r.str("Resources", "0", "id") != id {
		t.Fatalf("case-insensitive userName: %s", r.raw)
	}
	// and a userName differing only by case is a duplicate
	dup := map[string]any{"schemas": []string{UserSchemaURI}, "userName": strings.ToUpper(random)}
	e.scimErr(e.do("POST", "/Users", tok, dup), 409, "uniqueness")

	// Optional Test: Verify Groups endpoint
	r = e.must(200, e.do("GET", "/Groups", tok, nil))
	if _, ok := r.get("Resources").([]any); !ok {
		t.Fatalf("groups: %s", r.raw)
	}

	// Required Test: Check status 401 (Authorization: non-token)
	r = e.doHeader("GET", "/Users?filter="+url.QueryEscape(`userName eq "`+strings.ToUpper(random)+`"`), "", map[string]string{"Authorization": "non-token"})
	e.scimErr(r, 401, "")
	if r.str("detail") == "" {
		t.Fatalf("401 without detail: %s", r.raw)
	}
}

// TestOktaCRUD replays Okta's SCIM 2.0 CRUD test and Group Push: create,
// read, update with PUT, deactivate with PATCH (Okta never deletes users),
// reactivate, then a pushed group with member add and removal.
func TestOktaCRUD(t *testing.T) { forEachStore(t, testOktaCRUD) }

func testOktaCRUD(t *testing.T, mk envMaker) {
	e := mk(t, nil)
	tok := e.token
	ctx := context.Background()

	r := e.must(201, e.do("POST", "/Users", tok, map[string]any{
		"schemas": []string{UserSchemaURI}, "userName": "test.user@example.com",
		"name": map[string]any{"givenName": "Test", "familyName": "User"}, "active": true,
		"emails":     []any{map[string]any{"primary": true, "value": "test.user@example.com", "type": "work"}},
		"externalId": "00u1", "password": "t1meMa$heen", "groups": []any{},
	}))
	id := r.str("id")

	// Okta checks existence by filter before creating
	r = e.must(200, e.do("GET", "/Users?filter=userName%20eq%20%22test.user%40example.com%22&startIndex=1&count=100", tok, nil))
	if r.get("totalResults") != 1.0 || r.get("itemsPerPage") != 1.0 {
		t.Fatalf("filter: %s", r.raw)
	}

	// PUT (profile update from Okta)
	c0 := e.cursor()
	r = e.must(200, e.do("PUT", "/Users/"+id, tok, map[string]any{
		"schemas": []string{UserSchemaURI}, "id": "forged-id", "userName": "test.user@example.com",
		"name": map[string]any{"givenName": "Another", "familyName": "User"}, "active": true,
		"emails":     []any{map[string]any{"primary": true, "value": "test.user@example.com", "type": "work"}},
		"externalId": "00u1", "meta": map[string]any{"created": "1999-01-01T00:00:00Z"},
	}))
	if r.str("id") != id || r.str("name", "givenName") != "Another" || r.str("meta", "created") != "2026-03-01T12:00:00Z" {
		t.Fatalf("put: %s", r.raw)
	}
	if u := e.user(id); u.GivenName != "Another" || u.Version != 2 {
		t.Fatalf("stored %+v", u)
	}
	evs, _ := e.events(c0)
	if !slices.Equal(eventTypes(evs), []string{EventUserUpdated}) {
		t.Fatalf("events %v", eventTypes(evs))
	}

	// Deactivate
	c1 := e.cursor()
	r = e.must(200, e.do("PATCH", "/Users/"+id, tok, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`))
	if r.get("active") != false {
		t.Fatalf("deactivate: %s", r.raw)
	}
	if u := e.user(id); u.Active {
		t.Fatal("still active in store")
	}
	evs, _ = e.events(c1)
	if !slices.Equal(eventTypes(evs), []string{EventUserDeactivated}) {
		t.Fatalf("events %v", eventTypes(evs))
	}
	if st, _, err := UserStatus(ctx, e.st, e.org.ID, "TEST.USER@example.com"); err != nil || st != UserDeactivated {
		t.Fatalf("UserStatus = %v, %v", st, err)
	}
	// a deactivated user is still returned by GET and filters
	r = e.must(200, e.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "test.user@example.com"`), tok, nil))
	if r.get("Resources", "0", "active") != false {
		t.Fatalf("filter deactivated: %s", r.raw)
	}
	r = e.must(200, e.do("GET", "/Users?filter="+url.QueryEscape(`active eq false`), tok, nil))
	if r.get("totalResults") != 1.0 {
		t.Fatalf("active eq false: %s", r.raw)
	}
	// repeating the same PATCH changes nothing and reports nothing
	c2 := e.cursor()
	e.must(200, e.do("PATCH", "/Users/"+id, tok, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`))
	if evs, _ := e.events(c2); len(evs) != 0 {
		t.Fatalf("no-op patch wrote %v", eventTypes(evs))
	}
	// Reactivate
	e.must(200, e.do("PATCH", "/Users/"+id, tok, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":true}}]}`))
	evs, _ = e.events(c2)
	if !slices.Equal(eventTypes(evs), []string{EventUserReactivated}) {
		t.Fatalf("events %v", eventTypes(evs))
	}
	if st, _, _ := UserStatus(ctx, e.st, e.org.ID, "test.user@example.com"); st != UserActive {
		t.Fatalf("UserStatus = %v", st)
	}
	// AIW (template) apps deactivate with PUT and active false.
	put := func(active bool) resp {
		return e.do("PUT", "/Users/"+id, tok, map[string]any{
			"schemas": []string{UserSchemaURI}, "userName": "test.user@example.com", "externalId": "00u1",
			"name":   map[string]any{"givenName": "Another", "familyName": "User"},
			"emails": []any{map[string]any{"primary": true, "value": "test.user@example.com", "type": "work"}},
			"active": active,
		})
	}
	c3a := e.cursor()
	if r := e.must(200, put(false)); r.get("active") != false || e.user(id).Active {
		t.Fatalf("PUT deactivate: %s", r.raw)
	}
	e.must(200, put(true))
	evs, _ = e.events(c3a)
	if got := eventTypes(evs); !slices.Equal(got, []string{EventUserDeactivated, EventUserReactivated}) {
		t.Fatalf("events %v", got)
	}
	// Password change from Okta (sync password): accepted, never stored.
	e.must(200, e.do("PATCH", "/Users/"+id, tok, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"password":"n3wPa$$"}}]}`))
	if u := e.user(id); strings.Contains(string(u.Attributes), "n3wPa") {
		t.Fatal("password stored")
	}

	// A second user for the group.
	id2 := e.must(201, e.do("POST", "/Users", tok, map[string]any{
		"schemas": []string{UserSchemaURI}, "userName": "second@example.com", "active": true,
	})).str("id")

	// Group Push: create
	c3 := e.cursor()
	r = e.must(201, e.do("POST", "/Groups", tok, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}`))
	gid := r.str("id")
	if r.header.Get("Location") != "https://app.example.com/scim/"+e.dir.ID+"/Groups/"+gid || r.str("displayName") != "Test SCIMv2" {
		t.Fatalf("group create: %s", r.raw)
	}
	evs, _ = e.events(c3)
	if !slices.Equal(eventTypes(evs), []string{EventGroupCreated}) {
		t.Fatalf("events %v", eventTypes(evs))
	}
	// displayName is unique per directory, case-insensitively.
	e.scimErr(e.do("POST", "/Groups", tok, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"test scimv2"}`), 409, "uniqueness")
	// Okta looks the group up by displayName
	r = e.must(200, e.do("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Test SCIMv2"`)+"&startIndex=1&count=100", tok, nil))
	if r.get("totalResults") != 1.0 {
		t.Fatalf("group filter: %s", r.raw)
	}
	// Rename: Okta sends id and displayName without path
	c4 := e.cursor()
	r = e.do("PATCH", "/Groups/"+gid, tok, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"`+gid+`","displayName":"Test SCIMv2 renamed"}}]}`)
	e.must(204, r)
	if g, _ := e.st.GetDirectoryGroup(ctx, e.dir.ID, gid); g.DisplayName != "Test SCIMv2 renamed" {
		t.Fatalf("rename: %+v", g)
	}
	// Add members
	e.must(204, e.do("PATCH", "/Groups/"+gid, tok, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+id+`","display":"test.user@example.com"},{"value":"`+id2+`","display":"second@example.com"}]}]}`))
	if m := e.members(gid); len(m) != 2 {
		t.Fatalf("members %v", m)
	}
	evs, _ = e.events(c4)
	if got := eventTypes(evs); !slices.Equal(got, []string{EventGroupUpdated, EventMembershipAdded, EventMembershipAdded}) {
		t.Fatalf("events %v", got)
	}
	r = e.must(200, e.do("GET", "/Groups/"+gid, tok, nil))
	if ms, _ := r.get("members").([]any); len(ms) != 2 || r.str("members", "0", "$ref") == "" || r.str("members", "0", "type") != "User" {
		t.Fatalf("group get: %s", r.raw)
	}
	// Remove one member with a value filter
	c5 := e.cursor()
	e.must(204, e.do("PATCH", "/Groups/"+gid, tok, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"`+id+`\"]"}]}`))
	if m := e.members(gid); !slices.Equal(m, []string{id2}) {
		t.Fatalf("members %v", m)
	}
	evs, _ = e.events(c5)
	if got := eventTypes(evs); !slices.Equal(got, []string{EventMembershipRemoved}) {
		t.Fatalf("events %v", got)
	}
	var md MembershipData
	mustUnmarshal(t, evs[0].Data, &md)
	if md.MemberID != id || md.GroupID != gid || md.MemberType != "User" {
		t.Fatalf("membership data %+v", md)
	}
	// Filter groups by member
	r = e.must(200, e.do("GET", "/Groups?filter="+url.QueryEscape(`members[value eq "`+id2+`"]`), tok, nil))
	if r.get("totalResults") != 1.0 {
		t.Fatalf("member filter: %s", r.raw)
	}
	// PUT group with the full member list (older Okta integrations)
	e.must(200, e.do("PUT", "/Groups/"+gid, tok, map[string]any{
		"schemas": []string{GroupSchemaURI}, "id": gid, "displayName": "Test SCIMv2",
		"members": []any{map[string]any{"value": id, "display": "test.user@example.com"}},
	}))
	if m := e.members(gid); !slices.Equal(m, []string{id}) {
		t.Fatalf("members after PUT %v", m)
	}
	// Delete the group
	c6 := e.cursor()
	e.must(204, e.do("DELETE", "/Groups/"+gid, tok, nil))
	e.scimErr(e.do("GET", "/Groups/"+gid, tok, nil), 404, "")
	evs, _ = e.events(c6)
	if got := eventTypes(evs); !slices.Equal(got, []string{EventGroupDeleted, EventMembershipRemoved}) {
		t.Fatalf("events %v", got)
	}
	if _, err := e.st.GetDirectoryGroup(ctx, e.dir.ID, gid); err == nil {
		t.Fatal("group still stored")
	}
	_ = store.ErrNotFound
}
