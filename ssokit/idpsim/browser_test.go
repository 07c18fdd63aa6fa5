package idpsim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/crewjam/saml"

	bt "github.com/onboardkit/onboardkit/internal/browsertest"
)

// TestBrowserForms submits every form of the simulator from headless
// Chromium, as a developer does: the login page for a SAML and an OIDC
// request (a typed-in user, a seed user, a fault, a denial) and the
// IdP-initiated launcher (with a fault, then without). Each submission
// must reach the service provider, a crewjam/saml application on another
// origin, never stop at the simulator's CSRF check: Chromium sends the
// Origin header a referrer policy leaves it, unlike Go's HTTP client.
func TestBrowserForms(t *testing.T) {
	ctx := bt.New(t)
	idp := NewServer(t, func(c *Config) {
		ks, cs := testKeys()
		c.Key, c.Certificate = ks[0], cs[0]
		c.Logger = quietLogger(t)
	})
	mux := http.NewServeMux()
	app := httptest.NewServer(mux)
	t.Cleanup(app.Close)

	ks, cs := testKeys()
	md, err := idp.metadataXML()
	if err != nil {
		t.Fatal(err)
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(md, &ed); err != nil {
		t.Fatal(err)
	}
	acs, _ := url.Parse(app.URL + "/saml/acs")
	sp := &saml.ServiceProvider{EntityID: app.URL + "/saml/metadata", Key: ks[1], Certificate: cs[1], AcsURL: *acs, IDPMetadata: &ed, AllowIDPInitiated: true}
	if err := idp.RegisterSP(SP{Name: "Widgets", EntityID: sp.EntityID, ACSURL: acs.String()}); err != nil {
		t.Fatal(err)
	}
	const clientID = "widgets"
	if err := idp.RegisterClient(Client{ID: clientID, Secret: "s3cret-value", RedirectURIs: []string{app.URL + "/oidc/callback"}}); err != nil {
		t.Fatal(err)
	}

	mux.HandleFunc("GET /saml/login", func(w http.ResponseWriter, r *http.Request) {
		req, err := sp.MakeAuthenticationRequest(sp.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		u, _ := req.Redirect("/home", sp)
		http.SetCookie(w, &http.Cookie{Name: "req", Value: req.ID, Path: "/", HttpOnly: true})
		http.Redirect(w, r, u.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /saml/acs", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		var ids []string
		if c, err := r.Cookie("req"); err == nil {
			ids = append(ids, c.Value)
		}
		a, err := sp.ParseResponse(r, ids)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err != nil {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, "<p id=sp>SP refused: %s</p>", html.EscapeString(privateErr(err)))
			return
		}
		fmt.Fprintf(w, "<p id=sp>SP signed in %s relay %s</p>", html.EscapeString(a.Subject.NameID.Value), html.EscapeString(r.PostForm.Get("RelayState")))
	})
	verifier := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	mux.HandleFunc("GET /oidc/login", func(w http.ResponseWriter, r *http.Request) {
		q := url.Values{"client_id": {clientID}, "redirect_uri": {app.URL + "/oidc/callback"}, "response_type": {"code"},
			"scope": {"openid email profile"}, "state": {"st"}, "nonce": {"nc"},
			"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
		http.Redirect(w, r, idp.Issuer()+"/authorize?"+q.Encode(), http.StatusFound)
	})
	mux.HandleFunc("GET /oidc/callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if q.Get("code") == "" {
			fmt.Fprintf(w, "<p id=sp>SP callback error %s</p>", html.EscapeString(q.Get("error")))
			return
		}
		// Redeem the code as a relying party does.
		resp, err := http.PostForm(idp.Issuer()+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")},
			"redirect_uri": {app.URL + "/oidc/callback"}, "client_id": {clientID}, "client_secret": {"s3cret-value"}, "code_verifier": {verifier}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		fmt.Fprintf(w, "<p id=sp>SP callback state %s token status %d</p>", html.EscapeString(q.Get("state")), resp.StatusCode)
	})

	// spSays waits for the service provider's page and returns its text.
	spSays := func(t *testing.T) string {
		t.Helper()
		bt.WaitFor(t, ctx, "reaching the service provider", `location.origin === `+jsString(app.URL)+` && document.getElementById("sp") !== null`)
		return bt.Body(t, ctx)
	}
	loginPage := func(t *testing.T, start string) {
		t.Helper()
		bt.Do(t, ctx, "open the login page", chromedp.Navigate(app.URL+start), chromedp.WaitVisible(bt.TID("login-form")))
	}
	submit := chromedp.Click(chromedp.CSS(`form button[type="submit"]`))

	t.Run("SAML login page, typed-in user", func(t *testing.T) {
		loginPage(t, "/saml/login")
		bt.Do(t, ctx, "fill in and submit",
			chromedp.SetValue(bt.TID("seed"), "custom"),
			chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), "ada@corp.example"),
			chromedp.SendKeys(chromedp.CSS(`input[name="given_name"]`), "Ada"),
			chromedp.SendKeys(chromedp.CSS(`input[name="groups"]`), "eng, ops"),
			chromedp.SendKeys(chromedp.CSS(`textarea[name="attributes"]`), "department=R&D"),
			submit)
		if got := spSays(t); got != "SP signed in ada@corp.example relay /home" {
			t.Errorf("SP page %q", got)
		}
	})
	t.Run("SAML login page, seed user", func(t *testing.T) {
		loginPage(t, "/saml/login")
		bt.Do(t, ctx, "submit", submit)
		if got := spSays(t); !strings.HasPrefix(got, "SP signed in "+idp.Users()[0].Email) {
			t.Errorf("SP page %q", got)
		}
	})
	t.Run("SAML login page, fault", func(t *testing.T) {
		loginPage(t, "/saml/login")
		bt.Do(t, ctx, "choose a fault and submit", chromedp.SetValue(bt.TID("outcome"), string(FaultWrongAudience)), submit)
		if got := spSays(t); !strings.HasPrefix(got, "SP refused") || !strings.Contains(strings.ToLower(got), "audience") {
			t.Errorf("SP page %q, want a refusal for the audience", got)
		}
	})
	t.Run("OIDC login page", func(t *testing.T) {
		loginPage(t, "/oidc/login")
		bt.Do(t, ctx, "submit", submit)
		if got := spSays(t); got != "SP callback state st token status 200" {
			t.Errorf("SP page %q", got)
		}
	})
	t.Run("OIDC login page, deny", func(t *testing.T) {
		loginPage(t, "/oidc/login")
		bt.Do(t, ctx, "deny", chromedp.SetValue(bt.TID("outcome"), "deny"), submit)
		if got := spSays(t); got != "SP callback error access_denied" {
			t.Errorf("SP page %q", got)
		}
	})
	t.Run("IdP-initiated launcher, fault", func(t *testing.T) {
		bt.Do(t, ctx, "open the launcher", chromedp.Navigate(idp.BaseURL()+"/saml/idp-initiated"), chromedp.WaitVisible(bt.TID("idp-initiated-form")),
			chromedp.SetValue(bt.TID("outcome"), string(FaultWrongAudience)), submit)
		if got := spSays(t); !strings.HasPrefix(got, "SP refused") {
			t.Errorf("SP page %q, want a refusal", got)
		}
	})
	t.Run("IdP-initiated launcher", func(t *testing.T) {
		bt.Do(t, ctx, "open the launcher", chromedp.Navigate(idp.BaseURL()+"/saml/idp-initiated"), chromedp.WaitVisible(bt.TID("idp-initiated-form")),
			chromedp.SetValue(bt.TID("seed"), "custom"),
			chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), "grace@corp.example"),
			chromedp.SendKeys(chromedp.CSS(`input[name="relay_state"]`), "/reports"),
			submit)
		if got := spSays(t); got != "SP signed in grace@corp.example relay /reports" {
			t.Errorf("SP page %q", got)
		}
	})
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string { return fmt.Sprintf("%q", s) }
