package scimkit

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

func TestBeforeChangeHook(t *testing.T) {
	var seen []ChangeKind
	st := memstore.New()
	e := newTestEnvStore(t, st, func(c *Config) {
		c.BeforeChange = func(ctx context.Context, ch *Change) error {
			seen = append(seen, ch.Kind)
			if d, ok := DirectoryFromContext(ctx); !ok || d.ID != ch.Directory.ID {
				return errors.New("no directory in context")
			}
			switch {
			case ch.Kind == UserCreate && strings.HasPrefix(ch.User.UserName, "seat"):
				// A seat limit, counted through the Store from the hook.
				_, n, err := st.ListDirectoryUsers(ctx, ch.Directory.ID, store.UserQuery{Limit: 0})
				if err != nil {
					return err
				}
				if n >= 1 {
					return &RefusalError{Status: 403, ScimType: "", Detail: "Seat limit reached: upgrade your plan."}
				}
			case ch.Kind == UserUpdate && ch.PreviousUser.Active && !ch.User.Active && ch.User.UserName == "ceo@example.com":
				return &RefusalError{Status: 400, ScimType: "invalidValue", Detail: "The CEO cannot be deactivated."}
			case ch.Kind == GroupUpdate && len(ch.MemberOps) > 0 && ch.Group.DisplayName == "Frozen":
				return &RefusalError{Status: 409, Detail: "This group is managed by policy."}
			case ch.Kind == UserDelete && ch.PreviousUser.UserName == "broken@example.com":
				return errors.New("policy engine down: secret-db-host:5432")
			}
			return nil
		}
	})
	tok := e.token
	e.must(201, e.do("POST", "/Users", tok, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"seat1@example.com"}`))
	c0 := e.cursor()
	r := e.do("POST", "/Users", tok, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"seat2@example.com"}`)
	e.scimErr(r, 403, "")
	if r.str("detail") != "Seat limit reached: upgrade your plan." {
		t.Fatalf("detail: %s", r.raw)
	}
	ceo := e.must(201, e.do("POST", "/Users", tok, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ceo@example.com"}`)).str("id")
	c1 := e.cursor()
	e.scimErr(e.do("PATCH", "/Users/"+ceo, tok, patchHead+`[{"op":"replace","value":{"active":false}}]}`), 400, "invalidValue")
	if !e.user(ceo).Active {
		t.Fatal("refused change written")
	}
	if evs, _ := e.events(c1); len(evs) != 0 {
		t.Fatalf("events after refusal: %v", eventTypes(evs))
	}
	gid := e.must(201, e.do("POST", "/Groups", tok, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Frozen"}`)).str("id")
	e.scimErr(e.do("PATCH", "/Groups/"+gid, tok, patchHead+`[{"op":"add","path":"members","value":[{"value":"`+ceo+`"}]}]}`), 409, "")
	if len(e.members(gid)) != 0 {
		t.Fatal("refused membership written")
	}
	b := e.must(201, e.do("POST", "/Users", tok, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"broken@example.com"}`)).str("id")
	r = e.do("DELETE", "/Users/"+b, tok, nil)
	e.scimErr(r, 500, "")
	if strings.Contains(string(r.raw), "secret-db-host") {
		t.Fatal("hook error echoed")
	}
	e.user(b)
	if n := len(seen); n < 6 {
		t.Fatalf("hook calls %v", seen)
	}
	if evs, _ := e.events(c0); !slices.Equal(eventTypes(evs), []string{EventUserCreated, EventGroupCreated, EventUserCreated}) {
		t.Fatalf("events %v", eventTypes(evs)) // ceo, Frozen, broken: nothing for the refusals
	}
}

func TestOutsideDomains(t *testing.T) {
	ctx := context.Background()
	// Default: mark.
	e := newTestEnv(t, nil)
	in := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"in@Example.COM","emails":[{"value":"in@example.com"}]}`)).str("id")
	out := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"contractor@gmail.com"}`)).str("id")
	mixed := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"m@example.com","emails":[{"value":"m@example.com.evil.com"}]}`)).str("id")
	nomail := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jdoe"}`)).str("id")
	if e.user(in).OutsideDomains || !e.user(out).OutsideDomains || !e.user(mixed).OutsideDomains || e.user(nomail).OutsideDomains {
		t.Fatal("OutsideDomains wrong")
	}
	// A domain verified by another organization does not count.
	if err := e.st.CreateOrganization(ctx, &store.Organization{ID: "org_b", Name: "B", CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateDomain(ctx, &store.Domain{ID: "dom_b", OrgID: "org_b", Name: "other.com", State: store.DomainVerified, Method: store.DomainManual, CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	o := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x@other.com"}`)).str("id")
	if !e.user(o).OutsideDomains {
		t.Fatal("another org's domain counted")
	}
	// Moving into the domain clears the mark.
	e.must(200, e.do("PATCH", "/Users/"+out, e.token, patchHead+`[{"op":"replace","path":"userName","value":"contractor@example.com"}]}`))
	if e.user(out).OutsideDomains {
		t.Fatal("mark kept")
	}

	// Refuse policy: 400 and nothing written.
	r := newTestEnv(t, func(c *Config) { c.OutsideDomains = OutsideDomainsRefuse })
	c0 := r.cursor()
	r.scimErr(r.do("POST", "/Users", r.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"contractor@gmail.com"}`), 400, "invalidValue")
	if evs, _ := r.events(c0); len(evs) != 0 {
		t.Fatal("refused user reported")
	}
	id := r.must(201, r.do("POST", "/Users", r.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ok@example.com"}`)).str("id")
	r.scimErr(r.do("PATCH", "/Users/"+id, r.token, patchHead+`[{"op":"add","path":"emails","value":[{"value":"ok@gmail.com"}]}]}`), 400, "invalidValue")
}

func TestListPaginationSortProjection(t *testing.T) {
	forEachStore(t, testListPaginationSortProjection)
}

func testListPaginationSortProjection(t *testing.T, mk envMaker) {
	e := mk(t, nil)
	names := []string{"carol", "alice", "eve", "bob", "dave"}
	for _, n := range names {
		e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"`+n+`@example.com","name":{"givenName":"`+strings.ToUpper(n)+`","familyName":"F"},"emails":[{"value":"`+n+`@example.com","type":"work"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D","employeeNumber":"`+n+`"}}`))
		e.clock.Add(1e9)
	}
	// Pages are stable and complete.
	var got []string
	for start := 1; start <= 5; start += 2 {
		r := e.must(200, e.do("GET", "/Users?sortBy=userName&sortOrder=descending&startIndex="+itoa(start)+"&count=2", e.token, nil))
		if r.get("totalResults") != 5.0 || r.get("startIndex") != float64(start) {
			t.Fatalf("page: %s", r.raw)
		}
		for _, res := range r.get("Resources").([]any) {
			got = append(got, res.(map[string]any)["userName"].(string))
		}
	}
	if strings.Join(got, ",") != "eve@example.com,dave@example.com,carol@example.com,bob@example.com,alice@example.com" {
		t.Fatalf("sorted pages %v", got)
	}
	r := e.must(200, e.do("GET", "/Users?startIndex=0&count=1", e.token, nil))
	if r.str("Resources", "0", "userName") != "carol@example.com" || r.get("startIndex") != 1.0 {
		t.Fatalf("default order / startIndex 0: %s", r.raw)
	}
	r = e.must(200, e.do("GET", "/Users?startIndex=10", e.token, nil))
	if r.get("itemsPerPage") != 0.0 || !strings.Contains(string(r.raw), `"Resources":[]`) {
		t.Fatalf("past the end: %s", r.raw)
	}
	e.scimErr(e.do("GET", "/Users?sortBy=password", e.token, nil), 400, "invalidValue")
	e.scimErr(e.do("GET", "/Users?sortOrder=sideways", e.token, nil), 400, "invalidValue")

	// attributes
	r = e.must(200, e.do("GET", "/Users?count=1&attributes=userName,name.givenName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", e.token, nil))
	res := r.get("Resources", "0").(map[string]any)
	keys := sortedKeys(res)
	if strings.Join(keys, ",") != "id,name,schemas,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,userName" {
		t.Fatalf("attributes keys %v: %s", keys, r.raw)
	}
	if n := res["name"].(map[string]any); len(n) != 1 || n["givenName"] != "CAROL" {
		t.Fatalf("name %v", n)
	}
	if ext := res[EnterpriseSchemaURI].(map[string]any); len(ext) != 1 || ext["department"] != "D" {
		t.Fatalf("ext %v", ext)
	}
	// excludedAttributes on a single GET
	id := res["id"].(string)
	r = e.must(200, e.do("GET", "/Users/"+id+"?excludedAttributes=emails,meta,name.familyName,id", e.token, nil))
	if r.get("emails") != nil || r.get("meta") != nil || r.get("name", "familyName") != nil || r.str("name", "givenName") != "CAROL" || r.str("id") != id {
		t.Fatalf("excludedAttributes: %s", r.raw)
	}
	// POST .search
	r = e.must(200, e.do("POST", "/Users/.search", e.token, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"attributes":["userName"],"filter":"userName sw \"b\" or userName sw \"d\"","sortBy":"userName","startIndex":1,"count":10}`))
	if r.get("totalResults") != 2.0 || r.str("Resources", "0", "userName") != "bob@example.com" || r.get("Resources", "0", "emails") != nil {
		t.Fatalf(".search: %s", r.raw)
	}
	e.scimErr(e.do("POST", "/Users/.search", e.token, `{"filter":"nope nope"}`), 400, "invalidFilter")
	e.scimErr(e.do("GET", "/Users/.search", e.token, nil), 405, "")
}

func sortedKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestETags(t *testing.T) {
	e := newTestEnv(t, nil)
	r := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@example.com"}`))
	id, tag := r.str("id"), r.header.Get("ETag")
	if tag != `W/"1"` || r.str("meta", "version") != tag {
		t.Fatalf("etag %q: %s", tag, r.raw)
	}
	do := func(method, body, ifMatch string) resp {
		req := patchHead + `[{"op":"replace","path":"displayName","value":"` + body + `"}]}`
		return e.doHeader(method, "/Users/"+id, req, map[string]string{"If-Match": ifMatch})
	}
	e.scimErr(do("PATCH", "x", `W/"7"`), 412, "")
	r = e.must(200, do("PATCH", "y", `W/"1"`))
	if r.header.Get("ETag") != `W/"2"` || e.user(id).DisplayName != "y" {
		t.Fatalf("If-Match: %s", r.raw)
	}
	if r := e.doHeader("GET", "/Users/"+id, "", map[string]string{"If-None-Match": `W/"2"`}); r.status != 304 {
		t.Fatalf("If-None-Match current: %d", r.status)
	}
	e.must(200, e.doHeader("GET", "/Users/"+id, "", map[string]string{"If-None-Match": `W/"1"`}))
	e.scimErr(e.doHeader("DELETE", "/Users/"+id, "", map[string]string{"If-Match": `W/"1"`}), 412, "")
	e.user(id)
	gid := e.must(201, e.do("POST", "/Groups", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G"}`)).str("id")
	if r := e.doHeader("GET", "/Groups/"+gid, "", map[string]string{"If-None-Match": `W/"1"`}); r.status != 304 {
		t.Fatalf("group If-None-Match: %d", r.status)
	}
	e.scimErr(e.doHeader("PATCH", "/Groups/"+gid, patchHead+`[{"op":"replace","path":"displayName","value":"H"}]}`, map[string]string{"If-Match": `W/"9"`}), 412, "")

	// PUT honours If-Match on users and groups.
	put := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@example.com","displayName":"z"}`
	e.scimErr(e.doHeader("PUT", "/Users/"+id, put, map[string]string{"If-Match": `W/"1"`}), 412, "")
	if u := e.user(id); u.DisplayName != "y" || u.Version != 2 {
		t.Fatalf("stale PUT written: %+v", u)
	}
	r = e.must(200, e.doHeader("PUT", "/Users/"+id, put, map[string]string{"If-Match": `W/"2"`}))
	if r.header.Get("ETag") != `W/"3"` || e.user(id).DisplayName != "z" {
		t.Fatalf("PUT with current If-Match: %s", r.raw)
	}
	gput := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"H"}`
	e.scimErr(e.doHeader("PUT", "/Groups/"+gid, gput, map[string]string{"If-Match": `W/"9"`}), 412, "")
	r = e.must(200, e.doHeader("PUT", "/Groups/"+gid, gput, map[string]string{"If-Match": `W/"1"`}))
	if r.header.Get("ETag") != `W/"2"` || r.str("displayName") != "H" {
		t.Fatalf("group PUT with current If-Match: %s", r.raw)
	}

	// A members-only PATCH honours If-Match too, and nothing is added on 412.
	members := patchHead + `[{"op":"add","path":"members","value":[{"value":"` + id + `"}]}]}`
	e.scimErr(e.doHeader("PATCH", "/Groups/"+gid, members, map[string]string{"If-Match": `W/"1"`}), 412, "")
	if m := e.members(gid); len(m) != 0 {
		t.Fatalf("members added despite 412: %v", m)
	}
	r = e.must(204, e.doHeader("PATCH", "/Groups/"+gid, members, map[string]string{"If-Match": `W/"2"`}))
	if r.header.Get("ETag") != `W/"3"` || !slices.Equal(e.members(gid), []string{id}) {
		t.Fatalf("members-only PATCH with current If-Match: %s %v", r.header.Get("ETag"), e.members(gid))
	}
}

func TestDiscovery(t *testing.T) {
	e := newTestEnv(t, nil)
	base := "https://app.example.com/scim/" + e.dir.ID
	r := e.must(200, e.do("GET", "/ServiceProviderConfig", e.token, nil))
	if r.get("patch", "supported") != true || r.get("bulk", "supported") != false || r.get("filter", "supported") != true ||
		r.get("sort", "supported") != true || r.get("etag", "supported") != true || r.get("changePassword", "supported") != false ||
		r.str("meta", "location") != base+"/ServiceProviderConfig" || r.str("meta", "resourceType") != "ServiceProviderConfig" ||
		r.str("authenticationSchemes", "0", "type") != "oauthbearertoken" {
		t.Fatalf("spc: %s", r.raw)
	}
	r = e.must(200, e.do("GET", "/ResourceTypes", e.token, nil))
	if r.get("totalResults") != 2.0 || r.str("Resources", "0", "endpoint") != "/Users" || r.str("Resources", "0", "meta", "location") != base+"/ResourceTypes/User" ||
		r.str("Resources", "0", "schemaExtensions", "0", "schema") != EnterpriseSchemaURI || r.str("Resources", "1", "schema") != GroupSchemaURI {
		t.Fatalf("resource types: %s", r.raw)
	}
	r = e.must(200, e.do("GET", "/ResourceTypes/Group", e.token, nil))
	if r.str("id") != "Group" || r.str("meta", "resourceType") != "ResourceType" {
		t.Fatalf("resource type: %s", r.raw)
	}
	r = e.must(200, e.do("GET", "/Schemas", e.token, nil))
	if r.get("totalResults") != 3.0 {
		t.Fatalf("schemas: %s", r.raw)
	}
	for i := range 3 {
		if r.str("Resources", itoa(i), "meta", "resourceType") != "Schema" || !strings.HasPrefix(r.str("Resources", itoa(i), "meta", "location"), base+"/Schemas/urn:") {
			t.Fatalf("schema meta: %s", r.raw)
		}
	}
	r = e.must(200, e.do("GET", "/Schemas/"+url.PathEscape(UserSchemaURI), e.token, nil))
	if r.str("id") != UserSchemaURI || r.get("attributes") == nil {
		t.Fatalf("schema: %s", r.raw)
	}
	e.scimErr(e.do("GET", "/Schemas/urn:nope", e.token, nil), 404, "")
	if e.srv.EndpointURL(e.dir.ID) != base {
		t.Fatal("EndpointURL")
	}
}

func TestNew(t *testing.T) {
	for _, c := range []Config{
		{},
		{Store: memstore.New()},
		{Store: memstore.New(), BaseURL: "/scim"},
		{Store: memstore.New(), BaseURL: "ftp://x/scim"},
		{Store: memstore.New(), BaseURL: "https://x/scim?a=b"},
		{Store: memstore.New(), BaseURL: "https://x/scim", OutsideDomains: 7},
		{Store: memstore.New(), BaseURL: "https://x/scim", MaxResults: -1},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	if _, err := New(Config{Store: memstore.New(), BaseURL: "https://x/scim/"}); err != nil {
		t.Fatal(err)
	}
}
