package portal

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	st := memstore.New()
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
		admin   func(*admin.Config) // changes the admin service's Config
	}{
		{"ok", Config{Store: st, BaseURL: testBaseURL}, "", nil},
		{"ok at root", Config{Store: st, BaseURL: "https://portal.example.com"}, "", nil},
		{"ok localhost http", Config{Store: st, BaseURL: "http://localhost:8080/portal"}, "", nil},
		{"ok ancestors", Config{Store: st, BaseURL: testBaseURL, FrameAncestors: []string{"https://app.example.com", "https://other.example:8443", "http://127.0.0.1:3000"}}, "", nil},
		{"no store", Config{BaseURL: testBaseURL}, "Store is required", nil},
		{"no base", Config{Store: st}, "PortalURL is required", nil},
		{"relative base", Config{Store: st, BaseURL: "/portal"}, "absolute URL", nil},
		{"http base", Config{Store: st, BaseURL: "http://app.example.com/portal"}, "must be https", nil},
		{"ftp base", Config{Store: st, BaseURL: "ftp://app.example.com/portal"}, "must be https", nil},
		{"base with query", Config{Store: st, BaseURL: "https://app.example.com/portal?x=1"}, "without user info, query", nil},
		{"wildcard ancestor", Config{Store: st, BaseURL: testBaseURL, FrameAncestors: []string{"*"}}, "without wildcards", nil},
		{"wildcard subdomain", Config{Store: st, BaseURL: testBaseURL, FrameAncestors: []string{"https://*.example.com"}}, "without wildcards", nil},
		{"ancestor path", Config{Store: st, BaseURL: testBaseURL, FrameAncestors: []string{"https://app.example.com/settings"}}, "without path", nil},
		{"ancestor http", Config{Store: st, BaseURL: testBaseURL, FrameAncestors: []string{"http://app.example.com"}}, "must be https", nil},
		{"ancestor scheme only", Config{Store: st, BaseURL: testBaseURL, FrameAncestors: []string{"https:"}}, "is not an origin", nil},
		{"ancestor list in one", Config{Store: st, BaseURL: testBaseURL, FrameAncestors: []string{"https://a.example https://b.example"}}, "without wildcards", nil},
		{"ancestor injection", Config{Store: st, BaseURL: testBaseURL, FrameAncestors: []string{"https://a.example;script-src"}}, "without wildcards", nil},
		{"ancestor bad port", Config{Store: st, BaseURL: testBaseURL, FrameAncestors: []string{"https://a.example:99999"}}, "invalid port", nil},
		{"ancestor data", Config{Store: st, BaseURL: testBaseURL, FrameAncestors: []string{"data:text/html"}}, "not an origin", nil},
		{"negative ttl", Config{Store: st, BaseURL: testBaseURL}, "must not be negative", func(c *admin.Config) { c.EmbeddedLinkTTL = -time.Second }},
		{"negative session ttl", Config{Store: st, BaseURL: testBaseURL, EmbeddedSessionTTL: -time.Second}, "must not be negative", nil},
		{"base is not the admin's", Config{Store: st, BaseURL: testBaseURL}, "must be the Admin's PortalURL", func(c *admin.Config) { c.PortalURL = "https://other.example.com/portal" }},
		{"warning too long", Config{Store: st, BaseURL: testBaseURL, SessionWarning: 7 * time.Hour}, "SessionWarning", nil},
		{"bad accent", Config{Store: st, BaseURL: testBaseURL}, "AccentColor", func(c *admin.Config) { c.Branding = admin.Branding{AccentColor: "red;}body{"} }},
		{"bad logo type", Config{Store: st, BaseURL: testBaseURL}, "Logo", func(c *admin.Config) {
			c.Branding = admin.Branding{Logo: &store.Asset{ContentType: "text/html", Data: []byte("<script>")}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mods []func(*admin.Config)
			if tt.admin != nil {
				mods = append(mods, tt.admin)
			}
			_, err := newPortal(tt.cfg, mods...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestGenerateLink(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ctx := context.Background()

	tests := []struct {
		name     string
		opts     admin.LinkOptions
		by       string // the actor passed to GenerateLink
		kind     store.LinkKind
		ttl      time.Duration
		features store.Features
		actor    string
	}{
		{"shareable defaults", admin.LinkOptions{}, "", store.LinkShareable, 7 * 24 * time.Hour,
			store.Features{store.FeatureDirSync, store.FeatureDomains, store.FeatureSSO}, "system"},
		{"embedded", admin.LinkOptions{Embedded: true}, "operator:jane", store.LinkEmbedded, time.Minute,
			store.Features{store.FeatureDirSync, store.FeatureDomains, store.FeatureSSO}, "operator:jane"},
		{"features normalised", admin.LinkOptions{Features: []store.Feature{store.FeatureSSO, store.FeatureDirSync, store.FeatureSSO}}, "",
			store.LinkShareable, 7 * 24 * time.Hour, store.Features{store.FeatureDirSync, store.FeatureSSO}, "system"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, tok := h.linkFor(h.org.ID, tt.opts, tt.by)
			if !strings.HasPrefix(l.URL, testBaseURL+"/l/") {
				t.Errorf("URL = %q, want it under %s/l/", l.URL, testBaseURL)
			}
			if !secret.Valid(tok, admin.LinkTokenPrefix) {
				t.Errorf("token %q is not a 256-bit secret", tok)
			}
			if want := h.clock.Now().Add(tt.ttl); !l.ExpiresAt.Equal(want) {
				t.Errorf("ExpiresAt = %v, want %v", l.ExpiresAt, want)
			}
			sl := h.storedLink(l.ID)
			if sl.Kind != tt.kind || sl.OrgID != h.org.ID || sl.CreatedBy != tt.actor {
				t.Errorf("stored link = %+v", sl)
			}
			if !secret.Equal(sl.Digest, secret.Digest(tok)) {
				t.Error("stored digest is not the SHA-256 of the token")
			}
			if strings.Join(featureStrings(sl.Features), ",") != strings.Join(featureStrings(tt.features), ",") {
				t.Errorf("features = %v, want %v", sl.Features, tt.features)
			}
			evs, err := h.st.ListEvents(ctx, store.EventQuery{Types: []string{admin.EventLinkCreated}})
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, e := range evs {
				if e.Subject == l.ID {
					found = true
					if e.OrgID != h.org.ID || e.Actor != tt.actor || strings.Contains(string(e.Data), tok) {
						t.Errorf("event = %+v", e)
					}
				}
			}
			if !found {
				t.Errorf("no %s event for %s", admin.EventLinkCreated, l.ID)
			}
		})
	}

	t.Run("json shape", func(t *testing.T) {
		l, _ := h.link(admin.LinkOptions{Embedded: true})
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if len(m) != 3 || m["id"] != l.ID || m["location"] != l.URL || m["expireTime"] == nil {
			t.Errorf("JSON = %s", b)
		}
	})

	errTests := []struct {
		name  string
		org   string
		opts  admin.LinkOptions
		want  error
		wrote bool
	}{
		{"empty org", "", admin.LinkOptions{}, admin.ErrInvalidInput, false},
		{"unknown feature", h.org.ID, admin.LinkOptions{Features: []store.Feature{"billing"}}, admin.ErrInvalidInput, false},
		{"unknown org", "org_nope", admin.LinkOptions{}, store.ErrNotFound, false},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.countEvents(admin.EventLinkCreated)
			_, err := h.admin.GenerateLink(ctx, tt.org, tt.opts, "")
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if h.countEvents(admin.EventLinkCreated) != before {
				t.Error("an event was written for a refused link")
			}
		})
	}
}

func featureStrings(fs store.Features) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}

func TestRevokeAndListLinks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ctx := context.Background()
	l1, _ := h.link(admin.LinkOptions{})
	h.clock.Add(time.Second)
	l2, tok2 := h.link(admin.LinkOptions{})
	if _, err := h.admin.RevokeLink(ctx, l2.ID, "operator:jane"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.admin.RevokeLink(ctx, l2.ID, "operator:jane"); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	if _, err := h.admin.RevokeLink(ctx, "plink_nope", ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoking unknown link: %v", err)
	}
	links, err := h.admin.ListLinks(ctx, h.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 2 || links[0].ID != l2.ID || links[1].ID != l1.ID {
		t.Fatalf("ListLinks = %+v", links)
	}
	for _, l := range links {
		if l.Digest != nil {
			t.Error("ListLinks exposes a digest")
		}
	}
	if links[0].RevokedAt.IsZero() {
		t.Error("revoked link is not marked revoked")
	}
	if n := h.countEvents(admin.EventLinkRevoked); n != 1 {
		t.Errorf("%d revoke events, want 1", n)
	}
	w, _ := h.redeem(tok2)
	if w = h.refusedPage(w, tok2); w.Code != http.StatusGone {
		t.Fatalf("revoked link: status %d", w.Code)
	}
	if got := testID(parse(t, w), "problem-link-revoked").Length(); got != 1 {
		t.Errorf("revoked page not shown: %s", w.Body)
	}
}

// TestLandingGetNeverConsumes: mail scanners prefetch links with GET and
// HEAD; only the POST consumes.
func TestLandingGetNeverConsumes(t *testing.T) {
	t.Parallel()
	for _, embedded := range []bool{false, true} {
		h := newHarness(t, nil)
		l, tok := h.link(admin.LinkOptions{Embedded: embedded})
		for i := 0; i < 5; i++ {
			for _, target := range []string{"/portal/l/" + tok, "/portal/l?token=" + url.QueryEscape(tok)} {
				for _, method := range []string{http.MethodGet, http.MethodHead} {
					w := h.do(newRequest(method, target))
					if w.Code != http.StatusOK {
						t.Fatalf("%s %s: status %d", method, target, w.Code)
					}
					if c := sessionCookieOf(w); c != nil {
						t.Fatalf("%s set a session cookie", method)
					}
				}
			}
		}
		if got := h.storedLink(l.ID); !got.UsedAt.IsZero() {
			t.Fatalf("embedded=%v: GET consumed the link", embedded)
		}
		if n := h.countEvents(EventSessionCreated); n != 0 {
			t.Fatalf("GET created %d sessions", n)
		}
		w := h.get("/portal/l/" + tok)
		doc := parse(t, w)
		form := testID(doc, "continue-form")
		if method, _ := form.Attr("method"); method != "post" {
			t.Errorf("landing form method = %q", method)
		}
		if action, _ := form.Attr("action"); action != "/portal/l" {
			t.Errorf("landing form action = %q", action)
		}
		if v, _ := form.Find(`input[name="token"]`).Attr("value"); v != tok {
			t.Error("landing form does not carry the token")
		}
		if _, auto := form.Attr("data-autocontinue"); auto != embedded {
			t.Errorf("embedded=%v but autocontinue=%v", embedded, auto)
		}
		if got := testID(doc, "landing-title").Text(); !strings.Contains(got, "Acme Corp") {
			t.Errorf("landing title = %q", got)
		}
		w, c := h.redeem(tok)
		if w.Code != http.StatusSeeOther || c == nil {
			t.Fatalf("POST after GETs: status %d", w.Code)
		}
	}
}

func newRequest(method, target string) *http.Request {
	return httptestRequest(method, "https://app.example.com"+target)
}

// TestRedeemRedirectsToCleanURL: the token never stays in the address bar,
// the history or a Referer.
func TestRedeemRedirectsToCleanURL(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	_, tok := h.link(admin.LinkOptions{})
	w, c := h.redeem(tok)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("status %d, want 303", w.Code)
	}
	loc := w.Header().Get("Location")
	if loc != "/portal/" || strings.Contains(loc, tok) {
		t.Fatalf("Location = %q, want /portal/", loc)
	}
	if strings.Contains(w.Body.String(), tok) {
		t.Error("redirect body contains the token")
	}
	if c == nil || !c.HttpOnly || !c.Secure || c.Path != "/portal" || c.SameSite != http.SameSiteLaxMode || c.Partitioned {
		t.Fatalf("session cookie = %+v", c)
	}
	if c.Name != "__Secure-onboardkit_portal" {
		t.Errorf("cookie name = %q", c.Name)
	}
	if c.MaxAge != int(DefaultShareableSessionTTL.Seconds()) {
		t.Errorf("cookie Max-Age = %d", c.MaxAge)
	}
	home := h.get(loc, c)
	if home.Code != http.StatusOK {
		t.Fatalf("home: status %d: %s", home.Code, home.Body)
	}
}

// TestParallelRedemptionOfEmbeddedLink: of 50 concurrent redemptions of one
// single-use link exactly one gets a session.
func TestParallelRedemptionOfEmbeddedLink(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	_, tok := h.link(admin.LinkOptions{Embedded: true})
	const n = 50
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		codes   = map[int]int{}
		cookies []*http.Cookie
	)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			w, c := h.redeem(tok)
			mu.Lock()
			defer mu.Unlock()
			codes[w.Code]++
			if w.Header().Get("Location") == "/portal/link-refused/link_used" {
				codes[http.StatusGone]++
			}
			if c != nil {
				cookies = append(cookies, c)
			}
		}()
	}
	close(start)
	wg.Wait()
	if codes[http.StatusSeeOther] != n || codes[http.StatusGone] != n-1 || len(cookies) != 1 {
		t.Fatalf("status counts %v, %d cookies; want %d 303, of which %d (counted as 410) to the link-used page", codes, len(cookies), n, n-1)
	}
	if got := h.countEvents(EventSessionCreated); got != 1 {
		t.Fatalf("%d sessions created, want 1", got)
	}
	if !h.sessionLive(cookies[0]) {
		t.Fatal("the winning session is not live")
	}
}

