package ssokit

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/onboardkit/onboardkit/store"
)

// newOIDCEnv is an env with an OIDC connection to an in-process provider.
func newOIDCEnv(t *testing.T, tenant string, conn func(c *store.Connection)) (*env, *oidcProvider) {
	t.Helper()
	e := newEnv(t, func(c *Config) { c.InsecureAllowPrivateNetworks = true })
	p := newOIDCProvider(t, e.clock)
	p.tenant = tenant
	c := &store.Connection{
		ID: connOIDC, OrgID: testOrg, Protocol: store.ProtocolOIDC, Provider: "okta", Name: "Okta OIDC",
		State:    store.ConnectionActive,
		OIDC:     &store.OIDCConfig{Issuer: p.issuer(""), ClientID: p.clientID, ClientSecret: p.secret},
		TestedAt: testNow, CreatedAt: testNow, UpdatedAt: testNow,
	}
	if conn != nil {
		conn(c)
	}
	if err := e.st.CreateConnection(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return e, p
}

// oidcLogin runs a login through the provider; tamper may edit the callback
// query.
func oidcLogin(t *testing.T, e *env, b *browser, p *oidcProvider, tamper func(q url.Values)) *httptest.ResponseRecorder {
	t.Helper()
	w := b.get("/start?connection=" + connOIDC)
	if w.Code != http.StatusFound {
		t.Fatalf("start: %d %s\n%s", w.Code, w.Body, e.logs)
	}
	cb := p.authorize(t, w.Header().Get("Location"))
	if tamper != nil {
		tamper(cb)
	}
	return b.get("/oidc/" + connOIDC + "/callback?" + cb.Encode())
}

func TestOIDCLogin(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		tenant string
		conn   func(c *store.Connection)
		prov   func(p *oidcProvider)
		check  func(t *testing.T, p *Profile)
	}{
		{name: "okta"},
		{name: "RFC 9207 iss parameter", prov: func(p *oidcProvider) { p.issParam = true }},
		{name: "entra pinned tenant", tenant: "tid-a", conn: func(c *store.Connection) {
			c.Provider = "entra"
			c.OIDC.Issuer = strings.Replace(c.OIDC.Issuer, "/tid-a/", "/common/", 1)
			c.OIDC.TenantID = "tid-a"
		}},
		{name: "email from userinfo", prov: func(p *oidcProvider) { p.noEmailClaim = true }},
		{name: "email_verified as the string true", prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) { c["email_verified"] = "true" }
		}},
		// Entra ID sends no email_verified: the email claim of a token of
		// the connection's tenant is trusted inside the org's verified domains.
		{name: "entra without email_verified, pinned tenant", tenant: "tid-a", conn: func(c *store.Connection) {
			c.Provider, c.OIDC.TenantID = "entra", "tid-a"
			c.OIDC.Issuer = strings.Replace(c.OIDC.Issuer, "/tid-a/", "/common/", 1)
		}, prov: func(p *oidcProvider) { p.claims = func(c map[string]any) { delete(c, "email_verified") } }},
		{name: "entra without email_verified, single-tenant issuer", tenant: "tid-a", conn: func(c *store.Connection) {
			c.Provider = "entra"
		}, prov: func(p *oidcProvider) { p.claims = func(c map[string]any) { delete(c, "email_verified") } }},
		{name: "several audiences with azp", prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) { c["aud"] = []string{"client-a", "api"}; c["azp"] = "client-a" }
		}},
		{name: "nbf and iat within skew", prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) {
				c["nbf"] = testNow.Add(2 * time.Minute).Unix()
				c["iat"] = testNow.Add(2 * time.Minute).Unix()
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, p := newOIDCEnv(t, tc.tenant, tc.conn)
			if tc.prov != nil {
				p.set(tc.prov)
			}
			b := e.browser()
			w := oidcLogin(t, e, b, p, nil)
			if w.Code != http.StatusSeeOther {
				t.Fatalf("callback: %d %s\n%s", w.Code, w.Body, e.logs)
			}
			ls := e.logins()
			if len(ls) != 1 {
				t.Fatalf("%d logins", len(ls))
			}
			pr := ls[0]
			if pr.Subject != "00u-jane" || pr.ID != ProfileID(connOIDC, "00u-jane") || pr.Email != "jane@example.com" ||
				!pr.EmailVerified || pr.Protocol != store.ProtocolOIDC || pr.OrgID != testOrg || pr.ConnectionID != connOIDC {
				t.Errorf("profile = %+v", pr)
			}
			if tc.name != "email from userinfo" && (pr.FirstName != "Jane" || pr.LastName != "Doe" || !slices.Equal(pr.Groups, []string{"Engineering"})) {
				t.Errorf("profile names = %+v", pr)
			}
		})
	}
}

