package ssokit

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/store"
)

// ID token signing algorithms accepted: asymmetric only. "none" and the
// HMAC family (HS256 signed with the RSA public key as secret) never are.
var oidcAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512,
	oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA,
}

// providerTTL is how long a discovered provider is reused before it is
// discovered again (its JWKS is refreshed by go-oidc on unknown key ids).
const providerTTL = time.Hour

// oidcRP is a connection's relying party, cached per connection Version.
type oidcRP struct {
	rev   connRev
	built time.Time

	issuer      string
	clientID    string
	tenantID    string
	issParam    bool // RFC 9207 authorization_response_iss_parameter_supported
	userinfo    bool
	endSession  string // end_session_endpoint, "" when the provider has none
	provider    *oidc.Provider
	verifier    *oidc.IDTokenVerifier
	oauth       *oauth2.Config
	redirectURL string
}

func (s *SSO) clientCtx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, s.client)
}

// oidcRPFor returns the cached relying party of conn, discovering the
// provider when needed.
func (s *SSO) oidcRPFor(ctx context.Context, conn *store.Connection) (*oidcRP, error) {
	now := s.now()
	s.mu.Lock()
	rp := s.oidc[conn.ID]
	s.mu.Unlock()
	if rp != nil && rp.rev.matches(conn) && now.Sub(rp.built) < providerTTL {
		return rp, nil
	}
	rp, err := s.buildOIDCRP(ctx, conn)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	putBounded(s.oidc, conn.ID, rp)
	s.mu.Unlock()
	return rp, nil
}

// pinnedIssuer returns the issuer to discover: a multi-tenant Entra ID
// issuer (/common, /organizations) is replaced by the pinned tenant's, so
// that only tokens of that tenant verify.
func pinnedIssuer(issuer, tenant string) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return "", err
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	multi := len(segs) > 0 && (segs[0] == "common" || segs[0] == "organizations" || segs[0] == "consumers")
	if !multi {
		return issuer, nil
	}
	if tenant == "" {
		return "", fmt.Errorf("%w: multi-tenant issuer %s needs a pinned tenant id", ErrBadConnection, issuer)
	}
	segs[0] = url.PathEscape(tenant)
	u.Path = "/" + strings.Join(segs, "/")
	return u.String(), nil
}

func (s *SSO) buildOIDCRP(ctx context.Context, conn *store.Connection) (*oidcRP, error) {
	c := conn.OIDC
	if conn.Protocol != store.ProtocolOIDC || c == nil {
		return nil, fmt.Errorf("%w: %s is not an OIDC connection", ErrBadConnection, conn.ID)
	}
	if c.ClientID == "" {
		return nil, fmt.Errorf("%w: client id is not set", ErrBadConnection)
	}
	if err := checkIdPURL(c.Issuer, s.cfg.InsecureAllowPrivateNetworks); err != nil {
		return nil, fmt.Errorf("%w: issuer: %w", ErrBadConnection, err)
	}
	issuer, err := pinnedIssuer(c.Issuer, c.TenantID)
	if err != nil {
		return nil, err
	}
	p, err := oidc.NewProvider(s.clientCtx(ctx), issuer)
	if err != nil {
		return nil, &LoginError{Reason: ReasonIdPUnreachable, Detail: "OIDC discovery failed", Err: err}
	}
	var meta struct {
		IssParam   bool   `json:"authorization_response_iss_parameter_supported"`
		UserInfo   string `json:"userinfo_endpoint"`
		EndSession string `json:"end_session_endpoint"`
	}
	_ = p.Claims(&meta)
	if meta.EndSession != "" && checkIdPURL(meta.EndSession, s.cfg.InsecureAllowPrivateNetworks) != nil {
		meta.EndSession = "" // an unusable endpoint is no endpoint: logout stays local
	}
	for _, ep := range []string{p.Endpoint().AuthURL, p.Endpoint().TokenURL} {
		if err := checkIdPURL(ep, s.cfg.InsecureAllowPrivateNetworks); err != nil {
			return nil, fmt.Errorf("%w: discovered endpoint: %w", ErrBadConnection, err)
		}
	}
	scopes := c.Scopes
	if len(scopes) == 0 {
		scopes = []string{"email", "profile"}
	}
	if !slices.Contains(scopes, oidc.ScopeOpenID) {
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	}
	rp := &oidcRP{
		rev:         revOf(conn),
		built:       s.now(),
		issuer:      issuer,
		clientID:    c.ClientID,
		tenantID:    c.TenantID,
		issParam:    meta.IssParam,
		userinfo:    meta.UserInfo != "",
		endSession:  meta.EndSession,
		provider:    p,
		redirectURL: s.OIDCRedirectURL(conn.ID),
	}
	// go-oidc checks the signature and algorithm; ssokit checks iss, aud,
	// azp, times and nonce itself, with the configured clock and skew.
	rp.verifier = p.VerifierContext(s.clientCtx(context.WithoutCancel(ctx)), &oidc.Config{
		ClientID:             c.ClientID,
		SupportedSigningAlgs: oidcAlgs,
		SkipClientIDCheck:    true,
		SkipIssuerCheck:      true,
		SkipExpiryCheck:      true,
		Now:                  s.now,
	})
	ep := p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	if c.ClientSecret == "" {
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	rp.oauth = &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		Endpoint:     ep,
		RedirectURL:  rp.redirectURL,
		Scopes:       scopes,
	}
	return rp, nil
}

