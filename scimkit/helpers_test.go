package scimkit

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// testEnv is a Server on memstore behind an httptest server, with one
// organization (verified domain example.com), and directory A (active,
// with a token).
type testEnv struct {
	t      *testing.T
	st     store.Store
	srv    *Server
	hs     *httptest.Server
	clock  *testkit.Clock
	org    *store.Organization
	dir    *store.Directory
	token  string
	logBuf *testkit.LogBuffer
}

// logs returns what the Server logged so far.
func (e *testEnv) logs() string {
	return e.logBuf.String()
}

func newTestEnv(t *testing.T, mod func(*Config)) *testEnv {
	t.Helper()
	return newTestEnvStore(t, memstore.New(), mod)
}

func newTestEnvStore(t *testing.T, st store.Store, mod func(*Config)) *testEnv {
	t.Helper()
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	logBuf := &testkit.LogBuffer{}
	cfg := Config{
		Store:   st,
		BaseURL: "https://app.example.com/scim",
		Now:     clock.Now,
		Logger:  logBuf.Logger(),
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	org := &store.Organization{ID: "org_a", Name: "Acme", CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	if err := st.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateDomain(ctx, &store.Domain{ID: "dom_a", OrgID: org.ID, Name: "example.com", State: store.DomainVerified, Method: store.DomainManual, VerifiedAt: clock.Now(), CreatedAt: clock.Now(), UpdatedAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	d, err := srv.CreateDirectory(ctx, org.ID, DirectoryOptions{Provider: "okta", Name: "Okta", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := srv.CreateToken(ctx, d.ID, TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.StripPrefix("/scim", srv))
	t.Cleanup(hs.Close)
	return &testEnv{t: t, st: st, srv: srv, hs: hs, clock: clock, org: org, dir: d, token: tok, logBuf: logBuf}
}

// resp is a decoded response.
type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r resp) str(path ...string) string {
	v := r.get(path...)
	s, _ := v.(string)
	return s
}

// get walks the decoded body by keys and list indexes ("0").
func (r resp) get(path ...string) any {
	var cur any = r.body
	for _, p := range path {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			i := 0
			for _, ch := range p {
				i = i*10 + int(ch-'0')
			}
			if i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// do sends a request to the directory's endpoint (path relative to it)
// with the given token ("" for none).
func (e *testEnv) do(method, path, token string, body any) resp {
	e.t.Helper()
	return e.doDir(e.dir.ID, method, path, token, body)
}

func (e *testEnv) doDir(dirID, method, path, token string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.hs.URL+"/scim/"+dirID+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	}
	res, err := e.hs.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			e.t.Fatalf("%s %s: response is not a JSON object: %v: %s", method, path, err, raw)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
			e.t.Errorf("%s %s: Content-Type %q", method, path, ct)
		}
	}
	return out
}

// must checks the status and returns the response.
func (e *testEnv) must(status int, r resp) resp {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// scimErr checks a SCIM error body.
func (e *testEnv) scimErr(r resp, status int, scimType string) {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	if r.str("status") != itoa(status) || r.str("scimType") != scimType {
		e.t.Fatalf("error body %s, want status %q scimType %q", r.raw, itoa(status), scimType)
	}
	if s, _ := r.get("schemas", "0").(string); s != errorURI {
		e.t.Fatalf("error schemas: %s", r.raw)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func (e *testEnv) user(id string) *store.DirectoryUser {
	e.t.Helper()
	u, err := e.st.GetDirectoryUser(context.Background(), e.dir.ID, id)
	if err != nil {
		e.t.Fatalf("GetDirectoryUser %s: %v", id, err)
	}
	return u
}

func (e *testEnv) members(groupID string) []string {
	e.t.Helper()
	ms, err := e.st.ListGroupMembers(context.Background(), e.dir.ID, groupID)
	if err != nil {
		e.t.Fatalf("ListGroupMembers: %v", err)
	}
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

// events returns the events appended after cursor, and the new cursor.
func (e *testEnv) events(after int64) ([]store.Event, int64) {
	e.t.Helper()
	evs, err := e.st.ListEvents(context.Background(), store.EventQuery{After: after, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(evs) > 0 {
		after = evs[len(evs)-1].Cursor
	}
	return evs, after
}

func (e *testEnv) cursor() int64 {
	c, err := e.st.LastEventCursor(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func eventTypes(evs []store.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
}

// doHeader is do with extra request headers.
func (e *testEnv) doHeader(method, path, body string, h map[string]string) resp {
	e.t.Helper()
	req, err := http.NewRequest(method, e.hs.URL+"/scim/"+e.dir.ID+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/scim+json")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	res, err := e.hs.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			e.t.Fatalf("response is not JSON: %s", raw)
		}
	}
	return out
}
