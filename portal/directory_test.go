package portal

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/store"
)

// withSCIM wires a scimkit server on the harness's store and clock.
func withSCIM(t testing.TB) func(*Config, *admin.Config) {
	return func(c *Config, ac *admin.Config) {
		s, err := scimkit.New(scimkit.Config{Store: storeOf(c), BaseURL: "https://app.example.com/scim", Now: c.Now, Logger: c.Logger})
		if err != nil {
			t.Fatal(err)
		}
		c.SCIM = s
	}
}

// scimDo sends one SCIM request to the harness's SCIM server.
func (h *harness) scimDo(method, path, token, body string) *httptest.ResponseRecorder {
	h.t.Helper()
	r := httptest.NewRequest(method, "https://app.example.com/scim"+path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("Content-Type", "application/scim+json")
	w := httptest.NewRecorder()
	http.StripPrefix("/scim", h.p.cfg.SCIM).ServeHTTP(w, r)
	return w
}

func (h *harness) scimUser(dirID, token, userName, display string) string {
	h.t.Helper()
	body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"displayName":%q,"active":true,"emails":[{"value":%q,"primary":true}]}`, userName, display, userName)
	w := h.scimDo(http.MethodPost, "/"+dirID+"/Users", token, body)
	if w.Code != http.StatusCreated {
		h.t.Fatalf("SCIM create user: %d %s", w.Code, w.Body)
	}
	id := parseJSONField(w.Body.String(), "id")
	if id == "" {
		h.t.Fatalf("no id in %s", w.Body)
	}
	return id
}

// parseJSONField extracts a top-level string field without a full decode.
func parseJSONField(body, field string) string {
	i := strings.Index(body, `"`+field+`":"`)
	if i < 0 {
		return ""
	}
	rest := body[i+len(field)+4:]
	return rest[:strings.IndexByte(rest, '"')]
}

// createDirectory posts the creation form and returns the page, the new
// directory's id and the token it showed.
func (h *harness) createDirectory(c *http.Cookie, csrf, provider string) (*httptest.ResponseRecorder, string, string) {
	h.t.Helper()
	w := h.follow(h.post("/portal/directory-sync", url.Values{web.CSRFField: {csrf}, "provider": {provider}, "name": {"Employees"}}, c), c)
	if w.Code != http.StatusOK {
		h.t.Fatalf("create directory: %d %s", w.Code, w.Body)
	}
	dirs, err := h.st.ListDirectories(context.Background(), h.org.ID)
	if err != nil || len(dirs) == 0 {
		h.t.Fatalf("no directory stored: %v", err)
	}
	tok, _ := testID(parse(h.t, w), "token-value").Attr("value")
	return w, dirs[len(dirs)-1].ID, tok
}