// startOIDC redirects to the authorization endpoint with state, nonce and
// a PKCE S256 challenge.
func (s *SSO) startOIDC(w http.ResponseWriter, r *http.Request, conn *store.Connection, returnTo string, test bool) error {
	rp, err := s.oidcRPFor(r.Context(), conn)
	if err != nil {
		return err
	}
	state, err := s.newID("st")
	if err != nil {
		return err
	}
	nonce, err := secret.New(s.rand, "")
	if err != nil {
		return err
	}
	verifier, err := secret.New(s.rand, "")
	if err != nil {
		return err
	}
	if _, err := s.newLoginRequest(w, r, conn, state, returnTo, test, func(lr *store.LoginRequest) {
		lr.Nonce = nonce
		lr.CodeVerifier = verifier
	}); err != nil {
		return err
	}
	u := rp.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	setNoStore(w)
	http.Redirect(w, r, u, http.StatusFound)
	return nil
}

// handleOIDCCallback is the redirect URI of a connection. It consumes the
// state (the pending request holds the nonce and PKCE verifier), verifies
// the authorization response and ID token without the Store, then accepts
// the login with one Store write (commitLogin), then answers.
func (s *SSO) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	s.traceLogin(w, r, telemetry.SpanSSOCallback, store.ProtocolOIDC, s.oidcCallback)
}

// oidcCallback serves the redirect URI (see handleOIDCCallback) and
// returns what it answered: nil for a login, else the refusal or error.
func (s *SSO) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	conn, err := s.getConnection(r.Context(), r.PathValue("connection"))
	if err == nil && conn.Protocol != store.ProtocolOIDC {
		err = ErrConnectionNotFound
	}
	if err != nil {
		return s.fail(w, r, err)
	}
	traceConnection(r.Context(), conn)
	if s.overLimit(w, r, "login", conn) {
		s.cfg.ErrorHandler(w, r, ErrTooManyRequests)
		return ErrTooManyRequests
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" || len(state) > 200 {
		return s.refused(w, r, conn, nil, refuse(ReasonRequestUnknown, "missing state"), false)
	}
	lr, le := s.consumeRequest(r, conn, state)
	if le != nil {
		return s.refused(w, r, conn, nil, le, false)
	}
	if !usable(conn, lr.Test) {
		return s.refused(w, r, conn, lr, refuse(ReasonConnectionInactive, "the connection is %s", conn.State), false)
	}
	vr, sp := telemetry.StartRequest(s.tel.Tracer, r, telemetry.SpanSSOVerify)
	p, le := s.finishOIDC(vr, conn, lr, q)
	var e *domains.Email
	if le == nil {
		e, le = profileEmail(conn, p)
	}
	endVerify(sp, le, nil)
	if le != nil {
		return s.refused(w, r, conn, lr, le, true)
	}
	// The connection was read before the token exchange; the write checks
	// it did not change meanwhile. The code is spent, so a changed
	// connection ends this login (the user starts again) rather than
	// going through twice as SAML responses do.
	c, err := s.commitLogin(r, &login{conn: conn, profile: p, email: e, lr: lr,
		commit: store.LoginCompletion{ConnectionID: conn.ID, ConnectionVersion: conn.Version, Now: s.now().UTC()}})
	switch {
	case errors.Is(err, store.ErrConflict):
		return s.fail(w, r, fmt.Errorf("ssokit: connection %s changed during the login; start again", conn.ID))
	case err != nil:
		return s.fail(w, r, err)
	case c.refused != nil:
		return s.refused(w, r, conn, lr, c.refused, true)
	default:
		return s.loggedIn(w, r, conn, c)
	}
}

