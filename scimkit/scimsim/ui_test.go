package scimsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/onboardkit/onboardkit/scimkit/scimsim"
	"github.com/onboardkit/onboardkit/store"
)

func TestNewUIValidation(t *testing.T) {
	t.Parallel()
	good := scimsim.Target{Name: "Acme", BaseURL: "https://app.example.com/scim/dir_1", Token: "tok"}
	tests := []struct {
		name string
		cfg  scimsim.UIConfig
		want string // "" for success
	}{
		{"not development", scimsim.UIConfig{Targets: []scimsim.Target{good}}, "development"},
		{"zero config", scimsim.UIConfig{}, "development"},
		{"ok", scimsim.UIConfig{Development: true, Targets: []scimsim.Target{good}}, ""},
		{"no targets", scimsim.UIConfig{Development: true}, ""},
		{"bad colour", scimsim.UIConfig{Development: true, Branding: scimsim.Branding{AccentColor: "red;}body{x"}}, "AccentColor"},
		{"javascript logo", scimsim.UIConfig{Development: true, Branding: scimsim.Branding{LogoURL: "javascript:alert(1)"}}, "LogoURL"},
		{"protocol-relative logo", scimsim.UIConfig{Development: true, Branding: scimsim.Branding{LogoURL: "//evil.example/x.png"}}, "LogoURL"},
		{"target without token", scimsim.UIConfig{Development: true, Targets: []scimsim.Target{{Name: "a", BaseURL: good.BaseURL}}}, "Token"},
		{"target without name", scimsim.UIConfig{Development: true, Targets: []scimsim.Target{{BaseURL: good.BaseURL, Token: "t"}}}, "Name"},
		{"target relative URL", scimsim.UIConfig{Development: true, Targets: []scimsim.Target{{Name: "a", BaseURL: "/scim/dir", Token: "t"}}}, "BaseURL"},
		{"target URL with credentials", scimsim.UIConfig{Development: true, Targets: []scimsim.Target{{Name: "a", BaseURL: "https://u:p@x.example/scim", Token: "t"}}}, "BaseURL"},
		{"duplicate target", scimsim.UIConfig{Development: true, Targets: []scimsim.Target{good, good}}, "duplicate"},
		{"negative timeout", scimsim.UIConfig{Development: true, RunTimeout: -1}, "RunTimeout"},
		{"negative max runs", scimsim.UIConfig{Development: true, MaxRuns: -1}, "MaxRuns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := scimsim.NewUI(tt.cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("NewUI: %v", err)
			case tt.want == "" && h == nil:
				t.Fatal("nil handler")
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("NewUI error = %v, want one mentioning %q", err, tt.want)
			case tt.want != "" && h != nil:
				t.Fatal("a handler with an error")
			}
			if tt.want == "development" && !errors.Is(err, scimsim.ErrNotDevelopment) {
				t.Fatalf("error %v is not ErrNotDevelopment", err)
			}
			if err != nil && strings.Contains(err.Error(), "tok") && tt.name == "duplicate target" {
				t.Fatalf("error shows a token: %v", err)
			}
		})
	}
}

