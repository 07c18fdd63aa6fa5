package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/ssokit/idpsim"
)

// TestEndToEnd builds the quickstart binary, runs it as a process on a
// temporary database, and walks the flows a new user follows in a browser:
// SSO through the simulator (SAML and OIDC, SP- and IdP-initiated), SCIM
// provisioning with the printed token, the portal link; then stops it with
// SIGTERM, restarts it on the same database and checks that the data
// survived.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the quickstart binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("uses SIGTERM")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()

	dir := t.TempDir()
	bin := buildQuickstart(ctx, t, dir)
	db := filepath.Join(dir, "quickstart.db")

	first := startQuickstart(ctx, t, bin, db, "127.0.0.1:0")
	app := first.url(t, "app")
	t.Logf("first start:\n%s", first.header)

	t.Run("Health and development key", func(t *testing.T) {
		if !strings.Contains(first.stderr.String(), "generated a development key") {
			t.Errorf("the first start does not say it generated a development key:\n%s", first.stderr.String())
		}
		if code, body := httpGet(ctx, t, app+"/healthz"); code != http.StatusOK || !strings.Contains(body, `"alive"`) {
			t.Fatalf("/healthz: %d %s", code, body)
		}
		waitReady(ctx, t, app)
	})

	home := getPage(ctx, t, newBrowser(t), app)
	samlHref, _ := home.Find(`a[data-testid="saml"]`).Attr("href")
	oidcHref, _ := home.Find(`a[data-testid="oidc"]`).Attr("href")
	if samlHref == "" || oidcHref == "" {
		t.Fatal("the home page has no SAML or OIDC sign-in button")
	}

	t.Run("SAML SP-initiated", func(t *testing.T) {
		b := newBrowser(t)
		login := getPage(ctx, t, b, resolve(t, app, samlHref))
		me := submitIdPForm(ctx, t, b, login, `form[data-testid="login-form"]`, "0")
		checkProfile(t, me, "alice@example.com", "saml", false, first.line(t, "organization"))

		// Signing out ends the IdP session too: a signed LogoutRequest to
		// the simulator, whose signed LogoutResponse comes back to the
		// app's SLO endpoint, which lands the browser on the home page.
		hops := signOut(ctx, t, b, me, app)
		if got := strings.Join(hops, " "); !strings.HasSuffix(got, "/idp/saml/slo /sso/saml/"+strings.TrimPrefix(samlHref, "/login?connection=")+"/slo /") {
			t.Errorf("logout went through %s", got)
		}
	})
	t.Run("OIDC SP-initiated", func(t *testing.T) {
		b := newBrowser(t)
		login := getPage(ctx, t, b, resolve(t, app, oidcHref))
		me := submitIdPForm(ctx, t, b, login, `form[data-testid="login-form"]`, "1")
		checkProfile(t, me, "bob@example.com", "oidc", false, first.line(t, "organization"))

		// RP-initiated logout: the provider's end_session_endpoint, back
		// to the registered post-logout redirect URI, then home.
		hops := signOut(ctx, t, b, me, app)
		if got := strings.Join(hops, " "); !strings.HasSuffix(got, "/idp/oidc/logout /sso/oidc/"+strings.TrimPrefix(oidcHref, "/login?connection=")+"/logout /") {
			t.Errorf("logout went through %s", got)
		}
	})
	t.Run("SAML IdP-initiated", func(t *testing.T) {
		b := newBrowser(t)
		launcher := getPage(ctx, t, b, first.url(t, "IdP simulator")+"saml/idp-initiated")
		sp := app + "sso/saml/" + strings.TrimPrefix(samlHref, "/login?connection=") + "/metadata"
		if launcher.Find(`select[name="sp"] option[value="`+sp+`"]`).Length() != 1 {
			t.Fatalf("the simulator's launcher does not offer the app's SAML connection %s", sp)
		}
		me := submitIdPForm(ctx, t, b, launcher, `form[data-testid="idp-initiated-form"]`, "0")
		checkProfile(t, me, "alice@example.com", "saml", true, first.line(t, "organization"))
	})
	t.Run("email routing offers both connections", func(t *testing.T) {
		page := getPage(ctx, t, newBrowser(t), app+"login?email=alice@example.com")
		if n := page.Find(`a.button[href^="/login?connection="]`).Length(); n != 4 { // 2 choices + the 2 demo buttons
			t.Errorf("the chooser shows %d connection links, want 4", n)
		}
		resp := do(ctx, t, http.DefaultClient, http.MethodGet, app+"login?email=someone@unknown.example", "", nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("an email without SSO: status %d, want 404", resp.StatusCode)
		}
	})

	t.Run("dashboard disables and enables a connection", func(t *testing.T) {
		oidcID := strings.TrimPrefix(oidcHref, "/login?connection=")
		orgID, _, _ := strings.Cut(first.line(t, "organization"), " ")
		b := newBrowser(t)
		dashboardPost := func(button string) {
			t.Helper()
			org := getPage(ctx, t, b, first.url(t, "dashboard")+"orgs/"+orgID)
			page, form := org, org.Find(`li[data-connection-id="`+oidcID+`"] form:has(button[data-testid="`+button+`"])`)
			if link := org.Find(`li[data-connection-id="` + oidcID + `"] a[data-testid="` + button + `"]`); link.Length() == 1 {
				// A destructive change asks first: its confirmation page
				// holds the form.
				href, _ := link.Attr("href")
				page = getPage(ctx, t, b, resolve(t, org.URL, href))
				form = page.Find(`form[data-testid="confirm-form"]`)
			}
			if form.Length() != 1 {
				t.Fatalf("no %s form for the OIDC connection on the dashboard", button)
			}
			fields := url.Values{}
			form.Find(`input[type="hidden"]`).Each(func(_ int, in *goquery.Selection) {
				name, _ := in.Attr("name")
				value, _ := in.Attr("value")
				fields.Add(name, value)
			})
			action, _ := form.Attr("action")
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, resolve(t, page.URL, action), strings.NewReader(fields.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			resp, err := b.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			readPage(t, resp)
		}
		dashboardPost("disable-connection")
		if resp := do(ctx, t, newBrowser(t).Client, http.MethodGet, resolve(t, app, oidcHref), "", nil); resp.StatusCode == http.StatusOK && strings.Contains(resp.Request.URL.Path, "/idp/") {
			t.Error("a disabled connection still starts logins")
		}
		dashboardPost("enable-connection")
		login := getPage(ctx, t, b, resolve(t, app, oidcHref))
		me := submitIdPForm(ctx, t, b, login, `form[data-testid="login-form"]`, "1")
		checkProfile(t, me, "bob@example.com", "oidc", false, first.line(t, "organization"))
	})

	scimBase := first.url(t, "SCIM base URL")
	token := first.line(t, "SCIM token")
	t.Run("SCIM provisioning", func(t *testing.T) {
		carol := scimJSON(ctx, t, scimBase+"/Users", token, http.MethodPost, map[string]any{
			"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": "carol@example.com", "externalId": "00u-carol", "active": true,
			"name":   map[string]string{"givenName": "Carol", "familyName": "Danvers"},
			"emails": []map[string]any{{"value": "carol@example.com", "type": "work", "primary": true}},
		}, http.StatusCreated)
		dave := scimJSON(ctx, t, scimBase+"/Users", token, http.MethodPost, map[string]any{
			"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": "dave@example.com", "active": true,
		}, http.StatusCreated)
		scimJSON(ctx, t, scimBase+"/Groups", token, http.MethodPost, map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": "Engineering",
			"members":     []map[string]string{{"value": carol["id"].(string)}, {"value": dave["id"].(string)}},
		}, http.StatusCreated)
		list := scimJSON(ctx, t, scimBase+"/Users?filter="+url.QueryEscape(`userName eq "CAROL@example.com"`), token, http.MethodGet, nil, http.StatusOK)
		if list["totalResults"] != float64(1) {
			t.Errorf("filtered lookup: totalResults %v, want 1", list["totalResults"])
		}
		groups := scimJSON(ctx, t, scimBase+"/Groups?filter="+url.QueryEscape(`displayName eq "Engineering"`), token, http.MethodGet, nil, http.StatusOK)
		if res, _ := groups["Resources"].([]any); len(res) != 1 || len(res[0].(map[string]any)["members"].([]any)) != 2 {
			t.Errorf("group lookup: %v, want one group with two members", groups["Resources"])
		}
		scimJSON(ctx, t, scimBase+"/Users", "scim_wrong", http.MethodGet, nil, http.StatusUnauthorized)
	})
	t.Run("SCIM deactivation signs the user out", func(t *testing.T) {
		bob := scimJSON(ctx, t, scimBase+"/Users", token, http.MethodPost, map[string]any{
			"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": "bob@example.com", "active": true,
		}, http.StatusCreated)
		b := newBrowser(t)
		login := getPage(ctx, t, b, resolve(t, app, oidcHref))
		me := submitIdPForm(ctx, t, b, login, `form[data-testid="login-form"]`, "1")
		checkProfile(t, me, "bob@example.com", "oidc", false, first.line(t, "organization"))
		scimJSON(ctx, t, scimBase+"/Users/"+bob["id"].(string), token, http.MethodPatch, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{{"op": "replace", "value": map[string]any{"active": false}}},
		}, http.StatusOK)
		// Every instance sees the revocation within the session cache TTL
		// (1 second); this app is a separate process on the real clock.
		deadline := time.Now().Add(5 * time.Second)
		for {
			again := getPage(ctx, t, b, app+"me")
			if !strings.HasSuffix(again.URL, "/me") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the deactivated user still sees their profile page")
			}
			time.Sleep(200 * time.Millisecond)
		}
		// Bob leaves the directory again: the steps below count its users.
		// The directory deleted him, so he cannot come back by just-in-time
		// sign-in: the later logins are alice's.
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, scimBase+"/Users/"+bob["id"].(string), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("SCIM DELETE: %d", resp.StatusCode)
		}
	})
	t.Run("events and portal link", func(t *testing.T) {
		feed := getPage(ctx, t, newBrowser(t), first.url(t, "events"))
		text := feed.Find(`table[data-testid="events"]`).Text()
		for _, typ := range []string{"sso.login.succeeded", "directory.user.created", "organization.created"} {
			if !strings.Contains(text, typ) {
				t.Errorf("the event feed has no %s", typ)
			}
		}
		getPage(ctx, t, newBrowser(t), first.url(t, "dashboard"))
	})
	t.Run("portal", func(t *testing.T) {
		b := newBrowser(t)
		overview := openPortal(ctx, t, b, first.line(t, "portal link"))
		if got := strings.TrimSpace(overview.Find(`[data-testid="home-title"]`).Text()); got != "Example Corp" {
			t.Errorf("portal overview title %q", got)
		}
		dirs := getPage(ctx, t, b, resolve(t, overview.URL, "directory-sync"))
		if got := dirs.Find(`[data-testid="directory-users"]`).Text(); got != "2" {
			t.Errorf("the portal shows %q directory users, want 2", got)
		}
	})
	t.Run("roles from a directory group", func(t *testing.T) {
		// The directory provisions alice into Admins; the IT admin maps
		// Admins to the app's admin role in the portal; alice signs in and
		// the host page shows the role.
		alice := scimJSON(ctx, t, scimBase+"/Users", token, http.MethodPost, map[string]any{
			"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": "alice@example.com", "active": true,
			"emails": []map[string]any{{"value": "alice@example.com", "type": "work", "primary": true}},
		}, http.StatusCreated)
		scimJSON(ctx, t, scimBase+"/Groups", token, http.MethodPost, map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": "Admins",
			"members":     []map[string]string{{"value": alice["id"].(string)}},
		}, http.StatusCreated)
		b := newBrowser(t)
		overview := openPortal(ctx, t, b, first.line(t, "portal link"))
		found := getPage(ctx, t, b, resolve(t, overview.URL, "roles?q=Admin"))
		saved := submitForm(ctx, t, b, found, `form[data-testid="group-choice"]`, url.Values{"role": {"admin"}})
		if !strings.HasSuffix(saved.URL, "/roles?saved=mapping") || saved.Find(`[data-testid="mapping-row"]`).Length() != 1 {
			t.Fatalf("after mapping: %s\n%s", saved.URL, saved.Body)
		}
		user := newBrowser(t)
		login := getPage(ctx, t, user, resolve(t, app, samlHref))
		me := submitIdPForm(ctx, t, user, login, `form[data-testid="login-form"]`, "0")
		checkProfile(t, me, "alice@example.com", "saml", false, first.line(t, "organization"))
		if got := strings.TrimSpace(me.Find(`[data-testid="roles"]`).Text()); got != "admin" {
			t.Errorf("the host page shows roles %q, want admin", got)
		}
		// The demo maps the custom attributes: the IdP simulator sends them.
		if d, n := me.Find(`[data-testid="custom-department"]`).Text(), me.Find(`[data-testid="custom-employee_number"]`).Text(); d != "Engineering" || n != "1001" {
			t.Errorf("the host page shows department %q, employee number %q", d, n)
		}
	})
	t.Run("portal sets up, tests and activates a SAML connection", func(t *testing.T) {
		b := newBrowser(t)
		overview := openPortal(ctx, t, b, first.line(t, "portal link"))
		newConn := getPage(ctx, t, b, resolve(t, overview.URL, "sso/new/generic"))
		guide := submitForm(ctx, t, b, newConn, `form[data-testid="sso-create-form"]`, url.Values{"protocol": {"saml"}, "name": {"Set up in the portal"}})
		connID := strings.TrimSuffix(guide.URL, "/setup/guide")
		connID = connID[strings.LastIndex(connID, "/")+1:]
		idp := getPage(ctx, t, b, resolve(t, guide.URL, "idp"))
		mapping := submitForm(ctx, t, b, idp, `form[data-testid="form-metadata-url"]`, url.Values{"metadata_url": {first.url(t, "IdP simulator") + "saml/metadata"}})
		if msg := mapping.Find(`[data-testid="alert"], .field-error`).Text(); msg != "" || mapping.Find(`[data-testid="form-mapping"]`).Length() != 1 {
			t.Fatalf("saving the metadata URL: %q on %s", msg, mapping.URL)
		}
		conn := getPage(ctx, t, b, resolve(t, mapping.URL, "../../"+connID))
		testPage := submitForm(ctx, t, b, conn, `form[data-testid="form-test"]`, nil)
		open, _ := testPage.Find(`a[data-testid="test-open"]`).Attr("href")
		login := getPage(ctx, t, b, resolve(t, testPage.URL, open))
		popup := submitIdPForm(ctx, t, b, login, `form[data-testid="login-form"]`, "0")
		if !strings.Contains(popup.Find("h1").Text(), "Connection test") {
			t.Fatalf("the test popup ends on %s:\n%s", popup.URL, popup.Body)
		}
		resultURL, _ := testPage.Find(`[data-testid="test-run"]`).Attr("data-result-url")
		result := getPage(ctx, t, b, resolve(t, testPage.URL, resultURL))
		if result.Find(`[data-testid="result-ok"]`).Length() == 0 || strings.TrimSpace(result.Find(`[data-testid="result-email"]`).Text()) != "alice@example.com" {
			t.Fatalf("the portal's test result page:\n%s", result.Body)
		}
		conn = getPage(ctx, t, b, conn.URL)
		if state, _ := conn.Find(`[data-testid="connection-state"]`).Attr("data-state"); state != "tested" {
			t.Fatalf("after the test the connection is %q, want tested", state)
		}
		conn = submitForm(ctx, t, b, conn, `form[data-testid="form-activate"]`, nil)
		if state, _ := conn.Find(`[data-testid="connection-state"]`).Attr("data-state"); state != "active" {
			t.Fatalf("after activation the connection is %q, want active", state)
		}
		user := newBrowser(t)
		me := submitIdPForm(ctx, t, user, getPage(ctx, t, user, app+"login?connection="+connID), `form[data-testid="login-form"]`, "0")
		checkProfile(t, me, "alice@example.com", "saml", false, first.line(t, "organization"))
	})
	t.Run("directory simulator", func(t *testing.T) {
		b := newBrowser(t)
		home := getPage(ctx, t, b, first.url(t, "directory simulator"))
		form := home.Find(`form[data-testid="run-form"]`)
		csrf, _ := form.Find(`input[name="csrf"]`).Attr("value")
		target, _ := form.Find(`select[name="target"] option[value*="Example Corp"]`).Attr("value")
		if csrf == "" || !strings.Contains(target, "Example Corp") {
			t.Fatalf("the directory simulator does not list the demo directory (target %q)", target)
		}
		values := url.Values{"csrf": {csrf}, "target": {target}, "action": {"sync"}, "dialect": {"entra"},
			"users": {"5"}, "groups": {"1"}, "updates": {"1"}, "deactivations": {"1"}}
		action, _ := form.Attr("action")
		run := readPage(t, do(ctx, t, b.Client, http.MethodPost, resolve(t, home.URL, action), "application/x-www-form-urlencoded", strings.NewReader(values.Encode())))
		// The sync runs in the background: poll its status until it ends.
		var status struct {
			State string `json:"state"`
		}
		for status.State == "" || status.State == "running" {
			resp := do(ctx, t, b.Client, http.MethodGet, run.URL+"/status", "", nil)
			err := json.NewDecoder(resp.Body).Decode(&status)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("run status: %v", err)
			}
			select {
			case <-ctx.Done():
				t.Fatal("the sync did not finish in time")
			case <-time.After(50 * time.Millisecond):
			}
		}
		if status.State != "succeeded" {
			t.Fatalf("the sync ended %q:\n%s", status.State, getPage(ctx, t, b, run.URL).Body)
		}
		list := scimJSON(ctx, t, scimBase+"/Users?filter="+url.QueryEscape(`userName sw "user0"`), token, http.MethodGet, nil, http.StatusOK)
		if list["totalResults"] != float64(5) {
			t.Errorf("after the Entra sync: %v users user0..., want 5", list["totalResults"])
		}
	})

	configured := countEvents(ctx, t, app, "sso.connection.configured")
	first.stop(ctx, t)

	// The demo secrets file: beside the database, private, marked.
	secretsFile := db + ".demo-secrets.json"
	if got := first.line(t, "demo secrets"); got != secretsFile {
		t.Errorf("demo secrets line %q, want %q", got, secretsFile)
	}
	if fi, err := os.Stat(secretsFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("demo secrets file: %v, mode %v, want 0600", err, fi)
	}
	if raw, err := os.ReadFile(secretsFile); err != nil || !strings.Contains(string(raw), "DEVELOPMENT ONLY") || !strings.Contains(string(raw), token) {
		t.Errorf("the demo secrets file lacks its warning or the token (%v)", err)
	}

	// A restart on the same address prints the same link and token, which
	// still work, and keeps the connections active without a new test.
	second := startQuickstart(ctx, t, bin, db, strings.TrimSuffix(strings.TrimPrefix(app, "http://"), "/"))
	t.Logf("second start:\n%s", second.header)
	for _, label := range []string{"organization", "app", "portal link", "portal link expires", "SCIM base URL", "SCIM token"} {
		if got, want := second.line(t, label), first.line(t, label); got != want {
			t.Errorf("after a restart %s is %q, want %q", label, got, want)
		}
	}
	if n := countEvents(ctx, t, app, "sso.connection.configured"); n != configured {
		t.Errorf("the restart reconfigured connections: %d configured events, want %d", n, configured)
	}
	overview := openPortal(ctx, t, newBrowser(t), first.line(t, "portal link"))
	if got := strings.TrimSpace(overview.Find(`[data-testid="home-title"]`).Text()); got != "Example Corp" {
		t.Errorf("portal overview after a restart: title %q", got)
	}
	scimBase = second.url(t, "SCIM base URL")
	list := scimJSON(ctx, t, scimBase+"/Users?filter="+url.QueryEscape(`userName eq "carol@example.com"`), token, http.MethodGet, nil, http.StatusOK)
	if list["totalResults"] != float64(1) {
		t.Errorf("after a restart carol is gone: %v", list)
	}
	b := newBrowser(t)
	login := getPage(ctx, t, b, resolve(t, app, samlHref))
	me := submitIdPForm(ctx, t, b, login, `form[data-testid="login-form"]`, "0")
	checkProfile(t, me, "alice@example.com", "saml", false, first.line(t, "organization"))
	second.stop(ctx, t)

	// Without the secrets file (and on another port), a start rotates the
	// token and the link, revoking the old ones, and reconfigures and
	// re-tests the connections for the simulator's new key and URL.
	if err := os.Remove(secretsFile); err != nil {
		t.Fatal(err)
	}
	third := startQuickstart(ctx, t, bin, db, "127.0.0.1:0")
	t.Logf("third start:\n%s", third.header)
	app3 := third.url(t, "app")
	if got, want := third.line(t, "organization"), first.line(t, "organization"); got != want {
		t.Errorf("after a restart the organization is %q, want %q", got, want)
	}
	newToken := third.line(t, "SCIM token")
	if newToken == token {
		t.Error("the SCIM token was not rotated")
	}
	if !strings.HasPrefix(third.line(t, "portal link"), app3+"portal/l/") {
		t.Errorf("no portal link printed: %q", third.line(t, "portal link"))
	}
	oldLink := strings.Replace(first.line(t, "portal link"), app, app3, 1)
	if oldLink == third.line(t, "portal link") {
		t.Error("the portal link was not rotated")
	}
	if resp := do(ctx, t, http.DefaultClient, http.MethodGet, oldLink, "", nil); resp.StatusCode != http.StatusGone && resp.StatusCode != http.StatusNotFound {
		t.Errorf("the previous portal link answers %d, want it revoked (404 or 410)", resp.StatusCode)
	}
	overview = openPortal(ctx, t, newBrowser(t), third.line(t, "portal link"))
	if got := strings.TrimSpace(overview.Find(`[data-testid="home-title"]`).Text()); got != "Example Corp" {
		t.Errorf("portal overview after rotation: title %q", got)
	}
	scimBase = third.url(t, "SCIM base URL")
	scimJSON(ctx, t, scimBase+"/Users", token, http.MethodGet, nil, http.StatusUnauthorized)
	list = scimJSON(ctx, t, scimBase+"/Users?filter="+url.QueryEscape(`userName eq "carol@example.com"`), newToken, http.MethodGet, nil, http.StatusOK)
	if list["totalResults"] != float64(1) {
		t.Errorf("after rotation carol is gone: %v", list)
	}
	if n := countEvents(ctx, t, app3, "sso.connection.configured"); n <= configured {
		t.Errorf("a new simulator key and URL did not reconfigure the connections: %d configured events", n)
	}
	b = newBrowser(t)
	login = getPage(ctx, t, b, resolve(t, app3, samlHref))
	me = submitIdPForm(ctx, t, b, login, `form[data-testid="login-form"]`, "0")
	checkProfile(t, me, "alice@example.com", "saml", false, first.line(t, "organization"))
	if _, err := os.Stat(secretsFile); err != nil {
		t.Errorf("the demo secrets file was not written again: %v", err)
	}
	third.stop(ctx, t)
}