func TestOIDCAuthorizeRequest(t *testing.T) {
	t.Parallel()
	e, _ := newOIDCEnv(t, "", nil)
	w := e.browser().get("/start?connection=" + connOIDC)
	u, _ := url.Parse(w.Header().Get("Location"))
	q := u.Query()
	if q.Get("redirect_uri") != testBase+"/oidc/"+connOIDC+"/callback" || q.Get("code_challenge_method") != "S256" {
		t.Fatalf("authorize URL %s", u)
	}
}

func TestOIDCAttacks(t *testing.T) {
	t.Parallel()
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	type tcase struct {
		name   string
		tenant string
		conn   func(c *store.Connection)
		prov   func(p *oidcProvider)
		tamper func(q url.Values)
		run    func(t *testing.T, e *env, p *oidcProvider) *httptest.ResponseRecorder
		want   Reason
	}
	cases := []tcase{
		{name: "state missing", want: ReasonRequestUnknown, tamper: func(q url.Values) { q.Del("state") }},
		{name: "state foreign", want: ReasonRequestUnknown, tamper: func(q url.Values) { q.Set("state", "st_00000000000000000000000000") }},
		{name: "state replayed", want: ReasonRequestUnknown, run: func(t *testing.T, e *env, p *oidcProvider) *httptest.ResponseRecorder {
			b := e.browser()
			var saved url.Values
			w := oidcLogin(t, e, b, p, func(q url.Values) { saved = url.Values{"state": q["state"], "code": q["code"]} })
			if w.Code != http.StatusSeeOther {
				t.Fatalf("first: %d", w.Code)
			}
			e.mu.Lock()
			e.login = nil
			e.mu.Unlock()
			return b.get("/oidc/" + connOIDC + "/callback?" + saved.Encode())
		}},
		{name: "state from another browser", want: ReasonBrowserMismatch, run: func(t *testing.T, e *env, p *oidcProvider) *httptest.ResponseRecorder {
			w := e.browser().get("/start?connection=" + connOIDC)
			cb := p.authorize(t, w.Header().Get("Location"))
			return e.browser().get("/oidc/" + connOIDC + "/callback?" + cb.Encode())
		}},
		{name: "state of a SAML request", want: ReasonInResponseTo, run: func(t *testing.T, e *env, p *oidcProvider) *httptest.ResponseRecorder {
			b := e.browser()
			id := b.startSAML(t, "connection="+connSAML)
			return b.get("/oidc/" + connOIDC + "/callback?code=x&state=" + id)
		}},
		{name: "nonce wrong", want: ReasonNonce, prov: func(p *oidcProvider) { p.claims = func(c map[string]any) { c["nonce"] = "other" } }},
		{name: "nonce missing", want: ReasonNonce, prov: func(p *oidcProvider) { p.claims = func(c map[string]any) { delete(c, "nonce") } }},
		{name: "nonce of an earlier login reused", want: ReasonNonce, run: func(t *testing.T, e *env, p *oidcProvider) *httptest.ResponseRecorder {
			b := e.browser()
			var first string
			p.set(func(p *oidcProvider) {
				p.claims = func(c map[string]any) { first = c["nonce"].(string) }
			})
			if w := oidcLogin(t, e, b, p, nil); w.Code != http.StatusSeeOther {
				t.Fatalf("first: %d", w.Code)
			}
			e.mu.Lock()
			e.login = nil
			e.mu.Unlock()
			p.set(func(p *oidcProvider) { p.claims = func(c map[string]any) { c["nonce"] = first } })
			return oidcLogin(t, e, b, p, nil)
		}},
		{name: "iss parameter of another issuer (mix-up)", want: ReasonIssuer, tamper: func(q url.Values) { q.Set("iss", "https://evil.example") }},
		{name: "iss parameter missing while advertised", want: ReasonIssuer, prov: func(p *oidcProvider) { p.issParam = true },
			tamper: func(q url.Values) { q.Del("iss") }},
		{name: "ID token iss of another connection", want: ReasonIssuer, prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) { c["iss"] = "https://accounts.google.com" }
		}},
		{name: "aud another client", want: ReasonAudience, prov: func(p *oidcProvider) { p.claims = func(c map[string]any) { c["aud"] = "client-b" } }},
		{name: "several audiences without azp", want: ReasonAudience, prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) { c["aud"] = []string{"client-a", "client-b"} }
		}},
		{name: "azp not our client", want: ReasonAudience, prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) { c["aud"] = []string{"client-a", "client-b"}; c["azp"] = "client-b" }
		}},
		{name: "alg none", want: ReasonAlgorithm, prov: func(p *oidcProvider) { p.sign = unsignedToken }},
		{name: "HS256 keyed with the RSA public key", want: ReasonAlgorithm, prov: func(p *oidcProvider) { p.sign = p.hs256WithPublicKey }},
		{name: "jku header", want: ReasonAlgorithm, prov: func(p *oidcProvider) { p.headers = map[string]any{"jku": "https://evil.example/jwks"} }},
		{name: "x5u header", want: ReasonAlgorithm, prov: func(p *oidcProvider) { p.headers = map[string]any{"x5u": "https://evil.example/cert"} }},
		{name: "jwk header with the attacker's key", want: ReasonAlgorithm, prov: func(p *oidcProvider) {
			p.sign = func(payload []byte) string {
				s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: otherKey}, &jose.SignerOptions{EmbedJWK: true})
				jws, _ := s.Sign(payload)
				out, _ := jws.CompactSerialize()
				return out
			}
		}},
		{name: "signed by an unknown key", want: ReasonBadSignature, prov: func(p *oidcProvider) {
			p.sign = func(payload []byte) string {
				s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: otherKey}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
				jws, _ := s.Sign(payload)
				out, _ := jws.CompactSerialize()
				return out
			}
		}},
		{name: "expired exp", want: ReasonExpired, prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) { c["exp"] = testNow.Add(-4 * time.Minute).Unix() }
		}},
		{name: "future nbf", want: ReasonNotYetValid, prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) { c["nbf"] = testNow.Add(10 * time.Minute).Unix() }
		}},
		{name: "future iat", want: ReasonNotYetValid, prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) { c["iat"] = testNow.Add(10 * time.Minute).Unix() }
		}},
		{name: "userinfo sub differs", want: ReasonUserInfo, prov: func(p *oidcProvider) {
			p.noEmailClaim = true
			p.userinfo = map[string]any{"sub": "00u-admin", "email": "admin@example.com"}
		}},
		{name: "IdP error", want: ReasonIdPStatus, tamper: func(q url.Values) { q.Del("code"); q.Set("error", "access_denied") }},
		{name: "code tampered", want: ReasonIdPStatus, tamper: func(q url.Values) { q.Set("code", "forged") }},
		// The test provider enforces PKCE and the exact redirect_uri at the
		// token endpoint (RFC 7636, RFC 6749 4.1.3): a code issued for
		// another challenge or redirect_uri (an attacker's authorization
		// request) does not redeem with this login's verifier.
		{name: "PKCE verifier does not match the challenge", want: ReasonIdPStatus, run: func(t *testing.T, e *env, p *oidcProvider) *httptest.ResponseRecorder {
			return oidcLoginEditAuthorize(t, e, p, func(q url.Values) {
				sum := sha256.Sum256([]byte("attacker-verifier"))
				q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
			})
		}},
		{name: "redirect_uri of the authorization differs", want: ReasonIdPStatus, run: func(t *testing.T, e *env, p *oidcProvider) *httptest.ResponseRecorder {
			return oidcLoginEditAuthorize(t, e, p, func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") })
		}},
		{name: "email outside domains", want: ReasonEmailOutsideDomains, prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) { c["email"] = "jane@evil.example" }
		}},
		{name: "email_verified false", want: ReasonEmailNotVerified, prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) { c["email_verified"] = false }
		}},
		{name: "email_verified the string false", want: ReasonEmailNotVerified, prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) { c["email_verified"] = "false" }
		}},
		{name: "email_verified missing (not entra)", want: ReasonEmailNotVerified, prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) { delete(c, "email_verified") }
		}},
		{name: "entra email_verified false", tenant: "tid-a", want: ReasonEmailNotVerified, conn: func(c *store.Connection) {
			c.Provider, c.OIDC.TenantID = "entra", "tid-a"
		}, prov: func(p *oidcProvider) { p.claims = func(c map[string]any) { c["email_verified"] = false } }},
		{name: "entra without email_verified, address from upn", tenant: "tid-a", want: ReasonEmailNotVerified, conn: func(c *store.Connection) {
			c.Provider, c.OIDC.TenantID = "entra", "tid-a"
		}, prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) { delete(c, "email_verified"); delete(c, "email"); c["upn"] = "jane@example.com" }
		}},
		{name: "entra without email_verified, no tid", tenant: "tid-a", want: ReasonEmailNotVerified, conn: func(c *store.Connection) {
			c.Provider = "entra"
		}, prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) { delete(c, "email_verified"); delete(c, "tid") }
		}},
		{name: "entra token of another tenant", tenant: "tid-a", want: ReasonIssuer, conn: func(c *store.Connection) {
			c.Provider, c.OIDC.TenantID = "entra", "tid-a"
			c.OIDC.Issuer = strings.Replace(c.OIDC.Issuer, "/tid-a/", "/common/", 1)
		}, prov: func(p *oidcProvider) {
			p.claims = func(c map[string]any) { c["iss"] = p.issuer("tid-evil"); c["tid"] = "tid-evil" }
		}},
		{name: "entra tid of another tenant", tenant: "tid-a", want: ReasonTenant, conn: func(c *store.Connection) {
			c.Provider, c.OIDC.TenantID = "entra", "tid-a"
		}, prov: func(p *oidcProvider) { p.claims = func(c map[string]any) { c["tid"] = "tid-evil" } }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, p := newOIDCEnv(t, tc.tenant, tc.conn)
			if tc.prov != nil {
				p.set(tc.prov)
			}
			var w *httptest.ResponseRecorder
			if tc.run != nil {
				w = tc.run(t, e, p)
			} else {
				w = oidcLogin(t, e, e.browser(), p, tc.tamper)
			}
			assertRefused(t, e, w, tc.want)
		})
	}
}