// TestUIFullSyncAgainstScimkit drives the UI as a browser would: pick a
// configured directory, run a full sync in each dialect against
// onboardkit's SCIM server on memstore, and read the report and exchange
// log. The token appears in no page and no log line.
func TestUIFullSyncAgainstScimkit(t *testing.T) {
	t.Parallel()
	env := newSCIMEnv(t)
	ctx := context.Background()
	for _, d := range []scimsim.Dialect{scimsim.Okta, scimsim.Entra} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			base, dirID, token := env.directory(t, string(d))
			name := "Acme (" + string(d) + ")"
			ui := newUI(t, func(c *scimsim.UIConfig) {
				c.Targets = []scimsim.Target{{Name: name, BaseURL: base, Token: token}}
				c.Branding = scimsim.Branding{Name: "Acme dev", AccentColor: "#0a7"}
			})
			home := ui.get(ui.base)
			checkPage(t, home)
			if got := text(home, "target"); !strings.Contains(got, name) || !strings.Contains(got, base) {
				t.Fatalf("targets list %q", got)
			}
			if !strings.Contains(home.body, "Acme dev") {
				t.Error("branding name not shown")
			}

			spec := url.Values{"target": {name}, "dialect": {string(d)}, "action": {"sync"},
				"users": {"30"}, "groups": {"2"}, "domain": {"example.com"}, "seed": {"7"},
				"updates": {"2"}, "deactivations": {"3"}, "removals": {"1"}}
			if d == scimsim.Entra {
				spec.Set("deletions", "1")
			}
			runURL := ui.start(spec)
			p := ui.wait(runURL)
			checkPage(t, p)
			if got := text(p, "run-state"); got != "succeeded" {
				t.Fatalf("run state %q, error %q\n%s", got, text(p, "run-error"), p.body)
			}
			for id, want := range map[string]string{"users-created": "30", "groups-created": "2", "failure-count": "0"} {
				if got := text(p, id); got != want {
					t.Errorf("%s = %q, want %q", id, got, want)
				}
			}
			if got := text(p, "run-dialect"); (d == scimsim.Okta) != (got == "Okta") {
				t.Errorf("dialect shown %q", got)
			}
			// The log shows the provider's own connection test first.
			first := p.doc.Find(`[data-testid="exchange"]`).First()
			path := strings.TrimSpace(first.Find(`[data-testid="ex-path"]`).Text())
			wantPath := "/Users?startIndex=1&count=2"
			if d == scimsim.Entra {
				wantPath = "/Users?filter=userName+eq+"
			}
			if strings.TrimSpace(first.Find(`[data-testid="ex-method"]`).Text()) != "GET" || !strings.HasPrefix(path, wantPath) ||
				strings.TrimSpace(first.Find(`[data-testid="ex-status"]`).Text()) != "200" {
				t.Fatalf("first exchange %q", first.Text())
			}
			if n := p.doc.Find(`[data-testid="exchange"]`).Length(); n != 50 {
				t.Errorf("%d exchanges on the first page, want 50", n)
			}
			if !strings.Contains(p.body, `&#34;Resources&#34;: [`) && !strings.Contains(p.body, `"Resources": [`) {
				t.Error("response bodies are not shown pretty-printed")
			}
			// Page two of the log.
			next, ok := p.doc.Find(`[data-testid="next-page"]`).Attr("href")
			if !ok {
				t.Fatal("no next page link")
			}
			nu, _ := url.Parse(runURL)
			nu, _ = nu.Parse(next)
			p2 := ui.get(nu.String())
			if p2.resp.StatusCode != 200 || !strings.Contains(text(p2, "log-summary"), "51–") {
				t.Fatalf("page 2: %d %q", p2.resp.StatusCode, text(p2, "log-summary"))
			}

			// The whole log as JSON.
			resp, err := ui.client.Get(runURL + "/log.json")
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var log []scimsim.Exchange
			if err := json.Unmarshal(raw, &log); err != nil || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("log.json: %v %q", err, resp.Header.Get("Content-Type"))
			}
			if want := text(p, "run-requests"); len(log) == 0 || fmt.Sprint(len(log)) != want || log[0].Seq != 1 {
				t.Fatalf("log.json has %d exchanges, the page says %s requests", len(log), want)
			}
			if strings.Contains(string(raw), token) {
				t.Error("the token appears in log.json")
			}

			// The directory holds what was pushed.
			users, total, err := env.st.ListDirectoryUsers(ctx, dirID, store.UserQuery{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			inactive := 0
			for _, u := range users {
				if !u.Active {
					inactive++
				}
			}
			wantTotal, wantInactive := 30, 3
			if d == scimsim.Entra {
				wantTotal, wantInactive = 29, 2
			}
			if total != wantTotal || inactive != wantInactive {
				t.Fatalf("%d users, %d inactive", total, inactive)
			}

			// The run is listed on the home page.
			home = ui.get(ui.base)
			if got := text(home, "run-row"); !strings.Contains(got, "Full sync: 30 users, 2 groups") || !strings.Contains(got, "succeeded") {
				t.Errorf("recent runs %q", got)
			}
			for what, s := range map[string]string{"home": home.body, "run page": p.body, "log page 2": p2.body, "logs": ui.logs.String()} {
				if strings.Contains(s, token) {
					t.Errorf("the token appears in the %s", what)
				}
			}
			if !strings.Contains(ui.logs.String(), "scimsim: UI run finished") {
				t.Error("the run was not logged")
			}
		})
	}
}