func TestDirectorySetup(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSCIM(t))
	ctx := context.Background()
	c := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureDirSync}})
	idx := h.get("/portal/directory-sync", c)
	if idx.Code != http.StatusOK || testID(parse(t, idx), "dir-create-form").Length() != 1 {
		t.Fatalf("index: %d %s", idx.Code, idx.Body)
	}
	csrf := csrfOf(t, idx)
	if n := parse(t, idx).Find(`[data-testid="dir-provider"] option[value]`).Length(); n != len(directoryProviderIDs)+1 {
		t.Errorf("%d provider options, want %d", n, len(directoryProviderIDs)+1)
	}

	w, dirID, tok := h.createDirectory(c, csrf, "okta")
	doc := parse(t, w)
	// The token is shown once, and it is the stored token.
	if !secret.Valid(tok, scimkit.TokenPrefix) {
		t.Fatalf("token shown = %q", tok)
	}
	if got, err := h.st.GetDirectoryTokenByDigest(ctx, secret.Digest(tok)); err != nil || got.DirectoryID != dirID {
		t.Fatalf("shown token is not the directory's: %v", err)
	}
	if ep, _ := testID(doc, "endpoint-value").Attr("value"); ep != h.p.cfg.SCIM.EndpointURL(dirID) {
		t.Errorf("endpoint = %q", ep)
	}
	if testID(doc, "copy-token").Length() != 1 || testID(doc, "copy-endpoint").Length() != 1 {
		t.Error("no copy buttons")
	}
	if steps := testID(doc, "guide-steps").Find("li").Length(); steps < 3 || !strings.Contains(testID(doc, "dir-setup").Text(), "SCIM connector base URL") {
		t.Errorf("no Okta guide (%d steps)", steps)
	}
	detail := h.get("/portal/directory-sync/"+dirID, c)
	if strings.Contains(detail.Body.String(), tok) || testID(parse(t, detail), "new-token").Length() != 0 {
		t.Fatal("the token is shown again")
	}
	if st := testID(parse(t, detail), "directory-state").AttrOr("data-state", ""); st != "inactive" {
		t.Errorf("new directory state %q, want inactive", st)
	}

	// Activation posts ORGANIZATION_DIRECTORY_ENABLED to the parent.
	w = h.follow(h.post("/portal/directory-sync/"+dirID+"/activate", url.Values{web.CSRFField: {csrf}}, c), c)
	ev := testID(parse(t, w), "portal-event")
	if w.Code != http.StatusOK || ev.AttrOr("data-portal-event", "") != UIEventDirectoryEnabled || !strings.Contains(ev.AttrOr("data-portal-event-data", ""), dirID) {
		t.Fatalf("activate: %d, event %q %q", w.Code, ev.AttrOr("data-portal-event", ""), ev.AttrOr("data-portal-event-data", ""))
	}
	if d, _ := h.st.GetDirectory(ctx, dirID); d.State != store.DirectoryActive {
		t.Fatalf("directory state %s after activation", d.State)
	}

	// The IdP provisions through the real SCIM handler; the portal shows it.
	uid := h.scimUser(dirID, tok, "ada@acme.example", "Ada Lovelace")
	h.scimUser(dirID, tok, "alan@acme.example", "Alan Turing")
	g := h.scimDo(http.MethodPost, "/"+dirID+"/Groups", tok, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Engineering","members":[{"value":%q}]}`, uid))
	if g.Code != http.StatusCreated {
		t.Fatalf("SCIM create group: %d %s", g.Code, g.Body)
	}
	gid := parseJSONField(g.Body.String(), "id")
	doc = parse(t, h.get("/portal/directory-sync/"+dirID, c))
	if got := testID(doc, "activity-users").Text(); got != "2" {
		t.Errorf("activity users = %q", got)
	}
	if got := testID(doc, "activity-groups").Text(); got != "1" {
		t.Errorf("activity groups = %q", got)
	}
	counts := map[string]string{}
	testID(doc, "activity-count").Each(func(_ int, s *goquery.Selection) { counts[s.AttrOr("data-type", "")] = s.Text() })
	if !strings.HasSuffix(counts[scimkit.EventUserCreated], ": 2") || !strings.HasSuffix(counts[scimkit.EventMembershipAdded], ": 1") {
		t.Errorf("activity counts = %v", counts)
	}
	if n := testID(doc, "activity-event").Length(); n != 4 {
		t.Errorf("%d recent events, want 4 (2 users, 1 group, 1 membership)", n)
	}
	if first := testID(doc, "activity-event").First(); first.AttrOr("data-type", "") != scimkit.EventMembershipAdded {
		t.Errorf("newest event first: got %q", first.AttrOr("data-type", ""))
	} else if who := strings.TrimSpace(first.Find("td").Last().Text()); who != "ada@acme.example in Engineering" {
		// The member by its userName, not its id.
		t.Errorf("membership row names %q", who)
	}
	if got := testID(doc, "activity-last-used").Text(); strings.Contains(got, "None") {
		t.Errorf("last used = %q after requests", got)
	}

	// Browse: users, search, group members.
	doc = parse(t, h.get("/portal/directory-sync/"+dirID+"/users", c))
	if n := testID(doc, "user-row").Length(); n != 2 {
		t.Errorf("%d users listed", n)
	}
	doc = parse(t, h.get("/portal/directory-sync/"+dirID+"/users?q=lovelace", c))
	if n := testID(doc, "user-row").Length(); n != 1 || testID(doc, "user-name").Text() != "ada@acme.example" {
		t.Errorf("search by display name: %d rows", n)
	}
	doc = parse(t, h.get("/portal/directory-sync/"+dirID+"/users?q=ALAN@", c))
	if n := testID(doc, "user-row").Length(); n != 1 || testID(doc, "user-name").Text() != "alan@acme.example" {
		t.Errorf("search by user name: %d rows", n)
	}
	doc = parse(t, h.get("/portal/directory-sync/"+dirID+"/groups?q=engin", c))
	if testID(doc, "group-name").Text() != "Engineering" {
		t.Errorf("group search: %s", testID(doc, "dir-groups").Text())
	}
	doc = parse(t, h.get("/portal/directory-sync/"+dirID+"/groups/"+gid, c))
	if got := testID(doc, "member-name").Text(); got != "Ada Lovelace" {
		t.Errorf("members = %q", got)
	}

	// Rotation: a second token, both active; a third is refused.
	w = h.follow(h.post("/portal/directory-sync/"+dirID+"/tokens", url.Values{web.CSRFField: {csrf}}, c), c)
	tok2, _ := testID(parse(t, w), "token-value").Attr("value")
	if w.Code != http.StatusOK || !secret.Valid(tok2, scimkit.TokenPrefix) || tok2 == tok {
		t.Fatalf("rotate: %d", w.Code)
	}
	doc = parse(t, w)
	if n := doc.Find(`[data-testid="token"][data-state="active"]`).Length(); n != 2 {
		t.Errorf("%d active tokens after rotation, want 2", n)
	}
	if testID(doc, "token-rotate").Length() != 0 {
		t.Error("rotation offered with two active tokens")
	}
	if w := h.follow(h.post("/portal/directory-sync/"+dirID+"/tokens", url.Values{web.CSRFField: {csrf}}, c), c); testID(parse(t, w), "error-summary").Length() != 1 {
		t.Errorf("third token: %d", w.Code)
	}
	// Revoke the first: it stops working at once, the second works.
	toks, _ := h.st.ListDirectoryTokens(ctx, dirID)
	var oldID string
	for _, tk := range toks {
		if string(tk.Digest) == string(secret.Digest(tok)) {
			oldID = tk.ID
		}
	}
	// Revoking asks first, on a page of its own that changes nothing.
	confirm := parse(t, h.get("/portal/directory-sync/"+dirID+"/tokens/"+oldID+"/revoke", c))
	if action, _ := testID(confirm, "confirm-form").Attr("action"); action != "/portal/directory-sync/"+dirID+"/tokens/"+oldID+"/revoke" {
		t.Fatalf("revoke confirmation posts to %q", action)
	}
	if n := h.countEvents(scimkit.EventTokenRevoked); n != 0 {
		t.Fatalf("the confirmation page revoked: %d events", n)
	}
	w = h.follow(h.post("/portal/directory-sync/"+dirID+"/tokens/"+oldID+"/revoke", url.Values{web.CSRFField: {csrf}}, c), c)
	if !strings.Contains(testID(parse(t, w), "dir-message").Text(), "revoked") {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	if w := h.scimDo(http.MethodGet, "/"+dirID+"/Users", tok, ""); w.Code != http.StatusUnauthorized {
		t.Errorf("revoked token: SCIM status %d", w.Code)
	}
	if w := h.scimDo(http.MethodGet, "/"+dirID+"/Users", tok2, ""); w.Code != http.StatusOK {
		t.Errorf("new token: SCIM status %d", w.Code)
	}
	if n := h.countEvents(scimkit.EventTokenRevoked); n != 1 {
		t.Errorf("%d token.revoked events", n)
	}

	// Deactivation posts ORGANIZATION_DIRECTORY_DISABLED; SCIM is refused.
	if testID(parse(t, h.get("/portal/directory-sync/"+dirID+"/deactivate", c)), "confirm-submit").Length() != 1 {
		t.Error("no deactivation confirmation")
	}
	w = h.follow(h.post("/portal/directory-sync/"+dirID+"/deactivate", url.Values{web.CSRFField: {csrf}}, c), c)
	if ev := testID(parse(t, w), "portal-event"); ev.AttrOr("data-portal-event", "") != UIEventDirectoryDisabled {
		t.Errorf("deactivate event %q", ev.AttrOr("data-portal-event", ""))
	}
	if w := h.scimDo(http.MethodGet, "/"+dirID+"/Users", tok2, ""); w.Code != http.StatusForbidden {
		t.Errorf("inactive directory: SCIM status %d", w.Code)
	}

	// No token reached the log; the portal's token events name the session.
	for _, s := range []string{tok, tok2} {
		if strings.Contains(h.logs.String(), s) {
			t.Fatal("a SCIM token reached the log")
		}
	}
	evs, _ := h.st.ListEvents(ctx, store.EventQuery{Types: []string{scimkit.EventTokenCreated}})
	for _, e := range evs {
		if !strings.HasPrefix(e.Actor, "portal:") {
			t.Errorf("token.created actor = %q", e.Actor)
		}
	}
}

func TestDirectoryCreateValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		scim     bool
		form     url.Values
		status   int
		wantDirs int
	}{
		{"no provider", true, url.Values{}, http.StatusUnprocessableEntity, 0},
		{"unknown provider", true, url.Values{"provider": {"myspace"}}, http.StatusUnprocessableEntity, 0},
		{"name too long", true, url.Values{"provider": {"okta"}, "name": {strings.Repeat("x", 101)}}, http.StatusUnprocessableEntity, 0},
		// Text no Store holds: the same answer whatever the Store.
		{"name with a NUL", true, url.Values{"provider": {"okta"}, "name": {"Okta\x00"}}, http.StatusUnprocessableEntity, 0},
		{"name not UTF-8", true, url.Values{"provider": {"okta"}, "name": {"Okta \xff"}}, http.StatusUnprocessableEntity, 0},
		{"name with an escape", true, url.Values{"provider": {"okta"}, "name": {"Okta \x1b[31m"}}, http.StatusUnprocessableEntity, 0},
		{"without SCIM configured", false, url.Values{"provider": {"okta"}}, http.StatusConflict, 0},
		{"generic", true, url.Values{"provider": {"generic"}}, http.StatusCreated, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mod func(*Config, *admin.Config)
			if tt.scim {
				mod = withSCIM(t)
			}
			h := newHarness(t, mod)
			c := h.signIn(admin.LinkOptions{})
			tt.form.Set(web.CSRFField, csrfOf(t, h.get("/portal/", c)))
			w := h.post("/portal/directory-sync", tt.form, c)
			if w.Code != http.StatusSeeOther {
				t.Fatalf("status %d, want 303: %s", w.Code, w.Body)
			}
			w = h.follow(w, c)
			dirs, _ := h.st.ListDirectories(context.Background(), h.org.ID)
			if len(dirs) != tt.wantDirs {
				t.Errorf("%d directories stored, want %d", len(dirs), tt.wantDirs)
			}
			if tt.status != http.StatusCreated && testID(parse(t, w), "error-summary").Length() != 1 {
				t.Error("no error message")
			}
			if strings.HasPrefix(tt.name, "name") && !strings.Contains(testID(parse(t, w), "dir-name-error").Text(), "name") {
				t.Errorf("error %q does not name the field", testID(parse(t, w), "dir-name-error").Text())
			}
		})
	}
}

