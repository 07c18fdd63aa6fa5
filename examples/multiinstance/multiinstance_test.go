package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/onboardkit/onboardkit/internal/pgtest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/ssokit/idpsim"
)

// instances records which instance served each response that came
// through the proxy.
type instances struct {
	mu   sync.Mutex
	seen map[string]int
}

func (s *instances) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		if name := resp.Header.Get("X-Instance"); name != "" {
			s.mu.Lock()
			s.seen[name]++
			s.mu.Unlock()
		}
	}
	return resp, err
}

// both reports whether both instances served part of what ran since the
// last reset, and resets.
func (s *instances) both() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok := s.seen["a"] > 0 && s.seen["b"] > 0
	s.seen = map[string]int{}
	return ok
}

func TestFlowsSpanBothInstances(t *testing.T) {
	dsn := pgtest.Schema(t, pgtest.DSN(t), "example_multiinstance")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	runCtx, stop := context.WithCancel(ctx)
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(runCtx, []string{"-addr", "127.0.0.1:0", "-dsn", dsn, "-dev-keys", filepath.Join(t.TempDir(), "multiinstance.keys")}, outW, io.Discard)
		outW.Close()
		done <- err
	}()
	lines := map[string]string{}
	sc := bufio.NewScanner(outR)
	for len(lines) < 8 && sc.Scan() {
		if label, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), ": "); ok && strings.HasPrefix(sc.Text(), "  ") {
			lines[label] = value
		}
	}
	go io.Copy(io.Discard, outR)
	if lines["app"] == "" {
		stop()
		t.Fatalf("the example did not start: %v", <-done)
	}
	app := strings.TrimSuffix(lines["app"], "/")

	seen := &instances{seen: map[string]int{}}
	newClient := func() *http.Client {
		jar, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Client{Jar: jar, Transport: seen, Timeout: 20 * time.Second}
	}

	t.Run("SAML login", func(t *testing.T) {
		c := newClient()
		me := signIn(ctx, t, c, app)
		if got := me.doc.Find(`[data-testid="email"]`).Text(); got != "ada@globex.example" {
			t.Fatalf("signed in as %q:\n%s", got, me.body)
		}
		if !seen.both() {
			t.Error("the login did not span both instances")
		}
		// The session cookie set by one instance is honoured by both.
		for range 2 {
			if got := fetch(ctx, t, c, http.MethodGet, app+"/me", nil, nil).doc.Find(`[data-testid="email"]`).Text(); got != "ada@globex.example" {
				t.Errorf("/me: %q", got)
			}
		}
	})

	t.Run("SCIM", func(t *testing.T) {
		c := newClient()
		auth := http.Header{"Authorization": {"Bearer " + lines["SCIM token"]}, "Content-Type": {"application/scim+json"}}
		base := lines["SCIM base URL"]
		for i := range 4 {
			user := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": fmt.Sprintf("user%d@globex.example", i), "active": true}
			scim(ctx, t, c, http.MethodPost, base+"/Users", auth, user, http.StatusCreated)
		}
		for i := range 4 {
			list := scim(ctx, t, c, http.MethodGet, base+"/Users?filter="+url.QueryEscape(fmt.Sprintf(`userName eq "user%d@globex.example"`, i)), auth, nil, http.StatusOK)
			if list["totalResults"] != float64(1) {
				t.Errorf("user%d: totalResults %v", i, list["totalResults"])
			}
		}
		scim(ctx, t, c, http.MethodPost, base+"/Users", auth, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "USER0@globex.example"}, http.StatusConflict)
		if !seen.both() {
			t.Error("SCIM did not span both instances")
		}
	})

	t.Run("SCIM deactivation ends the session on both instances", func(t *testing.T) {
		c := newClient()
		auth := http.Header{"Authorization": {"Bearer " + lines["SCIM token"]}, "Content-Type": {"application/scim+json"}}
		base := lines["SCIM base URL"]
		ada := scim(ctx, t, c, http.MethodPost, base+"/Users", auth, map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "ada@globex.example", "active": true,
		}, http.StatusCreated)
		signIn(ctx, t, c, app)
		served := map[string]bool{}
		for range 2 {
			me := fetch(ctx, t, c, http.MethodGet, app+"/me", nil, nil)
			if got := me.doc.Find(`[data-testid="email"]`).Text(); got != "ada@globex.example" {
				t.Fatalf("/me before the deactivation: %q", got)
			}
			served[me.doc.Find(`[data-testid="instance"]`).Text()] = true
		}
		if len(served) != 2 {
			t.Fatalf("/me was served by %v, want both instances", served)
		}
		scim(ctx, t, c, http.MethodPatch, base+"/Users/"+ada["id"].(string), auth, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{{"op": "replace", "value": map[string]any{"active": false}}},
		}, http.StatusOK)
		// Within the cache TTL (1 second) both instances refuse the
		// session: /me answers with a redirect to the home page.
		// The session cookie is sent as it was, even after an instance
		// deleted it: each instance must refuse it on its own.
		appURL, err := url.Parse(app)
		if err != nil {
			t.Fatal(err)
		}
		cookies := c.Jar.Cookies(appURL)
		noFollow := &http.Client{Transport: c.Transport, Timeout: c.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		refused := map[string]bool{}
		deadline := time.Now().Add(5 * time.Second)
		for len(refused) < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("only instances %v refuse the session of a deactivated user", refused)
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, app+"/me", nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, ck := range cookies {
				req.AddCookie(ck)
			}
			resp, err := noFollow.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				time.Sleep(100 * time.Millisecond)
			case http.StatusSeeOther:
				refused[resp.Header.Get("X-Instance")] = true
			default:
				t.Fatalf("/me: status %d", resp.StatusCode)
			}
		}
		// Ada may sign in again once the directory reactivates her.
		scim(ctx, t, c, http.MethodDelete, base+"/Users/"+ada["id"].(string), auth, nil, http.StatusNoContent)
	})
	t.Run("portal", func(t *testing.T) {
		c := newClient()
		link := lines["portal link"]
		token := link[strings.LastIndex(link, "/")+1:]
		fetch(ctx, t, c, http.MethodGet, link, nil, nil) // the landing page does not consume the link
		overview := fetch(ctx, t, c, http.MethodPost, app+"/portal/l", url.Values{"token": {token}}, http.Header{"Sec-Fetch-Site": {"same-origin"}})
		for range 2 {
			dirs := fetch(ctx, t, c, http.MethodGet, app+"/portal/directory-sync", nil, nil)
			if got := dirs.doc.Find(`[data-testid="directory-users"]`).Text(); got != "4" {
				t.Errorf("the portal shows %q users, want 4", got)
			}
		}
		if got := strings.TrimSpace(overview.doc.Find(`[data-testid="home-title"]`).Text()); got != "Globex" {
			t.Errorf("portal overview title %q", got)
		}
		if !seen.both() {
			t.Error("the portal session did not span both instances")
		}
	})

	stop()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

