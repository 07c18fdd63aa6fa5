package ssokit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// backChannelEvent is the member of a logout_token's events claim that
// makes it a logout token (OpenID Connect Back-Channel Logout 1.0, 2.4).
const backChannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// maxLogoutTokenSize caps the body of a back-channel logout request.
const maxLogoutTokenSize = 64 << 10

// startOIDCLogout redirects to the provider's end_session_endpoint
// (OpenID Connect RP-Initiated Logout 1.0) with id_token_hint, client_id,
// the connection's post_logout_redirect_uri and a state bound to this
// browser, which handleOIDCLogoutReturn consumes.
func (s *SSO) startOIDCLogout(w http.ResponseWriter, r *http.Request, conn *store.Connection, opts LogoutOptions, returnTo string) error {
	rp, err := s.oidcRPFor(r.Context(), conn)
	if err != nil {
		return err
	}
	if rp.endSession == "" {
		return ErrNoIdPLogout
	}
	state, err := s.newID(strings.TrimSuffix(logoutIDPrefix, "_"))
	if err != nil {
		return err
	}
	if _, err := s.newLoginRequest(w, r, conn, state, returnTo, false, nil); err != nil {
		return err
	}
	u, err := url.Parse(rp.endSession)
	if err != nil {
		return fmt.Errorf("%w: end_session_endpoint: %v", ErrBadConnection, err)
	}
	q := u.Query()
	if opts.IDToken != "" {
		q.Set("id_token_hint", opts.IDToken)
	}
	q.Set("client_id", rp.clientID)
	q.Set("post_logout_redirect_uri", s.OIDCPostLogoutRedirectURL(conn.ID))
	q.Set("state", state)
	u.RawQuery = q.Encode()
	setNoStore(w)
	http.Redirect(w, r, u.String(), http.StatusFound)
	return nil
}

// handleOIDCLogoutReturn is the post_logout_redirect_uri: it consumes the
// state of the logout this browser started and redirects to its ReturnTo.
// A missing or foreign state is refused; the application's session was
// ended before the browser left either way.
func (s *SSO) handleOIDCLogoutReturn(w http.ResponseWriter, r *http.Request) {
	conn, err := s.getConnection(r.Context(), r.PathValue("connection"))
	if err == nil && conn.Protocol != store.ProtocolOIDC {
		err = ErrConnectionNotFound
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	state := r.URL.Query().Get("state")
	if !strings.HasPrefix(state, logoutIDPrefix) || len(state) > 200 {
		s.refuseLogout(w, r, conn, refuse(ReasonRequestUnknown, "post-logout redirect without the state of a logout request"))
		return
	}
	lr, le := s.consumeRequest(r, conn, state)
	if le != nil {
		s.refuseLogout(w, r, conn, le)
		return
	}
	ev, err := s.event(EventLogoutCompleted, conn.OrgID, conn.ID, "idp", map[string]any{"protocol": "oidc"})
	if err == nil {
		_, err = s.st.AppendEvents(r.Context(), ev)
	}
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "ssokit: recording logout", slog.Any("err", err))
	}
	setNoStore(w)
	http.Redirect(w, r, lr.ReturnTo, http.StatusSeeOther)
}

