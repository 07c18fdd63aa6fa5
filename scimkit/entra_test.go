package scimkit

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
)

const patchHead = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`

// TestEntraProvisioning replays Microsoft Entra ID's provisioning
// sequence (the requests of the SCIM validator and of "Develop a SCIM
// endpoint", including the known-issue behaviours: capitalised ops,
// string booleans, manager as a string, legacy group schema, member
// removal by value array).
func TestEntraProvisioning(t *testing.T) { forEachStore(t, testEntraProvisioning) }

func testEntraProvisioning(t *testing.T, mk envMaker) {
	e := mk(t, nil)
	tok := e.token
	ctx := context.Background()

	// Connection test: a random GUID that does not exist.
	r := e.do("GET", "/Users?filter=userName+eq+%22"+"3c5a07b4-4b0a-4a59-9f6a-2fe3d0a7b2c1"+"%22", tok, nil)
	e.must(200, r)
	if !strings.Contains(string(r.raw), `"Resources":[]`) || r.get("totalResults") != 0.0 || r.get("itemsPerPage") != 0.0 {
		t.Fatalf("connection test: %s", r.raw)
	}

	// Entra matches by userName, then creates.
	e.must(200, e.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "Test_User_ab6490ee@example.com"`), tok, nil))
	c0 := e.cursor()
	r = e.must(201, e.do("POST", "/Users", tok, `{
		"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
		"userName":"Test_User_ab6490ee@example.com",
		"active":"True",
		"displayName":"Test User",
		"emails":[{"primary":"true","type":"work","value":"Test_User_fd0ea19b@example.com"}],
		"meta":{"resourceType":"User"},
		"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
		"roles":[],
		"title":null,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales","employeeNumber":"1001"}
	}`))
	uid := r.str("id")
	if r.get("active") != true || r.get("emails", "0", "primary") != true || r.str(EnterpriseSchemaURI, "department") != "Sales" {
		t.Fatalf("create: %s", r.raw)
	}
	if _, ok := r.body["title"]; ok {
		t.Fatal("null attribute stored")
	}
	u := e.user(uid)
	if !u.Active || u.ExternalID != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" || len(u.Emails) != 1 || !u.Emails[0].Primary || u.OutsideDomains {
		t.Fatalf("stored %+v", u)
	}
	evs, _ := e.events(c0)
	var ud UserData
	mustUnmarshal(t, evs[0].Data, &ud)
	if ud.UserName != u.UserName || ud.Email != "Test_User_fd0ea19b@example.com" || !ud.Active || ud.OrganizationID != e.org.ID {
		t.Fatalf("event data %+v", ud)
	}

	// Lookups Entra uses.
	for _, f := range []string{
		`userName eq "test_user_ab6490ee@example.com"`,
		`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`,
		`emails[type eq "work"].value eq "Test_User_fd0ea19b@example.com"`,
		`emails.value eq "TEST_USER_FD0EA19B@example.com"`,
		`displayName eq "Test User"`,
		`userName sw "Test_" and not (active eq "False")`,
		`userName co "ab6490" or externalId eq "nope"`,
		`emails pr`,
		`meta.lastModified gt "2026-01-01T00:00:00Z"`,
	} {
		r = e.must(200, e.do("GET", "/Users?filter="+url.QueryEscape(f), tok, nil))
		if r.get("totalResults") != 1.0 || r.str("Resources", "0", "id") != uid {
			t.Fatalf("filter %s: %s", f, r.raw)
		}
	}
	for _, f := range []string{`externalId eq "0A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF"`, `meta.lastModified gt "2026-03-01T12:00:00Z"`, `emails[type eq "home"].value eq "Test_User_fd0ea19b@example.com"`} {
		r = e.must(200, e.do("GET", "/Users?filter="+url.QueryEscape(f), tok, nil))
		if r.get("totalResults") != 0.0 {
			t.Fatalf("filter %s matched: %s", f, r.raw)
		}
	}
	// + for spaces and operator case
	r = e.must(200, e.do("GET", "/Users?filter=UserName+Eq+%22Test_User_ab6490ee%40example.com%22&unknownParam=1", tok, nil))
	if r.get("totalResults") != 1.0 {
		t.Fatalf("+ spaces: %s", r.raw)
	}

	// Update multi-valued and single-valued attributes.
	e.clock.Add(60e9)
	c1 := e.cursor()
	r = e.must(200, e.do("PATCH", "/Users/"+uid, tok, patchHead+`[
		{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@example.com"},
		{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"},
		{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0100"},
		{"op":"Add","path":"addresses[type eq \"work\"].formatted","value":"1 Main St"}]}`))
	if r.str("emails", "0", "value") != "updatedEmail@example.com" || r.str("name", "familyName") != "updatedFamilyName" || r.str("phoneNumbers", "0", "type") != "mobile" || r.str("addresses", "0", "formatted") != "1 Main St" {
		t.Fatalf("patch: %s", r.raw)
	}
	if r.str("meta", "lastModified") != "2026-03-01T12:01:00Z" {
		t.Fatalf("lastModified %s", r.str("meta", "lastModified"))
	}
	u = e.user(uid)
	if u.PrimaryEmail() != "updatedEmail@example.com" || u.FamilyName != "updatedFamilyName" {
		t.Fatalf("stored %+v", u)
	}
	r = e.must(200, e.do("PATCH", "/Users/"+uid, tok, patchHead+`[{"op":"Replace","path":"userName","value":"5b50642d@example.com"}]}`))
	if e.user(uid).UserName != "5b50642d@example.com" {
		t.Fatal("userName not replaced")
	}
	// Path-less replace with dotted keys and string booleans.
	e.must(200, e.do("PATCH", "/Users/"+uid, tok, patchHead+`[{"op":"replace","value":{"name.givenName":"Newgiven","displayName":"New Name","active":"True"}}]}`))
	if u = e.user(uid); u.GivenName != "Newgiven" || u.DisplayName != "New Name" || !u.Active {
		t.Fatalf("stored %+v", u)
	}
	evs, _ = e.events(c1)
	if len(evs) != 3 || evs[0].Type != EventUserUpdated {
		t.Fatalf("events %v", eventTypes(evs))
	}

	// The compliant (aadOptscim062020) form: one path-less replace whose
	// keys are paths, including a value-filtered one and an extension URN.
	r = e.must(200, e.do("PATCH", "/Users/"+uid, tok, patchHead+`[{"op":"replace","value":{
		"displayName":"Pvlo",
		"emails[type eq \"work\"].value":"TestBcwqnm@example.com",
		"name.givenName":"Ysmwilliam",
		"name.familyName":"Tsxwilliam",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Eqpj",
		"active":true}}]}`))
	if u = e.user(uid); u.DisplayName != "Pvlo" || u.PrimaryEmail() != "TestBcwqnm@example.com" || len(u.Emails) != 1 || u.GivenName != "Ysmwilliam" || r.str(EnterpriseSchemaURI, "employeeNumber") != "Eqpj" {
		t.Fatalf("compliant replace: %+v %s", u, r.raw)
	}
	// and the path-less add of a single attribute
	r = e.must(200, e.do("PATCH", "/Users/"+uid, tok, patchHead+`[{"op":"add","value":{"nickName":"Babs"}}]}`))
	if r.str("nickName") != "Babs" {
		t.Fatalf("add nickName: %s", r.raw)
	}

	// Manager: a second user, then manager as a plain string, then removed.
	mid := e.must(201, e.do("POST", "/Users", tok, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"boss@example.com","active":true}`)).str("id")
	r = e.must(200, e.do("PATCH", "/Users/"+uid, tok, patchHead+`[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"`+mid+`"}]}`))
	if r.str(EnterpriseSchemaURI, "manager", "value") != mid {
		t.Fatalf("manager: %s", r.raw)
	}
	e.must(200, e.do("PATCH", "/Users/"+uid, tok, patchHead+`[{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]}`))
	if strings.Contains(string(e.user(uid).Attributes), mid) {
		t.Fatal("manager not removed")
	}
	// App roles: string booleans in the value and in the value filter.
	e.must(200, e.do("PATCH", "/Users/"+uid, tok, patchHead+`[{"op":"Add","path":"roles","value":[{"value":"Admin","primary":"True","type":"WindowsAzureActiveDirectoryRole"}]}]}`))
	r = e.must(200, e.do("PATCH", "/Users/"+uid, tok, patchHead+`[{"op":"Replace","path":"roles[primary eq \"True\"].value","value":"Reader"}]}`))
	if r.str("roles", "0", "value") != "Reader" || r.get("roles", "0", "primary") != true {
		t.Fatalf("roles: %s", r.raw)
	}
	// Empty Operations: 200, nothing changes.
	v := e.user(uid).Version
	e.must(200, e.do("PATCH", "/Users/"+uid, tok, patchHead+`[]}`))
	if e.user(uid).Version != v {
		t.Fatal("empty Operations changed the user")
	}

	// Disable with a string boolean.
	c2 := e.cursor()
	r = e.must(200, e.do("PATCH", "/Users/"+uid, tok, patchHead+`[{"op":"Replace","path":"active","value":"False"}]}`))
	if r.get("active") != false || e.user(uid).Active {
		t.Fatalf("disable: %s", r.raw)
	}
	evs, _ = e.events(c2)
	if !slices.Equal(eventTypes(evs), []string{EventUserDeactivated}) {
		t.Fatalf("events %v", eventTypes(evs))
	}

	// Groups: legacy ADSCIM schema URI alongside the core one.
	c3 := e.cursor()
	r = e.must(201, e.do("POST", "/Groups", tok, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName","meta":{"resourceType":"Group"}}`))
	gid := r.str("id")
	if r.str("externalId") != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" {
		t.Fatalf("group create: %s", r.raw)
	}
	r = e.must(200, e.do("GET", "/Groups/"+gid+"?excludedAttributes=members", tok, nil))
	if _, ok := r.body["members"]; ok || r.str("displayName") != "displayName" {
		t.Fatalf("excludedAttributes=members: %s", r.raw)
	}
	r = e.must(200, e.do("GET", "/Groups?excludedAttributes=members&filter="+url.QueryEscape(`displayName eq "displayName"`), tok, nil))
	if r.get("totalResults") != 1.0 || strings.Contains(string(r.raw), `"members"`) {
		t.Fatalf("group list: %s", r.raw)
	}
	e.must(204, e.do("PATCH", "/Groups/"+gid, tok, patchHead+`[{"op":"Replace","path":"displayName","value":"1879db59updatedDisplayName"}]}`))
	e.must(204, e.do("PATCH", "/Groups/"+gid, tok, patchHead+`[{"op":"Add","path":"members","value":[{"$ref":null,"value":"`+uid+`"},{"$ref":null,"value":"`+mid+`"}]}]}`))
	if m := e.members(gid); len(m) != 2 {
		t.Fatalf("members %v", m)
	}
	// Remove with path members and a value array: only those members.
	e.must(204, e.do("PATCH", "/Groups/"+gid, tok, patchHead+`[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"`+uid+`"}]}]}`))
	if m := e.members(gid); !slices.Equal(m, []string{mid}) {
		t.Fatalf("members %v", m)
	}
	// Replace members with [] empties the group.
	e.must(204, e.do("PATCH", "/Groups/"+gid, tok, patchHead+`[{"op":"replace","path":"members","value":[]}]}`))
	if m := e.members(gid); len(m) != 0 {
		t.Fatalf("members %v", m)
	}
	evs, _ = e.events(c3)
	want := []string{EventGroupCreated, EventGroupUpdated, EventMembershipAdded, EventMembershipAdded, EventMembershipRemoved, EventMembershipRemoved}
	if got := eventTypes(evs); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	// An unknown member is refused and nothing changes.
	// The whole request is refused: the known member of the same request
	// is not added either.
	g0 := e.must(200, e.do("GET", "/Groups/"+gid, tok, nil))
	c5 := e.cursor()
	e.scimErr(e.do("PATCH", "/Groups/"+gid, tok, patchHead+`[{"op":"Add","path":"members","value":[{"value":"`+uid+`"},{"value":"usr_nope"}]}]}`), 400, "invalidValue")
	if m := e.members(gid); len(m) != 0 {
		t.Fatalf("members after refused add %v", m)
	}
	if evs, _ := e.events(c5); len(evs) != 0 {
		t.Fatalf("events after refused add %v", eventTypes(evs))
	}
	if g := e.must(200, e.do("GET", "/Groups/"+gid, tok, nil)); g.header.Get("ETag") != g0.header.Get("ETag") || g.str("meta", "lastModified") != g0.str("meta", "lastModified") {
		t.Fatalf("group written by a refused add: %s -> %s", g0.raw, g.raw)
	}

	// Delete user: 204, then 404, and memberships go with it.
	e.must(204, e.do("PATCH", "/Groups/"+gid, tok, patchHead+`[{"op":"add","path":"members","value":[{"value":"`+uid+`"}]}]}`))
	c4 := e.cursor()
	e.must(204, e.do("DELETE", "/Users/"+uid, tok, nil))
	e.scimErr(e.do("GET", "/Users/"+uid, tok, nil), 404, "")
	e.scimErr(e.do("DELETE", "/Users/"+uid, tok, nil), 404, "")
	evs, _ = e.events(c4)
	if got := eventTypes(evs); !slices.Equal(got, []string{EventUserDeleted, EventMembershipRemoved}) {
		t.Fatalf("events %v", got)
	}
	if st, _, _ := UserStatus(ctx, e.st, e.org.ID, "5b50642d@example.com"); st != UserUnknown {
		t.Fatalf("deleted user status %v", st)
	}
	e.must(204, e.do("DELETE", "/Groups/"+gid, tok, nil))
	e.scimErr(e.do("GET", "/Groups/"+gid, tok, nil), 404, "")
}
