package scimsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// newClock advances 3ms per call, so durations are non-zero and
// deterministic.
func newClock() *testkit.Clock {
	c := testkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	c.SetStep(3 * time.Millisecond)
	return c
}

func newTestClient(t *testing.T, d Dialect, base string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		BaseURL: base,
		Token:   "tok_secret_123",
		Dialect: d,
		Now:     newClock().Now,
		Rand:    bytes.NewReader(bytes.Repeat([]byte{0xab}, 4096)),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// jsonEqual compares a JSON document with an expected value.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body is not JSON: %s", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("body\n got %s\nwant %s", got, want)
	}
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not a JSON object: %s", b)
	}
	return m
}

func checkCommonHeaders(t *testing.T, r recorded, d Dialect) {
	t.Helper()
	if got := r.Header.Get("Authorization"); got != "Bearer tok_secret_123" {
		t.Errorf("%s %s: Authorization %q", r.Method, r.Path, got)
	}
	if got := r.Header.Get("Accept"); got != MediaType {
		t.Errorf("%s %s: Accept %q", r.Method, r.Path, got)
	}
	wantCT := ""
	if len(r.Body) > 0 {
		wantCT = "application/scim+json"
		if d == Okta {
			wantCT = "application/scim+json; charset=utf-8"
		}
	}
	if got := r.Header.Get("Content-Type"); got != wantCT {
		t.Errorf("%s %s: Content-Type %q, want %q", r.Method, r.Path, got, wantCT)
	}
	if d == Okta && r.Header.Get("User-Agent") != "Okta SCIM Client 1.0.0" {
		t.Errorf("User-Agent %q", r.Header.Get("User-Agent"))
	}
}