// logoutToken is what ssokit takes from a verified logout_token.
type logoutToken struct {
	Subject   string
	SID       string
	JTI       string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// handleBackChannelLogout is the Back-Channel Logout endpoint of an OIDC
// connection (OpenID Connect Back-Channel Logout 1.0): the provider POSTs
// a logout_token. It verifies the token without the Store, then records
// its jti (single use) with the event, then ends the connection's sessions
// of that sub and/or sid. It answers 200 on success and 400 with the
// spec's error JSON otherwise.
func (s *SSO) handleBackChannelLogout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	conn, err := s.getConnection(r.Context(), r.PathValue("connection"))
	if err == nil && conn.Protocol != store.ProtocolOIDC {
		err = ErrConnectionNotFound
	}
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "ssokit: back-channel logout refused",
			slog.String("path", r.URL.Path), slog.Any("err", err))
		backChannelError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	if s.overLimit(w, r, "logout", conn) {
		backChannelError(w, http.StatusTooManyRequests, "temporarily_unavailable")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLogoutTokenSize)
	if err := r.ParseForm(); err != nil || len(r.PostForm["logout_token"]) != 1 {
		s.refuseBackChannel(w, r, conn, refuse(ReasonMalformed, "request has no single logout_token form field"))
		return
	}
	now := s.now().UTC()
	tok, le := s.verifyLogoutToken(r, conn, r.PostForm.Get("logout_token"), now)
	if le != nil {
		s.refuseBackChannel(w, r, conn, le)
		return
	}
	expires := tok.IssuedAt.Add(maxIssueAge)
	if tok.ExpiresAt.After(expires) {
		expires = tok.ExpiresAt
	}
	ev, err := s.event(EventLogoutReceived, conn.OrgID, conn.ID, "idp", map[string]any{"protocol": "oidc", "jti": truncate(tok.JTI, 100)})
	if err != nil {
		backChannelError(w, http.StatusInternalServerError, "server_error")
		return
	}
	err = s.st.ConsumeAssertionID(r.Context(), conn.ID, "jti:"+tok.JTI, expires.Add(s.cfg.ClockSkew), now, ev)
	if errors.Is(err, store.ErrAlreadyExists) {
		le := refuse(ReasonReplayed, "logout_token jti already used")
		le.AssertionID = truncate(tok.JTI, 100)
		s.refuseBackChannel(w, r, conn, le)
		return
	}
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "ssokit: recording logout_token", slog.Any("err", err))
		backChannelError(w, http.StatusInternalServerError, "server_error")
		return
	}
	n, err := s.endSessions(r.Context(), logoutTarget{conn: conn, subject: tok.Subject, sid: tok.SID}, now)
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "ssokit: ending sessions for a logout_token",
			slog.String("connection", conn.ID), slog.Any("err", err))
		backChannelError(w, http.StatusInternalServerError, "server_error")
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "ssokit: OIDC back-channel logout",
		slog.String("connection", conn.ID), slog.String("org", conn.OrgID), slog.Int("sessions_ended", n))
	w.WriteHeader(http.StatusOK)
}

// verifyLogoutToken checks a logout_token (Back-Channel Logout 1.0, 2.6):
// a JWS whose header brings no key, signed by the provider's JWKS with an
// allowed algorithm (go-oidc's verifier), iss the connection's issuer, aud
// its client id, iat within the skew and at most five minutes old, exp
// (when present) not passed, the back-channel logout event, no nonce, a
// sub and/or sid, and a jti.
func (s *SSO) verifyLogoutToken(r *http.Request, conn *store.Connection, raw string, now time.Time) (*logoutToken, *LoginError) {
	if le := checkJOSEHeader(raw); le != nil {
		return nil, le
	}
	rp, err := s.oidcRPFor(r.Context(), conn)
	if err != nil {
		var le *LoginError
		if errors.As(err, &le) {
			return nil, le
		}
		return nil, &LoginError{Reason: ReasonIdPUnreachable, Detail: "connection configuration", Err: err}
	}
	idt, err := rp.verifier.Verify(r.Context(), raw)
	if err != nil {
		return nil, &LoginError{Reason: ReasonBadSignature, Detail: "logout_token signature does not verify with the provider's keys", Err: err}
	}
	claims, err := decodeClaims(idt.Claims)
	if err != nil {
		return nil, &LoginError{Reason: ReasonMalformed, Detail: "logout_token claims", Err: err}
	}
	return checkLogoutClaims(rp.issuer, rp.clientID, rp.tenantID, claims, now, s.cfg.ClockSkew)
}