func TestLinkLifetimes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		embedded bool
		revoke   bool
		useFirst bool // redeem once before the tested redemption
		after    time.Duration
		status   int
		testID   string
	}{
		{"embedded within a minute", true, false, false, 59 * time.Second, http.StatusSeeOther, ""},
		{"embedded at 61 s", true, false, false, 61 * time.Second, http.StatusGone, "problem-link-expired"},
		{"embedded at exactly 60 s", true, false, false, time.Minute, http.StatusGone, "problem-link-expired"},
		{"embedded twice", true, false, true, time.Second, http.StatusGone, "problem-link-used"},
		{"shareable reused within 7 days", false, false, true, 7*24*time.Hour - time.Second, http.StatusSeeOther, ""},
		{"shareable after 7 days", false, false, false, 7*24*time.Hour + time.Second, http.StatusGone, "problem-link-expired"},
		{"shareable revoked", false, true, false, time.Second, http.StatusGone, "problem-link-revoked"},
		{"shareable revoked after use", false, true, true, time.Second, http.StatusGone, "problem-link-revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, nil)
			l, tok := h.link(admin.LinkOptions{Embedded: tt.embedded})
			var first *http.Cookie
			if tt.useFirst {
				_, first = h.redeem(tok)
				if first == nil {
					t.Fatal("first redemption failed")
				}
			}
			if tt.revoke {
				if _, err := h.admin.RevokeLink(context.Background(), l.ID, "operator:test"); err != nil {
					t.Fatal(err)
				}
			}
			h.clock.Add(tt.after)
			// The landing page judges the link the same way, without consuming.
			landing := h.get("/portal/l/" + tok)
			wantLanding := http.StatusOK
			if tt.status != http.StatusSeeOther {
				wantLanding = tt.status
			}
			if landing.Code != wantLanding {
				t.Errorf("landing status %d, want %d", landing.Code, wantLanding)
			}
			sessionsBefore := h.countEvents(EventSessionCreated)
			w, c := h.redeem(tok)
			if tt.status != http.StatusSeeOther {
				// A refusal redirects to a GET of its page, so that a
				// reload does not post the link again.
				w = h.refusedPage(w, tok)
			}
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.status != http.StatusSeeOther {
				// Nothing written: no session (its event is written in the
				// same Store write), and the link unchanged.
				if n := h.countEvents(EventSessionCreated); n != sessionsBefore {
					t.Errorf("a refused redemption wrote %d session(s)", n-sessionsBefore)
				}
				if got := h.storedLink(l.ID); tt.embedded && !tt.useFirst && !got.UsedAt.IsZero() {
					t.Error("a refused redemption marked the link used")
				}
				// The operator sees the real reason.
				reason := strings.ReplaceAll(strings.TrimPrefix(tt.testID, "problem-"), "-", "_")
				if logs := h.logs.String(); !strings.Contains(logs, "link redemption refused") || !strings.Contains(logs, "reason="+reason) || !strings.Contains(logs, "link_id="+l.ID) {
					t.Errorf("log lacks the refusal reason %s for %s: %s", reason, l.ID, logs)
				}
				doc := parse(t, w)
				if testID(doc, tt.testID).Length() != 1 {
					t.Errorf("page lacks %s: %s", tt.testID, w.Body)
				}
				if load, _ := doc.Find("body").Attr("data-load"); load != "failure" {
					t.Errorf("data-load = %q, want failure", load)
				}
				if strings.Contains(w.Body.String(), "goroutine") || strings.Contains(w.Body.String(), "store:") {
					t.Error("error page leaks internals")
				}
				return
			}
			if c == nil {
				t.Fatal("no session cookie")
			}
			if first != nil && first.Value == c.Value {
				t.Error("reusing a shareable link returned the same session")
			}
		})
	}
}