// TestUIManualTarget: a base URL and token typed into the form; the token
// is never sent back, even when the form is refused.
func TestUIManualTarget(t *testing.T) {
	t.Parallel()
	env := newSCIMEnv(t)
	base, dirID, token := env.directory(t, "entra")
	ui := newUI(t, nil)
	home := ui.get(ui.base)
	checkPage(t, home)
	if home.doc.Find(`[data-testid="no-targets"]`).Length() != 1 || home.doc.Find(`[data-testid="target-select"]`).Length() != 0 {
		t.Fatal("an empty target list is not said")
	}
	if typ, _ := home.doc.Find(`input[name="token"]`).Attr("type"); typ != "password" {
		t.Errorf("token input type %q", typ)
	}

	// Refused form: shown again with its values, without the token.
	v := url.Values{"base_url": {base}, "token": {token}, "dialect": {"entra"}, "action": {"sync"}, "users": {"2001"}, "csrf": {ui.csrf()}}
	p := ui.post(ui.base+"runs", v)
	if p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(text(p, "form-error"), "Users must be") {
		t.Fatalf("%d %q", p.resp.StatusCode, text(p, "form-error"))
	}
	if val, _ := p.doc.Find(`input[name="base_url"]`).Attr("value"); val != base {
		t.Errorf("base URL not kept: %q", val)
	}
	if _, ok := p.doc.Find(`input[name="dialect"][value="entra"]`).Attr("checked"); !ok {
		t.Error("dialect not kept")
	}
	if strings.Contains(p.body, token) {
		t.Fatal("the refused form echoes the token")
	}

	// Test connection, then create and deactivate one user.
	runURL := ui.start(url.Values{"base_url": {base}, "token": {token}, "dialect": {"entra"}, "action": {"test"}})
	p = ui.wait(runURL)
	checkPage(t, p)
	if text(p, "run-state") != "succeeded" || !strings.Contains(text(p, "run-result"), "connection test passed") {
		t.Fatalf("test connection: %q %q", text(p, "run-state"), text(p, "run-error"))
	}
	pages := []string{p.body}
	runURL = ui.start(url.Values{"base_url": {base}, "token": {token}, "dialect": {"entra"}, "action": {"create"},
		"user_name": {"ada@example.com"}, "given_name": {"Ada"}, "family_name": {"Lovelace"}})
	p = ui.wait(runURL)
	if text(p, "run-state") != "succeeded" || !strings.Contains(text(p, "run-result"), "Created user ada@example.com") {
		t.Fatalf("create: %q %q", text(p, "run-state"), text(p, "run-error"))
	}
	pages = append(pages, p.body)
	runURL = ui.start(url.Values{"base_url": {base}, "token": {token}, "dialect": {"entra"}, "action": {"deactivate"}, "ident": {"ada@example.com"}})
	p = ui.wait(runURL)
	if text(p, "run-state") != "succeeded" || !strings.Contains(text(p, "run-result"), "Deactivated user") {
		t.Fatalf("deactivate: %q %q", text(p, "run-state"), text(p, "run-error"))
	}
	pages = append(pages, p.body, ui.get(ui.base).body)
	users, _, err := env.st.ListDirectoryUsers(context.Background(), dirID, store.UserQuery{Limit: 10})
	if err != nil || len(users) != 1 || users[0].UserName != "ada@example.com" || users[0].Active {
		t.Fatalf("users %+v, %v", users, err)
	}
	for i, b := range append(pages, ui.logs.String()) {
		if strings.Contains(b, token) {
			t.Errorf("page or log %d shows the token", i)
		}
	}

	// A wrong token: the run fails and the page shows the server's 401.
	runURL = ui.start(url.Values{"base_url": {base}, "token": {"wrong-token"}, "dialect": {"okta"}, "action": {"test"}})
	p = ui.wait(runURL)
	if text(p, "run-state") != "failed" || text(p, "ex-status") != "401" || !strings.Contains(text(p, "run-error"), "401") {
		t.Fatalf("wrong token: %q %q %q", text(p, "run-state"), text(p, "ex-status"), text(p, "run-error"))
	}
	problems := ui.get(runURL + "?only=problems")
	if n := problems.doc.Find(`[data-testid="exchange"]`).Length(); n != 1 || !strings.Contains(text(problems, "log-summary"), "with a problem") {
		t.Fatalf("problems filter: %d exchanges, %q", n, text(problems, "log-summary"))
	}
}