// countEvents counts the events of type typ through the app's pull API.
func countEvents(ctx context.Context, t *testing.T, app, typ string) int {
	t.Helper()
	n, after := 0, int64(0)
	for {
		resp := do(ctx, t, http.DefaultClient, http.MethodGet, fmt.Sprintf("%sapi/events?types=%s&limit=50&after=%d", app, url.QueryEscape(typ), after), "", nil)
		var page struct {
			Events     []json.RawMessage `json:"events"`
			NextCursor int64             `json:"next_cursor"`
			HasMore    bool              `json:"has_more"`
		}
		err := json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("pulling %s events: %v", typ, err)
		}
		n += len(page.Events)
		if !page.HasMore {
			return n
		}
		after = page.NextCursor
	}
}

// openPortal opens a portal link as a browser does: the landing page (a GET
// that never consumes the link), then its Continue button.
func openPortal(ctx context.Context, t *testing.T, b *browser, link string) *page {
	t.Helper()
	landing := getPage(ctx, t, b, link)
	form := landing.Find("form").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.Find(`input[name="token"]`).Length() == 1
	})
	if form.Length() != 1 {
		t.Fatalf("no redemption form on the portal landing page:\n%s", landing.Body)
	}
	token, _ := form.Find(`input[name="token"]`).Attr("value")
	action, _ := form.Attr("action")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, resolve(t, landing.URL, action), strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin") // what a browser sends on the portal's own form
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return readPage(t, resp)
}