func TestSessionLifetime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		embedded bool
		cfg      func(*Config, *admin.Config)
		after    time.Duration
		live     bool
	}{
		{"embedded before 6 h", true, nil, 6*time.Hour - time.Second, true},
		{"embedded at 6 h + 1 s", true, nil, 6*time.Hour + time.Second, false},
		{"shareable before 6 h", false, nil, 6*time.Hour - time.Second, true},
		{"shareable at 6 h + 1 s", false, nil, 6*time.Hour + time.Second, false},
		{"shareable configured 12 h", false, func(c *Config, ac *admin.Config) { c.ShareableSessionTTL = 12 * time.Hour }, 11 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.cfg)
			c := h.signIn(admin.LinkOptions{Embedded: tt.embedded})
			h.clock.Add(tt.after)
			w := h.get("/portal/", c)
			if tt.live {
				if w.Code != http.StatusOK {
					t.Fatalf("status %d, want 200", w.Code)
				}
				return
			}
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", w.Code)
			}
			doc := parse(t, w)
			if testID(doc, "problem-session-expired").Length() != 1 {
				t.Errorf("no session-expired page: %s", w.Body)
			}
			if v, _ := doc.Find("body").Attr("data-expired"); v != "true" {
				t.Error("expired page does not ask the script to post PORTAL_SESSION_EXPIRY")
			}
			if testID(doc, "org-name").Length() != 0 {
				t.Error("expired page shows the organization")
			}
			cleared := false
			for _, ck := range w.Result().Cookies() {
				if strings.HasSuffix(ck.Name, "onboardkit_portal") && ck.MaxAge < 0 {
					cleared = true
				}
			}
			if !cleared {
				t.Error("expired session cookie not cleared")
			}
		})
	}
}