func TestUIFormRefusals(t *testing.T) {
	t.Parallel()
	ui := newUI(t, func(c *scimsim.UIConfig) {
		c.Targets = []scimsim.Target{{Name: "Acme", BaseURL: "http://127.0.0.1:1/scim/dir_1", Token: "tok_static_secret"}}
	})
	tests := []struct {
		name string
		v    url.Values
		want string
	}{
		{"no action", url.Values{"target": {"Acme"}, "dialect": {"okta"}}, "Choose what to run"},
		{"no dialect", url.Values{"target": {"Acme"}, "action": {"test"}}, "identity provider"},
		{"unknown target", url.Values{"target": {"Gone"}, "dialect": {"okta"}, "action": {"test"}}, "no longer listed"},
		{"manual without URL", url.Values{"token": {"t"}, "dialect": {"okta"}, "action": {"test"}}, "base URL"},
		{"manual javascript URL", url.Values{"base_url": {"javascript:alert(1)"}, "token": {"t"}, "dialect": {"okta"}, "action": {"test"}}, "base URL"},
		{"manual without token", url.Values{"base_url": {"https://x.example/scim"}, "dialect": {"okta"}, "action": {"test"}}, "token"},
		{"too many users", url.Values{"target": {"Acme"}, "dialect": {"okta"}, "action": {"sync"}, "users": {"2001"}}, "Users must be"},
		{"too many groups", url.Values{"target": {"Acme"}, "dialect": {"okta"}, "action": {"sync"}, "groups": {"201"}}, "Groups must be"},
		{"negative users", url.Values{"target": {"Acme"}, "dialect": {"okta"}, "action": {"sync"}, "users": {"-1"}}, "Users must be"},
		{"okta deletions", url.Values{"target": {"Acme"}, "dialect": {"okta"}, "action": {"sync"}, "deactivations": {"2"}, "deletions": {"1"}}, "Okta never deletes"},
		{"bad domain", url.Values{"target": {"Acme"}, "dialect": {"okta"}, "action": {"sync"}, "domain": {"a@b"}}, "domain"},
		{"create without userName", url.Values{"target": {"Acme"}, "dialect": {"okta"}, "action": {"create"}}, "userName"},
		{"deactivate without user", url.Values{"target": {"Acme"}, "dialect": {"okta"}, "action": {"deactivate"}}, "userName or the SCIM id"},
		{"too long", url.Values{"target": {"Acme"}, "dialect": {"okta"}, "action": {"create"}, "user_name": {strings.Repeat("a", 3000)}}, "too long"},
	}
	for _, tt := range tests {
		tt.v.Set("csrf", ui.csrf())
		p := ui.post(ui.base+"runs", tt.v)
		if p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(text(p, "form-error"), tt.want) {
			t.Errorf("%s: %d %q", tt.name, p.resp.StatusCode, text(p, "form-error"))
		}
		if strings.Contains(p.body, "tok_static_secret") {
			t.Errorf("%s: the page shows a target's token", tt.name)
		}
	}
	if n := ui.get(ui.base).doc.Find(`[data-testid="run-row"]`).Length(); n != 0 {
		t.Fatalf("%d runs after refusals", n)
	}
}