func (s *SSO) finishOIDC(r *http.Request, conn *store.Connection, lr *store.LoginRequest, q url.Values) (*Profile, *LoginError) {
	ctx := r.Context()
	rp, err := s.oidcRPFor(ctx, conn)
	if err != nil {
		var le *LoginError
		if errors.As(err, &le) {
			return nil, le
		}
		return nil, &LoginError{Reason: ReasonIdPUnreachable, Detail: "connection configuration", Err: err}
	}
	// RFC 9207: an iss parameter, when sent (and it must be when the
	// provider advertises it), names the issuer that answered.
	if iss, ok := q["iss"]; ok || rp.issParam {
		got := ""
		if ok {
			got = iss[0]
		}
		if got != rp.issuer {
			le := refuse(ReasonIssuer, "authorization response iss parameter is not this connection's issuer (mix-up)")
			le.Issuer, le.ExpectedIssuer = got, rp.issuer
			return nil, le
		}
	}
	if e := q.Get("error"); e != "" {
		le := refuse(ReasonIdPStatus, "the provider returned error %q: %s", truncate(e, 60), truncate(q.Get("error_description"), 200))
		le.Status = truncate(e, 60)
		return nil, le
	}
	code := q.Get("code")
	if code == "" {
		return nil, refuse(ReasonMalformed, "no authorization code")
	}
	tok, err := rp.oauth.Exchange(s.clientCtxOAuth(ctx), code, oauth2.VerifierOption(lr.CodeVerifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			le := &LoginError{Reason: ReasonIdPStatus, Detail: "token endpoint refused the code", Err: err}
			le.Status = truncate(re.ErrorCode, 60)
			return nil, le
		}
		return nil, &LoginError{Reason: ReasonIdPUnreachable, Detail: "token request failed", Err: err}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, refuse(ReasonMalformed, "token response has no id_token")
	}
	if le := checkJOSEHeader(raw); le != nil {
		return nil, le
	}
	idt, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		if strings.Contains(err.Error(), "unexpected signature algorithm") || strings.Contains(err.Error(), "signing algorithm") {
			return nil, &LoginError{Reason: ReasonAlgorithm, Detail: "ID token algorithm not allowed", Err: err}
		}
		return nil, &LoginError{Reason: ReasonBadSignature, Detail: "ID token signature does not verify with the provider's keys", Err: err}
	}
	claims, err := decodeClaims(idt.Claims)
	if err != nil {
		return nil, &LoginError{Reason: ReasonMalformed, Detail: "ID token claims", Err: err}
	}
	if le := s.checkIDToken(rp, idt, claims, lr); le != nil {
		return nil, le
	}
	if ath, _ := claims["at_hash"].(string); ath != "" && tok.AccessToken != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, &LoginError{Reason: ReasonBadSignature, Detail: "at_hash does not match the access token", Err: err}
		}
	}
	idTokenEmail, _ := claims["email"].(string)
	if _, hasEmail := claims["email"]; !hasEmail && rp.userinfo && tok.AccessToken != "" {
		ui, err := rp.provider.UserInfo(s.clientCtxOAuth(ctx), oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, &LoginError{Reason: ReasonIdPUnreachable, Detail: "userinfo request failed", Err: err}
		}
		if ui.Subject != idt.Subject {
			return nil, refuse(ReasonUserInfo, "userinfo sub differs from the ID token's")
		}
		if extra, err := decodeClaims(ui.Claims); err == nil {
			for k, v := range extra {
				if _, ok := claims[k]; !ok {
					claims[k] = v
				}
			}
		}
	}
	attrs := map[string][]string{}
	for k, v := range claims {
		attrs[k] = claimStrings(v)
	}
	sid, _ := claims["sid"].(string)
	p := &Profile{
		ID:           ProfileID(conn.ID, idt.Subject),
		Subject:      idt.Subject,
		SID:          sid,
		IDToken:      raw,
		OrgID:        conn.OrgID,
		ConnectionID: conn.ID,
		Protocol:     store.ProtocolOIDC,
		Provider:     conn.Provider,
		Attributes:   attrs,
		claims:       claims,
	}
	mapAttributes(conn, p, attrs, nil)
	if p.Email != "" && !strings.Contains(p.Email, "@") {
		p.Email = ""
	}
	if p.Email != "" {
		switch oidcEmailTrust(rp, conn, claims, idTokenEmail, p.Email) {
		case emailUntrusted:
			p.Email, p.unverifiedEmail = "", true
		case emailTrustedInDomain:
			p.emailNeedsDomain = true
		}
	}
	return p, nil
}