// submitForm fills the form selected on p as a browser would (inputs with
// their values, checked boxes and radios, selected or first options),
// applies set, posts it from the page's origin and returns the page it ends
// on.
func submitForm(ctx context.Context, t *testing.T, b *browser, p *page, selector string, set url.Values) *page {
	t.Helper()
	form := p.Find(selector)
	if form.Length() != 1 {
		t.Fatalf("no %s on %s:\n%s", selector, p.URL, p.Body)
	}
	values := url.Values{}
	form.Find("input[name], textarea[name]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		typ, _ := s.Attr("type")
		if (typ == "radio" || typ == "checkbox") && s.AttrOr("checked", "no") == "no" {
			return
		}
		values.Set(name, s.AttrOr("value", s.Text()))
	})
	form.Find("select[name]").Each(func(_ int, s *goquery.Selection) {
		opt := s.Find("option[selected]")
		if opt.Length() == 0 {
			opt = s.Find("option").First()
		}
		values.Set(s.AttrOr("name", ""), opt.AttrOr("value", ""))
	})
	for k, v := range set {
		values[k] = v
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, resolve(t, p.URL, form.AttrOr("action", "")), strings.NewReader(values.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return readPage(t, resp)
}

// quickstart is a running quickstart process.
type quickstart struct {
	cmd     *exec.Cmd
	header  string            // what it printed at start
	lines   map[string]string // "  label: value" lines of the header
	exited  chan struct{}     // closed when the process has exited
	waitErr error             // cmd.Wait's result, set before exited is closed
	stderr  *testkit.LogBuffer
}

// buildQuickstart builds the quickstart binary into dir (with the race
// detector when the tests run with it) and returns its path.
func buildQuickstart(ctx context.Context, t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "quickstart")
	args := []string{"build", "-o", bin}
	if raceBuild {
		args = append(args, "-race")
	}
	build := exec.CommandContext(ctx, "go", append(args, ".")...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// waitReady waits until the quickstart at app (its URL, ending in "/")
// is ready, its background workers started.
func waitReady(ctx context.Context, t *testing.T, app string) {
	t.Helper()
	for {
		code, body := httpGet(ctx, t, app+"/readyz")
		if code == http.StatusOK && strings.Contains(body, `"status":"ready"`) && strings.Contains(body, `"worker:reseal"`) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("/readyz never ready: %d %s", code, body)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startQuickstart starts bin on db, listening on addr, with the extra
// flags, and returns once it printed its URLs.
func startQuickstart(ctx context.Context, t *testing.T, bin, db, addr string, flags ...string) *quickstart {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-addr", addr, "-db", db}, flags...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	q := &quickstart{cmd: cmd, lines: map[string]string{}, exited: make(chan struct{}), stderr: &testkit.LogBuffer{}}
	cmd.Stderr = q.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-q.exited:
		default:
			cmd.Process.Kill()
			<-q.exited
		}
	})
	headerc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		var header strings.Builder
		sent := false
		for sc.Scan() {
			if !sent {
				header.WriteString(sc.Text() + "\n")
				if strings.HasPrefix(sc.Text(), "The SCIM token") {
					headerc <- header.String()
					sent = true
				}
			}
		}
		if !sent {
			headerc <- header.String()
		}
		q.waitErr = cmd.Wait()
		close(q.exited)
	}()
	select {
	case q.header = <-headerc:
	case <-ctx.Done():
		t.Fatalf("the quickstart printed nothing in time; stderr:\n%s", q.stderr)
	}
	for _, l := range strings.Split(q.header, "\n") {
		if label, value, ok := strings.Cut(strings.TrimPrefix(l, "  "), ": "); ok && strings.HasPrefix(l, "  ") {
			q.lines[label] = value
		}
	}
	if q.lines["app"] == "" {
		t.Fatalf("the quickstart did not print its URLs:\n%s\nstderr:\n%s", q.header, q.stderr)
	}
	return q
}