// TestUICSRF: a state-changing POST without the page's token, with a
// foreign token or from another site is refused with 403 and starts
// nothing.
func TestUICSRF(t *testing.T) {
	t.Parallel()
	ui := newUI(t, func(c *scimsim.UIConfig) {
		c.Targets = []scimsim.Target{{Name: "Acme", BaseURL: "http://127.0.0.1:1/scim/dir_1", Token: "tok"}}
	})
	good := ui.csrf()
	form := func(tok string) url.Values {
		v := url.Values{"target": {"Acme"}, "dialect": {"okta"}, "action": {"test"}}
		if tok != "" {
			v.Set("csrf", tok)
		}
		return v
	}
	other := newUI(t, nil)
	foreign := other.csrf() // signed by another UI's key
	tests := []struct {
		name   string
		v      url.Values
		header map[string]string
		jar    bool
	}{
		{"missing token", form(""), nil, true},
		{"foreign token", form(foreign), nil, true},
		{"garbage token", form("x"), nil, true},
		{"no cookie", form(good), nil, false},
		{"cross-site fetch", form(good), map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"other origin", form(good), map[string]string{"Origin": "https://evil.example"}, true},
		{"null origin", form(good), map[string]string{"Origin": "null"}, true},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodPost, ui.base+"runs", strings.NewReader(tt.v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range tt.header {
			req.Header.Set(k, v)
		}
		c := ui.client
		if !tt.jar {
			c = &http.Client{}
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `data-testid="error"`) {
			t.Errorf("%s: status %d", tt.name, resp.StatusCode)
		}
	}
	if n := ui.get(ui.base).doc.Find(`[data-testid="run-row"]`).Length(); n != 0 {
		t.Fatalf("%d runs started without a valid CSRF token", n)
	}
	if !strings.Contains(ui.logs.String(), "CSRF") {
		t.Error("the CSRF refusal is not logged")
	}
	// The same form with the token goes through (and fails to connect).
	p := ui.wait(ui.start(form("")))
	if text(p, "run-state") != "failed" {
		t.Fatalf("state %q", text(p, "run-state"))
	}
	cancel := ui.post(p.resp.Request.URL.String()+"/cancel", url.Values{})
	if cancel.resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cancel without token: %d", cancel.resp.StatusCode)
	}
}