func TestOktaWireFormat(t *testing.T) {
	f, srv := newFake(t)
	c := newTestClient(t, Okta, srv.URL+"/", nil)
	ctx := context.Background()

	t.Run("connection test", func(t *testing.T) {
		f.reset()
		if err := c.TestConnection(ctx); err != nil {
			t.Fatal(err)
		}
		reqs := f.requests()
		if len(reqs) != 2 || reqs[0].Method != "GET" || reqs[0].Path != "/Users" || reqs[0].RawQuery != "startIndex=1&count=2" ||
			reqs[1].Path != "/Groups" || reqs[1].RawQuery != "startIndex=1&count=100" {
			t.Fatalf("requests %+v", reqs)
		}
		checkCommonHeaders(t, reqs[0], Okta)
	})

	var id string
	t.Run("create user looks up first", func(t *testing.T) {
		f.reset()
		var err error
		id, err = c.CreateUser(ctx, UserSpec{UserName: "ada@example.com", ExternalID: "00uabc", GivenName: "Ada", FamilyName: "Lovelace", Password: "pw-1"})
		if err != nil {
			t.Fatal(err)
		}
		reqs := f.requests()
		if len(reqs) != 2 {
			t.Fatalf("%d requests", len(reqs))
		}
		if reqs[0].Method != "GET" || reqs[0].Path != "/Users" ||
			reqs[0].RawQuery != "filter=userName%20eq%20%22ada%40example.com%22&startIndex=1&count=100" {
			t.Fatalf("lookup %s %s?%s", reqs[0].Method, reqs[0].Path, reqs[0].RawQuery)
		}
		if reqs[1].Method != "POST" || reqs[1].Path != "/Users" {
			t.Fatalf("create %s %s", reqs[1].Method, reqs[1].Path)
		}
		checkCommonHeaders(t, reqs[1], Okta)
		jsonEqual(t, reqs[1].Body, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"userName": "ada@example.com",
			"name": {"givenName": "Ada", "familyName": "Lovelace"},
			"emails": [{"primary": true, "value": "ada@example.com", "type": "work"}],
			"displayName": "Ada Lovelace",
			"locale": "en-US",
			"externalId": "00uabc",
			"groups": [],
			"password": "pw-1",
			"active": true
		}`)
	})

	t.Run("existing user is updated with GET and PUT", func(t *testing.T) {
		f.reset()
		got, err := c.CreateUser(ctx, UserSpec{UserName: "ADA@example.com", GivenName: "Ada", FamilyName: "King", Title: "Countess"})
		if err != nil || got != id {
			t.Fatalf("CreateUser = %q, %v; want the existing %q", got, err, id)
		}
		reqs := f.requests()
		if len(reqs) != 2 || reqs[1].Method != "PUT" || reqs[1].Path != "/Users/"+id {
			t.Fatalf("requests %+v", reqs)
		}
		m := decode(t, reqs[1].Body)
		if m["id"] != id || m["title"] != "Countess" || m["active"] != true || m["password"] != nil {
			t.Fatalf("PUT body %s", reqs[1].Body)
		}
	})

	t.Run("update with manager", func(t *testing.T) {
		f.reset()
		if err := c.UpdateUser(ctx, id, UserSpec{UserName: "ada@example.com", GivenName: "Ada", FamilyName: "King", Department: "Math", ManagerID: "u-99"}); err != nil {
			t.Fatal(err)
		}
		reqs := f.requests()
		if len(reqs) != 2 || reqs[0].Method != "GET" || reqs[0].Path != "/Users/"+id || reqs[1].Method != "PUT" {
			t.Fatalf("requests %+v", reqs)
		}
		m := decode(t, reqs[1].Body)
		ext, _ := m[SchemaEnterpriseUser].(map[string]any)
		if !reflect.DeepEqual(ext["manager"], map[string]any{"value": "u-99"}) || ext["department"] != "Math" {
			t.Fatalf("enterprise extension %v", ext)
		}
		if !reflect.DeepEqual(m["schemas"], []any{SchemaUser, SchemaEnterpriseUser}) {
			t.Fatalf("schemas %v", m["schemas"])
		}
	})

	t.Run("deactivate", func(t *testing.T) {
		f.reset()
		if err := c.DeactivateUser(ctx, id); err != nil {
			t.Fatal(err)
		}
		reqs := f.requests()
		if len(reqs) != 1 || reqs[0].Method != "PATCH" || reqs[0].Path != "/Users/"+id {
			t.Fatalf("requests %+v", reqs)
		}
		checkCommonHeaders(t, reqs[0], Okta)
		jsonEqual(t, reqs[0].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`)
		if err := c.ReactivateUser(ctx, id); err != nil {
			t.Fatal(err)
		}
		jsonEqual(t, f.requests()[1].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":true}}]}`)
	})

	t.Run("never deletes users", func(t *testing.T) {
		f.reset()
		if err := c.DeleteUser(ctx, id); !errors.Is(err, ErrUnsupported) {
			t.Fatalf("DeleteUser = %v, want ErrUnsupported", err)
		}
		if n := len(f.requests()); n != 0 {
			t.Fatalf("%d requests sent", n)
		}
	})

	var gid string
	t.Run("group push", func(t *testing.T) {
		f.reset()
		var err error
		gid, err = c.CreateGroup(ctx, GroupSpec{DisplayName: "Engineering"})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddMembers(ctx, gid, Member{ID: id, Display: "ada@example.com"}, Member{ID: "u-7", Display: "alan@example.com"}); err != nil {
			t.Fatal(err)
		}
		if err := c.RemoveMembers(ctx, gid, "u-7", id); err != nil {
			t.Fatal(err)
		}
		if err := c.RenameGroup(ctx, gid, "Engineering EU"); err != nil {
			t.Fatal(err)
		}
		reqs := f.requests()
		if len(reqs) != 5 {
			t.Fatalf("%d requests", len(reqs))
		}
		if reqs[0].RawQuery != "filter=displayName%20eq%20%22Engineering%22&startIndex=1&count=100" {
			t.Fatalf("group lookup query %q", reqs[0].RawQuery)
		}
		jsonEqual(t, reqs[1].Body, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Engineering","members":[]}`)
		jsonEqual(t, reqs[2].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
			{"op":"add","path":"members","value":[{"value":"`+id+`","display":"ada@example.com"},{"value":"u-7","display":"alan@example.com"}]}]}`)
		jsonEqual(t, reqs[3].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
			{"op":"remove","path":"members[value eq \"u-7\"]"},
			{"op":"remove","path":"members[value eq \"`+id+`\"]"}]}`)
		jsonEqual(t, reqs[4].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
			{"op":"replace","value":{"id":"`+gid+`","displayName":"Engineering EU"}}]}`)
		if reqs[3].Method != "PATCH" || reqs[3].Path != "/Groups/"+gid {
			t.Fatalf("%s %s", reqs[3].Method, reqs[3].Path)
		}
		if got, err := c.GetGroup(ctx, gid); err != nil || got.String("displayName") != "Engineering EU" {
			t.Fatalf("GetGroup = %v, %v", got, err)
		}
		if r := f.requests()[5]; r.RawQuery != "" {
			t.Fatalf("Okta group read with query %q", r.RawQuery)
		}
	})
}

func TestEntraWireFormat(t *testing.T) {
	f, srv := newFake(t)
	c := newTestClient(t, Entra, srv.URL, nil)
	ctx := context.Background()

	t.Run("connection test", func(t *testing.T) {
		f.reset()
		if err := c.TestConnection(ctx); err != nil {
			t.Fatal(err)
		}
		reqs := f.requests()
		if len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Path != "/Users" {
			t.Fatalf("requests %+v", reqs)
		}
		if !regexp.MustCompile(`^filter=userName\+eq\+%22[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}%22$`).MatchString(reqs[0].RawQuery) {
			t.Fatalf("connection test query %q", reqs[0].RawQuery)
		}
		checkCommonHeaders(t, reqs[0], Entra)
	})

	var mgr, id string
	t.Run("create user, then manager by path as a string", func(t *testing.T) {
		var err error
		mgr, err = c.CreateUser(ctx, UserSpec{UserName: "grace@example.com", GivenName: "Grace", FamilyName: "Hopper"})
		if err != nil {
			t.Fatal(err)
		}
		f.reset()
		id, err = c.CreateUser(ctx, UserSpec{UserName: "alan@example.com", ExternalID: "6d3c1a4e-0000-4000-8000-000000000001",
			GivenName: "Alan", FamilyName: "Turing", Title: "Engineer", Department: "Research", EmployeeNumber: "000042", ManagerID: mgr})
		if err != nil {
			t.Fatal(err)
		}
		reqs := f.requests()
		if len(reqs) != 3 {
			t.Fatalf("%d requests", len(reqs))
		}
		if reqs[0].RawQuery != "filter=userName+eq+%22alan%40example.com%22" {
			t.Fatalf("lookup query %q", reqs[0].RawQuery)
		}
		checkCommonHeaders(t, reqs[1], Entra)
		jsonEqual(t, reqs[1].Body, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"externalId": "6d3c1a4e-0000-4000-8000-000000000001",
			"userName": "alan@example.com",
			"active": true,
			"displayName": "Alan Turing",
			"title": "Engineer",
			"emails": [{"primary": true, "type": "work", "value": "alan@example.com"}],
			"meta": {"resourceType": "User"},
			"name": {"formatted": "Alan Turing", "familyName": "Turing", "givenName": "Alan"},
			"roles": [],
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Research", "employeeNumber": "000042"}
		}`)
		if reqs[2].Method != "PATCH" || reqs[2].Path != "/Users/"+id {
			t.Fatalf("%s %s", reqs[2].Method, reqs[2].Path)
		}
		jsonEqual(t, reqs[2].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
			{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"`+mgr+`"}]}`)
	})

	t.Run("update sends only differences, Entra style", func(t *testing.T) {
		f.reset()
		err := c.UpdateUser(ctx, id, UserSpec{UserName: "alan@example.com", GivenName: "Alan", FamilyName: "Mathison",
			Email: "alan.turing@example.com", Title: "Engineer", Department: "Codebreaking", EmployeeNumber: "000042", ManagerID: "u-other", MobilePhone: "+44 1"})
		if err != nil {
			t.Fatal(err)
		}
		reqs := f.requests()
		if len(reqs) != 2 || reqs[0].Method != "GET" || reqs[1].Method != "PATCH" {
			t.Fatalf("requests %+v", reqs)
		}
		jsonEqual(t, reqs[1].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
			{"op":"Replace","path":"displayName","value":"Alan Mathison"},
			{"op":"Replace","path":"emails[type eq \"work\"].value","value":"alan.turing@example.com"},
			{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+44 1"},
			{"op":"Replace","value":{"name.familyName":"Mathison","name.formatted":"Alan Mathison"}},
			{"op":"Add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Codebreaking"}},
			{"op":"Replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"u-other"}}]}`)

		// Nothing differs now: Entra sends no PATCH.
		f.reset()
		if err := c.UpdateUser(ctx, id, UserSpec{UserName: "alan@example.com", FamilyName: "Mathison", ManagerID: "u-other"}); err != nil {
			t.Fatal(err)
		}
		if reqs := f.requests(); len(reqs) != 2 || reqs[1].Method != "PATCH" {
			// DisplayName defaults to "Mathison" here, which differs.
			t.Fatalf("requests %+v", reqs)
		}
		f.reset()
		if err := c.UpdateUser(ctx, id, UserSpec{UserName: "alan@example.com", DisplayName: "Mathison", FamilyName: "Mathison"}); err != nil {
			t.Fatal(err)
		}
		if reqs := f.requests(); len(reqs) != 1 {
			t.Fatalf("a no-op update sent %d requests", len(reqs))
		}
	})

	t.Run("deactivate with a string boolean, then delete", func(t *testing.T) {
		f.reset()
		if err := c.DeactivateUser(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := c.ReactivateUser(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteUser(ctx, id); err != nil {
			t.Fatal(err)
		}
		reqs := f.requests()
		jsonEqual(t, reqs[0].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
		jsonEqual(t, reqs[1].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"True"}]}`)
		if reqs[2].Method != "DELETE" || reqs[2].Path != "/Users/"+id || len(reqs[2].Body) != 0 {
			t.Fatalf("delete %+v", reqs[2])
		}
		checkCommonHeaders(t, reqs[2], Entra)
		var se *Error
		if _, err := c.GetUser(ctx, id); !errors.As(err, &se) || se.Status != 404 {
			t.Fatalf("GetUser after delete = %v", err)
		}
	})

	t.Run("groups", func(t *testing.T) {
		f.reset()
		gid, err := c.CreateGroup(ctx, GroupSpec{DisplayName: "Sales EMEA", ExternalID: "g-ext-1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddMembers(ctx, gid, Member{ID: mgr, Display: "ignored by Entra"}, Member{ID: "u-5"}); err != nil {
			t.Fatal(err)
		}
		if err := c.RemoveMembers(ctx, gid, mgr, "u-5"); err != nil {
			t.Fatal(err)
		}
		if err := c.RenameGroup(ctx, gid, "Sales"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetGroup(ctx, gid); err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteGroup(ctx, gid); err != nil {
			t.Fatal(err)
		}
		reqs := f.requests()
		if len(reqs) != 7 {
			t.Fatalf("%d requests", len(reqs))
		}
		if reqs[0].RawQuery != "excludedAttributes=members&filter=displayName+eq+%22Sales+EMEA%22" {
			t.Fatalf("group lookup %q", reqs[0].RawQuery)
		}
		jsonEqual(t, reqs[1].Body, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
			"displayName":"Sales EMEA","externalId":"g-ext-1","meta":{"resourceType":"Group"}}`)
		jsonEqual(t, reqs[2].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
			{"op":"Add","path":"members","value":[{"value":"`+mgr+`"},{"value":"u-5"}]}]}`)
		jsonEqual(t, reqs[3].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
			{"op":"Remove","path":"members","value":[{"value":"`+mgr+`"},{"value":"u-5"}]}]}`)
		jsonEqual(t, reqs[4].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
			{"op":"Replace","path":"displayName","value":"Sales"}]}`)
		if reqs[5].Method != "GET" || reqs[5].RawQuery != "excludedAttributes=members" {
			t.Fatalf("group read %s ?%s", reqs[5].Method, reqs[5].RawQuery)
		}
		if reqs[6].Method != "DELETE" || reqs[6].Path != "/Groups/"+gid {
			t.Fatalf("group delete %s %s", reqs[6].Method, reqs[6].Path)
		}
	})
}

func TestServerErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		ctype      string
		wantType   string
		wantDetail string
		wantNote   string
	}{
		{"SCIM error, string status", 409, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"userName taken"}`, MediaType, "uniqueness", "userName taken", ""},
		{"SCIM error, numeric status", 400, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":400,"scimType":"invalidValue","detail":"bad"}`, MediaType, "invalidValue", "bad", ""},
		{"HTML error page", 502, `<html><body>Bad gateway</body></html>`, "text/html", "", "", "not application/scim+json"},
		{"JSON but not SCIM", 500, `{"error":"boom"}`, "application/json", "", "", "not a SCIM Error"},
		{"empty body", 403, ``, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t)
			f.override = func(w http.ResponseWriter, r *http.Request) bool {
				if tt.ctype != "" {
					w.Header().Set("Content-Type", tt.ctype)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
				return true
			}
			for _, d := range []Dialect{Okta, Entra} {
				c := newTestClient(t, d, srv.URL, nil)
				_, err := c.CreateUser(context.Background(), UserSpec{UserName: "x@example.com"})
				var se *Error
				if !errors.As(err, &se) {
					t.Fatalf("%s: err = %v, want *Error", d, err)
				}
				if se.Status != tt.status || se.SCIMType != tt.wantType || se.Detail != tt.wantDetail || se.Body != tt.body || se.Method != "GET" {
					t.Fatalf("%s: error %+v", d, se)
				}
				if !strings.Contains(se.Error(), http.StatusText(tt.status)) {
					t.Fatalf("message %q", se.Error())
				}
				log := c.Log()
				if len(log) != 1 || log[0].Status != tt.status || log[0].ResponseBody != tt.body {
					t.Fatalf("log %+v", log)
				}
				if tt.wantNote != "" && !strings.Contains(strings.Join(log[0].Notes, "|"), tt.wantNote) {
					t.Fatalf("notes %v lack %q", log[0].Notes, tt.wantNote)
				}
			}
		})
	}
}