// TestSessionFixation: whatever session cookie the browser brings, a
// redemption issues a fresh random one.
func TestSessionFixation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	_, tok := h.link(admin.LinkOptions{})

	planted := &http.Cookie{Name: "__Secure-onboardkit_portal", Value: "oks_" + strings.Repeat("A", 43)}
	_, c1 := h.redeem(tok, planted)
	if c1 == nil || c1.Value == planted.Value {
		t.Fatalf("redemption kept a planted session id: %v", c1)
	}
	_, c2 := h.redeem(tok, c1)
	if c2 == nil || c2.Value == c1.Value {
		t.Fatal("second redemption reused the session id")
	}
	if h.sessionLive(c1) {
		t.Error("the replaced session is still live")
	}
	if !h.sessionLive(c2) {
		t.Error("the new session is not live")
	}
	if w := h.get("/portal/", planted); w.Code != http.StatusUnauthorized {
		t.Errorf("planted cookie: status %d", w.Code)
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c := h.signIn(admin.LinkOptions{})
	token := csrfOf(t, h.get("/portal/", c))
	// A real CSRF token of another live session, of the same organization.
	otherToken := csrfOf(t, h.get("/portal/", h.signIn(admin.LinkOptions{})))
	if otherToken == token {
		t.Fatal("two sessions share a CSRF token")
	}

	tests := []struct {
		name   string
		form   url.Values
		origin string
		site   string
		header string
		status int
	}{
		{"missing", url.Values{}, "https://app.example.com", "same-origin", "", http.StatusForbidden},
		{"wrong", url.Values{web.CSRFField: {token + "x"}}, "https://app.example.com", "same-origin", "", http.StatusForbidden},
		{"other session's token", url.Values{web.CSRFField: {otherToken}}, "https://app.example.com", "same-origin", "", http.StatusForbidden},
		{"other session's token in the header", url.Values{}, "https://app.example.com", "same-origin", otherToken, http.StatusForbidden},
		{"right token, cross-site", url.Values{web.CSRFField: {token}}, "https://evil.example", "cross-site", "", http.StatusForbidden},
		{"right token, foreign origin", url.Values{web.CSRFField: {token}}, "https://evil.example", "", "", http.StatusForbidden},
		{"wrong header", url.Values{}, "https://app.example.com", "same-origin", "nope", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptestRequest(http.MethodPost, "https://app.example.com/portal/logout")
			r.Body = ioNopCloser(tt.form.Encode())
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.site != "" {
				r.Header.Set("Sec-Fetch-Site", tt.site)
			}
			if tt.header != "" {
				r.Header.Set(csrfHeader, tt.header)
			}
			r.AddCookie(c)
			w := h.do(r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if testID(parse(t, w), "problem-csrf").Length() != 1 {
				t.Errorf("no CSRF page: %s", w.Body)
			}
			if !h.sessionLive(c) {
				t.Fatal("a refused request changed the session")
			}
		})
	}

	t.Run("pre-session form from another origin", func(t *testing.T) {
		l, tok := h.link(admin.LinkOptions{Embedded: true})
		r := httptestRequest(http.MethodPost, "https://app.example.com/portal/l")
		r.Body = ioNopCloser(url.Values{"token": {tok}}.Encode())
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Origin", "https://evil.example")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		w := h.do(r)
		if w.Code != http.StatusForbidden || sessionCookieOf(w) != nil {
			t.Fatalf("status %d", w.Code)
		}
		if !h.storedLink(l.ID).UsedAt.IsZero() {
			t.Fatal("a cross-site post consumed the link")
		}
	})

	// Pages use Referrer-Policy: strict-origin, so browsers send the
	// portal's Origin on their own form posts; "Origin: null" passes only
	// where Sec-Fetch-Site says same-origin.
	originTests := []struct {
		name, origin, site string
		ok                 bool
	}{
		{"null origin, same-origin fetch", "null", "same-origin", true},
		{"exact origin, no fetch metadata", "https://app.example.com", "", true},
		{"no headers (not a browser)", "", "", true},
		{"null origin, no fetch metadata", "null", "", false},
		{"same-site sibling", "https://other.example.com", "same-site", false},
		{"same-origin claim with foreign origin", "https://evil.example", "same-origin", false},
	}
	for _, tt := range originTests {
		t.Run("redeem: "+tt.name, func(t *testing.T) {
			l, tok := h.link(admin.LinkOptions{Embedded: true})
			r := httptestRequest(http.MethodPost, "https://app.example.com/portal/l")
			r.Body = ioNopCloser(url.Values{"token": {tok}}.Encode())
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.site != "" {
				r.Header.Set("Sec-Fetch-Site", tt.site)
			}
			w := h.do(r)
			used := !h.storedLink(l.ID).UsedAt.IsZero()
			if tt.ok != (w.Code == http.StatusSeeOther && sessionCookieOf(w) != nil) || tt.ok != used {
				t.Fatalf("status %d, link used %v; want accepted=%v", w.Code, used, tt.ok)
			}
		})
	}

	t.Run("session post with null origin and the token", func(t *testing.T) {
		c := h.signIn(admin.LinkOptions{})
		tok := csrfOf(t, h.get("/portal/", c))
		r := httptestRequest(http.MethodPost, "https://app.example.com/portal/logout")
		r.Body = ioNopCloser(url.Values{web.CSRFField: {tok}}.Encode())
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Origin", "null")
		r.AddCookie(c)
		if w := h.do(r); w.Code != http.StatusSeeOther || h.sessionLive(c) {
			t.Fatalf("status %d", w.Code)
		}
	})

	t.Run("token in query string is ignored", func(t *testing.T) {
		l, tok := h.link(admin.LinkOptions{Embedded: true})
		w := h.refusedPage(h.post("/portal/l?token="+url.QueryEscape(tok), url.Values{}), tok)
		if w.Code != http.StatusNotFound || !h.storedLink(l.ID).UsedAt.IsZero() {
			t.Fatalf("status %d; a token in the URL of a POST must not be consumed", w.Code)
		}
	})

	t.Run("right token logs out", func(t *testing.T) {
		ended := h.countEvents(EventSessionEnded)
		w := h.post("/portal/logout", url.Values{web.CSRFField: {token}}, c)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/portal/signed-out" {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if h.sessionLive(c) {
			t.Fatal("session still live after logout")
		}
		if n := h.countEvents(EventSessionEnded) - ended; n != 1 {
			t.Fatalf("logout wrote %d %s events, want 1", n, EventSessionEnded)
		}
		if w := h.get("/portal/", c); w.Code != http.StatusUnauthorized {
			t.Fatalf("after logout: status %d", w.Code)
		}
	})
}