func (q *quickstart) line(t *testing.T, label string) string {
	t.Helper()
	v, ok := q.lines[label]
	if !ok {
		t.Fatalf("no %q line in:\n%s", label, q.header)
	}
	return v
}

// url returns a printed URL, checking that it is one.
func (q *quickstart) url(t *testing.T, label string) string {
	t.Helper()
	v := q.line(t, label)
	if u, err := url.Parse(v); err != nil || u.Scheme != "http" || u.Host == "" {
		t.Fatalf("%s: %q is not a URL", label, v)
	}
	return v
}

// stop sends SIGTERM and expects a clean exit.
func (q *quickstart) stop(ctx context.Context, t *testing.T) {
	t.Helper()
	if err := q.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-q.exited:
		if q.waitErr != nil {
			t.Fatalf("the quickstart did not exit cleanly on SIGTERM: %v\nstderr:\n%s", q.waitErr, q.stderr)
		}
		if strings.Contains(q.stderr.String(), "DATA RACE") {
			t.Fatalf("the race detector reported a race:\n%s", q.stderr)
		}
	case <-ctx.Done():
		t.Fatal("the quickstart did not stop on SIGTERM")
	}
}

// browser is an HTTP client with a cookie jar that follows redirects, and
// remembers the URL of the last page it landed on.
type browser struct{ *http.Client }

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{&http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// page is a fetched HTML document and the URL it came from.
type page struct {
	*goquery.Document
	URL  string
	Body []byte
}

func getPage(ctx context.Context, t *testing.T, b *browser, u string) *page {
	t.Helper()
	return readPage(t, do(ctx, t, b.Client, http.MethodGet, u, "", nil))
}

func readPage(t *testing.T, resp *http.Response) *page {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: status %d\n%s", resp.Request.Method, resp.Request.URL, resp.StatusCode, body)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return &page{Document: doc, URL: resp.Request.URL.String(), Body: body}
}

func do(ctx context.Context, t *testing.T, c *http.Client, method, u, contentType string, body io.Reader) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// submitIdPForm fills the simulator's user form (seed user seed, outcome
// success), submits it, follows the auto-posting SAML form if there is one,
// and returns the page the app lands on.
func submitIdPForm(ctx context.Context, t *testing.T, b *browser, p *page, selector, seed string) *page {
	t.Helper()
	form := p.Find(selector)
	if form.Length() != 1 {
		t.Fatalf("no %s on %s:\n%s", selector, p.URL, p.Body)
	}
	values := url.Values{}
	form.Find("input[type=hidden]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Attr("value")
		values.Set(name, value)
	})
	form.Find("select").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		first, _ := s.Find("option").First().Attr("value")
		values.Set(name, first)
	})
	values.Set("seed", seed)
	values.Set("outcome", "success")
	action, _ := form.Attr("action")
	resp := do(ctx, t, b.Client, http.MethodPost, resolve(t, p.URL, action), "application/x-www-form-urlencoded", strings.NewReader(values.Encode()))
	next := readPage(t, resp)
	if next.Find("form#autopost").Length() == 0 {
		return next // OIDC: the redirects already reached the app
	}
	post, err := idpsim.ParsePostForm(next.Body, next.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp = do(ctx, t, b.Client, http.MethodPost, post.Action, "application/x-www-form-urlencoded", strings.NewReader(post.Values.Encode()))
	return readPage(t, resp)
}

