package ssokit

import (
	"context"
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
func (s *SSO) handleACS(w http.ResponseWriter, r *http.Request) {
	conn, err := s.getConnection(r.Context(), r.PathValue("connection"))
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
	s.consumeSAML(w, r, conn, raw, r.PostForm.Get("RelayState"))
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

func (s *SSO) consumeSAML(w http.ResponseWriter, r *http.Request, conn *store.Connection, raw []byte, relayState string) {
	now := s.now().UTC()
	sp, err := s.samlSPFor(conn)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pr, le := parseSAMLResponse(raw)
	if le != nil {
		s.refused(w, r, conn, nil, le, false)
		return
	}
	// The pending request named by the (not yet verified) InResponseTo is
	// consumed when it belongs to this connection and this browser (else it
	// is put back, so that knowing a request id does not let anyone cancel
	// someone else's login); its id is only trusted once the signed
	// InResponseTo matches it (checkSAMLResponse).
	requestID := pr.root.SelectAttrValue("InResponseTo", "")
	if requestID == "" {
		requestID = unsignedSubjectInResponseTo(pr)
	}
	if len(requestID) > 256 {
		s.refused(w, r, conn, nil, refuse(ReasonRequestUnknown, "InResponseTo too long"), false)
		return
	}
	var lr *store.LoginRequest
	if requestID != "" {
		var le *LoginError
		lr, le = s.consumeBoundRequest(r, conn, requestID)
		if le != nil {
			s.refused(w, r, conn, nil, le, false)
			return
		}
	} else if !sp.allowIdPInitiated {
		s.refused(w, r, conn, nil, refuse(ReasonUnsolicited, "IdP-initiated login is not enabled for this connection"), false)
		return
	}
	test := lr != nil && lr.Test
	if !usable(conn, test) {
		s.refused(w, r, conn, lr, refuse(ReasonConnectionInactive, "the connection is %s", conn.State), false)
		return
	}
	// The request is consumed before the signature is checked, so that a
	// test flow gets its diagnosis when the signature fails.
	res, le := s.verifySAMLResponse(sp, pr, now)
	if le != nil {
		s.refused(w, r, conn, lr, le, false)
		return
	}
	if le := s.checkSAMLResponse(sp, res, requestID, now); le != nil {
		s.refused(w, r, conn, lr, le, true)
		return
	}
	p := samlProfile(conn, res)
	if lr == nil {
		p.IdPInitiated = true
		p.ReturnTo = sanitizeReturnTo(relayState, s.allow)
	}
	// The replay cache is one guarded write that holds across app
	// instances. complete makes it once the profile passed its checks,
	// carrying the login's success event, so that a login costs two
	// writes: this one and consuming the request.
	expiry := replayExpiry(res, s.cfg.ClockSkew)
	s.complete(w, r, conn, lr, p, func(ctx context.Context, events []store.Event) (*LoginError, error) {
		err := s.st.ConsumeAssertionID(ctx, conn.ID, res.AssertionID, expiry, now, events...)
		if errors.Is(err, store.ErrAlreadyExists) {
			le := refuse(ReasonReplayed, "this assertion was already used")
			le.AssertionID = res.AssertionID
			return le, nil
		}
		if err != nil {
			return nil, fmt.Errorf("ssokit: replay cache: %w", err)
		}
		return nil, nil
	})
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
	lr, err := s.st.ConsumeLoginRequest(ctx, id, s.now().UTC())
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid):
		le := refuse(ReasonRequestUnknown, "no pending login request with this id: unknown, already used or foreign")
		le.InResponseTo = id
		return nil, le
	case errors.Is(err, store.ErrExpired):
		le := refuse(ReasonRequestUnknown, "the login request expired")
		le.InResponseTo = id
		return nil, le
	case err != nil:
		return nil, &LoginError{Reason: ReasonRequestUnknown, Detail: "store error", Err: err}
	}
	var le *LoginError
	switch {
	case lr.ConnectionID != conn.ID || lr.Protocol != conn.Protocol:
		le = refuse(ReasonInResponseTo, "the login request belongs to another connection")
		le.InResponseTo = id
	case !boundTo(r, lr.Binding):
		le = refuse(ReasonBrowserMismatch, "the login was started in another browser (binding cookie missing or different)")
	default:
		return lr, nil
	}
	restored := *lr
	if err := s.st.CreateLoginRequest(ctx, &restored); err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "ssokit: restoring a login request", slog.String("connection", lr.ConnectionID), slog.Any("err", err))
	}
	return nil, le
}
