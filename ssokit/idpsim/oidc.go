package idpsim

import (
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/onboardkit/onboardkit/internal/secret"
)

const (
	codeTTL        = time.Minute
	accessTokenTTL = time.Hour
	maxGrants      = 10000
	maxFormBytes   = 64 << 10
)

type registeredClient struct {
	Client
	secretDigest []byte
}

type codeGrant struct {
	client      string
	redirectURI string
	user        User
	faults      []Fault
	nonce       string
	challenge   string
	method      string
	scope       string
	authTime    time.Time
	expires     time.Time
	preset      Preset
}

type accessGrant struct {
	client      string
	user        User
	preset      Preset
	expires     time.Time
	subMismatch bool
}

// RegisterClient registers (or replaces) an OIDC client.
func (idp *IdP) RegisterClient(c Client) error {
	if c.ID == "" || len(c.ID) > 256 {
		return errors.New("idpsim: Client.ID is required (at most 256 bytes)")
	}
	if c.Secret == "" {
		return fmt.Errorf("idpsim: client %q: Secret is required", c.ID)
	}
	if len(c.RedirectURIs) == 0 {
		return fmt.Errorf("idpsim: client %q: at least one redirect URI is required", c.ID)
	}
	for _, u := range c.RedirectURIs {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || pu.Fragment != "" {
			return fmt.Errorf("idpsim: client %q: redirect URI %q must be an absolute http(s) URL without fragment", c.ID, u)
		}
	}
	if !c.Preset.valid() {
		return fmt.Errorf("idpsim: client %q: unknown preset %q", c.ID, c.Preset)
	}
	if c.Name == "" {
		c.Name = c.ID
	}
	rc := &registeredClient{Client: c, secretDigest: secret.Digest(c.Secret)}
	rc.Secret = ""
	rc.RedirectURIs = slices.Clone(c.RedirectURIs)
	rc.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	for _, u := range append(slices.Clone(c.PostLogoutRedirectURIs), c.BackChannelLogoutURI) {
		if u == "" && c.BackChannelLogoutURI == "" {
			continue
		}
		if err := checkHTTPURL(u); err != nil {
			return fmt.Errorf("idpsim: client %q: logout URI: %w", c.ID, err)
		}
	}
	idp.mu.Lock()
	defer idp.mu.Unlock()
	if _, ok := idp.clients[c.ID]; !ok {
		idp.cliOrder = append(idp.cliOrder, c.ID)
	}
	idp.clients[c.ID] = rc
	return nil
}

func (idp *IdP) lookupClient(id string) (*registeredClient, bool) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	c, ok := idp.clients[id]
	return c, ok
}

// Clients returns the registered OIDC clients, without their secrets.
func (idp *IdP) Clients() []Client {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	out := make([]Client, 0, len(idp.cliOrder))
	for _, id := range idp.cliOrder {
		out = append(out, idp.clients[id].Client)
	}
	return out
}

// IDTokenOptions describe one ID token made by IDToken.
type IDTokenOptions struct {
	// Client is the client_id (the audience). Required, must be registered.
	Client string
	// User is the subject; see AutoLogin.User. Default: first seed user.
	User User
	// Nonce is echoed in the nonce claim when set.
	Nonce string
	// Faults are OIDC faults to inject.
	Faults []Fault
	// AccessToken, when set, is bound with an at_hash claim.
	AccessToken string
}

// IDToken signs an ID token as the token endpoint would issue it.
func (idp *IdP) IDToken(opts IDTokenOptions) (string, error) {
	c, ok := idp.lookupClient(opts.Client)
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownClient, opts.Client)
	}
	u, err := idp.resolveUser(opts.User)
	if err != nil {
		return "", err
	}
	now := idp.now()
	return idp.idToken(c, u, c.Preset, opts.Nonce, opts.Faults, now, now, opts.AccessToken)
}

