package idpsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const (
	testClientID     = "app-client"
	testClientSecret = "s3cret/with+chars"
	testRedirect     = "https://app.example.com/sso/oidc/callback"
)

var fixedNow = time.Date(2030, 3, 4, 5, 6, 7, 0, time.UTC)

func newOIDCServer(t *testing.T, configure func(*Config)) *IdP {
	t.Helper()
	ks, cs := testKeys()
	return NewServer(t, func(c *Config) {
		c.Key, c.Certificate = ks[0], cs[0]
		c.Now = func() time.Time { return fixedNow }
		c.Logger = quietLogger(t)
		c.Users = []User{{Email: "admin@corp.com", GivenName: "Ada", FamilyName: "Admin", Groups: []string{"Admins"}}}
		c.Clients = []Client{{ID: testClientID, Secret: testClientSecret, RedirectURIs: []string{testRedirect}}}
		if configure != nil {
			configure(c)
		}
	})
}

func noRedirectClient() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type flowResult struct {
	provider *oidc.Provider
	token    *oauth2.Token
	rawID    string
	nonce    string
}

// runCodeFlow drives discovery, authorize (auto-approved), the callback
// redirect and the token exchange with PKCE S256, as an RP would.
func runCodeFlow(t *testing.T, idp *IdP) flowResult {
	t.Helper()
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, idp.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	conf := oauth2.Config{ClientID: testClientID, ClientSecret: testClientSecret, Endpoint: provider.Endpoint(),
		RedirectURL: testRedirect, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
	verifier := oauth2.GenerateVerifier()
	nonce := "nonce-123"
	resp, err := noRedirectClient().Get(conf.AuthCodeURL("state-xyz", oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize status %d", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testRedirect {
		t.Fatalf("redirected to %q", got)
	}
	q := loc.Query()
	if q.Get("state") != "state-xyz" || q.Get("iss") != idp.Issuer() || q.Get("code") == "" {
		t.Fatalf("callback query %v", q)
	}
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		t.Fatal("no id_token")
	}
	return flowResult{provider: provider, token: tok, rawID: raw, nonce: nonce}
}

func verifier(p *oidc.Provider) *oidc.IDTokenVerifier {
	return p.Verifier(&oidc.Config{ClientID: testClientID, Now: func() time.Time { return fixedNow }})
}

func TestOIDCFlowWithGoOIDC(t *testing.T) {
	for _, preset := range presets {
		t.Run(preset.String(), func(t *testing.T) {
			idp := newOIDCServer(t, func(c *Config) {
				c.Clients[0].Preset = preset
				c.AutoLogin = &AutoLogin{User: User{Email: "admin@corp.com"}}
			})
			res := runCodeFlow(t, idp)
			idt, err := verifier(res.provider).Verify(context.Background(), res.rawID)
			if err != nil {
				t.Fatalf("go-oidc refused a valid ID token: %v", err)
			}
			if idt.Nonce != res.nonce {
				t.Errorf("nonce = %q", idt.Nonce)
			}
			if err := idt.VerifyAccessToken(res.token.AccessToken); err != nil {
				t.Errorf("at_hash: %v", err)
			}
			var claims map[string]any
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			if claims["email"] != "admin@corp.com" && claims["upn"] != "admin@corp.com" {
				t.Errorf("no email/upn claim: %v", claims)
			}
			switch preset {
			case PresetEntra:
				if claims["tid"] != idp.TenantID() || claims["oid"] == nil || claims["ver"] != "2.0" {
					t.Errorf("Entra claims: %v", claims)
				}
				if g, _ := claims["groups"].([]any); len(g) != 1 || g[0] != EntraGroupID("Admins") {
					t.Errorf("Entra groups: %v", claims["groups"])
				}
			case PresetGoogle:
				if claims["hd"] != "corp.com" || claims["azp"] != testClientID {
					t.Errorf("Google claims: %v", claims)
				}
			case PresetOkta:
				if sub, _ := claims["sub"].(string); !strings.HasPrefix(sub, "00u") {
					t.Errorf("Okta sub: %v", claims["sub"])
				}
			case PresetADFS:
				if claims["unique_name"] != `CORP\admin` {
					t.Errorf("ADFS claims: %v", claims)
				}
			}
			ui, err := res.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(res.token))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			if ui.Subject != idt.Subject {
				t.Errorf("userinfo sub %q, ID token sub %q", ui.Subject, idt.Subject)
			}
		})
	}
}