// TestSectionGating: every route of a section refuses sessions without its
// feature (403) and writes nothing; the directory and domain of another
// organization are not found (404).
func TestSectionGating(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config, ac *admin.Config) { withSCIM(t)(c, ac); withDomains(t, nil)(c, ac) })
	ctx := context.Background()
	other := h.createOrg("org_other", "Other Org")
	od, err := h.p.cfg.SCIM.CreateDirectory(ctx, other.ID, scimkit.DirectoryOptions{Provider: "okta"})
	if err != nil {
		t.Fatal(err)
	}
	odom, err := h.domains.Add(ctx, other.ID, "other.example", store.DomainDNSTXT, "test")
	if err != nil {
		t.Fatal(err)
	}
	dirOnly := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureDirSync}})
	domOnly := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureDomains}})
	dirCSRF := csrfOf(t, h.get("/portal/", dirOnly))
	domCSRF := csrfOf(t, h.get("/portal/", domOnly))
	events := func() int {
		evs, err := h.st.ListEvents(ctx, store.EventQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	tests := []struct {
		method, path string
		form         url.Values
		cookie       *http.Cookie
		csrf         string
		status       int
	}{
		{"GET", "/portal/directory-sync", nil, domOnly, domCSRF, http.StatusForbidden},
		{"POST", "/portal/directory-sync", url.Values{"provider": {"okta"}}, domOnly, domCSRF, http.StatusForbidden},
		{"GET", "/portal/directory-sync/" + od.ID, nil, domOnly, domCSRF, http.StatusForbidden},
		{"POST", "/portal/directory-sync/" + od.ID + "/activate", url.Values{}, domOnly, domCSRF, http.StatusForbidden},
		{"POST", "/portal/directory-sync/" + od.ID + "/tokens", url.Values{}, domOnly, domCSRF, http.StatusForbidden},
		{"GET", "/portal/directory-sync/" + od.ID + "/users", nil, domOnly, domCSRF, http.StatusForbidden},
		{"GET", "/portal/domains", nil, dirOnly, dirCSRF, http.StatusForbidden},
		{"POST", "/portal/domains", url.Values{"domain": {"acme.example"}}, dirOnly, dirCSRF, http.StatusForbidden},
		{"POST", "/portal/domains/" + odom.ID + "/verify", url.Values{}, dirOnly, dirCSRF, http.StatusForbidden},
		{"POST", "/portal/domains/" + odom.ID + "/remove", url.Values{}, dirOnly, dirCSRF, http.StatusForbidden},
		// Another organization's objects, with the right feature.
		{"GET", "/portal/directory-sync/" + od.ID, nil, dirOnly, dirCSRF, http.StatusNotFound},
		{"POST", "/portal/directory-sync/" + od.ID + "/activate", url.Values{}, dirOnly, dirCSRF, http.StatusNotFound},
		{"POST", "/portal/directory-sync/" + od.ID + "/tokens", url.Values{}, dirOnly, dirCSRF, http.StatusNotFound},
		{"GET", "/portal/directory-sync/" + od.ID + "/users", nil, dirOnly, dirCSRF, http.StatusNotFound},
		{"POST", "/portal/domains/" + odom.ID + "/verify", url.Values{}, domOnly, domCSRF, http.StatusNotFound},
		{"POST", "/portal/domains/" + odom.ID + "/remove", url.Values{}, domOnly, domCSRF, http.StatusNotFound},
		// Right feature and organization, no CSRF token.
		{"POST", "/portal/directory-sync", url.Values{"provider": {"okta"}}, dirOnly, "", http.StatusForbidden},
		{"POST", "/portal/domains", url.Values{"domain": {"acme.example"}}, domOnly, "", http.StatusForbidden},
	}
	for _, tt := range tests {
		before := events()
		var w *httptest.ResponseRecorder
		if tt.method == "GET" {
			w = h.get(tt.path, tt.cookie)
		} else {
			if tt.csrf != "" {
				tt.form.Set(web.CSRFField, tt.csrf)
			}
			w = h.post(tt.path, tt.form, tt.cookie)
		}
		if w.Code != tt.status {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, w.Code, tt.status)
		}
		if n := events() - before; n != 0 {
			t.Errorf("%s %s: a refused request wrote %d event(s)", tt.method, tt.path, n)
		}
	}
	if d, _ := h.st.GetDirectory(ctx, od.ID); d.State != store.DirectoryInactive {
		t.Error("another organization's directory was activated")
	}
	if _, err := h.st.GetDomain(ctx, odom.ID); err != nil {
		t.Error("another organization's domain was removed")
	}
	logs := h.logs.String()
	for _, want := range []string{"feature not granted to session", "directory of another organization refused", "domain of another organization refused", "CSRF token missing or wrong"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func TestDirectoryBrowsePagination(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSCIM(t))
	ctx := context.Background()
	d, err := h.p.cfg.SCIM.CreateDirectory(ctx, h.org.ID, scimkit.DirectoryOptions{Provider: "entra", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := h.p.cfg.SCIM.CreateToken(ctx, d.ID, scimkit.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		h.scimUser(d.ID, tok, "user"+strconv.Itoa(100+i)+"@acme.example", "User "+strconv.Itoa(100+i))
	}
	h.scimUser(d.ID, tok, "mallory@acme.example", evil)
	c := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureDirSync}})
	tests := []struct {
		query     string
		rows      int
		prev      bool
		next      bool
		firstName string
	}{
		{"", 25, false, true, "mallory@acme.example"},
		{"?page=2", 6, true, false, "user124@acme.example"},
		{"?page=999", 0, true, false, ""},
		{"?page=-1", 25, false, true, "mallory@acme.example"},
		{"?q=user1", 30, false, false, ""},
		{"?q=user1&page=2", 5, true, false, "user125@acme.example"},
		{"?q=nobody", 0, false, false, ""},
	}
	for _, tt := range tests {
		w := h.get("/portal/directory-sync/"+d.ID+"/users"+tt.query, c)
		doc := parse(t, w)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d", tt.query, w.Code)
		}
		if tt.query == "?q=user1" {
			tt.rows = 25 // one page of the 30 matches
			tt.next = true
		}
		if n := testID(doc, "user-row").Length(); n != tt.rows {
			t.Errorf("%s: %d rows, want %d", tt.query, n, tt.rows)
		}
		if got := testID(doc, "pager-prev").Length() == 1; got != tt.prev {
			t.Errorf("%s: prev link %v", tt.query, got)
		}
		if got := testID(doc, "pager-next").Length() == 1; got != tt.next {
			t.Errorf("%s: next link %v", tt.query, got)
		}
		if tt.firstName != "" && testID(doc, "user-name").First().Text() != tt.firstName {
			t.Errorf("%s: first row %q, want %q", tt.query, testID(doc, "user-name").First().Text(), tt.firstName)
		}
		if strings.Contains(w.Body.String(), "<script>alert") || strings.Contains(w.Body.String(), "<img src=x") {
			t.Fatalf("%s: an IdP string was rendered unescaped", tt.query)
		}
	}
	// The IdP's display name shows as text, escaped, on the users and
	// activity pages.
	doc := parse(t, h.get("/portal/directory-sync/"+d.ID+"/users?q=mallory", c))
	if got := testID(doc, "user-display").Text(); got != evil {
		t.Errorf("display name = %q", got)
	}
	w := h.get("/portal/directory-sync/"+d.ID, c)
	if strings.Contains(w.Body.String(), "<script>alert") {
		t.Fatal("activity view renders an IdP string unescaped")
	}
	if next := testID(parse(t, h.get("/portal/directory-sync/"+d.ID+"/users?q=user1", c)), "pager-next").AttrOr("href", ""); next != "/portal/directory-sync/"+d.ID+"/users?page=2&q=user1" {
		t.Errorf("next link = %q", next)
	}
}