func checkProfile(t *testing.T, me *page, email, protocol string, idpInitiated bool, orgLine string) {
	t.Helper()
	if !strings.HasSuffix(me.URL, "/me") {
		t.Fatalf("landed on %s, want the profile page:\n%s", me.URL, me.Body)
	}
	field := func(id string) string { return strings.TrimSpace(me.Find(`[data-testid="` + id + `"]`).Text()) }
	if got := field("email"); got != email {
		t.Errorf("email %q, want %q", got, email)
	}
	if got := field("protocol"); got != protocol {
		t.Errorf("protocol %q, want %q", got, protocol)
	}
	if got := field("idp-initiated"); got != fmt.Sprint(idpInitiated) {
		t.Errorf("IdP-initiated %q, want %v", got, idpInitiated)
	}
	if got := field("org"); !strings.HasPrefix(orgLine, got+" ") || got == "" {
		t.Errorf("organization %q, want the printed %q", got, orgLine)
	}
	if !strings.HasPrefix(field("profile-id"), "prf_") {
		t.Errorf("profile id %q", field("profile-id"))
	}
}

// scimJSON sends a SCIM request and decodes the answer, which must have
// status want.
func scimJSON(ctx context.Context, t *testing.T, u, token, method string, body any, want int) map[string]any {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/scim+json"}}
	return testkit.JSONCall(ctx, t, http.DefaultClient, method, u, h, body, want)
}

