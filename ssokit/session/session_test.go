package session_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/sessions"

	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/ssokit/session"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// signedIn logs the browser in on a and checks the protected page.
func signedIn(t *testing.T, a *app, b *browser) {
	t.Helper()
	rec := b.do(t, a, "GET", "/test/login", "", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/app/home" {
		t.Fatalf("login: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	if code, body := b.get(t, a, "/app/home"); code != 200 || !strings.HasPrefix(body, "hello ann@") {
		t.Fatalf("protected page after login: %d %q", code, body)
	}
}

// refused checks that the protected page sends the browser to log in.
func refused(t *testing.T, a *app, b *browser, what string) {
	t.Helper()
	rec := b.do(t, a, "GET", "/app/home?x=1", "", nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("%s: protected page answered %d %q, want a redirect to log in", what, rec.Code, rec.Body.String())
	}
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if loc.Path != "/sso/start" || loc.Query().Get("return_to") != "/app/home?x=1" {
		t.Fatalf("%s: redirected to %q", what, rec.Header().Get("Location"))
	}
}

// TestRevocation: login -> protected page -> the cause -> the next request
// after CacheTTL is refused, for every cause, on every Store.
func TestRevocation(t *testing.T) {
	ctx := context.Background()
	causes := []struct {
		name, reason string
		do           func(t *testing.T, w *world)
	}{
		{"SCIMDeactivate", store.SessionEndedUserDeactivated, func(t *testing.T, w *world) {
			_, err := w.st.UpdateDirectoryUser(ctx, w.dir.ID, w.ann.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
				u.Active = false
				return nil, nil
			})
			must(t, err)
		}},
		{"SCIMDelete", store.SessionEndedUserDeleted, func(t *testing.T, w *world) {
			must(t, w.st.DeleteDirectoryUser(ctx, w.dir.ID, w.ann.ID, nil))
		}},
		{"ConnectionDeactivated", store.SessionEndedConnectionDeactivated, func(t *testing.T, w *world) {
			_, err := w.st.UpdateConnection(ctx, w.conn.ID, func(c *store.Connection) ([]store.Event, error) {
				c.State = store.ConnectionInactive
				return nil, nil
			})
			must(t, err)
		}},
		{"ConnectionDeleted", store.SessionEndedConnectionDeleted, func(t *testing.T, w *world) {
			must(t, w.st.DeleteConnection(ctx, w.conn.ID))
		}},
		{"OrganizationDeleted", store.SessionEndedOrganizationDeleted, func(t *testing.T, w *world) {
			must(t, w.st.DeleteOrganization(ctx, w.org.ID))
		}},
		{"DomainUnverified", store.SessionEndedDomainUnverified, func(t *testing.T, w *world) {
			_, err := w.st.UpdateDomain(ctx, w.dom.ID, func(d *store.Domain) ([]store.Event, error) {
				d.State, d.VerifiedAt = store.DomainFailed, time.Time{}
				return nil, nil
			})
			must(t, err)
		}},
		{"OperatorEndsUser", store.SessionEndedRevoked, func(t *testing.T, w *world) {
			n, err := session.EndUserSessions(ctx, w.st, w.org.ID, w.ann.ID, "operator:ops", t0)
			must(t, err)
			if n != 1 {
				t.Fatalf("EndUserSessions ended %d", n)
			}
		}},
		{"SignEveryoneOut", store.SessionEndedRevoked, func(t *testing.T, w *world) {
			_, err := session.EndOrganizationSessions(ctx, w.st, w.org.ID, "portal:it-admin", t0)
			must(t, err)
		}},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			for _, c := range causes {
				t.Run(c.name, func(t *testing.T) {
					st := be.open(t)
					w := newWorld(t, st, "acme")
					clk := &clock{t: t0}
					a := newApp(t, st, clk, w, nil)
					b := newBrowser()
					signedIn(t, a, b)
					cursor, _ := st.LastEventCursor(ctx)
					c.do(t, w)
					clk.Advance(time.Second) // CacheTTL
					refused(t, a, b, c.name)
					evs, err := st.ListEvents(ctx, store.EventQuery{After: cursor, Limit: 100, Types: []string{store.SessionEventEnded}})
					must(t, err)
					if len(evs) != 1 || !strings.Contains(string(evs[0].Data), `"reason":"`+c.reason+`"`) {
						t.Fatalf("session.ended events: %+v", evs)
					}
				})
			}
		})
	}
}