func TestFeatureGating(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureDirSync}})
	tests := []struct {
		path   string
		status int
	}{
		{"/portal/", http.StatusOK},
		{"/portal/directory-sync", http.StatusOK},
		{"/portal/sso", http.StatusForbidden},
		{"/portal/domains", http.StatusForbidden},
		{"/portal/sso?org=org_acme", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := h.get(tt.path, c)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			doc := parse(t, w)
			if testID(doc, "nav-sso").Length() != 0 || testID(doc, "nav-domains").Length() != 0 {
				t.Error("navigation offers sections the session lacks")
			}
			if tt.status == http.StatusForbidden && testID(doc, "problem-forbidden").Length() != 1 {
				t.Errorf("no forbidden page: %s", w.Body)
			}
		})
	}
	doc := parse(t, h.get("/portal/", c))
	if testID(doc, "home-sso").Length() != 0 || testID(doc, "home-domains").Length() != 0 || testID(doc, "home-dir-sync").Length() != 1 {
		t.Error("home shows sections outside the session's features")
	}
	// Without a session every section is refused.
	for _, p := range []string{"/portal/", "/portal/sso", "/portal/directory-sync", "/portal/domains"} {
		if w := h.get(p); w.Code != http.StatusUnauthorized {
			t.Errorf("%s without session: status %d", p, w.Code)
		}
	}
}

