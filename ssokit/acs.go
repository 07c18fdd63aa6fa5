package ssokit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/internal/telemetry"
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
// It verifies the response without the Store, then accepts the login with
// one Store write (acceptSAML), then answers. The connection row may come
// from the cache: the write checks that its Version is still current, and
// a refusal reached with a cached row is only reported once the stored row
// is known to be the same. When the row changed, the response is accepted
// once more with the stored row; the first attempt wrote nothing.
func (s *SSO) handleACS(w http.ResponseWriter, r *http.Request) {
	s.traceLogin(w, r, telemetry.SpanSSOACS, store.ProtocolSAML, s.acs)
}

// acs serves the ACS (see handleACS) and returns what it answered: nil
// for a login, else the refusal or error.
func (s *SSO) acs(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("connection")
	conn, cached, err := s.cachedConnection(r.Context(), id)
	if err == nil && conn.Protocol != store.ProtocolSAML {
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
	raw, relayState, err := s.readSAMLPost(w, r)
	if err != nil {
		return s.fail(w, r, err)
	}
	now := s.now().UTC()
	v := s.acceptSAML(r, conn, raw, relayState, now)
	if stale := errors.Is(v.err, store.ErrConflict); stale || cached && v.committed == nil {
		fresh, changed, err := s.storedConnection(r.Context(), conn)
		if err != nil {
			return s.fail(w, r, err)
		}
		if stale || changed {
			conn = fresh
			v = s.acceptSAML(r, conn, raw, relayState, now)
		}
	}
	switch {
	case errors.Is(v.err, store.ErrConflict):
		return s.fail(w, r, fmt.Errorf("ssokit: connection %s changed twice during one login; try again", id))
	case v.err != nil:
		return s.fail(w, r, v.err)
	case v.refused != nil:
		return s.refuseSAML(w, r, conn, v)
	default:
		return s.loggedIn(w, r, conn, v.committed)
	}
}

// acceptSAML verifies a SAML response posted to conn's ACS (verifySAML)
// and, when it passes, commits the login (commitLogin).
func (s *SSO) acceptSAML(r *http.Request, conn *store.Connection, raw []byte, relayState string, now time.Time) *samlVerdict {
	_, sp := s.tel.Tracer.Start(r.Context(), telemetry.SpanSSOVerify)
	v := s.verifySAML(conn, raw, relayState, now)
	endVerify(sp, v.refused, v.err)
	if v.login == nil {
		return v
	}
	c, err := s.commitLogin(r, v.login)
	switch {
	case err != nil:
		v.err = err
	case c.refused != nil:
		v.refused = c.refused
		if c.requestRefused {
			v.requestID = "" // the request is the problem: leave it
		}
	default:
		v.committed = c
	}
	return v
}

// readSAMLPost reads the SAMLResponse and RelayState of an HTTP-POST
// binding, within Config.MaxResponseSize.
func (s *SSO) readSAMLPost(w http.ResponseWriter, r *http.Request) (raw []byte, relayState string, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxResponseSize)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", fmt.Errorf("%w: body larger than %d bytes", ErrBadRequest, s.cfg.MaxResponseSize)
		}
		return nil, "", fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	b64 := r.PostForm.Get("SAMLResponse")
	if b64 == "" {
		return nil, "", fmt.Errorf("%w: no SAMLResponse", ErrBadRequest)
	}
	raw, err = base64.StdEncoding.DecodeString(stripSpace(b64))
	if err != nil {
		return nil, "", fmt.Errorf("%w: SAMLResponse is not base64", ErrBadRequest)
	}
	return raw, r.PostForm.Get("RelayState"), nil
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

// samlVerdict is what acceptSAML decided about a SAML response.
type samlVerdict struct {
	// requestID is the pending request the response answers, read from
	// the (not yet verified) InResponseTo: the write consumes it only if
	// the signed value matches it (checkSAMLResponse). "" for an
	// IdP-initiated response, and when the request is not to be touched
	// by a refusal (the problem is the request itself).
	requestID string
	login     *login     // the verified login, to commit
	committed *committed // the login accepted
	refused   *LoginError
	// record: the refusal is worth an event even without a request of
	// this browser (the signature verified).
	record bool
	err    error // a failure that is not the response's fault, or store.ErrConflict
}

// verifySAML checks a SAML response posted to conn's ACS, without the
// Store: the message and its signature, its binding to this connection,
// request and time, and the profile's email.
func (s *SSO) verifySAML(conn *store.Connection, raw []byte, relayState string, now time.Time) *samlVerdict {
	sp, err := s.samlSPFor(conn)
	if err != nil {
		return &samlVerdict{err: err}
	}
	pr, le := parseSAMLResponse(raw)
	if le != nil {
		return &samlVerdict{refused: le}
	}
	requestID := attrValue(pr.root, "InResponseTo")
	if requestID == "" {
		requestID = unsignedSubjectInResponseTo(pr)
	}
	if len(requestID) > 256 {
		return &samlVerdict{refused: refuse(ReasonRequestUnknown, "InResponseTo too long")}
	}
	v := &samlVerdict{requestID: requestID}
	if requestID == "" && !sp.allowIdPInitiated {
		v.refused = refuse(ReasonUnsolicited, "IdP-initiated login is not enabled for this connection")
		return v
	}
	res, le := s.verifySAMLResponse(sp, pr, now)
	if le != nil {
		v.refused = le
		return v
	}
	v.record = true // the signature verified
	if v.refused = s.checkSAMLResponse(sp, res, requestID, now); v.refused != nil {
		return v
	}
	p := samlProfile(conn, res)
	if requestID == "" {
		p.IdPInitiated = true
		p.ReturnTo = sanitizeReturnTo(relayState, s.allow)
	}
	e, le := profileEmail(conn, p)
	if le != nil {
		v.refused = le
		return v
	}
	v.login = &login{conn: conn, profile: p, email: e, commit: store.LoginCompletion{
		ConnectionID: conn.ID, ConnectionVersion: conn.Version, RequestID: requestID,
		AssertionID: res.AssertionID, AssertionExpiresAt: replayExpiry(res, sp.skew), Now: now,
	}}
	return v
}

// refuseSAML reports a refused SAML response. The pending request it names
// is consumed first (when it is this connection's and this browser's), so
// that a test flow gets its diagnosis; a request of another connection or
// browser is left alone, and that is the refusal reported.
func (s *SSO) refuseSAML(w http.ResponseWriter, r *http.Request, conn *store.Connection, v *samlVerdict) error {
	var lr *store.LoginRequest
	if v.requestID != "" {
		var le *LoginError
		if lr, le = s.consumeRequest(r, conn, v.requestID); le != nil {
			return s.refused(w, r, conn, nil, le, false)
		}
	}
	return s.refused(w, r, conn, lr, v.refused, v.record)
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
	return attrValue(d, "InResponseTo")
}