func TestOIDCMultiTenantNeedsPin(t *testing.T) {
	t.Parallel()
	e, _ := newOIDCEnv(t, "tid-a", func(c *store.Connection) {
		c.OIDC.Issuer = strings.Replace(c.OIDC.Issuer, "/tid-a/", "/common/", 1)
	})
	w := e.browser().get("/start?connection=" + connOIDC)
	if w.Code < 400 {
		t.Fatalf("a /common issuer without a pinned tenant started a login: %d", w.Code)
	}
}

func TestOIDCPrivateIssuerRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil) // no Insecure switch
	p := newOIDCProvider(t, e.clock)
	for _, iss := range []string{p.issuer(""), strings.Replace(p.issuer(""), "http://", "https://", 1), "https://169.254.169.254/", "https://10.0.0.1/"} {
		if err := e.st.CreateConnection(context.Background(), &store.Connection{
			ID: "c_" + url.PathEscape(iss), OrgID: testOrg, Protocol: store.ProtocolOIDC, State: store.ConnectionActive,
			OIDC: &store.OIDCConfig{Issuer: iss, ClientID: "x"}, CreatedAt: testNow, UpdatedAt: testNow,
		}); err != nil {
			t.Fatal(err)
		}
		w := e.browser().get("/start?connection=" + url.QueryEscape("c_"+url.PathEscape(iss)))
		if w.Code < 400 {
			t.Errorf("issuer %s: status %d", iss, w.Code)
		}
	}
}