// checkLogoutClaims applies the claim checks of a logout_token whose
// signature verified.
func checkLogoutClaims(issuer, clientID, tenantID string, claims map[string]any, now time.Time, skew time.Duration) (*logoutToken, *LoginError) {
	if iss, _ := claims["iss"].(string); iss != issuer {
		le := refuse(ReasonIssuer, "logout_token iss is not this connection's issuer")
		le.Issuer, le.ExpectedIssuer = truncate(iss, 200), issuer
		return nil, le
	}
	var aud []string
	switch a := claims["aud"].(type) {
	case string:
		aud = []string{a}
	case []any:
		for _, v := range a {
			if s, ok := v.(string); ok {
				aud = append(aud, s)
			}
		}
	}
	if !slices.Contains(aud, clientID) {
		le := refuse(ReasonAudience, "logout_token aud does not contain this connection's client id")
		le.ExpectedAudience, le.Audiences = clientID, aud
		return nil, le
	}
	if tenantID != "" {
		if tid, _ := claims["tid"].(string); tid != tenantID {
			return nil, refuse(ReasonTenant, "logout_token tid is not the pinned tenant")
		}
	}
	tok := &logoutToken{}
	iat, ok := numericDate(claims["iat"])
	if !ok {
		return nil, refuse(ReasonMalformed, "logout_token has no iat")
	}
	tok.IssuedAt = iat
	if iat.After(now.Add(skew)) {
		le := refuse(ReasonNotYetValid, "logout_token iat is in the future")
		le.NotBefore, le.Now, le.Skew = iat, now, skew
		return nil, le
	}
	if !now.Before(iat.Add(maxIssueAge + skew)) {
		le := refuse(ReasonExpired, "logout_token iat is too old")
		le.NotOnOrAfter, le.Now, le.Skew = iat.Add(maxIssueAge), now, skew
		return nil, le
	}
	if v, present := claims["exp"]; present {
		exp, ok := numericDate(v)
		if !ok {
			return nil, refuse(ReasonMalformed, "logout_token exp is not a number of seconds")
		}
		if !now.Before(exp.Add(skew)) {
			le := refuse(ReasonExpired, "logout_token expired")
			le.NotOnOrAfter, le.Now, le.Skew = exp, now, skew
			return nil, le
		}
		tok.ExpiresAt = exp
	}
	events, _ := claims["events"].(map[string]any)
	if ev, ok := events[backChannelEvent].(map[string]any); !ok || ev == nil {
		return nil, refuse(ReasonMalformed, "logout_token events claim has no back-channel logout event")
	}
	if _, present := claims["nonce"]; present {
		return nil, refuse(ReasonNonce, "logout_token carries a nonce (an ID token, not a logout token)")
	}
	tok.Subject, _ = claims["sub"].(string)
	tok.SID, _ = claims["sid"].(string)
	if tok.Subject == "" && tok.SID == "" {
		return nil, refuse(ReasonSubject, "logout_token has neither sub nor sid")
	}
	tok.JTI, _ = claims["jti"].(string)
	if tok.JTI == "" || len(tok.JTI) > 256 {
		return nil, refuse(ReasonMalformed, "logout_token jti missing or too long")
	}
	return tok, nil
}

// numericDate reads a JSON NumericDate decoded by decodeClaims.
func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1<<40 {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0).UTC(), true
}

// refuseBackChannel records and logs a refused logout_token and answers
// 400 with the error JSON of Back-Channel Logout 1.0, 2.8.
func (s *SSO) refuseBackChannel(w http.ResponseWriter, r *http.Request, conn *store.Connection, le *LoginError) {
	s.recordRefusedLogout(r, conn, le, "ssokit: back-channel logout refused")
	if le.Reason == ReasonIdPUnreachable {
		backChannelError(w, http.StatusBadGateway, "temporarily_unavailable")
		return
	}
	backChannelError(w, http.StatusBadRequest, "invalid_request")
}

func backChannelError(w http.ResponseWriter, code int, e string) {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(map[string]string{"error": e})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(b.Bytes())
}
