package ssokit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/onboardkit/onboardkit/store"
)

// handleACSGet refuses responses sent with the HTTP-Redirect binding, which
// the Web Browser SSO profile does not allow for a Response: nothing is
// inflated, so a deflate bomb costs nothing.
func (s *SSO) handleACSGet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	s.fail(w, r, fmt.Errorf("%w: SAML responses must use the HTTP-POST binding", ErrBadRequest))
}

// handleACS is the assertion consumer service of a connection. The
// connection (and so the organization, the trusted certificates, the
// expected audience and destination) comes from the URL path, never from
// the message.
//
// The connection row is cached between requests: the write that accepts
// the login checks that the cached Version is still current, and a refusal
// made with a cached row is only reported once the stored row is known not
// to have changed. Either way a changed connection sends the response
// through once more with the stored row.
func (s *SSO) handleACS(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("connection")
	conn, cached, err := s.cachedConnection(r.Context(), id)
	if err == nil && conn.Protocol != store.ProtocolSAML {
		err = ErrConnectionNotFound
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxResponseSize)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(w, r, fmt.Errorf("%w: body larger than %d bytes", ErrBadRequest, s.cfg.MaxResponseSize))
			return
		}
		s.fail(w, r, fmt.Errorf("%w: %v", ErrBadRequest, err))
		return
	}
	b64 := r.PostForm.Get("SAMLResponse")
	if b64 == "" {
		s.fail(w, r, fmt.Errorf("%w: no SAMLResponse", ErrBadRequest))
		return
	}
	raw, err := base64.StdEncoding.DecodeString(stripSpace(b64))
	if err != nil {
		s.fail(w, r, fmt.Errorf("%w: SAMLResponse is not base64", ErrBadRequest))
		return
	}
	relayState := r.PostForm.Get("RelayState")
	if !s.consumeSAML(w, r, conn, cached, raw, relayState) {
		return
	}
	// The connection changed since it was read: once more with the stored
	// row, which is final.
	conn, err = s.getConnection(r.Context(), id)
	if err == nil && conn.Protocol != store.ProtocolSAML {
		err = ErrConnectionNotFound
	}
	if err != nil {
		s.forgetConnection(id)
		s.fail(w, r, err)
		return
	}
	s.rememberConnection(conn)
	if s.consumeSAML(w, r, conn, false, raw, relayState) {
		s.fail(w, r, fmt.Errorf("ssokit: connection %s changed twice during one login; try again", id))
	}
}

func stripSpace(s string) string {
	if !strings.ContainsAny(s, " \r\n\t") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\r' || r == '\n' || r == '\t' {
			return -1
		}
		return r
	}, s)
}