type fetched struct {
	url  string
	body []byte
	doc  *goquery.Document
}

// signIn signs ada in through the IdP simulator and returns the page the
// login ends on.
func signIn(ctx context.Context, t *testing.T, c *http.Client, app string) *fetched {
	t.Helper()
	loginPage := fetch(ctx, t, c, http.MethodGet, app+"/login?email=ada@globex.example", nil, nil)
	values := url.Values{"seed": {"0"}, "outcome": {"success"}, "signing": {"both"}}
	pending, _ := loginPage.doc.Find(`input[name="pending"]`).Attr("value")
	values.Set("pending", pending)
	action, _ := loginPage.doc.Find(`form[data-testid="login-form"]`).Attr("action")
	actionURL, err := url.Parse(loginPage.url)
	if err != nil {
		t.Fatal(err)
	}
	if actionURL, err = actionURL.Parse(action); err != nil {
		t.Fatal(err)
	}
	autopost := fetch(ctx, t, c, http.MethodPost, actionURL.String(), values, nil)
	form, err := idpsim.ParsePostForm(autopost.body, autopost.url)
	if err != nil {
		t.Fatal(err)
	}
	return fetch(ctx, t, c, http.MethodPost, form.Action, form.Values, nil)
}

// fetch sends a request (a form POST when form is not nil), follows
// redirects, and expects a 200 HTML page.
func fetch(ctx context.Context, t *testing.T, c *http.Client, method, u string, form url.Values, h http.Header) *fetched {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: status %d\n%s", method, resp.Request.URL, resp.StatusCode, raw)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return &fetched{url: resp.Request.URL.String(), body: raw, doc: doc}
}

func scim(ctx context.Context, t *testing.T, c *http.Client, method, u string, h http.Header, body any, want int) map[string]any {
	t.Helper()
	return testkit.JSONCall(ctx, t, c, method, u, h, body, want)
}