type emailTrust int

const (
	emailUntrusted       emailTrust = iota
	emailTrusted                    // the provider says it verified the address
	emailTrustedInDomain            // trusted only in a verified domain of the organization
)

// oidcEmailTrust decides whether the email of an ID token (or userinfo) may
// be used at all: for the domain check, Profile.Email and the directory
// lookup.
//
//   - email_verified false (boolean or "false"): never.
//   - email_verified true (boolean or the string "true"): yes.
//   - absent, provider "entra": Entra ID does not send email_verified. The
//     address is used only when it is the ID token's "email" claim (not
//     userinfo's, not upn or
//     preferred_username, which tenants' users can influence), the token's
//     tid is the connection's tenant (the pinned tenant id, or the tenant
//     of a single-tenant issuer), and the domain is a verified domain of
//     the organization.
//   - absent, any other provider: no.
func oidcEmailTrust(rp *oidcRP, conn *store.Connection, claims map[string]any, idTokenEmail, email string) emailTrust {
	switch v := claims["email_verified"].(type) {
	case bool:
		if v {
			return emailTrusted
		}
		return emailUntrusted
	case string:
		if strings.EqualFold(v, "true") {
			return emailTrusted
		}
		return emailUntrusted
	case nil:
	default:
		return emailUntrusted
	}
	if _, present := claims["email_verified"]; present || conn.Provider != "entra" {
		return emailUntrusted
	}
	if name := conn.AttributeMapping[FieldEmail]; name != "" && name != "email" {
		return emailUntrusted
	}
	if strings.TrimSpace(idTokenEmail) != email {
		return emailUntrusted
	}
	tid, _ := claims["tid"].(string)
	if tid == "" || tid != entraTenant(rp) {
		return emailUntrusted
	}
	return emailTrustedInDomain
}

// entraTenant is the tenant a connection's tokens must come from: the
// pinned tenant id, else the first path segment of a single-tenant issuer.
func entraTenant(rp *oidcRP) string {
	if rp.tenantID != "" {
		return rp.tenantID
	}
	u, err := url.Parse(rp.issuer)
	if err != nil {
		return ""
	}
	seg, _, _ := strings.Cut(strings.Trim(u.Path, "/"), "/")
	switch seg {
	case "", "common", "organizations", "consumers":
		return ""
	}
	return seg
}

func (s *SSO) clientCtxOAuth(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, s.client)
}