func (idp *IdP) idToken(c *registeredClient, u User, preset Preset, nonce string, faults []Fault, now, authTime time.Time, accessToken string) (string, error) {
	fs := newFaultSet(faults)
	for f := range fs {
		if !f.OIDC() {
			return "", fmt.Errorf("%w: %q is not an OIDC fault", ErrFaultNotApplicable, f)
		}
	}
	claims := idp.shapeClaims(preset, u, c.ID)
	iat := now
	switch {
	case fs[FaultExpired]:
		iat = now.Add(-2 * time.Hour)
	case fs[FaultNotYetValid]:
		iat = now.Add(time.Hour)
		claims["nbf"] = iat.Unix()
	}
	claims["iss"] = idp.issuer
	if fs[FaultWrongIssuer] {
		claims["iss"] = attackerBase + "/oidc"
	}
	claims["aud"] = c.ID
	switch {
	case fs[FaultWrongAudience]:
		claims["aud"] = "attacker-client"
	case fs[FaultExtraAudience]:
		claims["aud"] = []string{c.ID, "attacker-client"}
		delete(claims, "azp")
	case fs[FaultWrongAZP]:
		claims["aud"] = []string{c.ID, "attacker-client"}
		claims["azp"] = "attacker-client"
	}
	if fs[FaultOtherTenant] {
		claims["tid"] = guidFrom("tenant|attacker")
		claims["oid"] = guidFrom("oid|attacker|" + u.ID)
	}
	claims["iat"] = iat.Unix()
	claims["exp"] = iat.Add(idp.lifetime).Unix()
	claims["auth_time"] = authTime.Unix()
	claims["sid"] = guidFrom("sid|" + c.ID + "|" + u.ID)
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if fs[FaultWrongNonce] {
		n, err := idp.newID("n-")
		if err != nil {
			return "", err
		}
		claims["nonce"] = n
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		claims["at_hash"] = base64.RawURLEncoding.EncodeToString(sum[:16])
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("idpsim: encoding claims: %w", err)
	}
	if fs[FaultAlgNone] {
		header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
		return header + "." + base64.RawURLEncoding.EncodeToString(payload) + ".", nil
	}
	if fs[FaultHS256KeyConfusion] {
		der, err := x509.MarshalPKIXPublicKey(&idp.key.PublicKey)
		if err != nil {
			return "", fmt.Errorf("idpsim: encoding public key: %w", err)
		}
		secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"` + idp.kid + `"}`))
		input := header + "." + base64.RawURLEncoding.EncodeToString(payload)
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(input))
		return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
	}
	s := idp.signer()
	if fs[FaultForeignKey] || fs[FaultEmbeddedJWK] {
		if s, err = idp.foreignSigner(); err != nil {
			return "", err
		}
	}
	if fs[FaultEmbeddedJWK] {
		// The attacker's own key id, and the key itself in the header.
		return signJWT(&signer{key: s.key, cert: s.cert, kid: keyID(&s.key.PublicKey)}, payload, true)
	}
	return signJWT(s, payload, false)
}

func signJWT(s *signer, payload []byte, embedJWK bool) (string, error) {
	opts := (&jose.SignerOptions{EmbedJWK: embedJWK}).WithType("JWT")
	var key any = jose.JSONWebKey{Key: s.key, KeyID: s.kid, Algorithm: string(jose.RS256)}
	if embedJWK {
		key = s.key
		opts = opts.WithHeader("kid", s.kid)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	if err != nil {
		return "", fmt.Errorf("idpsim: signer: %w", err)
	}
	jws, err := sig.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("idpsim: signing ID token: %w", err)
	}
	return jws.CompactSerialize()
}

// keyID is the RFC 7638 thumbprint of the key, base64url.
func keyID(pub *rsa.PublicKey) string {
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "idpsim"
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

func (idp *IdP) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	b := idp.BaseURL()
	methods := []string{"S256"}
	for _, c := range idp.Clients() {
		if c.InsecureAllowPlainPKCE {
			methods = append(methods, "plain")
			break
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                         idp.issuer,
		"authorization_endpoint":                         b + "/oidc/authorize",
		"token_endpoint":                                 b + "/oidc/token",
		"userinfo_endpoint":                              b + "/oidc/userinfo",
		"jwks_uri":                                       b + "/oidc/jwks",
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{"authorization_code"},
		"subject_types_supported":                        []string{"public", "pairwise"},
		"id_token_signing_alg_values_supported":          []string{"RS256"},
		"scopes_supported":                               []string{"openid", "email", "profile", "groups"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":               methods,
		"claims_supported":                               []string{"sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name", "given_name", "family_name", "groups", "tid", "oid", "hd", "preferred_username"},
		"authorization_response_iss_parameter_supported": true,
		"end_session_endpoint":                           b + "/oidc/logout",
		"backchannel_logout_supported":                   true,
		"backchannel_logout_session_supported":           true,
	})
}

func (idp *IdP) handleJWKS(w http.ResponseWriter, r *http.Request) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &idp.key.PublicKey, KeyID: idp.kid, Algorithm: string(jose.RS256), Use: "sig",
	}}}
	writeJSON(w, http.StatusOK, set)
}

// authorizeRequest is a validated authorization request.
type authorizeRequest struct {
	client      *registeredClient
	redirectURI string
	state       string
	nonce       string
	challenge   string
	method      string
	scope       string
}

// parseAuthorize validates an authorization request. Errors before the
// redirect URI is trusted are shown on a page (never redirected); later
// errors are redirected to the client with an OAuth error code.
func (idp *IdP) parseAuthorize(q url.Values) (*authorizeRequest, string, error) {
	c, ok := idp.lookupClient(q.Get("client_id"))
	if !ok {
		return nil, "", fmt.Errorf("%w: %q", ErrUnknownClient, q.Get("client_id"))
	}
	ru := q.Get("redirect_uri")
	if !slices.Contains(c.RedirectURIs, ru) {
		return nil, "", fmt.Errorf("idpsim: redirect_uri %q is not registered for client %q", ru, c.ID)
	}
	ar := &authorizeRequest{client: c, redirectURI: ru, state: q.Get("state"), nonce: q.Get("nonce"),
		challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), scope: q.Get("scope")}
	if len(ar.state) > 1024 || len(ar.nonce) > 1024 || len(ar.scope) > 1024 || len(ar.challenge) > 128 {
		return ar, "invalid_request", errors.New("idpsim: parameter too long")
	}
	if q.Get("response_type") != "code" {
		return ar, "unsupported_response_type", fmt.Errorf("idpsim: response_type %q, only code", q.Get("response_type"))
	}
	if !slices.Contains(strings.Fields(ar.scope), "openid") {
		return ar, "invalid_scope", errors.New("idpsim: scope must include openid")
	}
	switch {
	case ar.challenge == "":
		if !c.InsecureAllowNoPKCE {
			return ar, "invalid_request", errors.New("idpsim: PKCE code_challenge is required")
		}
	case ar.method == "S256":
		if len(ar.challenge) != 43 {
			return ar, "invalid_request", errors.New("idpsim: S256 code_challenge must be 43 characters")
		}
	case ar.method == "plain" || ar.method == "":
		if !c.InsecureAllowPlainPKCE {
			return ar, "invalid_request", errors.New("idpsim: code_challenge_method plain is refused; use S256")
		}
		ar.method = "plain"
	default:
		return ar, "invalid_request", fmt.Errorf("idpsim: unknown code_challenge_method %q", ar.method)
	}
	return ar, "", nil
}

// redirectError sends an OAuth error to the client's redirect URI.
func (idp *IdP) redirectError(w http.ResponseWriter, r *http.Request, ar *authorizeRequest, code, desc string) {
	v := url.Values{"error": {code}, "iss": {idp.issuer}}
	if desc != "" {
		v.Set("error_description", desc)
	}
	if ar.state != "" {
		v.Set("state", ar.state)
	}
	http.Redirect(w, r, appendQuery(ar.redirectURI, v), http.StatusFound)
}

func appendQuery(u string, v url.Values) string {
	if strings.Contains(u, "?") {
		return u + "&" + v.Encode()
	}
	return u + "?" + v.Encode()
}

// issueCode finishes an authorization: it stores a one-time code and
// redirects the browser to the client.
func (idp *IdP) issueCode(w http.ResponseWriter, r *http.Request, ar *authorizeRequest, u User, faults []Fault) {
	for _, f := range faults {
		if !f.OIDC() {
			idp.log.Warn("idpsim: fault does not apply to OIDC", "fault", f)
			idp.redirectError(w, r, ar, "server_error", "")
			return
		}
	}
	code, err := secret.New(idp.rand, "code_")
	if err != nil {
		idp.log.Error("idpsim: making code", "err", err)
		idp.redirectError(w, r, ar, "server_error", "")
		return
	}
	now := idp.now()
	g := &codeGrant{client: ar.client.ID, redirectURI: ar.redirectURI, user: u, faults: slices.Clone(faults),
		nonce: ar.nonce, challenge: ar.challenge, method: ar.method, scope: ar.scope,
		authTime: now, expires: now.Add(codeTTL), preset: ar.client.Preset}
	idp.mu.Lock()
	idp.pruneLocked(now)
	idp.codes[string(secret.Digest(code))] = g
	idp.mu.Unlock()
	http.Redirect(w, r, appendQuery(ar.redirectURI, url.Values{"code": {code}, "state": {ar.state}, "iss": {idp.issuer}}), http.StatusFound)
}

// pruneLocked drops expired codes, tokens and pending logins.
func (idp *IdP) pruneLocked(now time.Time) {
	for k, g := range idp.codes {
		if now.After(g.expires) {
			delete(idp.codes, k)
		}
	}
	for k, g := range idp.tokens {
		if now.After(g.expires) {
			delete(idp.tokens, k)
		}
	}
	for k, p := range idp.pending {
		if now.After(p.expires) {
			delete(idp.pending, k)
		}
	}
	if len(idp.codes) > maxGrants {
		clear(idp.codes)
	}
	if len(idp.tokens) > maxGrants {
		clear(idp.tokens)
	}
	if len(idp.pending) > maxGrants {
		clear(idp.pending)
	}
}

type tokenError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (idp *IdP) handleToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	fail := func(status int, code, why string) {
		idp.log.Info("idpsim: token request refused", "error", code, "reason", why)
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="idpsim"`)
		}
		writeJSON(w, status, tokenError{Error: code})
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	f := r.PostForm
	clientID, clientSecret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		clientID, err1 = url.QueryUnescape(clientID)
		clientSecret, err2 = url.QueryUnescape(clientSecret)
		if err1 != nil || err2 != nil {
			fail(http.StatusUnauthorized, "invalid_client", "bad basic credentials encoding")
			return
		}
	} else {
		clientID, clientSecret = f.Get("client_id"), f.Get("client_secret")
	}
	c, ok := idp.lookupClient(clientID)
	if !ok || !secret.Equal(secret.Digest(clientSecret), c.secretDigest) {
		fail(http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	if f.Get("grant_type") != "authorization_code" {
		fail(http.StatusBadRequest, "unsupported_grant_type", "grant_type "+f.Get("grant_type"))
		return
	}
	now := idp.now()
	key := string(secret.Digest(f.Get("code")))
	idp.mu.Lock()
	g, ok := idp.codes[key]
	delete(idp.codes, key) // one use, whatever the outcome
	idp.mu.Unlock()
	switch {
	case !ok:
		fail(http.StatusBadRequest, "invalid_grant", "unknown or used code")
		return
	case now.After(g.expires):
		fail(http.StatusBadRequest, "invalid_grant", "expired code")
		return
	case g.client != c.ID:
		fail(http.StatusBadRequest, "invalid_grant", "code issued to another client")
		return
	case f.Get("redirect_uri") != g.redirectURI:
		fail(http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request")
		return
	}
	if g.challenge != "" || f.Get("code_verifier") != "" {
		if !verifyPKCE(g.challenge, g.method, f.Get("code_verifier")) {
			fail(http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
			return
		}
	}
	at, err := secret.New(idp.rand, "at_")
	if err != nil {
		idp.log.Error("idpsim: making access token", "err", err)
		writeJSON(w, http.StatusInternalServerError, tokenError{Error: "server_error"})
		return
	}
	idt, err := idp.idToken(c, g.user, g.preset, g.nonce, g.faults, now, g.authTime, at)
	if err != nil {
		idp.log.Error("idpsim: making ID token", "err", err)
		writeJSON(w, http.StatusInternalServerError, tokenError{Error: "server_error"})
		return
	}
	idp.mu.Lock()
	idp.tokens[string(secret.Digest(at))] = &accessGrant{client: c.ID, user: g.user, preset: g.preset, expires: now.Add(accessTokenTTL),
		subMismatch: slices.Contains(g.faults, FaultUserinfoSubMismatch)}
	idp.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": at,
		"token_type":   "Bearer",
		"expires_in":   int(accessTokenTTL / time.Second),
		"id_token":     idt,
		"scope":        g.scope,
	})
}

// verifyPKCE checks a code_verifier (RFC 7636) in constant time.
func verifyPKCE(challenge, method, verifier string) bool {
	if challenge == "" || len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for _, r := range verifier {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
			return false
		}
	}
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

func (idp *IdP) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="idpsim"`)
		writeJSON(w, http.StatusUnauthorized, tokenError{Error: "invalid_token"})
		return
	}
	now := idp.now()
	idp.mu.Lock()
	g, ok := idp.tokens[string(secret.Digest(tok))]
	idp.mu.Unlock()
	if !ok || now.After(g.expires) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="idpsim", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, tokenError{Error: "invalid_token"})
		return
	}
	claims := idp.shapeClaims(g.preset, g.user, g.client)
	if g.subMismatch {
		claims["sub"] = "attacker-" + keyHashHex(g.user.ID)
	}
	writeJSON(w, http.StatusOK, claims)
}

func keyHashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