// TestUIEscapesServerAnswers: whatever a SCIM server returns is shown as
// text: bodies, error details and notes never become markup.
func TestUIEscapesServerAnswers(t *testing.T) {
	t.Parallel()
	evil := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+evil+`"`)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue","detail":"`+strings.ReplaceAll(evil, `"`, `\"`)+`"}`)
	}))
	t.Cleanup(srv.Close)
	raw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "<html><body>"+evil+"</body></html>")
	}))
	t.Cleanup(raw.Close)
	ui := newUI(t, func(c *scimsim.UIConfig) {
		c.Targets = []scimsim.Target{{Name: "Evil " + evil, BaseURL: srv.URL + "/scim", Token: "t"}, {Name: "Raw", BaseURL: raw.URL + "/scim", Token: "t"}}
	})
	home := ui.get(ui.base)
	checkPage(t, home)
	for _, v := range []url.Values{
		{"target": {"Evil " + evil}, "dialect": {"okta"}, "action": {"test"}},
		{"target": {"Raw"}, "dialect": {"entra"}, "action": {"create"}, "user_name": {evil}},
	} {
		p := ui.wait(ui.start(v))
		checkPage(t, p)
		if text(p, "run-state") != "failed" {
			t.Fatalf("state %q", text(p, "run-state"))
		}
		if strings.Contains(p.body, "<script>alert") || strings.Contains(p.body, "<img src=x") {
			t.Fatalf("server text rendered as markup:\n%s", p.body)
		}
		if p.doc.Find("script").Length() != 0 || p.doc.Find("img").Length() != 0 {
			t.Fatal("the page holds a script or image element")
		}
		if got := text(p, "response-body"); !strings.Contains(got, "<script>alert(") || !strings.Contains(got, "<img src=x onerror=alert(1)>") {
			t.Errorf("response body not shown as text: %q", got)
		}
		if p.doc.Find(`[data-testid="ex-notes"] li`).Length() == 0 {
			t.Error("the non-SCIM content type is not noted")
		}
	}
	home = ui.get(ui.base)
	if strings.Contains(home.body, "<script>alert") || home.doc.Find("script").Length() != 0 {
		t.Fatal("the run list renders markup")
	}
}

func TestUITargetsFunc(t *testing.T) {
	t.Parallel()
	env := newSCIMEnv(t)
	base, _, token := env.directory(t, "okta")
	ui := newUI(t, func(c *scimsim.UIConfig) {
		c.Targets = []scimsim.Target{{Name: "Static", BaseURL: "https://static.example/scim/d", Token: "s"}}
		c.TargetsFunc = func(ctx context.Context) ([]scimsim.Target, error) {
			return []scimsim.Target{
				{Name: "Dynamic", BaseURL: base, Token: token},
				{Name: "Static", BaseURL: "https://dup.example/scim", Token: "x"}, // duplicate: skipped
				{Name: "No token", BaseURL: base},                                 // invalid: skipped
			}, nil
		}
	})
	home := ui.get(ui.base)
	var names []string
	home.doc.Find(`[data-testid="target"] td:first-child`).Each(func(_ int, s *goquery.Selection) { names = append(names, s.Text()) })
	if strings.Join(names, ",") != "Static,Dynamic" {
		t.Fatalf("targets %v", names)
	}
	if strings.Contains(home.body, "dup.example") {
		t.Error("a duplicate target is listed")
	}
	p := ui.wait(ui.start(url.Values{"target": {"Dynamic"}, "dialect": {"okta"}, "action": {"test"}}))
	if text(p, "run-state") != "succeeded" {
		t.Fatalf("state %q: %q", text(p, "run-state"), text(p, "run-error"))
	}
	if strings.Contains(p.body+home.body+ui.logs.String(), token) {
		t.Fatal("a dynamic target's token is shown or logged")
	}
}

func TestUITargetsFuncError(t *testing.T) {
	t.Parallel()
	ui := newUI(t, func(c *scimsim.UIConfig) {
		c.TargetsFunc = func(ctx context.Context) ([]scimsim.Target, error) { return nil, errors.New("store down") }
	})
	home := ui.get(ui.base)
	if home.resp.StatusCode != 200 || home.doc.Find(`[data-testid="targets-error"]`).Length() != 1 {
		t.Fatalf("%d\n%s", home.resp.StatusCode, home.body)
	}
	if !strings.Contains(ui.logs.String(), "store down") {
		t.Error("the cause is not logged")
	}
}

// TestUIKeepsRecentRuns: runs beyond MaxRuns are forgotten, oldest first.
func TestUIKeepsRecentRuns(t *testing.T) {
	t.Parallel()
	env := newSCIMEnv(t)
	base, _, token := env.directory(t, "okta")
	ui := newUI(t, func(c *scimsim.UIConfig) {
		c.MaxRuns = 2
		c.Targets = []scimsim.Target{{Name: "Acme", BaseURL: base, Token: token}}
	})
	var urls []string
	for range 3 {
		u := ui.start(url.Values{"target": {"Acme"}, "dialect": {"okta"}, "action": {"test"}})
		ui.wait(u)
		urls = append(urls, u)
	}
	if n := ui.get(ui.base).doc.Find(`[data-testid="run-row"]`).Length(); n != 2 {
		t.Fatalf("%d runs listed, want 2", n)
	}
	if p := ui.get(urls[0]); p.resp.StatusCode != http.StatusNotFound {
		t.Fatalf("oldest run: %d", p.resp.StatusCode)
	}
	if p := ui.get(urls[2]); p.resp.StatusCode != http.StatusOK {
		t.Fatalf("newest run: %d", p.resp.StatusCode)
	}
	if p := ui.get(ui.base + "runs/run_nope"); p.resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown run: %d", p.resp.StatusCode)
	}
}

// TestUICancel: a run in progress shows its progress region and the
// polling script, and can be cancelled.
func TestUICancel(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	ui := newUI(t, func(c *scimsim.UIConfig) {
		c.Targets = []scimsim.Target{{Name: "Slow", BaseURL: srv.URL + "/scim", Token: "t"}}
	})
	runURL := ui.start(url.Values{"target": {"Slow"}, "dialect": {"okta"}, "action": {"test"}})
	p := ui.get(runURL)
	checkPage(t, p)
	if text(p, "run-state") != "running" {
		t.Fatalf("state %q", text(p, "run-state"))
	}
	if src, _ := p.doc.Find("script").Attr("src"); src != "../static/refresh.js" {
		t.Fatalf("script src %q", src)
	}
	if su, _ := p.doc.Find(`[data-testid="run-progress"]`).Attr("data-status-url"); !strings.HasSuffix(su, "/status") {
		t.Fatalf("status url %q", su)
	}
	tok, _ := p.doc.Find(`[data-testid="cancel-form"] input[name="csrf"]`).Attr("value")
	action, _ := p.doc.Find(`[data-testid="cancel-form"]`).Attr("action")
	ru, _ := url.Parse(runURL)
	cu, _ := ru.Parse(action)
	after := ui.post(cu.String(), url.Values{"csrf": {tok}})
	if after.resp.Request.URL.String() != runURL {
		t.Fatalf("cancel redirected to %s", after.resp.Request.URL)
	}
	p = ui.wait(runURL)
	if text(p, "run-state") != "cancelled" {
		t.Fatalf("state after cancel %q", text(p, "run-state"))
	}
}

func TestUIStaticAndBranding(t *testing.T) {
	t.Parallel()
	ui := newUI(t, func(c *scimsim.UIConfig) {
		c.Branding = scimsim.Branding{Name: "Acme <Dev>", AccentColor: "#0a7", LogoURL: "https://cdn.acme.example/logo.png"}
	})
	home := ui.get(ui.base)
	checkPage(t, home)
	if !strings.Contains(home.body, "Acme &lt;Dev&gt;") || !strings.Contains(home.resp.Header.Get("Content-Security-Policy"), "img-src 'self' https://cdn.acme.example;") {
		t.Fatalf("branding: %s", home.resp.Header.Get("Content-Security-Policy"))
	}
	if src, _ := home.doc.Find("header img").Attr("src"); src != "https://cdn.acme.example/logo.png" {
		t.Errorf("logo %q", src)
	}
	for file, want := range map[string]string{"style.css": "text/css", "theme.css": "text/css", "refresh.js": "text/javascript"} {
		p := ui.get(ui.base + "static/" + file)
		if p.resp.StatusCode != 200 || !strings.HasPrefix(p.resp.Header.Get("Content-Type"), want) {
			t.Errorf("%s: %d %q", file, p.resp.StatusCode, p.resp.Header.Get("Content-Type"))
		}
		if file == "theme.css" && !strings.Contains(p.body, "--accent:#0a7") {
			t.Errorf("theme.css %q", p.body)
		}
	}
	for _, bad := range []string{"static/ui.go", "static/../ui.go", "static/nope.js"} {
		if p := ui.get(ui.base + bad); p.resp.StatusCode == 200 {
			t.Errorf("%s served", bad)
		}
	}
}

// FuzzUIRunForm: whatever the form holds, the UI answers with a page (a
// refusal, a run or "busy"), never a panic or a 500.
func FuzzUIRunForm(f *testing.F) {
	f.Add("target=Acme&dialect=okta&action=sync&users=5&groups=1")
	f.Add("base_url=http%3A%2F%2F127.0.0.1%3A1%2Fscim&token=t&dialect=entra&action=deactivate&ident=a%2Fb")
	f.Add("dialect=okta&action=create&user_name=%00%ff&users=99999999999999999999")
	f.Add("target=Acme&dialect=entra&action=sync&deactivations=3&deletions=4&users=2&concurrency=0&seed=-1")
	f.Add("%zz=1&&&action=test")
	ui, err := scimsim.NewUI(scimsim.UIConfig{
		Development: true, MaxRuns: 4, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Targets: []scimsim.Target{{Name: "Acme", BaseURL: "http://127.0.0.1:1/scim/dir_1", Token: "tok_fuzz_secret"}},
	})
	if err != nil {
		f.Fatal(err)
	}
	rec := httptest.NewRecorder()
	ui.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		f.Fatal(err)
	}
	tok, _ := doc.Find(`input[name="csrf"]`).Attr("value")
	cookie := rec.Result().Cookies()[0]
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/runs", strings.NewReader(body+"&csrf="+url.QueryEscape(tok)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(cookie)
		w := httptest.NewRecorder()
		ui.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusSeeOther, http.StatusBadRequest, http.StatusTooManyRequests, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for %q", w.Code, body)
		}
		if strings.Contains(w.Body.String(), "tok_fuzz_secret") {
			t.Fatal("the token is shown")
		}
	})
}

// TestUIGroupMembership: the UI adds a user to a named group (creating
// it) and removes it, as each provider does, so that an IT admin can try
// the portal's group-to-role mappings.
func TestUIGroupMembership(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"okta", "entra"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			env := newSCIMEnv(t)
			base, dirID, token := env.directory(t, dialect)
			ui := newUI(t, nil)
			run := func(v url.Values) page {
				t.Helper()
				v.Set("base_url", base)
				v.Set("token", token)
				v.Set("dialect", dialect)
				return ui.wait(ui.start(v))
			}
			if p := run(url.Values{"action": {"create"}, "user_name": {"ada@example.com"}}); text(p, "run-state") != "succeeded" {
				t.Fatalf("create: %q", text(p, "run-error"))
			}
			members := func() []string {
				t.Helper()
				gs, _, err := env.st.ListDirectoryGroups(context.Background(), dirID, store.GroupQuery{Limit: 10})
				if err != nil || len(gs) != 1 || gs[0].DisplayName != "Admins" {
					t.Fatalf("groups %+v, %v", gs, err)
				}
				ms, err := env.st.ListGroupMembers(context.Background(), dirID, gs[0].ID)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, m := range ms {
					out = append(out, m.Display)
				}
				return out
			}
			p := run(url.Values{"action": {"add_member"}, "group": {"Admins"}, "member": {"ada@example.com"}})
			if text(p, "run-state") != "succeeded" || !strings.Contains(text(p, "run-result"), "to group Admins") {
				t.Fatalf("add: %q %q", text(p, "run-state"), text(p, "run-error"))
			}
			checkPage(t, p)
			if m := members(); len(m) != 1 {
				t.Fatalf("members after add: %q", m)
			}
			// Adding again is harmless: the group is found, not created twice.
			if p := run(url.Values{"action": {"add_member"}, "group": {"Admins"}, "member": {"ada@example.com"}}); text(p, "run-state") != "succeeded" {
				t.Fatalf("add again: %q", text(p, "run-error"))
			}
			p = run(url.Values{"action": {"remove_member"}, "group": {"Admins"}, "member": {"ada@example.com"}})
			if text(p, "run-state") != "succeeded" || !strings.Contains(text(p, "run-result"), "from group Admins") {
				t.Fatalf("remove: %q %q", text(p, "run-state"), text(p, "run-error"))
			}
			if m := members(); len(m) != 0 {
				t.Fatalf("members after remove: %q", m)
			}
			if p := run(url.Values{"action": {"add_member"}, "group": {"Admins"}, "member": {"nobody@example.com"}}); text(p, "run-state") != "failed" || !strings.Contains(text(p, "run-error"), "no such user") {
				t.Fatalf("unknown member: %q %q", text(p, "run-state"), text(p, "run-error"))
			}
			v := url.Values{"base_url": {base}, "token": {token}, "dialect": {dialect}, "action": {"add_member"}, "member": {"ada@example.com"}, "csrf": {ui.csrf()}}
			if p := ui.post(ui.base+"runs", v); p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(text(p, "form-error"), "group's name") {
				t.Fatalf("no group: %d %q", p.resp.StatusCode, text(p, "form-error"))
			}
		})
	}
}