// FuzzDirectoryBrowse sends arbitrary search and page parameters to the
// users and groups pages: never a 5xx, and the search shows up only
// escaped.
func FuzzDirectoryBrowse(f *testing.F) {
	f.Add("ada", "2")
	f.Add(`") or ("1" eq "1`, "-5")
	f.Add(strings.Repeat("%", 300), "99999999999999999999")
	f.Add("<script>alert(1)</script>", "0x10")
	h := newHarness(f, withSCIM(f))
	d, err := h.p.cfg.SCIM.CreateDirectory(context.Background(), h.org.ID, scimkit.DirectoryOptions{Provider: "okta", Active: true})
	if err != nil {
		f.Fatal(err)
	}
	c := h.signIn(admin.LinkOptions{})
	f.Fuzz(func(t *testing.T, q, page string) {
		for _, which := range []string{"/users", "/groups"} {
			target := "/portal/directory-sync/" + d.ID + which + "?" + url.Values{"q": {q}, "page": {page}}.Encode()
			w := h.get(target, c)
			if w.Code != http.StatusOK {
				t.Fatalf("%s: status %d", target, w.Code)
			}
			if strings.Contains(q, "<script") && strings.Contains(w.Body.String(), "<script>alert") {
				t.Fatalf("%s: search rendered unescaped", target)
			}
		}
	})
}