// consumeSAML checks a SAML response posted to conn's ACS and completes
// the login, or reports why not. It reports stale, having written nothing,
// when conn may have changed since it was read: when the final write finds
// another Version, or when a refusal was reached with a cached row
// (cached) that the Store no longer holds.
//
// The pending request named by the (not yet verified) InResponseTo is
// consumed by the final write, together with the assertion id, when the
// response passed every check; its id is only trusted once the signed
// InResponseTo matches it (checkSAMLResponse). On a refusal the request is
// consumed first instead, so that a test flow gets its diagnosis and a
// problem with the request itself (unknown, expired, another connection or
// browser) is the one reported. A connection that is not active serves
// test flows only, so it consumes the request before anything else, to
// learn whether this is one.
func (s *SSO) consumeSAML(w http.ResponseWriter, r *http.Request, conn *store.Connection, cached bool, raw []byte, relayState string) (stale bool) {
	ctx := r.Context()
	now := s.now().UTC()
	var (
		requestID string
		lr        *store.LoginRequest // once consumed
		consumed  bool
	)
	// deny reports a refusal, or stale when conn came from the cache and
	// changed since.
	deny := func(le *LoginError, record bool) (stale bool) {
		if cached && s.connectionChanged(ctx, conn) {
			return true
		}
		if requestID != "" && !consumed {
			var rle *LoginError
			if lr, rle = s.consumeBoundRequest(r, conn, requestID); rle != nil {
				s.refused(w, r, conn, nil, rle, false)
				return false
			}
		}
		s.refused(w, r, conn, lr, le, record)
		return false
	}
	sp, err := s.samlSPFor(conn)
	if err != nil {
		if cached && s.connectionChanged(ctx, conn) {
			return true
		}
		s.fail(w, r, err)
		return false
	}
	pr, le := parseSAMLResponse(raw)
	if le != nil {
		s.refused(w, r, conn, nil, le, false)
		return false
	}
	requestID = pr.root.SelectAttrValue("InResponseTo", "")
	if requestID == "" {
		requestID = unsignedSubjectInResponseTo(pr)
	}
	if len(requestID) > 256 {
		s.refused(w, r, conn, nil, refuse(ReasonRequestUnknown, "InResponseTo too long"), false)
		return false
	}
	if requestID == "" && !sp.allowIdPInitiated {
		return deny(refuse(ReasonUnsolicited, "IdP-initiated login is not enabled for this connection"), false)
	}
	if conn.State != store.ConnectionActive {
		// Consuming the request cannot be undone: first make sure the
		// connection is not active by now.
		if cached && s.connectionChanged(ctx, conn) {
			return true
		}
		if requestID != "" {
			var rle *LoginError
			lr, rle = s.consumeBoundRequest(r, conn, requestID)
			if rle != nil {
				s.refused(w, r, conn, nil, rle, false)
				return false
			}
			consumed = true
		}
		if !usable(conn, lr != nil && lr.Test) {
			return deny(refuse(ReasonConnectionInactive, "the connection is %s", conn.State), false)
		}
	}
	res, le := s.verifySAMLResponse(sp, pr, now)
	if le != nil {
		return deny(le, false)
	}
	if le := s.checkSAMLResponse(sp, res, requestID, now); le != nil {
		return deny(le, true)
	}
	p := samlProfile(conn, res)
	if requestID == "" {
		p.IdPInitiated = true
		p.ReturnTo = sanitizeReturnTo(relayState, s.allow)
	}
	lc := store.LoginCompletion{
		ConnectionID: conn.ID, ConnectionVersion: conn.Version,
		AssertionID: res.AssertionID, AssertionExpiresAt: replayExpiry(res, s.cfg.ClockSkew), Now: now,
	}
	if !consumed {
		lc.RequestID = requestID
	}
	return s.complete(w, r, &login{conn: conn, lr: lr, profile: p, commit: lc, deny: deny, requeue: consumed})
}

// unsignedSubjectInResponseTo returns the InResponseTo of the assertion's
// bearer confirmation, for responses that carry it only there. It only
// selects the pending request to consume; the signed value is checked later.
func unsignedSubjectInResponseTo(pr *parsedResponse) string {
	if pr.assertion == nil || pr.assertion.Tag != "Assertion" {
		return ""
	}
	d := pr.assertion.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData")
	if d == nil {
		return ""
	}
	return d.SelectAttrValue("InResponseTo", "")
}

// consumeBoundRequest consumes the pending request id for a response posted
// to conn's ACS. A request of another connection or another browser is put
// back untouched (the Store has no read without consuming) and refused.
func (s *SSO) consumeBoundRequest(r *http.Request, conn *store.Connection, id string) (*store.LoginRequest, *LoginError) {
	ctx := r.Context()
	lr, le := s.consumeRequest(r, conn, id)
	if le == nil {
		return lr, nil
	}
	if lr != nil {
		restored := *lr
		if err := s.st.CreateLoginRequest(ctx, &restored); err != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "ssokit: restoring a login request", slog.String("connection", lr.ConnectionID), slog.Any("err", err))
		}
	}
	return nil, le
}
