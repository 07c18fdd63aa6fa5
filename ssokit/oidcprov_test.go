package ssokit

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// oidcProvider is an in-process OpenID provider for the tests: discovery,
// JWKS, token endpoint with PKCE S256 and exact redirect_uri checks,
// userinfo, and knobs to forge faulty tokens.
type oidcProvider struct {
	t        testing.TB
	srv      *httptest.Server
	key      *rsa.PrivateKey
	kid      string
	clientID string
	secret   string
	tenant   string // when set, the issuer is /{tenant}/v2.0 (Entra style)
	now      func() time.Time

	mu    sync.Mutex
	codes map[string]grant

	// Faults, set by tests before the callback.
	issParam     bool                        // advertise RFC 9207
	claims       func(c map[string]any)      // edit ID token claims
	sign         func(payload []byte) string // replace the signer
	headers      map[string]any              // extra protected headers
	userinfo     map[string]any              // userinfo response (nil: from claims)
	noEmailClaim bool
}

type grant struct {
	nonce, challenge, method, redirect string
}

func newOIDCProvider(t testing.TB, now func() time.Time) *oidcProvider {
	t.Helper()
	keys(t)
	p := &oidcProvider{t: t, key: idp2Key.Key, kid: "k1", clientID: "client-a", secret: "s3cret", now: now, codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /userinfo", p.userinfoHandler)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// issuer returns the issuer of tenant (the default one when "").
func (p *oidcProvider) issuer(tenant string) string {
	if tenant == "" {
		tenant = p.tenant
	}
	if tenant == "" {
		return p.srv.URL
	}
	return p.srv.URL + "/" + tenant + "/v2.0"
}

func (p *oidcProvider) discovery(w http.ResponseWriter, r *http.Request) {
	iss := p.srv.URL
	if t := r.PathValue("tenant"); t != "" {
		iss = p.srv.URL + "/" + t + "/v2.0"
	}
	p.mu.Lock()
	issParam := p.issParam
	p.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                p.srv.URL + "/authorize",
		"token_endpoint":                        p.srv.URL + "/token",
		"jwks_uri":                              p.srv.URL + "/jwks",
		"userinfo_endpoint":                     p.srv.URL + "/userinfo",
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"authorization_response_iss_parameter_supported": issParam,
	})
}

func (p *oidcProvider) jwks(w http.ResponseWriter, r *http.Request) {
	json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: p.kid, Algorithm: "RS256", Use: "sig"}}})
}

// authorize plays the IdP's authorization endpoint for the authorize URL
// ssokit redirected to, and returns the callback query.
func (p *oidcProvider) authorize(t testing.TB, authURL string) url.Values {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("client_id") != p.clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" || !strings.Contains(q.Get("scope"), "openid") {
		t.Fatalf("bad authorization request: %s", authURL)
	}
	code := fmt.Sprintf("code-%d", time.Now().UnixNano())
	p.mu.Lock()
	p.codes[code] = grant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), redirect: q.Get("redirect_uri")}
	issParam := p.issParam
	p.mu.Unlock()
	cb := url.Values{"code": {code}, "state": {q.Get("state")}}
	if issParam {
		cb.Set("iss", p.issuer(""))
	}
	return cb
}

func (p *oidcProvider) token(w http.ResponseWriter, r *http.Request) {
	fail := func(code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": code})
	}
	id, sec, ok := r.BasicAuth()
	if !ok || id != p.clientID || sec != p.secret {
		fail("invalid_client")
		return
	}
	if err := r.ParseForm(); err != nil {
		fail("invalid_request")
		return
	}
	code := r.PostForm.Get("code")
	p.mu.Lock()
	g, found := p.codes[code]
	delete(p.codes, code)
	p.mu.Unlock()
	if !found {
		fail("invalid_grant")
		return
	}
	if r.PostForm.Get("redirect_uri") != g.redirect {
		fail("invalid_grant") // exact redirect_uri at exchange
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if g.method != "S256" || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		fail("invalid_grant") // PKCE
		return
	}
	now := p.now()
	claims := map[string]any{
		"iss":            p.issuer(""),
		"sub":            "00u-jane",
		"aud":            p.clientID,
		"exp":            now.Add(time.Hour).Unix(),
		"iat":            now.Unix(),
		"nonce":          g.nonce,
		"email":          "jane@example.com",
		"email_verified": true,
		"given_name":     "Jane",
		"family_name":    "Doe",
		"name":           "Jane Doe",
		"groups":         []string{"Engineering"},
	}
	if p.tenant != "" {
		claims["tid"] = p.tenant
	}
	p.mu.Lock()
	edit, signFn, hdrs, noEmail := p.claims, p.sign, p.headers, p.noEmailClaim
	p.mu.Unlock()
	if noEmail {
		delete(claims, "email")
	}
	if edit != nil {
		edit(claims)
	}
	payload, _ := json.Marshal(claims)
	var idt string
	if signFn != nil {
		idt = signFn(payload)
	} else {
		idt = p.signRS256(payload, hdrs)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + code, "token_type": "Bearer", "expires_in": 3600, "id_token": idt})
}

func (p *oidcProvider) signRS256(payload []byte, hdrs map[string]any) string {
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", p.kid)
	for k, v := range hdrs {
		opts = opts.WithHeader(jose.HeaderKey(k), v)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: p.key}, opts)
	if err != nil {
		p.t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		p.t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

func (p *oidcProvider) userinfoHandler(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer at-") {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	p.mu.Lock()
	ui := p.userinfo
	p.mu.Unlock()
	if ui == nil {
		ui = map[string]any{"sub": "00u-jane", "email": "jane@example.com"}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ui)
}

func (p *oidcProvider) set(fn func(p *oidcProvider)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(p)
}

// unsignedToken builds an alg=none token.
func unsignedToken(payload []byte) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	return h + "." + base64.RawURLEncoding.EncodeToString(payload) + "."
}

// hs256WithPublicKey signs with HMAC keyed by the provider's RSA public key
// in PEM, the classic key-confusion forgery.
func (p *oidcProvider) hs256WithPublicKey(payload []byte) string {
	der, _ := x509.MarshalPKIXPublicKey(&p.key.PublicKey)
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: secret}, (&jose.SignerOptions{}).WithHeader("kid", p.kid))
	if err != nil {
		p.t.Fatal(err)
	}
	jws, _ := s.Sign(payload)
	out, _ := jws.CompactSerialize()
	return out
}