func TestOIDCTestFlow(t *testing.T) {
	t.Parallel()
	e, p := newOIDCEnv(t, "", func(c *store.Connection) { c.State, c.TestedAt = store.ConnectionDraft, time.Time{} })
	b := e.browser()
	w := httptest.NewRecorder()
	if err := e.sso.StartTest(w, newGet("/start"), connOIDC, ""); err != nil {
		t.Fatal(err)
	}
	b.absorb(w)
	cb := p.authorize(t, w.Header().Get("Location"))
	b.get("/oidc/" + connOIDC + "/callback?" + cb.Encode())
	res := e.testResults()
	if len(res) != 1 || res[0].Err != nil || res[0].Profile.Subject != "00u-jane" || res[0].State != store.ConnectionTested {
		t.Fatalf("results = %+v", res)
	}
	if len(e.logins()) != 0 {
		t.Fatal("OnLogin called")
	}
}

// TestOIDCUnverifiedEmailIgnored: with AllowEmailOutsideDomains the login
// goes on, but an email the provider did not verify is not used: no Email,
// no EmailVerified, no directory user attached by it.
func TestOIDCUnverifiedEmailIgnored(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		provider string
		claims   func(c map[string]any)
	}{
		{"email_verified false", "okta", func(c map[string]any) { c["email_verified"] = false }},
		{"entra email outside the org's domains", "entra", func(c map[string]any) {
			delete(c, "email_verified")
			c["email"] = "jane@elsewhere.example"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, p := newOIDCEnv(t, "tid-a", func(c *store.Connection) { c.AllowEmailOutsideDomains, c.Provider = true, tc.provider })
			addDirectoryUser(t, e, "jane@example.com", true)
			p.set(func(p *oidcProvider) { p.claims = tc.claims })
			w := oidcLogin(t, e, e.browser(), p, nil)
			if w.Code != http.StatusSeeOther {
				t.Fatalf("callback: %d\n%s", w.Code, e.logs)
			}
			pr := e.logins()[0]
			if pr.Email != "" || pr.EmailVerified || pr.DirectoryUser != nil {
				t.Errorf("unverified email used: %+v", pr)
			}
		})
	}
}