// TestCacheTTL: within CacheTTL a warm request reads nothing from the
// Store, and a revocation is seen at the first request after it.
func TestCacheTTL(t *testing.T) {
	st := backends[0].open(t)
	w := newWorld(t, st, "acme")
	clk := &clock{t: t0}
	cs := &counting{Store: st}
	a := newApp(t, cs, clk, w, nil)
	b := newBrowser()
	signedIn(t, a, b)
	reads := cs.reads.Load()
	for range 10 {
		clk.Advance(50 * time.Millisecond)
		if code, _ := b.get(t, a, "/app/home"); code != 200 {
			t.Fatal(code)
		}
	}
	if n := cs.reads.Load() - reads; n != 0 {
		t.Fatalf("%d Store reads within CacheTTL, want 0", n)
	}
	_, err := session.EndUserSessions(t.Context(), st, w.org.ID, w.ann.ID, "operator:ops", clk.Now())
	must(t, err)
	// Still cached: the revocation is seen within CacheTTL, not before.
	if code, _ := b.get(t, a, "/app/home"); code != 200 {
		t.Fatalf("within CacheTTL of the last read: %d", code)
	}
	clk.Advance(600 * time.Millisecond)
	refused(t, a, b, "after CacheTTL")
}

// TestTwoInstances: a revocation written through one instance's Store is
// seen by the other within CacheTTL; on PostgreSQL as in production.
func TestTwoInstances(t *testing.T) {
	for _, be := range backends[1:] {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			w := newWorld(t, st, "acme")
			clk := &clock{t: t0}
			a1 := newApp(t, st, clk, w, nil)
			a2 := newApp(t, st, clk, w, nil)
			b := newBrowser()
			signedIn(t, a1, b)
			if code, _ := b.get(t, a2, "/app/home"); code != 200 {
				t.Fatalf("session of instance 1 on instance 2: %d", code)
			}
			// SCIM deactivation arrives at instance 1.
			_, err := st.UpdateDirectoryUser(t.Context(), w.dir.ID, w.ann.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
				u.Active = false
				return nil, nil
			})
			must(t, err)
			clk.Advance(time.Second)
			refused(t, a2, b, "instance 2 after a deactivation on instance 1")
		})
	}
}

func TestTimeouts(t *testing.T) {
	st := backends[0].open(t)
	w := newWorld(t, st, "acme")
	clk := &clock{t: t0}
	a := newApp(t, st, clk, w, func(c *session.Config) { c.IdleTimeout, c.AbsoluteTimeout = 10*time.Minute, time.Hour })
	b := newBrowser()
	signedIn(t, a, b)
	clk.Advance(10 * time.Minute)
	refused(t, a, b, "idle for IdleTimeout")

	b = newBrowser()
	signedIn(t, a, b)
	for range 6 { // active every 9 minutes: the idle timeout moves, the absolute does not
		clk.Advance(9 * time.Minute)
		if code, _ := b.get(t, a, "/app/home"); code != 200 {
			t.Fatalf("active session refused: %d", code)
		}
	}
	clk.Advance(7 * time.Minute)
	refused(t, a, b, "after AbsoluteTimeout")
}

func TestCookie(t *testing.T) {
	st := backends[0].open(t)
	w := newWorld(t, st, "acme")
	clk := &clock{t: t0}
	a := newApp(t, st, clk, w, nil)
	b := newBrowser()
	rec := b.do(t, a, "GET", "/test/login", "", nil)
	cs := rec.Result().Cookies()
	if len(cs) != 1 {
		t.Fatalf("cookies %v", cs)
	}
	c := cs[0]
	if c.Name != "__Host-onboardkit_session" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || len(c.Value) != 43 {
		t.Fatalf("cookie %+v", c)
	}
	a2 := newApp(t, st, clk, w, func(c *session.Config) { c.InsecureCookies = true })
	rec = newBrowser().do(t, a2, "GET", "/test/login", "", nil)
	if c := rec.Result().Cookies()[0]; c.Name != "onboardkit_session" || c.Secure || !c.HttpOnly {
		t.Fatalf("insecure cookie %+v", c)
	}
	if _, err := session.New(session.Config{Store: st, InsecureCookies: true, CookieName: "__Host-x"}); err == nil {
		t.Fatal("a __Host- cookie without Secure was accepted")
	}
}

func TestTampering(t *testing.T) {
	st := backends[0].open(t)
	w := newWorld(t, st, "acme")
	clk := &clock{t: t0}
	a := newApp(t, st, clk, w, nil)
	b := newBrowser()
	signedIn(t, a, b)
	good := b.jar["__Host-onboardkit_session"].Value
	for name, v := range map[string]string{
		"one character changed": good[:10] + string(good[10]^1) + good[11:],
		"truncated":             good[:42],
		"longer":                good + "A",
		"not base64":            strings.Repeat("*", 43),
		"random id":             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	} {
		tb := newBrowser()
		tb.jar["__Host-onboardkit_session"] = &http.Cookie{Name: "__Host-onboardkit_session", Value: v}
		rec := tb.do(t, a, "GET", "/app/home", "", nil)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("%s: %d", name, rec.Code)
		}
		if _, kept := tb.jar["__Host-onboardkit_session"]; kept {
			t.Fatalf("%s: the bad cookie was not deleted", name)
		}
	}
}