// TestOIDCFaultsAgainstGoOIDC: go-oidc's verifier refuses the faults with a
// reason; the others (nonce, azp, tenant, userinfo sub) it leaves to the RP,
// and the test checks the fault is present in what go-oidc returns.
func TestOIDCFaultsAgainstGoOIDC(t *testing.T) {
	type claims struct {
		Aud any    `json:"aud"`
		AZP string `json:"azp"`
		TID string `json:"tid"`
	}
	tests := []struct {
		fault Fault
		why   string // refused: substring of go-oidc's error
		// accepted: go-oidc accepts; check shows the fault got through.
		accepted func(t *testing.T, idp *IdP, res flowResult, idt *oidc.IDToken, c claims)
	}{
		{fault: FaultWrongAudience, why: "audience"},
		{fault: FaultAlgNone, why: "malformed jwt"},
		{fault: FaultExpired, why: "expired"},
		{fault: FaultNotYetValid, why: "before the nbf"},
		{fault: FaultWrongIssuer, why: "different provider"},
		{fault: FaultForeignKey, why: "signature"},
		{fault: FaultHS256KeyConfusion, why: "unexpected signature algorithm"},
		{fault: FaultEmbeddedJWK, why: "signature"},
		{fault: FaultWrongNonce, accepted: func(t *testing.T, _ *IdP, res flowResult, idt *oidc.IDToken, _ claims) {
			if idt.Nonce == res.nonce || idt.Nonce == "" {
				t.Fatalf("nonce %q should differ from %q", idt.Nonce, res.nonce)
			}
		}},
		{fault: FaultExtraAudience, accepted: func(t *testing.T, _ *IdP, _ flowResult, idt *oidc.IDToken, c claims) {
			if len(idt.Audience) != 2 || c.AZP != "" {
				t.Fatalf("aud %v azp %q", idt.Audience, c.AZP)
			}
		}},
		{fault: FaultWrongAZP, accepted: func(t *testing.T, _ *IdP, _ flowResult, idt *oidc.IDToken, c claims) {
			if len(idt.Audience) != 2 || c.AZP != "attacker-client" {
				t.Fatalf("aud %v azp %q", idt.Audience, c.AZP)
			}
		}},
		{fault: FaultOtherTenant, accepted: func(t *testing.T, idp *IdP, _ flowResult, _ *oidc.IDToken, c claims) {
			if c.TID == "" || c.TID == idp.TenantID() {
				t.Fatalf("tid %q", c.TID)
			}
		}},
		{fault: FaultUserinfoSubMismatch, accepted: func(t *testing.T, _ *IdP, res flowResult, idt *oidc.IDToken, _ claims) {
			ui, err := res.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(res.token))
			if err != nil {
				t.Fatal(err)
			}
			if ui.Subject == idt.Subject || ui.Subject == "" {
				t.Fatalf("userinfo sub %q equals ID token sub", ui.Subject)
			}
		}},
	}
	seen := map[Fault]bool{}
	for _, tt := range tests {
		seen[tt.fault] = true
		t.Run(string(tt.fault), func(t *testing.T) {
			idp := newOIDCServer(t, func(c *Config) {
				c.Clients[0].Preset = PresetEntra
				c.AutoLogin = &AutoLogin{Faults: []Fault{tt.fault}}
			})
			res := runCodeFlow(t, idp)
			idt, err := verifier(res.provider).Verify(context.Background(), res.rawID)
			if tt.accepted != nil {
				if err != nil {
					t.Fatalf("go-oidc now refuses %s (%v): update the documentation", tt.fault, err)
				}
				var c claims
				if err := idt.Claims(&c); err != nil {
					t.Fatal(err)
				}
				tt.accepted(t, idp, res, idt, c)
				return
			}
			if err == nil {
				t.Fatalf("go-oidc accepted fault %s", tt.fault)
			}
			if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tt.why)) {
				t.Errorf("refused for another reason: %v (want %q)", err, tt.why)
			}
		})
	}
	for _, f := range OIDCFaults() {
		if !seen[f] {
			t.Errorf("fault %s has no test", f)
		}
	}
}