func resolve(t *testing.T, base, ref string) string {
	t.Helper()
	b, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	r, err := url.Parse(ref)
	if err != nil {
		t.Fatal(err)
	}
	return b.ResolveReference(r).String()
}

// signOut posts the profile page's sign-out form, follows the redirects
// and returns their paths; the browser must land on the home page, signed
// out.
func signOut(ctx context.Context, t *testing.T, b *browser, me *page, app string) []string {
	t.Helper()
	token, _ := me.Find(`input[name="csrf_token"]`).Attr("value")
	var hops []string
	b.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		hops = append(hops, r.URL.Path)
		return nil
	}
	defer func() { b.CheckRedirect = nil }()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, resolve(t, me.URL, "/logout"), strings.NewReader(url.Values{"csrf_token": {token}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	landed := readPage(t, resp)
	b.CheckRedirect = nil
	if landed.Find(`a[data-testid="saml"]`).Length() != 1 {
		t.Errorf("logout did not land on the home page: %s", landed.URL)
	}
	if after := getPage(ctx, t, b, resolve(t, app, "/me")); after.Find(`input[name="csrf_token"]`).Length() != 0 {
		t.Error("still signed in after logout")
	}
	return hops
}

// httpGet returns the status and body of a GET of target.
func httpGet(ctx context.Context, t *testing.T, target string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