func TestFixation(t *testing.T) {
	st := backends[0].open(t)
	w := newWorld(t, st, "acme")
	clk := &clock{t: t0}
	a := newApp(t, st, clk, w, nil)
	// The attacker logs in and plants their session id in the victim's browser.
	attacker := newBrowser()
	signedIn(t, a, attacker)
	planted := attacker.jar["__Host-onboardkit_session"]
	victim := newBrowser()
	victim.jar[planted.Name] = planted
	signedIn(t, a, victim)
	if victim.jar[planted.Name].Value == planted.Value {
		t.Fatal("login kept the planted session id")
	}
	clk.Advance(time.Second)
	refused(t, a, attacker, "the planted session after the victim's login")
}

func TestLogoutCSRF(t *testing.T) {
	st := backends[0].open(t)
	w := newWorld(t, st, "acme")
	clk := &clock{t: t0}
	a := newApp(t, st, clk, w, nil)
	b := newBrowser()
	signedIn(t, a, b)
	_, body := b.get(t, a, "/app/home")
	token := body[strings.Index(body, "csrf=")+5:]
	if len(token) != 43 {
		t.Fatalf("csrf token %q", token)
	}
	for _, tc := range []struct {
		name   string
		method string
		body   string
		hdr    map[string]string
		want   int
	}{
		{"GET", "GET", "", nil, http.StatusMethodNotAllowed},
		{"no token", "POST", "x=1", nil, http.StatusForbidden},
		{"wrong token", "POST", "csrf_token=" + strings.Repeat("A", 43), nil, http.StatusForbidden},
		{"cross-site", "POST", "csrf_token=" + token, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"other origin", "POST", "csrf_token=" + token, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
	} {
		rec := b.do(t, a, tc.method, "/logout", tc.body, tc.hdr)
		if rec.Code != tc.want {
			t.Fatalf("logout %s: %d, want %d", tc.name, rec.Code, tc.want)
		}
		if code, _ := b.get(t, a, "/app/home"); code != 200 {
			t.Fatalf("logout %s signed the user out", tc.name)
		}
	}
	rec := b.do(t, a, "POST", "/logout", "csrf_token="+token, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
		t.Fatalf("logout: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	refused(t, a, b, "after logout")
}

func TestOtherOrganization(t *testing.T) {
	st := backends[0].open(t)
	w := newWorld(t, st, "acme")
	newWorld(t, st, "globex")
	clk := &clock{t: t0}
	a := newApp(t, st, clk, w, func(c *session.Config) {
		c.Org = func(r *http.Request) string { return r.URL.Query().Get("org") }
	})
	b := newBrowser()
	signedIn(t, a, b)
	if code, _ := b.get(t, a, "/app/home?org=acme"); code != 200 {
		t.Fatalf("own organization: %d", code)
	}
	rec := b.do(t, a, "GET", "/app/home?org=globex", "", nil)
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusSeeOther || loc.Query().Get("organization") != "globex" {
		t.Fatalf("acme's session on globex's page: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	// The session itself lives on for acme.
	if code, _ := b.get(t, a, "/app/home?org=acme"); code != 200 {
		t.Fatalf("own organization after: %d", code)
	}
}

func TestAPIClient(t *testing.T) {
	st := backends[0].open(t)
	w := newWorld(t, st, "acme")
	a := newApp(t, st, &clock{t: t0}, w, nil)
	for _, hdr := range []map[string]string{{"Accept": "application/json"}, {"X-Requested-With": "XMLHttpRequest"}} {
		rec := newBrowser().do(t, a, "GET", "/app/data", "", hdr)
		var body map[string]string
		if rec.Code != 401 || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body["error"] != "login_required" ||
			!strings.HasPrefix(body["login_url"], "/sso/start?return_to=%2Fapp%2Fdata") {
			t.Fatalf("API client %v: %d %q", hdr, rec.Code, rec.Body.String())
		}
	}
}

func TestReturnToSanitized(t *testing.T) {
	st := backends[0].open(t)
	w := newWorld(t, st, "acme")
	a := newApp(t, st, &clock{t: t0}, w, nil)
	h := a.m.RequireLogin(http.NotFoundHandler())
	for target, want := range map[string]string{
		"/app/x?y=1":                "/app/x?y=1",
		"//evil.example/x":          "/",
		"/%2F%2Fevil.example":       "/",
		"/app/%0d%0aSet-Cookie:x=1": "/",
	} {
		r := httptest.NewRequest("GET", "https://app.example.com/", nil)
		r.URL, _ = url.ParseRequestURI(target)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		loc, _ := url.Parse(rec.Header().Get("Location"))
		if got := loc.Query().Get("return_to"); got != want {
			t.Fatalf("return_to of %q = %q, want %q", target, got, want)
		}
	}
}

// TestHostCookieStore: with a host's gorilla CookieStore the session id
// rides in the host's signed cookie and revocation still holds.
func TestHostCookieStore(t *testing.T) {
	st := backends[0].open(t)
	w := newWorld(t, st, "acme")
	clk := &clock{t: t0}
	cookies := sessions.NewCookieStore([]byte("0123456789abcdef0123456789abcdef"))
	a := newApp(t, st, clk, w, func(c *session.Config) { c.Cookies = cookies; c.CookieName = "host" })
	b := newBrowser()
	signedIn(t, a, b)
	if _, ok := b.jar["host"]; !ok {
		t.Fatalf("host cookie not set: %v", b.jar)
	}
	_, err := session.EndUserSessions(t.Context(), st, w.org.ID, w.ann.ID, "operator:ops", clk.Now())
	must(t, err)
	clk.Advance(time.Second)
	refused(t, a, b, "host cookie store after revocation")
}

// TestGorillaStore: the Manager as a gorilla sessions.Store.
func TestGorillaStore(t *testing.T) {
	st := backends[0].open(t)
	w := newWorld(t, st, "acme")
	clk := &clock{t: t0}
	a := newApp(t, st, clk, w, nil)
	var _ sessions.Store = a.m
	b := newBrowser()
	signedIn(t, a, b)
	r, _ := http.NewRequest("GET", "https://app.example.com/", nil)
	r.AddCookie(b.jar["__Host-onboardkit_session"])
	gs, err := a.m.Get(r, "__Host-onboardkit_session")
	must(t, err)
	if gs.IsNew || gs.ID == "" {
		t.Fatalf("gorilla session %+v", gs)
	}
	if p, ok := gs.Values[session.ProfileKey].(*ssokit.Profile); !ok || p.Email != w.ann.UserName {
		t.Fatalf("gorilla session values %v", gs.Values)
	}
	// Saving with MaxAge -1 ends the session.
	gs.Options.MaxAge = -1
	rec := httptest.NewRecorder()
	must(t, gs.Save(r, rec))
	clk.Advance(time.Second)
	refused(t, a, b, "after a gorilla Save with MaxAge -1")
}

// TestLoginRacesDeactivation: a login accepted just before the user's
// deactivation starts no session.
func TestLoginRacesDeactivation(t *testing.T) {
	st := backends[0].open(t)
	w := newWorld(t, st, "acme")
	a := newApp(t, st, &clock{t: t0}, w, nil)
	_, err := st.UpdateDirectoryUser(t.Context(), w.dir.ID, w.ann.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
		u.Active = false
		return nil, nil
	})
	must(t, err)
	b := newBrowser()
	rec := b.do(t, a, "GET", "/test/login", "", nil) // the profile still holds ann as active
	if rec.Code != http.StatusForbidden || len(b.jar) != 0 {
		t.Fatalf("login of a user deactivated meanwhile: %d, cookies %v", rec.Code, b.jar)
	}
}

// TestIDTokenKeptApart: the login's ID token goes to Session.IDToken,
// which the Store seals (storetest.RunSealing checks the raw rows), and
// nowhere else: not the stored profile, not the events, not the logs.
func TestIDTokenKeptApart(t *testing.T) {
	st := memstore.New()
	clk := &clock{t: t0}
	w := newWorld(t, st, "org_a")
	var logs strings.Builder
	a := newApp(t, st, clk, w, func(c *session.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	b := newBrowser()
	signedIn(t, a, b)
	sessions, err := st.ListSessions(t.Context(), store.SessionSelector{OrgID: w.org.ID})
	must(t, err)
	if len(sessions) != 1 || sessions[0].IDToken != annIDToken {
		t.Fatalf("sessions %+v, want one holding the ID token", sessions)
	}
	if strings.Contains(string(sessions[0].Profile), annIDToken) {
		t.Fatal("the stored profile holds the ID token")
	}
	rec := b.do(t, a, "GET", "/app/home", "", nil)
	csrf := strings.TrimPrefix(rec.Body.String()[strings.Index(rec.Body.String(), "csrf="):], "csrf=")
	b.do(t, a, "POST", "/logout", "csrf="+url.QueryEscape(csrf), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	evs, err := st.ListEvents(t.Context(), store.EventQuery{Limit: 1000})
	must(t, err)
	for _, e := range evs {
		if strings.Contains(string(e.Data), annIDToken) || strings.Contains(e.Subject, annIDToken) {
			t.Fatalf("event %s holds the ID token", e.Type)
		}
	}
	if len(evs) == 0 || strings.Contains(logs.String(), annIDToken) {
		t.Fatalf("%d events; logs:\n%s", len(evs), logs.String())
	}
}