func TestOIDCAuthorizeRefusals(t *testing.T) {
	idp := newOIDCServer(t, func(c *Config) {
		c.AutoLogin = &AutoLogin{}
		c.Clients = append(c.Clients, Client{ID: "plain-ok", Secret: "x", RedirectURIs: []string{testRedirect}, InsecureAllowPlainPKCE: true})
	})
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	base := url.Values{"client_id": {testClientID}, "redirect_uri": {testRedirect}, "response_type": {"code"},
		"scope": {"openid email"}, "state": {"s1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	with := func(mod func(url.Values)) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = append([]string(nil), vs...)
		}
		mod(v)
		return v
	}
	tests := []struct {
		name      string
		q         url.Values
		wantPage  bool   // refused on a page, never redirected
		wantError string // OAuth error sent to the redirect URI
	}{
		{"ok", base, false, ""},
		{"unknown client", with(func(v url.Values) { v.Set("client_id", "nobody") }), true, ""},
		{"redirect not registered", with(func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }), true, ""},
		{"redirect prefix", with(func(v url.Values) { v.Set("redirect_uri", testRedirect+"/x") }), true, ""},
		{"redirect with query", with(func(v url.Values) { v.Set("redirect_uri", testRedirect+"?a=b") }), true, ""},
		{"no PKCE", with(func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }), false, "invalid_request"},
		{"plain PKCE refused", with(func(v url.Values) { v.Set("code_challenge_method", "plain") }), false, "invalid_request"},
		{"plain PKCE allowed", with(func(v url.Values) { v.Set("client_id", "plain-ok"); v.Set("code_challenge_method", "plain") }), false, ""},
		{"implicit", with(func(v url.Values) { v.Set("response_type", "token") }), false, "unsupported_response_type"},
		{"no openid", with(func(v url.Values) { v.Set("scope", "email") }), false, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := noRedirectClient().Get(idp.BaseURL() + "/oidc/authorize?" + tt.q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if tt.wantPage {
				if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
					t.Fatalf("status %d location %q, want 400 page", resp.StatusCode, resp.Header.Get("Location"))
				}
				return
			}
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("status %d", resp.StatusCode)
			}
			loc, _ := url.Parse(resp.Header.Get("Location"))
			q := loc.Query()
			if q.Get("error") != tt.wantError || q.Get("state") != "s1" {
				t.Fatalf("callback %v, want error %q", q, tt.wantError)
			}
			if tt.wantError == "" && q.Get("code") == "" {
				t.Fatal("no code")
			}
		})
	}
}

func TestOIDCTokenRefusals(t *testing.T) {
	idp := newOIDCServer(t, func(c *Config) { c.AutoLogin = &AutoLogin{} })
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, idp.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	authorize := func(verifier string) string {
		v := url.Values{"client_id": {testClientID}, "redirect_uri": {testRedirect}, "response_type": {"code"},
			"scope": {"openid"}, "state": {"s"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
		resp, err := noRedirectClient().Get(idp.BaseURL() + "/oidc/authorize?" + v.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		return loc.Query().Get("code")
	}
	exchange := func(form url.Values, basicUser, basicPass string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, provider.Endpoint().TokenURL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if basicUser != "" {
			req.SetBasicAuth(url.QueryEscape(basicUser), url.QueryEscape(basicPass))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		e, _ := body["error"].(string)
		return resp.StatusCode, e
	}
	v1 := oauth2.GenerateVerifier()
	tests := []struct {
		name       string
		form       func(code string) url.Values
		user, pass string
		status     int
		err        string
		spent      bool // the code can no longer be used afterwards
	}{
		{"wrong secret", func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {testRedirect}, "code_verifier": {v1}}
		}, testClientID, "nope", 401, "invalid_client", false},
		{"wrong verifier", func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {testRedirect}, "code_verifier": {oauth2.GenerateVerifier()}}
		}, testClientID, testClientSecret, 400, "invalid_grant", true},
		{"no verifier", func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {testRedirect}}
		}, testClientID, testClientSecret, 400, "invalid_grant", true},
		{"other redirect", func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {testRedirect + "2"}, "code_verifier": {v1}}
		}, testClientID, testClientSecret, 400, "invalid_grant", true},
		{"unknown code", func(string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {"code_nope"}, "redirect_uri": {testRedirect}, "code_verifier": {v1}}
		}, testClientID, testClientSecret, 400, "invalid_grant", false},
		{"refresh grant", func(c string) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {c}}
		}, testClientID, testClientSecret, 400, "unsupported_grant_type", false},
		{"post auth ok", func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {testRedirect}, "code_verifier": {v1},
				"client_id": {testClientID}, "client_secret": {testClientSecret}}
		}, "", "", 200, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := authorize(v1)
			status, e := exchange(tt.form(code), tt.user, tt.pass)
			if status != tt.status || e != tt.err {
				t.Fatalf("got %d %q, want %d %q", status, e, tt.status, tt.err)
			}
			// A code reaching the grant checks is spent whatever happened;
			// a request refused before (client auth, grant type) leaves it.
			good := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}, "code_verifier": {v1}}
			status, e = exchange(good, testClientID, testClientSecret)
			if tt.spent && (status != 400 || e != "invalid_grant") {
				t.Fatalf("code used again: %d %q", status, e)
			}
			if !tt.spent && status != 200 {
				t.Fatalf("code lost: %d %q", status, e)
			}
		})
	}
}