func TestBadSuccessAnswers(t *testing.T) {
	tests := []struct {
		name    string
		dialect Dialect
		answer  func(w http.ResponseWriter, r *http.Request)
		call    func(c *Client) error
	}{
		{"Entra connection test, Resources null", Entra, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", MediaType)
			io.WriteString(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":null}`)
		}, func(c *Client) error { return c.TestConnection(context.Background()) }},
		{"Entra connection test, Resources missing", Entra, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"totalResults":0}`)
		}, func(c *Client) error { return c.TestConnection(context.Background()) }},
		{"connection test matched a random guid", Entra, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"totalResults":1,"Resources":[{"id":"u1"}]}`)
		}, func(c *Client) error { return c.TestConnection(context.Background()) }},
		{"Okta connection test, not a list", Okta, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `[]`)
		}, func(c *Client) error { return c.TestConnection(context.Background()) }},
		{"create without id", Okta, func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "GET" {
				io.WriteString(w, `{"totalResults":0,"Resources":[]}`)
				return
			}
			w.WriteHeader(201)
			io.WriteString(w, `{"userName":"x@example.com"}`)
		}, func(c *Client) error {
			_, err := c.CreateUser(context.Background(), UserSpec{UserName: "x@example.com"})
			return err
		}},
		{"lookup matches two", Entra, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"totalResults":2,"Resources":[{"id":"a"},{"id":"b"}]}`)
		}, func(c *Client) error { _, err := c.FindUser(context.Background(), "x@example.com"); return err }},
		{"garbage", Okta, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{{{`)
		}, func(c *Client) error { _, err := c.GetUser(context.Background(), "u1"); return err }},
		{"totalResults below count", Okta, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"totalResults":0,"Resources":[{"id":"a"}]}`)
		}, func(c *Client) error { _, err := c.FindGroup(context.Background(), "g"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t)
			f.override = func(w http.ResponseWriter, r *http.Request) bool { tt.answer(w, r); return true }
			c := newTestClient(t, tt.dialect, srv.URL, nil)
			if err := tt.call(c); !errors.Is(err, ErrBadResponse) {
				t.Fatalf("err = %v, want ErrBadResponse", err)
			}
		})
	}
}

func TestExchangeLog(t *testing.T) {
	f, srv := newFake(t)
	var mu sync.Mutex
	var seen []Exchange
	c := newTestClient(t, Entra, srv.URL, func(cfg *Config) {
		cfg.OnExchange = func(e Exchange) { mu.Lock(); seen = append(seen, e); mu.Unlock() }
		cfg.MaxLogEntries = 3
		cfg.MaxLoggedBody = 80
	})
	ctx := context.Background()
	id, err := c.CreateUser(ctx, UserSpec{UserName: "log@example.com", GivenName: "Log", FamilyName: "Ger"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeactivateUser(ctx, id); err != nil {
		t.Fatal(err)
	}
	_, _ = c.GetUser(ctx, "missing")

	if len(seen) != 4 || len(f.requests()) != 4 {
		t.Fatalf("callback saw %d exchanges, server %d requests", len(seen), len(f.requests()))
	}
	log := c.Log()
	if len(log) != 3 || log[0].Seq != 2 || log[2].Seq != 4 {
		t.Fatalf("log kept %d entries from seq %d", len(log), log[0].Seq)
	}
	create := seen[1]
	if create.Method != "POST" || create.Path != "/Users" || create.Status != 201 || create.RequestType != MediaType ||
		create.Step != "create user log@example.com" || !create.Truncated || len(create.RequestBody) != 80 ||
		create.ResponseHeaders.Get("Location") == "" || create.Duration != 3*time.Millisecond || create.Started.IsZero() {
		t.Fatalf("create exchange %+v", create)
	}
	if len(create.Notes) != 0 {
		t.Fatalf("unexpected notes %v", create.Notes)
	}
	if seen[0].Path != "/Users?filter=userName+eq+%22log%40example.com%22" || seen[0].RequestBody != "" {
		t.Fatalf("lookup exchange %+v", seen[0])
	}
	miss := seen[3]
	if miss.Status != 404 || !strings.Contains(miss.ResponseBody, "not found") {
		t.Fatalf("404 exchange %+v", miss)
	}
	for _, e := range seen {
		b, _ := json.Marshal(e)
		if strings.Contains(string(b), "tok_secret_123") {
			t.Fatal("the token appears in the exchange log")
		}
	}
	c.ResetLog()
	if len(c.Log()) != 0 || c.Requests() != 4 {
		t.Fatal("ResetLog")
	}
}

func TestTransportError(t *testing.T) {
	_, srv := newFake(t)
	url := srv.URL
	srv.Close()
	c := newTestClient(t, Okta, url, nil)
	err := c.TestConnection(context.Background())
	var se *Error
	if err == nil || errors.As(err, &se) {
		t.Fatalf("err = %v", err)
	}
	log := c.Log()
	if len(log) != 1 || log[0].Status != 0 || log[0].Err == "" {
		t.Fatalf("log %+v", log)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no url", Config{Token: "t", Dialect: Okta}},
		{"relative url", Config{BaseURL: "/scim", Token: "t", Dialect: Okta}},
		{"ftp", Config{BaseURL: "ftp://x/scim", Token: "t", Dialect: Okta}},
		{"query", Config{BaseURL: "https://x/scim?a=b", Token: "t", Dialect: Okta}},
		{"no token", Config{BaseURL: "https://x/scim", Dialect: Okta}},
		{"token with newline", Config{BaseURL: "https://x/scim", Token: "a\r\nX-Evil: 1", Dialect: Okta}},
		{"no dialect", Config{BaseURL: "https://x/scim", Token: "t"}},
		{"unknown dialect", Config{BaseURL: "https://x/scim", Token: "t", Dialect: "onelogin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	c, err := New(Config{BaseURL: "https://x/scim/", Token: "t", Dialect: Entra})
	if err != nil || c.base.String() != "https://x/scim" || c.Dialect() != Entra {
		t.Fatalf("New = %v, %v", c, err)
	}
}

func TestBadArguments(t *testing.T) {
	f, srv := newFake(t)
	c := newTestClient(t, Entra, srv.URL, nil)
	ctx := context.Background()
	calls := map[string]func() error{
		"empty userName":   func() error { _, err := c.CreateUser(ctx, UserSpec{}); return err },
		"empty group name": func() error { _, err := c.CreateGroup(ctx, GroupSpec{DisplayName: " "}); return err },
		"id with slash":    func() error { _, err := c.GetUser(ctx, "../Groups"); return err },
		"empty id":         func() error { return c.DeactivateUser(ctx, "") },
		"member id":        func() error { return c.AddMembers(ctx, "g1", Member{ID: "a?b"}) },
		"rename empty":     func() error { return c.RenameGroup(ctx, "g1", "") },
	}
	for name, call := range calls {
		if err := call(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Fatalf("%d requests sent for bad arguments", n)
	}
}

func TestPasswordNeverLogged(t *testing.T) {
	f, srv := newFake(t)
	c := newTestClient(t, Okta, srv.URL, nil)
	if _, err := c.CreateUser(context.Background(), UserSpec{UserName: "pw@example.com", Password: "s3cret-pass"}); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if !strings.Contains(string(reqs[1].Body), "s3cret-pass") {
		t.Fatal("the password was not sent")
	}
	for _, e := range c.Log() {
		if strings.Contains(e.RequestBody, "s3cret-pass") {
			t.Fatal("the password is in the exchange log")
		}
	}
	if !strings.Contains(c.Log()[1].RequestBody, `"password":"[redacted]"`) {
		t.Fatalf("logged body %s", c.Log()[1].RequestBody)
	}

	// A server that echoes the password gets a note.
	f.override = func(w http.ResponseWriter, r *http.Request) bool {
		f.write(w, 200, map[string]any{"id": "u-1", "userName": "pw@example.com", "password": "s3cret-pass"})
		return true
	}
	if _, err := c.GetUser(context.Background(), "u-1"); err != nil {
		t.Fatal(err)
	}
	log := c.Log()
	if notes := strings.Join(log[len(log)-1].Notes, "|"); !strings.Contains(notes, "password") {
		t.Fatalf("notes %q", notes)
	}
}

// TestRetryAfter429: a request answered 429 is sent again after the
// Retry-After the server gave, as Okta and Entra ID do; the exchange log
// shows every attempt, and a server that keeps refusing ends in its error.
func TestRetryAfter429(t *testing.T) {
	f, srv := newFake(t)
	var refusals int
	limit := 2
	f.override = func(w http.ResponseWriter, r *http.Request) bool {
		if refusals >= limit {
			return false
		}
		refusals++
		w.Header().Set("Retry-After", "0")
		w.Header().Set("Content-Type", MediaType)
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"429","detail":"slow down"}`)
		return true
	}
	c := newTestClient(t, Okta, srv.URL, nil)
	if _, err := c.CreateUser(context.Background(), UserSpec{UserName: "x@example.com"}); err != nil {
		t.Fatalf("CreateUser after two 429s: %v", err)
	}
	log := c.Log()
	if len(log) < 3 || log[0].Status != http.StatusTooManyRequests || log[1].Status != http.StatusTooManyRequests || log[2].Status == http.StatusTooManyRequests {
		t.Fatalf("log %+v", log)
	}
	refusals, limit = 0, maxRateRetries+1
	_, err := c.CreateUser(context.Background(), UserSpec{UserName: "y@example.com"})
	var se *Error
	if !errors.As(err, &se) || se.Status != http.StatusTooManyRequests || refusals != maxRateRetries+1 {
		t.Fatalf("after %d refusals: %v", refusals, err)
	}
}