// TestOrganizationIsolation: a session shows its own organization only;
// nothing in a URL can point it at another.
func TestOrganizationIsolation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ctx := context.Background()
	other := h.createOrg("org_other", "Other Inc")
	for _, o := range []struct{ org, name string }{{h.org.ID, "Acme Okta"}, {other.ID, "Other Entra"}} {
		err := h.st.CreateConnection(ctx, &store.Connection{
			ID: "conn_" + o.org, OrgID: o.org, Protocol: store.ProtocolOIDC, Provider: "okta", Name: o.name,
			State: store.ConnectionActive, OIDC: &store.OIDCConfig{Issuer: "https://idp.example/" + o.org, ClientID: "x"},
			CreatedAt: h.clock.Now(), UpdatedAt: h.clock.Now(),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	c := h.signIn(admin.LinkOptions{})
	for _, p := range []string{"/portal/", "/portal/sso", "/portal/sso?org=org_other", "/portal/?organization_id=org_other"} {
		w := h.get(p, c)
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(body, "Acme Okta") || strings.Contains(body, "Other") {
			t.Errorf("%s: status %d, shows another organization or misses its own", p, w.Code)
		}
	}
}

func TestRevokingLinkEndsItsSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	l, tok := h.link(admin.LinkOptions{})
	_, c := h.redeem(tok)
	if w := h.get("/portal/", c); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if _, err := h.admin.RevokeLink(context.Background(), l.ID, "operator:test"); err != nil {
		t.Fatal(err)
	}
	// Revocation deletes the link's sessions in the same write, so the
	// browser is simply signed out.
	w := h.get("/portal/", c)
	if w.Code != http.StatusUnauthorized || testID(parse(t, w), "problem-no-session").Length() != 1 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if h.sessionLive(c) {
		t.Error("session of a revoked link still stored")
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		ancestors []string
		wantFA    string
	}{
		{"no embedding", nil, "frame-ancestors 'none';"},
		{"configured", []string{"https://app.example.com", "https://admin.example.org:8443/"}, "frame-ancestors https://app.example.com https://admin.example.org:8443;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *Config, ac *admin.Config) { c.FrameAncestors = tt.ancestors })
			_, tok := h.link(admin.LinkOptions{})
			_, expired := h.link(admin.LinkOptions{Embedded: true})
			c := h.signIn(admin.LinkOptions{})
			responses := map[string]*responseRecorder{
				"landing":   h.get("/portal/l/" + tok),
				"redirect":  h.post("/portal/l", url.Values{"token": {tok}}),
				"home":      h.get("/portal/", c),
				"sso":       h.get("/portal/sso", c),
				"asset css": h.get("/portal/assets/portal.css"),
				"asset js":  h.get("/portal/assets/portal.js"),
				"brand css": h.get("/portal/brand/style.css", c),
				"not found": h.get("/portal/nope"),
				"no auth":   h.get("/portal/sso"),
			}
			h.clock.Add(2 * time.Minute)
			responses["expired link"] = h.get("/portal/l/" + expired)
			for name, w := range responses {
				hd := w.Header()
				if got := hd.Get("Cache-Control"); got != "no-store" {
					t.Errorf("%s: Cache-Control = %q", name, got)
				}
				if got := hd.Get("Referrer-Policy"); got != "strict-origin" {
					t.Errorf("%s: Referrer-Policy = %q", name, got)
				}
				if got := hd.Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("%s: X-Content-Type-Options = %q", name, got)
				}
				csp := hd.Get("Content-Security-Policy")
				// Scripts only from the portal's own assets: the host app
				// shares the origin and its scripts must not run here.
				for _, want := range []string{"default-src 'self';", "script-src https://app.example.com/portal/assets/;", "style-src 'self';", "img-src 'self' data:;", tt.wantFA, "form-action 'self';", "base-uri 'none'"} {
					if !strings.Contains(csp, want) {
						t.Errorf("%s: CSP %q lacks %q", name, csp, want)
					}
				}
				if strings.Contains(csp, "*") || strings.Contains(csp, "unsafe-inline") {
					t.Errorf("%s: CSP too permissive: %q", name, csp)
				}
				if strings.HasPrefix(hd.Get("Content-Type"), "text/html") {
					body := w.Body.String()
					if strings.Contains(body, " style=") || strings.Contains(body, "<style") {
						t.Errorf("%s: inline style", name)
					}
					doc := parse(t, w)
					doc.Find("script").Each(func(_ int, s *goquery.Selection) {
						if src, ok := s.Attr("src"); !ok || src != "/portal/assets/portal.js" && src != "/portal/assets/forms.js" || strings.TrimSpace(s.Text()) != "" {
							t.Errorf("%s: inline or foreign script", name)
						}
					})
					if n := doc.Find("h1").Length(); n != 1 {
						t.Errorf("%s: %d h1 elements", name, n)
					}
					if origins, _ := doc.Find("body").Attr("data-parent-origins"); origins != strings.Join(h.p.ancestors, " ") {
						t.Errorf("%s: data-parent-origins = %q", name, origins)
					}
				}
			}
		})
	}
}

func TestEmbeddedCookieMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		ancestors   []string
		embedded    bool
		partitioned bool
	}{
		{"no ancestors", nil, true, false},
		{"same-site ancestor", []string{"https://app.example.com", "https://www.example.com"}, true, false},
		{"cross-site ancestor, embedded", []string{"https://customer-app.example.net"}, true, true},
		{"cross-site ancestor, shareable", []string{"https://customer-app.example.net"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *Config, ac *admin.Config) { c.FrameAncestors = tt.ancestors })
			c := h.signIn(admin.LinkOptions{Embedded: tt.embedded})
			if c.Partitioned != tt.partitioned {
				t.Fatalf("Partitioned = %v, want %v", c.Partitioned, tt.partitioned)
			}
			wantSameSite := http.SameSiteLaxMode
			if tt.partitioned {
				wantSameSite = http.SameSiteNoneMode
			}
			if c.SameSite != wantSameSite || !c.Secure || !c.HttpOnly {
				t.Fatalf("cookie = %+v", c)
			}
			if tt.embedded && c.MaxAge != int(DefaultEmbeddedSessionTTL.Seconds()) {
				t.Errorf("Max-Age = %d", c.MaxAge)
			}
		})
	}
}

func TestUnknownAndMalformedLinks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	tests := []struct {
		name, path string
		status     int
	}{
		{"unknown token", "/portal/l/okp_" + strings.Repeat("B", 43), http.StatusNotFound},
		{"short", "/portal/l/okp_abc", http.StatusNotFound},
		{"wrong prefix", "/portal/l/oks_" + strings.Repeat("B", 43), http.StatusNotFound},
		{"empty query", "/portal/l?token=", http.StatusNotFound},
		{"html", "/portal/l/%3Cscript%3E", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := h.get(tt.path)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			doc := parse(t, w)
			if testID(doc, "problem-link-invalid").Length() != 1 {
				t.Errorf("no friendly page: %s", w.Body)
			}
			if strings.Contains(w.Body.String(), "<script>") {
				t.Error("input echoed")
			}
		})
	}
}

// TestTokensNeverLogged runs the link and session flows, successful and
// refused, and checks that no token or session secret reached the log.
func TestTokensNeverLogged(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	l, tok := h.link(admin.LinkOptions{Embedded: true})
	h.get("/portal/l/" + tok)
	_, c := h.redeem(tok)
	h.redeem(tok) // used
	l2, tok2 := h.link(admin.LinkOptions{})
	if _, err := h.admin.RevokeLink(context.Background(), l2.ID, "operator:x"); err != nil {
		t.Fatal(err)
	}
	h.get("/portal/l/" + tok2)
	h.redeem(tok2)
	h.get("/portal/", c)
	h.post("/portal/logout", url.Values{web.CSRFField: {"wrong"}}, c)
	h.clock.Add(7 * time.Hour)
	h.get("/portal/", c)
	logs := h.logs.String()
	if !strings.Contains(logs, l.ID) {
		t.Fatalf("log does not mention the link id; is logging wired? %s", logs)
	}
	for _, s := range []string{tok, tok2, c.Value, tok[len(admin.LinkTokenPrefix):], c.Value[len(sessionTokenPrefix):]} {
		if strings.Contains(logs, s) {
			t.Fatalf("a secret reached the log: %s", logs)
		}
	}
}

// failingStore fails (or panics on) the link lookups the landing and
// redemption make, to see what the error paths log.
type failingStore struct {
	*memstore.Store
	panics bool
}

func (f failingStore) GetPortalLinkByDigest(ctx context.Context, digest []byte) (*store.PortalLink, error) {
	if f.panics {
		panic("store exploded")
	}
	return nil, errors.New("database is down")
}

