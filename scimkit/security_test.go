package scimkit

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

func TestAuthentication(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	uid := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@example.com"}`)).str("id")

	tests := []struct {
		name  string
		token string
		path  string
	}{
		{"no token", "", "/Users"},
		{"garbage", "hello", "/Users"},
		{"well-formed unknown", "scim_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "/Users"},
		{"right token in query string", "", "/Users?access_token=" + url.QueryEscape(e.token)},
		{"token in query string even with header", e.token, "/Users?access_token=" + url.QueryEscape(e.token)},
		{"discovery needs a token", "", "/ServiceProviderConfig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", tt.path, tt.token, nil)
			e.scimErr(r, 401, "")
			if r.header.Get("WWW-Authenticate") == "" {
				t.Fatal("no WWW-Authenticate")
			}
			if strings.Contains(string(r.raw), "a@example.com") {
				t.Fatal("data leaked")
			}
		})
	}
	for _, reason := range []string{"token in query string refused", "missing or malformed bearer token", "unknown bearer token"} {
		if !strings.Contains(e.logs(), reason) {
			t.Errorf("log lacks %q", reason)
		}
	}
	// Basic auth scheme is refused.
	req, _ := http.NewRequest("GET", e.hs.URL+"/scim/"+e.dir.ID+"/Users", nil)
	req.SetBasicAuth("x", e.token)
	res, err := e.hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("basic auth: %d", res.StatusCode)
	}

	// Rotation: two tokens work at once, a third is refused.
	tok2, t2, err := e.srv.RotateToken(ctx, e.dir.ID, TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tok2 == e.token || !strings.HasPrefix(tok2, TokenPrefix) || len(t2.Digest) != 32 || strings.Contains(string(t2.Digest), tok2) {
		t.Fatalf("token %q %+v", tok2, t2)
	}
	e.must(200, e.do("GET", "/Users/"+uid, e.token, nil))
	e.must(200, e.do("GET", "/Users/"+uid, tok2, nil))
	if _, _, err := e.srv.RotateToken(ctx, e.dir.ID, TokenOptions{}); !errors.Is(err, ErrTooManyTokens) {
		t.Fatalf("third token: %v", err)
	}
	toks, err := e.srv.ListTokens(ctx, e.dir.ID)
	if err != nil || len(toks) != 2 {
		t.Fatalf("ListTokens %d %v", len(toks), err)
	}
	// Revoke the old one: refused at once; the new one keeps working.
	var oldID string
	for _, tk := range toks {
		if tk.ID != t2.ID {
			oldID = tk.ID
		}
	}
	if err := e.srv.RevokeToken(ctx, e.dir.ID, oldID); err != nil {
		t.Fatal(err)
	}
	e.scimErr(e.do("GET", "/Users/"+uid, e.token, nil), 401, "")
	e.must(200, e.do("GET", "/Users/"+uid, tok2, nil))
	// Expiring token.
	tok3, _, err := e.srv.CreateToken(ctx, e.dir.ID, TokenOptions{ExpiresAt: e.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	e.must(200, e.do("GET", "/Users/"+uid, tok3, nil))
	e.clock.Add(time.Hour)
	e.scimErr(e.do("GET", "/Users/"+uid, tok3, nil), 401, "")
	if err := e.srv.RevokeToken(ctx, e.dir.ID, "dtok_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	if strings.Contains(e.logs(), tok2) || strings.Contains(e.logs(), e.token) {
		t.Fatal("token logged")
	}

	// Inactive directory: 403 with a valid token, 401 without.
	if _, err := e.srv.DeactivateDirectory(ctx, e.dir.ID, ""); err != nil {
		t.Fatal(err)
	}
	e.scimErr(e.do("GET", "/Users/"+uid, tok2, nil), 403, "")
	e.scimErr(e.do("POST", "/Users", tok2, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@example.com"}`), 403, "")
	e.scimErr(e.do("GET", "/Users/"+uid, "", nil), 401, "")
	if _, err := e.srv.ActivateDirectory(ctx, e.dir.ID, ""); err != nil {
		t.Fatal(err)
	}
	e.must(200, e.do("GET", "/Users/"+uid, tok2, nil))
	evs, _ := e.events(0)
	var seen []string
	for _, ev := range evs {
		if strings.HasPrefix(ev.Type, "directory.") && !strings.HasPrefix(ev.Type, "directory.user") && ev.Type != EventRequestRefused {
			seen = append(seen, ev.Type)
		}
	}
	if n := len(evs) - len(seen); n == 0 {
		t.Error("no refused request was recorded")
	}
	want := "directory.created directory.activated directory.token.created directory.token.created directory.token.revoked directory.token.created directory.deactivated directory.activated"
	if strings.Join(seen, " ") != want {
		t.Fatalf("directory events %v", seen)
	}
}

// TestCrossDirectory sends directory A's token to directory B's endpoint
// and B's resource ids to A's endpoint, for every verb.
func TestCrossDirectory(t *testing.T) { forEachStore(t, testCrossDirectory) }

func testCrossDirectory(t *testing.T, mk envMaker) {
	e := mk(t, nil)
	ctx := context.Background()
	dirB, err := e.srv.CreateDirectory(ctx, e.org.ID, DirectoryOptions{Provider: "entra", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	tokB, _, err := e.srv.CreateToken(ctx, dirB.ID, TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	userB := e.must(201, e.doDir(dirB.ID, "POST", "/Users", tokB, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@example.com","externalId":"ext-b"}`)).str("id")
	groupB := e.must(201, e.doDir(dirB.ID, "POST", "/Groups", tokB, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"B group","members":[{"value":"`+userB+`"}]}`)).str("id")
	userA := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@example.com"}`)).str("id")
	before, _ := e.st.GetDirectoryUser(ctx, dirB.ID, userB)
	c0 := e.cursor()

	userBody := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"pwned@example.com"}`
	groupBody := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"pwned"}`
	patch := patchHead + `[{"op":"replace","value":{"active":false,"displayName":"pwned"}}]}`
	// A's token on B's endpoint: 401 for every verb and path.
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/Users", ""}, {"POST", "/Users", userBody}, {"POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}`},
		{"GET", "/Users/" + userB, ""}, {"PUT", "/Users/" + userB, userBody}, {"PATCH", "/Users/" + userB, patch}, {"DELETE", "/Users/" + userB, ""},
		{"GET", "/Groups", ""}, {"POST", "/Groups", groupBody},
		{"GET", "/Groups/" + groupB, ""}, {"PUT", "/Groups/" + groupB, groupBody}, {"PATCH", "/Groups/" + groupB, patch}, {"DELETE", "/Groups/" + groupB, ""},
		{"GET", "/ServiceProviderConfig", ""}, {"GET", "/Schemas", ""}, {"GET", "/ResourceTypes", ""},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		e.scimErr(e.doDir(dirB.ID, c.method, c.path, e.token, body), 401, "")
	}
	if !strings.Contains(e.logs(), "token of another directory") {
		t.Error("the cross-directory attempt is not in the log")
	}
	// A's token on A's endpoint with B's ids: 404.
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/Users/" + userB, ""}, {"PUT", "/Users/" + userB, userBody}, {"PATCH", "/Users/" + userB, patch}, {"DELETE", "/Users/" + userB, ""},
		{"GET", "/Groups/" + groupB, ""}, {"PUT", "/Groups/" + groupB, groupBody}, {"PATCH", "/Groups/" + groupB, patch}, {"DELETE", "/Groups/" + groupB, ""},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		e.scimErr(e.do(c.method, c.path, e.token, body), 404, "")
	}
	// B's user or group as a member of A's group: refused, not adopted,
	// whether by POST, PATCH (with path, without path, replace) or PUT.
	e.scimErr(e.do("POST", "/Groups", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"A group","members":[{"value":"`+userB+`"}]}`), 400, "invalidValue")
	groupA := e.must(201, e.do("POST", "/Groups", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"A group","members":[{"value":"`+userA+`"}]}`)).str("id")
	cg := e.cursor()
	for _, c := range []struct{ method, body string }{
		{"PATCH", patchHead + `[{"op":"add","path":"members","value":[{"value":"` + userB + `"}]}]}`},
		{"PATCH", patchHead + `[{"op":"Add","value":{"members":[{"value":"` + groupB + `"}]}}]}`},
		{"PATCH", patchHead + `[{"op":"replace","path":"members","value":[{"value":"` + userA + `"},{"value":"` + userB + `"}]}]}`},
		{"PUT", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"A group","members":[{"value":"` + userB + `"}]}`},
	} {
		e.scimErr(e.do(c.method, "/Groups/"+groupA, e.token, c.body), 400, "invalidValue")
		if m := e.members(groupA); !slices.Equal(m, []string{userA}) {
			t.Fatalf("%s %s: A's group members %v", c.method, c.body, m)
		}
	}
	if evs, _ := e.events(cg); len(evs) != 0 {
		t.Fatalf("events after refused cross-directory members: %v", eventTypes(evs))
	}
	if gs, err := e.st.ListMemberGroups(ctx, dirB.ID, userB); err != nil || len(gs) != 1 || gs[0].ID != groupB {
		t.Fatalf("B user's groups %+v %v", gs, err)
	}
	// Filters on A never see B.
	r := e.must(200, e.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "b@example.com" or id eq "`+userB+`"`), e.token, nil))
	if r.get("totalResults") != 0.0 {
		t.Fatalf("A sees B: %s", r.raw)
	}
	r = e.must(200, e.do("GET", "/Groups?filter="+url.QueryEscape(`members[value eq "`+userB+`"]`), e.token, nil))
	if r.get("totalResults") != 0.0 {
		t.Fatalf("A sees B's groups: %s", r.raw)
	}
	// Uniqueness is per directory: A may have B's userName and externalId.
	e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@example.com","externalId":"ext-b"}`))
	// ...but not twice, and not B's externalId with another userName in A.
	e.scimErr(e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"c@example.com","externalId":"ext-b"}`), 409, "uniqueness")
	e.scimErr(e.do("PATCH", "/Users/"+userA, e.token, patchHead+`[{"op":"replace","path":"userName","value":"B@EXAMPLE.COM"}]}`), 409, "uniqueness")

	after, err := e.st.GetDirectoryUser(ctx, dirB.ID, userB)
	if err != nil || after.Version != before.Version || after.UserName != before.UserName || !after.Active {
		t.Fatalf("B changed: %+v %v", after, err)
	}
	if g, err := e.st.GetDirectoryGroup(ctx, dirB.ID, groupB); err != nil || g.DisplayName != "B group" {
		t.Fatalf("B group changed: %+v %v", g, err)
	}
	evs, _ := e.events(c0)
	for _, ev := range evs {
		if ev.Type == EventRequestRefused {
			// The refusals of A's token at B's endpoint are recorded for
			// B's IT admin (what went wrong), without the token.
			if strings.Contains(string(ev.Data), TokenPrefix) {
				t.Fatalf("a token in a refusal event: %s", ev.Data)
			}
			continue
		}
		if strings.Contains(string(ev.Data), dirB.ID) {
			t.Fatalf("event about B: %s %s", ev.Type, ev.Data)
		}
	}
}

func TestFilterInjectionNeverFailsOpen(t *testing.T) {
	forEachStore(t, testFilterInjectionNeverFailsOpen)
}

func testFilterInjectionNeverFailsOpen(t *testing.T, mk envMaker) {
	e := mk(t, nil)
	e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@example.com"}`))
	e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@example.com"}`))
	for _, f := range []string{
		`userName eq "x" or "1" eq "1"`,
		`userName eq "x" or 1 eq 1`,
		`userName eq "x" or true`,
		`userName eq "x\" or userName pr or userName eq \"y"`,
		`userName eq "x' OR '1'='1"`,
		`userName eq "x"; DROP TABLE users`,
		`userName eq "x" or password pr`,
		`userName eq "x" or urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr`,
		`userName eq "x" or userName zz "y"`,
		`userName eq "x")`,
		strings.Repeat("(", 5000) + `userName pr` + strings.Repeat(")", 5000),
	} {
		r := e.do("GET", "/Users?filter="+url.QueryEscape(f), e.token, nil)
		if r.status == 200 {
			if r.get("totalResults") != 0.0 {
				t.Fatalf("%s: failed open: %s", f, r.raw)
			}
			continue
		}
		e.scimErr(r, 400, "invalidFilter")
	}
	// The escaped quote stays inside the literal.
	r := e.must(200, e.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "x\" or userName pr or userName eq \"y"`), e.token, nil))
	if r.get("totalResults") != 0.0 {
		t.Fatalf("escape: %s", r.raw)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestMutabilityAndPassword(t *testing.T) {
	secrets := []string{"Sup3r", "An0ther", "Th1rd", "F0urth", "F1fth", "S1xth", "S3venth"}
	e := newTestEnv(t, nil)
	r := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"forged","userName":"a@example.com","password":"Sup3rSecret!","meta":{"created":"2001-01-01T00:00:00Z","location":"https://evil.example/x"}}`))
	id := r.str("id")
	if id == "forged" || r.str("meta", "created") == "2001-01-01T00:00:00Z" || strings.Contains(r.str("meta", "location"), "evil") {
		t.Fatalf("read-only attributes written: %s", r.raw)
	}
	e.scimErr(e.do("PATCH", "/Users/"+id, e.token, patchHead+`[{"op":"replace","path":"id","value":"x"}]}`), 400, "mutability")
	e.scimErr(e.do("PATCH", "/Users/"+id, e.token, patchHead+`[{"op":"replace","path":"meta.lastModified","value":"x"}]}`), 400, "mutability")
	e.must(200, e.do("PATCH", "/Users/"+id, e.token, patchHead+`[{"op":"replace","value":{"id":"x","meta":{"version":"1"}}}]}`))
	e.must(200, e.do("PATCH", "/Users/"+id, e.token, patchHead+`[{"op":"replace","path":"password","value":"An0ther!"}]}`))
	e.must(200, e.do("PATCH", "/Users/"+id, e.token, patchHead+`[{"op":"replace","path":"Password","value":"Th1rd!"}]}`))
	e.must(200, e.do("PATCH", "/Users/"+id, e.token, patchHead+`[{"op":"Replace","value":{"Password":"F0urth!","PASSWORD":"F1fth!"}}]}`))
	e.must(200, e.do("PUT", "/Users/"+id, e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@example.com","Password":"S1xth!"}`))
	e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@example.com","PassWord":"S3venth!"}`))
	for _, p := range []string{"/Users/" + id, "/Users", "/Users/" + id + "?attributes=password", "/Users?attributes=password,userName"} {
		r := e.must(200, e.do("GET", p, e.token, nil))
		if strings.Contains(strings.ToLower(string(r.raw)), "password") || containsAny(string(r.raw), secrets...) {
			t.Fatalf("%s: password returned: %s", p, r.raw)
		}
	}
	users, _, err := e.st.ListDirectoryUsers(context.Background(), e.dir.ID, store.UserQuery{Limit: 10})
	if err != nil || len(users) != 2 {
		t.Fatalf("users %d %v", len(users), err)
	}
	for _, u := range users {
		if containsAny(string(u.Attributes), secrets...) || strings.Contains(strings.ToLower(string(u.Attributes)), "password") {
			t.Fatalf("password stored: %s", u.Attributes)
		}
	}
	evs, _ := e.events(0)
	for _, ev := range evs {
		if containsAny(string(ev.Data), secrets...) {
			t.Fatalf("password in an event: %s", ev.Data)
		}
	}
	if containsAny(e.logs(), secrets...) {
		t.Fatal("password logged")
	}
}

func TestLimits(t *testing.T) {
	e := newTestEnv(t, func(c *Config) {
		c.MaxBodyBytes = 4096
		c.MaxResults = 5
		c.MaxPatchOperations = 10
		c.MaxMembersPerRequest = 3
	})
	for i := range 7 {
		e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u`+itoa(i)+`@example.com"}`))
	}
	r := e.must(200, e.do("GET", "/Users?count=10000000", e.token, nil))
	if r.get("itemsPerPage") != 5.0 || r.get("totalResults") != 7.0 || len(r.get("Resources").([]any)) != 5 {
		t.Fatalf("count cap: %s", r.raw)
	}
	r = e.must(200, e.do("GET", "/ServiceProviderConfig", e.token, nil))
	if r.get("filter", "maxResults") != 5.0 {
		t.Fatalf("maxResults: %s", r.raw)
	}
	r = e.must(200, e.do("GET", "/Users?count=-3", e.token, nil))
	if r.get("itemsPerPage") != 0.0 || r.get("totalResults") != 7.0 || !strings.Contains(string(r.raw), `"Resources":[]`) {
		t.Fatalf("negative count: %s", r.raw)
	}
	e.scimErr(e.do("GET", "/Users?count=abc", e.token, nil), 400, "invalidValue")
	big := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x@example.com","displayName":"` + strings.Repeat("a", 5000) + `"}`
	e.scimErr(e.do("POST", "/Users", e.token, big), 413, "")
	var ops []string
	for range 11 {
		ops = append(ops, `{"op":"replace","path":"displayName","value":"x"}`)
	}
	uid := e.must(200, e.do("GET", "/Users?count=1", e.token, nil)).str("Resources", "0", "id")
	e.scimErr(e.do("PATCH", "/Users/"+uid, e.token, patchHead+"["+strings.Join(ops, ",")+"]}"), 413, "")
	e.scimErr(e.do("POST", "/Groups", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g","members":[{"value":"1"},{"value":"2"},{"value":"3"},{"value":"4"}]}`), 413, "")
	// Content types
	req, _ := http.NewRequest("POST", e.hs.URL+"/scim/"+e.dir.ID+"/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ct@example.com"}`))
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := e.hs.Client().Do(req)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("application/json: %v %v", res.StatusCode, err)
	}
	res.Body.Close()
	req, _ = http.NewRequest("POST", e.hs.URL+"/scim/"+e.dir.ID+"/Users", strings.NewReader(`userName=x`))
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err = e.hs.Client().Do(req)
	if err != nil || res.StatusCode != 415 {
		t.Fatalf("form: %v %v", res.StatusCode, err)
	}
	res.Body.Close()
	e.scimErr(e.do("POST", "/Users", e.token, `not json`), 400, "invalidSyntax")
	e.scimErr(e.do("POST", "/Users", e.token, `[]`), 400, "invalidSyntax")
	e.scimErr(e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}`), 400, "invalidValue")
	e.scimErr(e.do("DELETE", "/Users", e.token, nil), 405, "")
	e.scimErr(e.do("GET", "/Nope", e.token, nil), 404, "")
}

// failingStore makes one Store method fail with an error whose text must
// not reach the client.
type failingStore struct {
	store.Store
	fail string
}

func (f failingStore) err(method string) error {
	if f.fail == method {
		return errors.New("pq: relation users at 10.0.0.7 password=hunter2 exploded")
	}
	return nil
}

func (f failingStore) CreateDirectoryUser(ctx context.Context, u *store.DirectoryUser, evs ...store.Event) error {
	if err := f.err("CreateDirectoryUser"); err != nil {
		return err
	}
	return f.Store.CreateDirectoryUser(ctx, u, evs...)
}

func (f failingStore) GetDirectoryUser(ctx context.Context, dirID, id string) (*store.DirectoryUser, error) {
	if err := f.err("GetDirectoryUser"); err != nil {
		return nil, err
	}
	return f.Store.GetDirectoryUser(ctx, dirID, id)
}

func (f failingStore) ListDirectoryUsers(ctx context.Context, dirID string, q store.UserQuery) ([]store.DirectoryUser, int, error) {
	if err := f.err("ListDirectoryUsers"); err != nil {
		return nil, 0, err
	}
	return f.Store.ListDirectoryUsers(ctx, dirID, q)
}

func (f failingStore) UpdateDirectoryUser(ctx context.Context, dirID, id string, fn func(*store.DirectoryUser) ([]store.Event, error)) (*store.DirectoryUser, error) {
	if err := f.err("UpdateDirectoryUser"); err != nil {
		return nil, err
	}
	return f.Store.UpdateDirectoryUser(ctx, dirID, id, fn)
}

func (f failingStore) DeleteDirectoryUser(ctx context.Context, dirID, id string, evs func(*store.DirectoryUser, []string) []store.Event) error {
	if err := f.err("DeleteDirectoryUser"); err != nil {
		return err
	}
	return f.Store.DeleteDirectoryUser(ctx, dirID, id, evs)
}

func (f failingStore) GetVerifiedDomain(ctx context.Context, name string) (*store.Domain, error) {
	if err := f.err("GetVerifiedDomain"); err != nil {
		return nil, err
	}
	return f.Store.GetVerifiedDomain(ctx, name)
}

func (f failingStore) CreateDirectoryGroup(ctx context.Context, g *store.DirectoryGroup, ops []store.MemberOp, evs store.GroupEvents) error {
	if err := f.err("CreateDirectoryGroup"); err != nil {
		return err
	}
	return f.Store.CreateDirectoryGroup(ctx, g, ops, evs)
}

func (f failingStore) UpdateDirectoryGroup(ctx context.Context, dirID, id string, fn func(*store.DirectoryGroup) ([]store.MemberOp, error), evs store.GroupEvents) (*store.DirectoryGroup, error) {
	if err := f.err("UpdateDirectoryGroup"); err != nil {
		return nil, err
	}
	return f.Store.UpdateDirectoryGroup(ctx, dirID, id, fn, evs)
}

func (f failingStore) ListDirectoryGroups(ctx context.Context, dirID string, q store.GroupQuery) ([]store.DirectoryGroup, int, error) {
	if err := f.err("ListDirectoryGroups"); err != nil {
		return nil, 0, err
	}
	return f.Store.ListDirectoryGroups(ctx, dirID, q)
}

func (f failingStore) ListGroupMembers(ctx context.Context, dirID, id string) ([]store.Member, error) {
	if err := f.err("ListGroupMembers"); err != nil {
		return nil, err
	}
	return f.Store.ListGroupMembers(ctx, dirID, id)
}

func TestInternalErrorsAreGeneric(t *testing.T) {
	// A domain no request read yet, so that its owner is not cached.
	const newUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"new@elsewhere.test"}`
	for _, tc := range []struct {
		fail, method, path, body string
	}{
		{"CreateDirectoryUser", "POST", "/Users", newUser},
		{"GetVerifiedDomain", "POST", "/Users", newUser},
		{"GetDirectoryUser", "GET", "/Users/{uid}", ""},
		{"GetDirectoryUser", "PATCH", "/Users/{uid}", patchHead + `[{"op":"replace","path":"displayName","value":"X"}]}`},
		{"ListDirectoryUsers", "GET", "/Users?filter=userName+eq+%22a%40example.com%22", ""},
		{"ListDirectoryUsers", "POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}`},
		{"UpdateDirectoryUser", "PUT", "/Users/{uid}", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@example.com","displayName":"Y"}`},
		{"DeleteDirectoryUser", "DELETE", "/Users/{uid}", ""},
		{"CreateDirectoryGroup", "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"New"}`},
		{"ListDirectoryGroups", "GET", "/Groups", ""},
		{"ListGroupMembers", "GET", "/Groups/{gid}", ""},
		{"UpdateDirectoryGroup", "PATCH", "/Groups/{gid}", patchHead + `[{"op":"add","path":"members","value":[{"value":"{uid2}"}]}]}`},
		{"ListDirectoryGroups", "PATCH", "/Groups/{gid}", patchHead + `[{"op":"add","path":"members","value":[{"value":"{uid}"}]}]}`},
	} {
		t.Run(tc.fail+" "+tc.method+" "+tc.path, func(t *testing.T) {
			e := newTestEnv(t, nil)
			uid := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@example.com"}`)).str("id")
			uid2 := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@example.com"}`)).str("id")
			gid := e.must(201, e.do("POST", "/Groups", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"`+uid+`"}]}`)).str("id")
			rep := strings.NewReplacer("{uid}", uid, "{uid2}", uid2, "{gid}", gid)
			e.srv.st = failingStore{Store: e.st, fail: tc.fail}
			var body any
			if tc.body != "" {
				body = rep.Replace(tc.body)
			}
			r := e.do(tc.method, rep.Replace(tc.path), e.token, body)
			e.scimErr(r, 500, "")
			if containsAny(string(r.raw), "hunter2", "10.0.0.7", "pq:", "exploded") {
				t.Fatalf("internal error echoed: %s", r.raw)
			}
			if !strings.Contains(e.logs(), "exploded") {
				t.Fatal("cause not logged")
			}
		})
	}
}
