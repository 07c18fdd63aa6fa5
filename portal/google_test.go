package portal

import (
	"bytes"
	"context"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/gworkspace"
	"github.com/onboardkit/onboardkit/gworkspace/gwsim"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/store"
)

// googleSim is a Google Workspace simulator with a key delegated the
// sync's scopes and an administrator.
type googleSim struct {
	sim *gwsim.Server
	srv *httptest.Server
	key *gwsim.Key
	// syncer is set by withGoogle.
	syncer *gworkspace.Syncer
}

func newGoogleSim(t testing.TB) *googleSim {
	g := &googleSim{sim: gwsim.New("acme.example")}
	g.srv = httptest.NewServer(g.sim)
	t.Cleanup(g.srv.Close)
	g.sim.PutUser(gwsim.User{PrimaryEmail: "admin@acme.example", GivenName: "Ada", FamilyName: "Admin", IsAdmin: true})
	g.sim.PutUser(gwsim.User{PrimaryEmail: "alan@acme.example", GivenName: "Alan", FamilyName: "Turing"})
	var err error
	if g.key, err = g.sim.NewServiceAccountKey(); err != nil {
		t.Fatal(err)
	}
	g.sim.Delegate(g.key.ClientID, gworkspace.Scopes...)
	return g
}

// withGoogle wires SCIM and a Google syncer against g.
func withGoogle(t testing.TB, g *googleSim) func(*Config, *admin.Config) {
	scim := withSCIM(t)
	return func(c *Config, ac *admin.Config) {
		scim(c, ac)
		var err error
		g.syncer, err = gworkspace.New(gworkspace.Config{
			Store: storeOf(c).(gworkspace.Store), Endpoint: g.srv.URL, TokenURL: g.srv.URL + "/token",
			HTTPClient: g.srv.Client(), Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		ac.Google = g.syncer
	}
}

func (h *harness) postFile(path, csrf, field, name string, data []byte, c *http.Cookie) *httptest.ResponseRecorder {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField(web.CSRFField, csrf)
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(data)
	mw.Close()
	r := httptest.NewRequest(http.MethodPost, "https://app.example.com"+path, &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.AddCookie(c)
	return h.do(r)
}

func TestGoogleDirectorySetup(t *testing.T) {
	g := newGoogleSim(t)
	h := newHarness(t, withGoogle(t, g))
	ctx := context.Background()
	c := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureDirSync}})
	csrf := csrfOf(t, h.get("/portal/directory-sync", c))

	create := func() string {
		w := h.post("/portal/directory-sync", url.Values{web.CSRFField: {csrf}, "provider": {"google"}, "name": {"Workspace"}}, c)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("create: %d %s", w.Code, w.Body)
		}
		return w.Header().Get("Location")
	}
	loc := create()
	if again := create(); again != strings.Split(loc, "?")[0] {
		t.Fatalf("a second create went to %s, want the first directory %s", again, loc)
	}
	dirs, _ := h.st.ListDirectories(ctx, h.org.ID)
	if len(dirs) != 1 || dirs[0].Provider != "google" {
		t.Fatalf("directories after two creates: %v", dirs)
	}
	dirID := dirs[0].ID
	base := "/portal/directory-sync/" + dirID
	page := h.get(strings.TrimPrefix(loc, "https://app.example.com"), c)
	doc := parse(t, page)
	if testID(doc, "google-setup").Length() != 1 || testID(doc, "dir-tokens").Length() != 0 || testID(doc, "endpoint-value").Length() != 0 {
		t.Fatalf("the Google directory's page has no Google setup, or SCIM parts: %s", page.Body)
	}
	if v := testID(doc, "google-scopes").AttrOr("value", ""); v != strings.Join(gworkspace.Scopes, ",") {
		t.Fatalf("scopes shown %q", v)
	}

	// A file that is not a key is refused with the reason in view.
	w := h.follow(h.postFile(base+"/google/key", csrf, "key", "key.json", []byte(`{"type":"authorized_user"}`), c), c)
	if w.Code != http.StatusOK || !strings.Contains(testID(parse(t, w), "error-summary").Text(), "not a service-account key") {
		t.Fatalf("bad key: %d", w.Code)
	}
	w = h.postFile(base+"/google/key", csrf, "key", "key.json", g.key.JSON, c)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("key upload: %d %s", w.Code, w.Body)
	}
	w = h.post(base+"/google/settings", url.Values{web.CSRFField: {csrf}, "admin_email": {"admin@acme.example"}, "interval": {"15"}}, c)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("settings: %d %s", w.Code, w.Body)
	}
	page = h.get(base, c)
	doc = parse(t, page)
	if testID(doc, "google-client-id").Text() != g.key.ClientID || strings.Contains(page.Body.String(), "PRIVATE KEY") {
		t.Fatalf("client id %q shown; key leaked: %v", testID(doc, "google-client-id").Text(), strings.Contains(page.Body.String(), "PRIVATE KEY"))
	}

	// Test names the precise failure, then passes.
	g.sim.Delegate(g.key.ClientID, gworkspace.ScopeUser)
	w = h.post(base+"/google/test", url.Values{web.CSRFField: {csrf}}, c)
	if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "google-error=scope_missing") {
		t.Fatalf("test with scopes missing: %d %s", w.Code, w.Header().Get("Location"))
	}
	g.sim.Delegate(g.key.ClientID, gworkspace.Scopes...)
	w = h.post(base+"/google/test", url.Values{web.CSRFField: {csrf}}, c)
	loc = w.Header().Get("Location")
	msg := testID(parse(t, h.get(strings.TrimPrefix(loc, "https://app.example.com"), c)), "dir-message").Text()
	if !strings.Contains(msg, "Test passed: Google listed admin@acme.example") {
		t.Fatalf("test result %q", msg)
	}

	// Turn on: the next poll syncs and the page shows the users.
	w = h.follow(h.post(base+"/activate", url.Values{web.CSRFField: {csrf}}, c), c)
	if w.Code != http.StatusOK {
		t.Fatalf("activate: %d", w.Code)
	}
	if n := g.syncer.RunDue(ctx); n != 1 {
		t.Fatalf("RunDue after activation ran %d syncs", n)
	}
	doc = parse(t, h.get(base, c))
	if got := testID(doc, "activity-users").Text(); got != "2" {
		t.Fatalf("users shown after the sync: %q", got)
	}
	if testID(doc, "google-last-success").Text() == "Never" || testID(doc, "google-last-error").Length() != 0 {
		t.Fatalf("status after the sync: %q", testID(doc, "google-status").Text())
	}
	w = h.post(base+"/google/sync", url.Values{web.CSRFField: {csrf}}, c)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sync now: %d", w.Code)
	}
	if n := g.syncer.RunDue(ctx); n != 1 {
		t.Fatalf("RunDue after Sync now ran %d syncs", n)
	}
}

// TestGoogleNoticeShowsOnlyAnAddress: the tested user's address travels in
// the redirect's query, so a crafted link must not make the page say
// anything else.
func TestGoogleNoticeShowsOnlyAnAddress(t *testing.T) {
	p := &Portal{}
	for _, tc := range []struct{ user, want string }{
		{"admin@acme.example", "Test passed: Google listed admin@acme.example."},
		{"admin@acme.example. Call 555-0100 to renew your licence", "Test passed: Google answered (the directory has no users yet)."},
		{"Mallory <m@evil.example>", "Test passed: Google answered (the directory has no users yet)."},
	} {
		r := httptest.NewRequest("GET", "/?done=google-test&user="+url.QueryEscape(tc.user), nil)
		if got := p.googleNotice(r, dirNotice{}).Message; got != tc.want {
			t.Errorf("user %q: message %q, want %q", tc.user, got, tc.want)
		}
	}
}