// oidcLoginEditAuthorize runs a login whose authorization request is edited
// before the provider sees it.
func oidcLoginEditAuthorize(t *testing.T, e *env, p *oidcProvider, edit func(q url.Values)) *httptest.ResponseRecorder {
	t.Helper()
	b := e.browser()
	w := b.get("/start?connection=" + connOIDC)
	if w.Code != http.StatusFound {
		t.Fatalf("start: %d", w.Code)
	}
	u, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	edit(q)
	u.RawQuery = q.Encode()
	cb := p.authorize(t, u.String())
	return b.get("/oidc/" + connOIDC + "/callback?" + cb.Encode())
}

// TestOIDCNumericClaims: number claims keep the digits the provider wrote in
// Profile.Attributes and in the test event (which the portal's test result
// page shows), rather than float64's rounding and scientific notation.
func TestOIDCNumericClaims(t *testing.T) {
	t.Parallel()
	e, p := newOIDCEnv(t, "", func(c *store.Connection) { c.State, c.TestedAt = store.ConnectionDraft, time.Time{} })
	p.set(func(p *oidcProvider) {
		p.claims = func(c map[string]any) {
			c["employee_number"] = json.Number("12345678901234567890")
			c["ratio"] = json.Number("0.125")
			c["tiny"] = json.Number("1e-7")
			c["levels"] = []any{json.Number("1"), json.Number("2000000000")}
			c["on_call"] = true
			c["address"] = map[string]any{"zip": json.Number("94107"), "street": "1 <Main> St"}
		}
	})
	b := e.browser()
	w := httptest.NewRecorder()
	if err := e.sso.StartTest(w, newGet("/start"), connOIDC, ""); err != nil {
		t.Fatal(err)
	}
	b.absorb(w)
	cb := p.authorize(t, w.Header().Get("Location"))
	w = b.get("/oidc/" + connOIDC + "/callback?" + cb.Encode())
	if w.Code != http.StatusOK {
		t.Fatalf("callback: %d %s\n%s", w.Code, w.Body, e.logs)
	}
	iat := strconv.FormatInt(testNow.Unix(), 10)
	want := map[string][]string{
		"iat":             {iat},
		"employee_number": {"12345678901234567890"},
		"ratio":           {"0.125"},
		"tiny":            {"1e-7"},
		"levels":          {"1", "2000000000"},
		"on_call":         {"true"},
		"address":         {`{"street":"1 <Main> St","zip":94107}`},
	}
	evs := e.events(EventConnectionTested)
	if len(evs) != 1 {
		t.Fatalf("%d %s events", len(evs), EventConnectionTested)
	}
	res, err := TestResultFromEvent(evs[0])
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		if got := res.Profile.Attributes[k]; !slices.Equal(got, v) {
			t.Errorf("event attribute %s = %q, want %q", k, got, v)
		}
	}
	if strings.Contains(string(evs[0].Data), "e+") {
		t.Errorf("scientific notation in the event:\n%s", evs[0].Data)
	}
	if exp := res.Profile.Attributes["exp"]; len(exp) != 1 || strings.ContainsAny(exp[0], "e.") {
		t.Errorf("exp = %q", exp)
	}
}