func TestIDTokenProgrammatic(t *testing.T) {
	idp := newOIDCServer(t, nil)
	provider, err := oidc.NewProvider(context.Background(), idp.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := idp.IDToken(IDTokenOptions{Client: testClientID, Nonce: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	idt, err := verifier(provider).Verify(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != "n1" || idt.Issuer != idp.Issuer() {
		t.Fatalf("token %+v", idt)
	}
	if _, err := idp.IDToken(IDTokenOptions{Client: "nobody"}); !errors.Is(err, ErrUnknownClient) {
		t.Fatalf("err = %v", err)
	}
	if _, err := idp.IDToken(IDTokenOptions{Client: testClientID, Faults: []Fault{FaultXSW1}}); !errors.Is(err, ErrFaultNotApplicable) {
		t.Fatalf("err = %v", err)
	}
}

func TestOIDCLoginPage(t *testing.T) {
	idp := newOIDCServer(t, nil)
	v := url.Values{"client_id": {testClientID}, "redirect_uri": {testRedirect}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"st"}, "nonce": {"n"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"}}
	for _, tt := range []struct {
		outcome, wantError string
	}{{"success", ""}, {"deny", "access_denied"}, {string(FaultAlgNone), ""}, {string(FaultXSW1), "bad form"}} {
		t.Run(tt.outcome, func(t *testing.T) {
			resp, body := get(t, idp.BaseURL()+"/oidc/authorize?"+v.Encode())
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			checkPage(t, resp, body)
			if bytes.Contains(body, []byte(`name="signing"`)) {
				t.Error("SAML options on an OIDC login page")
			}
			form, err := ParsePostForm(body, "")
			if err != nil {
				t.Fatal(err)
			}
			resp, _ = postForm(t, idp.BaseURL()+"/login", url.Values{"pending": {form.Values.Get("pending")}, "seed": {"custom"}, "email": {"x@corp.com"}, "outcome": {tt.outcome}})
			if tt.wantError == "bad form" {
				if resp.StatusCode != 400 {
					t.Fatalf("SAML fault on OIDC login: status %d", resp.StatusCode)
				}
				return
			}
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("status %d", resp.StatusCode)
			}
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if loc.Query().Get("error") != tt.wantError || loc.Query().Get("state") != "st" || (tt.wantError == "") == (loc.Query().Get("code") == "") {
				t.Fatalf("callback %v", loc.Query())
			}
		})
	}
}

func TestOIDCCodeExpiryAndUserinfoRefusals(t *testing.T) {
	var mu sync.Mutex
	now := fixedNow
	idp := newOIDCServer(t, func(c *Config) {
		c.AutoLogin = &AutoLogin{}
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, idp.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: testClientID, ClientSecret: testClientSecret, Endpoint: provider.Endpoint(), RedirectURL: testRedirect, Scopes: []string{"openid"}}
	v := oauth2.GenerateVerifier()
	resp, _ := get(t, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	_, err = conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(v))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("expired code: %v", err)
	}
	for name, header := range map[string]string{"none": "", "unknown": "Bearer at_nope", "basic": "Basic eDp5"} {
		req, _ := http.NewRequest(http.MethodGet, idp.BaseURL()+"/oidc/userinfo", nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: status %d", name, resp.StatusCode)
		}
	}
}