// checkIDToken checks what go-oidc leaves to the caller.
func (s *SSO) checkIDToken(rp *oidcRP, idt *oidc.IDToken, claims map[string]any, lr *store.LoginRequest) *LoginError {
	now := s.now()
	skew := s.cfg.ClockSkew
	if idt.Issuer != rp.issuer {
		le := refuse(ReasonIssuer, "ID token iss is not this connection's issuer")
		le.Issuer, le.ExpectedIssuer = idt.Issuer, rp.issuer
		return le
	}
	if !slices.Contains(idt.Audience, rp.clientID) {
		le := refuse(ReasonAudience, "ID token aud does not contain this connection's client id")
		le.ExpectedAudience, le.Audiences = rp.clientID, idt.Audience
		return le
	}
	azp, hasAzp := claims["azp"].(string)
	if len(idt.Audience) > 1 && !hasAzp {
		le := refuse(ReasonAudience, "ID token has several audiences and no azp")
		le.ExpectedAudience, le.Audiences = rp.clientID, idt.Audience
		return le
	}
	if hasAzp && azp != rp.clientID {
		le := refuse(ReasonAudience, "ID token azp is not this connection's client id")
		le.ExpectedAudience, le.Audiences = rp.clientID, []string{azp}
		return le
	}
	if idt.Expiry.IsZero() {
		return refuse(ReasonExpired, "ID token has no exp")
	}
	if !now.Before(idt.Expiry.Add(skew)) {
		le := refuse(ReasonExpired, "ID token expired")
		le.NotOnOrAfter, le.Now, le.Skew = idt.Expiry, now, skew
		return le
	}
	if n, ok := claims["nbf"].(json.Number); ok {
		nbf, err := n.Float64()
		if err != nil {
			return refuse(ReasonMalformed, "ID token nbf is not a number of seconds")
		}
		t := time.Unix(int64(nbf), 0)
		if now.Add(skew).Before(t) {
			le := refuse(ReasonNotYetValid, "ID token nbf is in the future")
			le.NotBefore, le.Now, le.Skew = t, now, skew
			return le
		}
	}
	if !idt.IssuedAt.IsZero() && now.Add(skew).Before(idt.IssuedAt) {
		le := refuse(ReasonNotYetValid, "ID token iat is in the future")
		le.NotBefore, le.Now, le.Skew = idt.IssuedAt, now, skew
		return le
	}
	if idt.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(lr.Nonce)) != 1 {
		return refuse(ReasonNonce, "ID token nonce is missing or does not match the login request")
	}
	if rp.tenantID != "" {
		if tid, _ := claims["tid"].(string); tid != rp.tenantID {
			le := refuse(ReasonTenant, "ID token tid is not the pinned tenant")
			le.Issuer, le.ExpectedIssuer = tid, rp.tenantID
			return le
		}
	}
	if idt.Subject == "" {
		return refuse(ReasonSubject, "ID token has no sub")
	}
	return nil
}

// checkJOSEHeader refuses ID tokens whose header tries to bring its own key
// (jwk, jku, x5u) or declares alg none, before any key is looked up.
func checkJOSEHeader(raw string) *LoginError {
	h, _, ok := strings.Cut(raw, ".")
	if !ok {
		return refuse(ReasonMalformed, "ID token is not a JWS")
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return refuse(ReasonMalformed, "ID token header is not base64url")
	}
	var hdr map[string]any
	if err := json.Unmarshal(b, &hdr); err != nil {
		return refuse(ReasonMalformed, "ID token header is not JSON")
	}
	for _, k := range []string{"jwk", "jku", "x5u"} {
		if _, ok := hdr[k]; ok {
			le := refuse(ReasonAlgorithm, "ID token header carries %q", k)
			le.Algorithm = k
			return le
		}
	}
	alg, _ := hdr["alg"].(string)
	if !slices.Contains(oidcAlgs, alg) {
		le := refuse(ReasonAlgorithm, "ID token algorithm %q is not allowed", truncate(alg, 20))
		le.Algorithm = truncate(alg, 20)
		return le
	}
	return nil
}

// decodeClaims decodes the JSON object that claims (IDToken.Claims or
// UserInfo.Claims) holds, keeping numbers as json.Number: a number claim
// (exp, iat, an employee number) keeps the digits the provider wrote, never
// the float64 rounding and scientific notation of a plain decode.
func decodeClaims(claims func(any) error) (map[string]any, error) {
	var raw json.RawMessage
	if err := claims(&raw); err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("claims are not a JSON object")
	}
	return m, nil
}

// claimStrings flattens a claim decoded by decodeClaims into attribute
// values: a string as is, a number as written, a boolean as true or false,
// an array one value per element, and an object as compact JSON.
func claimStrings(v any) []string {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			out = append(out, claimString(e))
		}
		return out
	}
	return []string{claimString(v)}
}

func claimString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	case nil:
		return "null"
	}
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