// TestTokensNeverLoggedOnFailure: when the Store fails or panics while a
// landing URL (which holds the token) is served, the error log names the
// route, never the token.
func TestTokensNeverLoggedOnFailure(t *testing.T) {
	t.Parallel()
	for _, panics := range []bool{false, true} {
		h := newHarness(t, nil)
		_, tok := h.link(admin.LinkOptions{})
		logs := &testkit.LogBuffer{}
		p, err := newPortal(Config{
			Store:   failingStore{Store: h.st, panics: panics},
			BaseURL: testBaseURL,
			Now:     h.clock.Now,
			Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/portal/", http.StripPrefix("/portal", p))
		for _, target := range []string{"/portal/l/" + tok, "/portal/l?token=" + tok} {
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "https://app.example.com"+target, nil))
			if w.Code != http.StatusInternalServerError {
				t.Fatalf("panics=%v %s: status %d, want 500", panics, target, w.Code)
			}
		}
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "https://app.example.com/portal/l", strings.NewReader(url.Values{"token": {tok}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		mux.ServeHTTP(w, r)
		got := logs.String()
		if !strings.Contains(got, "level=ERROR") || !strings.Contains(got, "/l/{token}") {
			t.Fatalf("panics=%v: the failure was not logged with its route: %s", panics, got)
		}
		for _, s := range []string{tok, tok[len(admin.LinkTokenPrefix):]} {
			if strings.Contains(got, s) {
				t.Fatalf("panics=%v: a link token reached the log: %s", panics, got)
			}
		}
	}
}

func TestRedactPath(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"/l/okp_secret", "/l/{token}"},
		{"/portal/l/okp_secret/x", "/portal/l/{token}"},
		{"/l", "/l"},
		{"/domains", "/domains"},
	}
	for _, tt := range tests {
		if got := redactPath(tt.in); got != tt.want {
			t.Errorf("redactPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzRedeem posts arbitrary form bodies to the redemption endpoint: never a
// 5xx, never a session without a real token.
func FuzzRedeem(f *testing.F) {
	f.Add("token=okp_" + strings.Repeat("A", 43))
	f.Add("token=%00%ff&token=x")
	f.Add("token=" + strings.Repeat("%", 100))
	f.Add("csrf=1;token=2")
	h := newHarness(f, nil)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptestRequest(http.MethodPost, "https://app.example.com/portal/l")
		r.Body = ioNopCloser(body)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := h.do(r)
		if w.Code >= 500 || sessionCookieOf(w) != nil {
			t.Fatalf("status %d for %q", w.Code, body)
		}
	})
}

// TestForcedSignInRefused: a link of another organization opened under a
// live session asks before replacing it (no auto-continue), and a request
// carrying several live session cookies is signed into none of them.
func TestForcedSignInRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	other := h.createOrg("org_evil", "Evil Inc")
	mine := h.signIn(admin.LinkOptions{})

	_, sameTok := h.link(admin.LinkOptions{Embedded: true})
	doc := parse(t, h.get("/portal/l/"+sameTok, mine))
	if _, auto := testID(doc, "continue-form").Attr("data-autocontinue"); !auto || testID(doc, "landing-replaces").Length() != 0 {
		t.Errorf("a link of the session's own organization should continue by itself")
	}

	_, evilTok := h.linkFor(other.ID, admin.LinkOptions{Embedded: true}, "")
	doc = parse(t, h.get("/portal/l/"+evilTok, mine))
	if _, auto := testID(doc, "continue-form").Attr("data-autocontinue"); auto {
		t.Error("a link of another organization auto-continues over a live session")
	}
	if got := testID(doc, "landing-replaces").Text(); !strings.Contains(got, "Acme Corp") || !strings.Contains(got, "Evil Inc") {
		t.Errorf("no confirmation naming both organizations: %q", got)
	}
	if !h.sessionLive(mine) {
		t.Fatal("opening the link ended the session")
	}

	// A planted second cookie holding a live session of the other
	// organization: neither session is used.
	_, evilShare := h.linkFor(other.ID, admin.LinkOptions{}, "")
	_, planted := h.redeem(evilShare)
	w := h.get("/portal/", mine, planted)
	if w.Code != http.StatusUnauthorized || testID(parse(t, w), "problem-no-session").Length() != 1 {
		t.Fatalf("two live session cookies: status %d: %s", w.Code, w.Body)
	}
	if !strings.Contains(h.logs.String(), "several live session cookies") {
		t.Error("the refusal's reason is not in the log")
	}
	// One live and one stale cookie: the live one is used.
	stale := &http.Cookie{Name: mine.Name, Value: sessionTokenPrefix + strings.Repeat("A", 43)}
	if w := h.get("/portal/", stale, mine); w.Code != http.StatusOK {
		t.Errorf("a stale cookie beside the live one: status %d", w.Code)
	}
}

// TestRefusedRedemptionPage: a refused POST /l answers with a 303 to a GET
// page that names the reason only; that page reads nothing, so loading it
// again consumes nothing, counts no attempt and logs nothing new, and a
// reason it does not know is a plain 404.
func TestRefusedRedemptionPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	l, tok := h.link(admin.LinkOptions{Embedded: true})
	if w, c := h.redeem(tok); w.Code != http.StatusSeeOther || c == nil {
		t.Fatalf("first redemption: %d", w.Code)
	}
	refused, _ := h.redeem(tok)
	if loc := refused.Header().Get("Location"); loc != "/portal/link-refused/link_used" {
		t.Fatalf("Location %q", loc)
	}
	logs := h.logs.String()
	for range 3 {
		w := h.refusedPage(refused, tok)
		if w.Code != http.StatusGone || testID(parse(t, w), "problem-link-used").Length() != 1 {
			t.Fatalf("refusal page: %d %s", w.Code, w.Body)
		}
	}
	if h.logs.String() != logs {
		t.Errorf("loading the refusal's page logged: %s", strings.TrimPrefix(h.logs.String(), logs))
	}
	if n := h.countEvents(EventSessionCreated); n != 1 {
		t.Errorf("%d sessions", n)
	}
	if got := h.storedLink(l.ID); got.UsedAt.IsZero() {
		t.Error("the link is no longer used")
	}
	for _, reason := range []string{"nope", "csrf", "server_error", "%3Cscript%3E"} {
		if w := h.get("/portal/link-refused/" + reason); w.Code != http.StatusNotFound || testID(parse(t, w), "problem-not-found").Length() != 1 {
			t.Errorf("reason %q: %d", reason, w.Code)
		}
	}
}
