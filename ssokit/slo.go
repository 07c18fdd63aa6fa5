package ssokit

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/onboardkit/onboardkit/store"
)

// Events of Single Logout and back-channel logout.
const (
	// EventLogoutReceived: an IdP's LogoutRequest or an OIDC logout_token
	// was verified and the matching sessions ended. Data: protocol,
	// sessions_ended.
	EventLogoutReceived = "sso.logout.received"
	// EventLogoutFailed: a LogoutRequest, LogoutResponse or logout_token
	// was refused. Data: a LoginError.
	EventLogoutFailed = "sso.logout.failed"
	// EventLogoutCompleted: the IdP answered an SP-initiated logout.
	// Data: protocol, status.
	EventLogoutCompleted = "sso.logout.completed"
)

// ErrNoIdPLogout: the connection has no IdP logout endpoint (no SAML
// Single Logout service, or no OIDC end_session_endpoint), or no SP key to
// sign a LogoutRequest. The caller ends its own session and redirects.
var ErrNoIdPLogout = errors.New("ssokit: the identity provider has no logout endpoint for this connection")

// logoutIDPrefix starts the ids of SP-initiated logout requests, which are
// kept as pending login requests: a LogoutResponse may only consume an id
// with this prefix, so that it never spends a pending login.
const logoutIDPrefix = "lo_"

// LogoutOptions names the IdP session to end with StartLogout. The session
// layer keeps these values from the Profile of the login.
type LogoutOptions struct {
	// ConnectionID is the connection the user signed in with. Required.
	ConnectionID string
	// NameID, NameIDFormat and SessionIndex are the Profile's Subject,
	// SubjectFormat and SessionIndex of a SAML login. NameID is required
	// for SAML.
	NameID       string
	NameIDFormat string
	SessionIndex string
	// IDToken is the Profile's IDToken of an OIDC login, sent as
	// id_token_hint. Optional but recommended: without it most providers
	// ask the user to confirm.
	IDToken string
	// ReturnTo is where the browser goes once the IdP answered; sanitized
	// like a login's return_to. Default "/".
	ReturnTo string
}

// StartLogout sends the browser to the connection's IdP to end the IdP
// session too (SP-initiated SAML Single Logout, or OIDC RP-initiated
// logout). Call it after ending the application's own session: the IdP's
// answer comes back to this handler, which checks it and redirects to
// opts.ReturnTo. It returns ErrNoIdPLogout when the IdP has no logout
// endpoint; nothing is written to w then.
func (s *SSO) StartLogout(w http.ResponseWriter, r *http.Request, opts LogoutOptions) error {
	conn, err := s.getConnection(r.Context(), opts.ConnectionID)
	if err != nil {
		return err
	}
	returnTo := sanitizeReturnTo(opts.ReturnTo, s.allow)
	switch conn.Protocol {
	case store.ProtocolSAML:
		return s.startSAMLLogout(w, r, conn, opts, returnTo)
	case store.ProtocolOIDC:
		return s.startOIDCLogout(w, r, conn, opts, returnTo)
	}
	return ErrConnectionNotFound
}

// startSAMLLogout sends a signed LogoutRequest: HTTP-Redirect when the IdP
// has a redirect endpoint (the query string is signed), else HTTP-POST
// (the message carries an enveloped signature).
func (s *SSO) startSAMLLogout(w http.ResponseWriter, r *http.Request, conn *store.Connection, opts LogoutOptions, returnTo string) error {
	sp, err := s.samlSPFor(conn)
	if err != nil {
		return err
	}
	if sp.key == nil || (sp.idpSLOURL == "" && sp.idpSLOPostURL == "") {
		return ErrNoIdPLogout
	}
	if opts.NameID == "" {
		return fmt.Errorf("%w: LogoutOptions.NameID is required for SAML", ErrBadRequest)
	}
	id, err := s.newID(strings.TrimSuffix(logoutIDPrefix, "_"))
	if err != nil {
		return err
	}
	if _, err := s.newLoginRequest(w, r, conn, id, returnTo, false, nil); err != nil {
		return err
	}
	req := &saml.LogoutRequest{
		ID:           id,
		Version:      "2.0",
		IssueInstant: s.now().UTC(),
		Issuer:       &saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: sp.entityID},
		NameID:       &saml.NameID{Format: opts.NameIDFormat, Value: opts.NameID},
	}
	if opts.SessionIndex != "" {
		req.SessionIndex = &saml.SessionIndex{Value: opts.SessionIndex}
	}
	if sp.idpSLOURL != "" {
		req.Destination = sp.idpSLOURL
		u, err := s.redirectURL(sp, sp.idpSLOURL, "SAMLRequest", req.Element(), id)
		if err != nil {
			return err
		}
		setNoStore(w)
		http.Redirect(w, r, u, http.StatusFound)
		return nil
	}
	req.Destination = sp.idpSLOPostURL
	el, err := signEnveloped(sp, req.Element())
	if err != nil {
		return err
	}
	return s.postMessage(w, sp.idpSLOPostURL, "SAMLRequest", el, id)
}

// IdPLogoutURL returns the IdP's Single Logout endpoint of a SAML
// connection, the one StartLogout uses (HTTP-Redirect, else HTTP-POST),
// set by hand (SAMLConfig.SLOURL, SLOPostURL) or read from the IdP
// metadata; "" when the IdP has none. For display, such as in the portal.
func (s *SSO) IdPLogoutURL(conn *store.Connection) (string, error) {
	sp, err := s.samlSPFor(conn)
	if err != nil {
		return "", err
	}
	if sp.idpSLOURL != "" {
		return sp.idpSLOURL, nil
	}
	return sp.idpSLOPostURL, nil
}

// sloMessage is a SAML message received at the SLO endpoint, decoded from
// its binding but not yet verified.
type sloMessage struct {
	request    bool // SAMLRequest, else SAMLResponse
	redirect   bool // HTTP-Redirect binding, else HTTP-POST
	raw        []byte
	relayState string
	// HTTP-Redirect signature: SigAlg, the signature value and the octets
	// it covers, as the bindings spec (3.4.4.1) defines them.
	sigAlg    string
	signature []byte
	signed    []byte
}

// handleSLO is the Single Logout endpoint of a SAML connection, for both
// bindings: a LogoutRequest from the IdP (IdP-initiated logout) or the
// LogoutResponse to a request this SP sent. As with the ACS, the
// connection comes from the URL, never from the message.
func (s *SSO) handleSLO(w http.ResponseWriter, r *http.Request) {
	conn, err := s.getConnection(r.Context(), r.PathValue("connection"))
	if err == nil && conn.Protocol != store.ProtocolSAML {
		err = ErrConnectionNotFound
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.overLimit(w, r, "logout", conn) {
		s.cfg.ErrorHandler(w, r, ErrTooManyRequests)
		return
	}
	m, err := s.readSLOMessage(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sp, err := s.samlSPFor(conn)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.now().UTC()
	if m.request {
		s.handleIdPLogout(w, r, conn, sp, m, now)
		return
	}
	s.handleLogoutResponse(w, r, conn, sp, m, now)
}

// readSLOMessage decodes the message of either binding within
// Config.MaxResponseSize: the query of a GET (HTTP-Redirect: base64 of
// DEFLATE, inflated with the same bound, so a deflate bomb costs nothing)
// or the form of a POST (base64).
func (s *SSO) readSLOMessage(w http.ResponseWriter, r *http.Request) (*sloMessage, error) {
	limit := s.cfg.MaxResponseSize
	if r.Method == http.MethodPost {
		raw, relay, request, err := s.readSAMLPostMessage(w, r)
		if err != nil {
			return nil, err
		}
		return &sloMessage{request: request, raw: raw, relayState: relay}, nil
	}
	q := r.URL.RawQuery
	if int64(len(q)) > limit {
		return nil, fmt.Errorf("%w: query larger than %d bytes", ErrBadRequest, limit)
	}
	rawVals := map[string]string{}
	for _, kv := range strings.Split(q, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature":
			if _, dup := rawVals[k]; dup {
				return nil, fmt.Errorf("%w: parameter %s repeated", ErrBadRequest, k)
			}
			rawVals[k] = v
		}
	}
	m := &sloMessage{redirect: true}
	field := "SAMLResponse"
	if _, ok := rawVals["SAMLRequest"]; ok {
		if _, both := rawVals["SAMLResponse"]; both {
			return nil, fmt.Errorf("%w: both SAMLRequest and SAMLResponse", ErrBadRequest)
		}
		m.request, field = true, "SAMLRequest"
	}
	rawMsg, ok := rawVals[field]
	if !ok {
		return nil, fmt.Errorf("%w: no SAMLRequest or SAMLResponse", ErrBadRequest)
	}
	unesc := func(k string) (string, error) {
		v, err := url.QueryUnescape(rawVals[k])
		if err != nil {
			return "", fmt.Errorf("%w: %s is not URL-encoded", ErrBadRequest, k)
		}
		return v, nil
	}
	b64, err := unesc(field)
	if err != nil {
		return nil, err
	}
	deflated, err := base64.StdEncoding.DecodeString(stripSpace(b64))
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not base64", ErrBadRequest, field)
	}
	m.raw, err = io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(deflated)), limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not DEFLATE data", ErrBadRequest, field)
	}
	if int64(len(m.raw)) > limit {
		return nil, fmt.Errorf("%w: inflated %s larger than %d bytes", ErrBadRequest, field, limit)
	}
	if m.relayState, err = unesc("RelayState"); err != nil {
		return nil, err
	}
	if _, ok := rawVals["Signature"]; ok {
		if m.sigAlg, err = unesc("SigAlg"); err != nil {
			return nil, err
		}
		sig, err := unesc("Signature")
		if err != nil {
			return nil, err
		}
		if m.signature, err = base64.StdEncoding.DecodeString(stripSpace(sig)); err != nil {
			return nil, fmt.Errorf("%w: Signature is not base64", ErrBadRequest)
		}
		// The signed octets are the parameters as received, URL-encoded,
		// in this order (SAML bindings 3.4.4.1).
		signed := field + "=" + rawMsg
		if rs, ok := rawVals["RelayState"]; ok {
			signed += "&RelayState=" + rs
		}
		signed += "&SigAlg=" + rawVals["SigAlg"]
		m.signed = []byte(signed)
	}
	return m, nil
}

// readSAMLPostMessage reads SAMLRequest or SAMLResponse (exactly one) and
// RelayState from an HTTP-POST binding form.
func (s *SSO) readSAMLPostMessage(w http.ResponseWriter, r *http.Request) (raw []byte, relayState string, request bool, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxResponseSize)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", false, fmt.Errorf("%w: body larger than %d bytes", ErrBadRequest, s.cfg.MaxResponseSize)
		}
		return nil, "", false, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	req, resp := r.PostForm["SAMLRequest"], r.PostForm["SAMLResponse"]
	var b64 string
	switch {
	case len(req) == 1 && len(resp) == 0:
		b64, request = req[0], true
	case len(resp) == 1 && len(req) == 0:
		b64 = resp[0]
	default:
		return nil, "", false, fmt.Errorf("%w: want exactly one SAMLRequest or SAMLResponse", ErrBadRequest)
	}
	raw, err = base64.StdEncoding.DecodeString(stripSpace(b64))
	if err != nil {
		return nil, "", false, fmt.Errorf("%w: SAML message is not base64", ErrBadRequest)
	}
	return raw, r.PostForm.Get("RelayState"), request, nil
}

// verifySLOMessage checks the message's shape (the ACS's XML hygiene) and
// its signature with the connection's certificates only, and returns the
// root element read from the bytes the signature covers. An HTTP-Redirect
// message is signed over the query string; an HTTP-POST one carries an
// enveloped signature. Unsigned messages are refused.
func (s *SSO) verifySLOMessage(sp *samlSP, m *sloMessage, tag string, now time.Time) (*etree.Element, *LoginError) {
	root, le := readSAMLDocument(m.raw, tag)
	if le != nil {
		return nil, le
	}
	if le := walkXML(root, func(el *etree.Element, _ int) *LoginError {
		switch el.Tag {
		case "Assertion", "EncryptedAssertion":
			return refuse(ReasonStructure, "assertion inside a logout message")
		case "Signature":
			if el.NamespaceURI() != nsDSig || el.Parent() != root {
				return refuse(ReasonStructure, "signature in an unexpected place")
			}
		}
		return nil
	}); le != nil {
		return nil, le
	}
	if m.redirect {
		if m.signature == nil {
			return nil, refuse(ReasonUnsigned, "logout message is not signed (no Signature parameter)")
		}
		if le := verifyRedirectSignature(sp, m, now); le != nil {
			return nil, le
		}
		return root, nil
	}
	sig, err := oneChild(root, nsDSig, "Signature")
	if err != nil {
		return nil, refuse(ReasonStructure, "%v", err)
	}
	if sig == nil {
		return nil, refuse(ReasonUnsigned, "logout message is not signed")
	}
	return verifyEnveloped(sp, root, sig, now)
}

// redirectSigAlgs maps the SigAlg values ssokit accepts to x509's.
var redirectSigAlgs = map[string]x509.SignatureAlgorithm{
	dsig.RSASHA256SignatureMethod:   x509.SHA256WithRSA,
	dsig.RSASHA384SignatureMethod:   x509.SHA384WithRSA,
	dsig.RSASHA512SignatureMethod:   x509.SHA512WithRSA,
	dsig.ECDSASHA256SignatureMethod: x509.ECDSAWithSHA256,
	dsig.ECDSASHA384SignatureMethod: x509.ECDSAWithSHA384,
	dsig.ECDSASHA512SignatureMethod: x509.ECDSAWithSHA512,
	dsig.RSASHA1SignatureMethod:     x509.SHA1WithRSA,
	dsig.ECDSASHA1SignatureMethod:   x509.ECDSAWithSHA1,
}

// verifyRedirectSignature checks the query-string signature of an
// HTTP-Redirect message with the connection's certificates (valid at now),
// under the ACS's algorithm allowlist.
func verifyRedirectSignature(sp *samlSP, m *sloMessage, now time.Time) *LoginError {
	alg, ok := redirectSigAlgs[m.sigAlg]
	if !ok || (!allowedSigMethods[m.sigAlg] && !(sp.allowSHA1 && sha1SigMethods[m.sigAlg])) {
		le := refuse(ReasonAlgorithm, "signature algorithm %q is not allowed", truncate(m.sigAlg, 100))
		le.Algorithm = truncate(m.sigAlg, 100)
		return le
	}
	var expired []string
	for _, c := range sp.certs {
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			expired = append(expired, thumbprint(c))
			continue
		}
		if err := checkSignatureSHA1OK(c, alg, m.signed, m.signature); err == nil {
			return nil
		}
	}
	if len(expired) == len(sp.certs) {
		le := refuse(ReasonCertificateExpired, "the signing certificate is outside its validity period")
		le.CertificateThumbprints, le.TrustedThumbprints, le.Now = expired, sp.thumbs, now
		return le
	}
	le := refuse(ReasonBadSignature, "query-string signature does not verify with the connection's certificates")
	le.TrustedThumbprints = sp.thumbs
	return le
}

// checkSignatureSHA1OK is x509.Certificate.CheckSignature, which refuses
// SHA-1 outright; the allowlist above already decided whether SHA-1 may be
// used, so it is verified here by hand.
func checkSignatureSHA1OK(c *x509.Certificate, alg x509.SignatureAlgorithm, signed, sig []byte) error {
	if alg != x509.SHA1WithRSA && alg != x509.ECDSAWithSHA1 {
		return c.CheckSignature(alg, signed, sig)
	}
	h := crypto.SHA1.New()
	h.Write(signed)
	sum := h.Sum(nil)
	switch pub := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if alg == x509.SHA1WithRSA {
			return rsa.VerifyPKCS1v15(pub, crypto.SHA1, sum, sig)
		}
	}
	return errors.New("unsupported SHA-1 signature")
}

// logoutRequestMsg is what ssokit reads from a verified LogoutRequest.
type logoutRequestMsg struct {
	ID             string
	Destination    string
	Issuer         string
	IssueInstant   time.Time
	NotOnOrAfter   time.Time
	NameID         string
	NameIDFormat   string
	SessionIndexes []string
}

// readLogoutRequest reads a verified samlp:LogoutRequest. Only a plain
// NameID in the assertion namespace identifies the subject.
func readLogoutRequest(root *etree.Element) (*logoutRequestMsg, *LoginError) {
	lr := &logoutRequestMsg{ID: attrValue(root, "ID"), Destination: attrValue(root, "Destination")}
	if lr.ID == "" || len(lr.ID) > 256 {
		return nil, refuse(ReasonMalformed, "LogoutRequest ID missing or too long")
	}
	var err error
	if lr.IssueInstant, err = parseXSDateTime(root, "IssueInstant"); err != nil || lr.IssueInstant.IsZero() {
		return nil, refuse(ReasonMalformed, "LogoutRequest IssueInstant missing or malformed")
	}
	if lr.NotOnOrAfter, err = parseXSDateTime(root, "NotOnOrAfter"); err != nil {
		return nil, refuse(ReasonMalformed, "LogoutRequest: %v", err)
	}
	for _, c := range root.ChildElements() {
		ns := c.NamespaceURI()
		switch {
		case ns == nsAssertion && c.Tag == "Issuer":
			if lr.Issuer != "" {
				return nil, refuse(ReasonIssuer, "several Issuer elements")
			}
			if lr.Issuer, err = text(c); err != nil {
				return nil, refuse(ReasonIssuer, "%v", err)
			}
		case ns == nsAssertion && c.Tag == "NameID":
			if lr.NameID != "" {
				return nil, refuse(ReasonSubject, "several NameID elements")
			}
			if lr.NameID, err = text(c); err != nil {
				return nil, refuse(ReasonSubject, "NameID: %v", err)
			}
			lr.NameIDFormat = attrValue(c, "Format")
		case ns == nsProtocol && c.Tag == "SessionIndex":
			v, err := text(c)
			if err != nil || v == "" || len(lr.SessionIndexes) >= 32 {
				return nil, refuse(ReasonMalformed, "bad or too many SessionIndex elements")
			}
			lr.SessionIndexes = append(lr.SessionIndexes, v)
		case ns == nsDSig && c.Tag == "Signature", ns == nsProtocol && c.Tag == "Extensions":
		case ns == nsAssertion && (c.Tag == "EncryptedID" || c.Tag == "BaseID"):
			return nil, refuse(ReasonSubject, "<%s> subjects are not supported", c.Tag)
		default:
			return nil, refuse(ReasonSubject, "unexpected element <%s> of namespace %q", truncate(c.Tag, 60), truncate(ns, 100))
		}
	}
	if lr.NameID == "" {
		return nil, refuse(ReasonSubject, "LogoutRequest has no NameID")
	}
	return lr, nil
}

// logoutResponseMsg is what ssokit reads from a verified LogoutResponse.
type logoutResponseMsg struct {
	ID           string
	InResponseTo string
	Destination  string
	Issuer       string
	IssueInstant time.Time
	Status       string
}

func readLogoutResponse(root *etree.Element) (*logoutResponseMsg, *LoginError) {
	lr := &logoutResponseMsg{
		ID:           attrValue(root, "ID"),
		InResponseTo: attrValue(root, "InResponseTo"),
		Destination:  attrValue(root, "Destination"),
		Status:       statusCode(root),
	}
	if lr.ID == "" || len(lr.ID) > 256 || len(lr.InResponseTo) > 256 {
		return nil, refuse(ReasonMalformed, "LogoutResponse ID missing or too long")
	}
	var err error
	if lr.IssueInstant, err = parseXSDateTime(root, "IssueInstant"); err != nil || lr.IssueInstant.IsZero() {
		return nil, refuse(ReasonMalformed, "LogoutResponse IssueInstant missing or malformed")
	}
	iss, err := oneChild(root, nsAssertion, "Issuer")
	if err != nil || iss == nil {
		return nil, refuse(ReasonIssuer, "LogoutResponse must have exactly one Issuer")
	}
	if lr.Issuer, err = text(iss); err != nil {
		return nil, refuse(ReasonIssuer, "%v", err)
	}
	if lr.Status == "" {
		return nil, refuse(ReasonMalformed, "LogoutResponse has no Status")
	}
	return lr, nil
}

// checkLogoutMessage binds a verified logout message to this connection
// and this time: Issuer the connection's IdP, Destination this SLO URL,
// IssueInstant (and NotOnOrAfter when set) within the skew.
func (s *SSO) checkLogoutMessage(sp *samlSP, issuer, destination string, issued, notOnOrAfter, now time.Time) *LoginError {
	skew := s.cfg.ClockSkew
	if issuer != sp.idpEntityID {
		le := refuse(ReasonIssuer, "logout message Issuer is not the connection's IdP")
		le.Issuer, le.ExpectedIssuer = truncate(issuer, 200), sp.idpEntityID
		return le
	}
	if destination != sp.sloURL {
		le := refuse(ReasonDestination, "logout message Destination is not this connection's SLO URL")
		le.Destination, le.ExpectedDestination = truncate(destination, 200), sp.sloURL
		return le
	}
	if issued.After(now.Add(skew)) {
		le := refuse(ReasonNotYetValid, "IssueInstant is in the future")
		le.NotBefore, le.Now, le.Skew = issued, now, skew
		return le
	}
	if !now.Before(issued.Add(maxIssueAge + skew)) {
		le := refuse(ReasonExpired, "IssueInstant is too old")
		le.NotOnOrAfter, le.Now, le.Skew = issued.Add(maxIssueAge), now, skew
		return le
	}
	if !notOnOrAfter.IsZero() && !now.Before(notOnOrAfter.Add(skew)) {
		le := refuse(ReasonExpired, "LogoutRequest NotOnOrAfter has passed")
		le.NotOnOrAfter, le.Now, le.Skew = notOnOrAfter, now, skew
		return le
	}
	return nil
}

// verifyIdPLogout verifies a LogoutRequest received at conn's SLO
// endpoint, without the Store.
func (s *SSO) verifyIdPLogout(sp *samlSP, m *sloMessage, now time.Time) (*logoutRequestMsg, *LoginError) {
	root, le := s.verifySLOMessage(sp, m, "LogoutRequest", now)
	if le != nil {
		return nil, le
	}
	req, le := readLogoutRequest(root)
	if le != nil {
		return nil, le
	}
	if le := s.checkLogoutMessage(sp, req.Issuer, req.Destination, req.IssueInstant, req.NotOnOrAfter, now); le != nil {
		return nil, le
	}
	return req, nil
}

// handleIdPLogout serves an IdP-initiated LogoutRequest: verify (pure),
// then commit (the request id into the replay cache, with the event; then
// the matching sessions of this connection end), then answer the IdP with
// a signed LogoutResponse.
func (s *SSO) handleIdPLogout(w http.ResponseWriter, r *http.Request, conn *store.Connection, sp *samlSP, m *sloMessage, now time.Time) {
	req, le := s.verifyIdPLogout(sp, m, now)
	if le != nil {
		s.refuseLogout(w, r, conn, le)
		return
	}
	expires := req.IssueInstant.Add(maxIssueAge)
	if req.NotOnOrAfter.After(expires) {
		expires = req.NotOnOrAfter
	}
	ev, err := s.event(EventLogoutReceived, conn.OrgID, conn.ID, "idp", map[string]any{"protocol": "saml", "request_id": req.ID})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.st.ConsumeAssertionID(r.Context(), conn.ID, "slo:"+req.ID, expires.Add(s.cfg.ClockSkew), now, ev)
	if errors.Is(err, store.ErrAlreadyExists) {
		le := refuse(ReasonReplayed, "LogoutRequest id already used")
		le.AssertionID = truncate(req.ID, 100)
		s.refuseLogout(w, r, conn, le)
		return
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("ssokit: recording logout request: %w", err))
		return
	}
	n, err := s.endSessions(r.Context(), logoutTarget{conn: conn, nameID: req.NameID, sessionIndexes: req.SessionIndexes}, now)
	status := statusSuccess
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "ssokit: ending sessions for a SAML LogoutRequest",
			slog.String("connection", conn.ID), slog.Any("err", err))
		status = "urn:oasis:names:tc:SAML:2.0:status:Responder"
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "ssokit: IdP-initiated SAML logout",
		slog.String("connection", conn.ID), slog.String("org", conn.OrgID), slog.Int("sessions_ended", n))
	s.answerLogoutRequest(w, r, sp, req.ID, status, m)
}

// answerLogoutRequest sends the signed LogoutResponse to the IdP, with the
// binding the request came with when the IdP has an endpoint for it.
func (s *SSO) answerLogoutRequest(w http.ResponseWriter, r *http.Request, sp *samlSP, inResponseTo, status string, m *sloMessage) {
	redirect := sp.idpSLORespURL != "" && (m.redirect || sp.idpSLOPostRespURL == "")
	dest := sp.idpSLOPostRespURL
	if redirect {
		dest = sp.idpSLORespURL
	}
	if dest == "" || sp.key == nil {
		// Nowhere to answer: tell the browser.
		setNoStore(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		_ = errorPage.Execute(w, "You have been signed out")
		return
	}
	id, err := s.newID("id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp := &saml.LogoutResponse{
		ID:           id,
		InResponseTo: inResponseTo,
		Version:      "2.0",
		IssueInstant: s.now().UTC(),
		Destination:  dest,
		Issuer:       &saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: sp.entityID},
		Status:       saml.Status{StatusCode: saml.StatusCode{Value: status}},
	}
	relay := m.relayState
	if len(relay) > 80 {
		relay = "" // the bindings cap RelayState at 80 bytes
	}
	if redirect {
		u, err := s.redirectURL(sp, dest, "SAMLResponse", resp.Element(), relay)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		setNoStore(w)
		http.Redirect(w, r, u, http.StatusFound)
		return
	}
	el, err := signEnveloped(sp, resp.Element())
	if err == nil {
		err = s.postMessage(w, dest, "SAMLResponse", el, relay)
	}
	if err != nil {
		s.fail(w, r, err)
	}
}

// handleLogoutResponse serves the IdP's answer to an SP-initiated logout:
// verify (pure), then consume the pending logout request it answers (bound
// to this browser and connection), then redirect to its ReturnTo. The
// application's session was ended before the browser left, so a failure
// status is reported (log, event) but the user still lands signed out.
func (s *SSO) handleLogoutResponse(w http.ResponseWriter, r *http.Request, conn *store.Connection, sp *samlSP, m *sloMessage, now time.Time) {
	root, le := s.verifySLOMessage(sp, m, "LogoutResponse", now)
	var resp *logoutResponseMsg
	if le == nil {
		resp, le = readLogoutResponse(root)
	}
	if le == nil {
		le = s.checkLogoutMessage(sp, resp.Issuer, resp.Destination, resp.IssueInstant, time.Time{}, now)
	}
	if le == nil && !strings.HasPrefix(resp.InResponseTo, logoutIDPrefix) {
		le = refuse(ReasonInResponseTo, "LogoutResponse InResponseTo is not a logout request of this SP")
		le.InResponseTo = truncate(resp.InResponseTo, 100)
	}
	if le != nil {
		s.refuseLogout(w, r, conn, le)
		return
	}
	lr, le := s.consumeRequest(r, conn, resp.InResponseTo)
	if le != nil {
		s.refuseLogout(w, r, conn, le)
		return
	}
	ev, err := s.event(EventLogoutCompleted, conn.OrgID, conn.ID, "idp", map[string]any{"protocol": "saml", "status": resp.Status})
	if err == nil {
		_, err = s.st.AppendEvents(r.Context(), ev)
	}
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "ssokit: recording logout", slog.Any("err", err))
	}
	if resp.Status != statusSuccess {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "ssokit: the IdP did not end its session",
			slog.String("connection", conn.ID), slog.String("status", truncate(resp.Status, 100)))
	}
	setNoStore(w)
	http.Redirect(w, r, lr.ReturnTo, http.StatusSeeOther)
}

// refuseLogout records and reports a refused logout message.
func (s *SSO) refuseLogout(w http.ResponseWriter, r *http.Request, conn *store.Connection, le *LoginError) {
	s.recordRefusedLogout(r, conn, le, "ssokit: logout refused")
	s.cfg.ErrorHandler(w, r, le)
}

// recordRefusedLogout writes the sso.logout.failed event of a refused
// logout message of conn, within Config.Limits.RefusalEvents, and logs
// why, with msg.
func (s *SSO) recordRefusedLogout(r *http.Request, conn *store.Connection, le *LoginError, msg string) {
	le.ConnectionID, le.OrgID, le.Protocol = conn.ID, conn.OrgID, conn.Protocol
	recorded := s.refusals.Allow(conn.ID) <= 0
	if recorded {
		ev, err := s.event(EventLogoutFailed, conn.OrgID, conn.ID, "system", le)
		if err == nil {
			_, err = s.st.AppendEvents(r.Context(), ev)
		}
		if err != nil {
			s.log.LogAttrs(r.Context(), slog.LevelError, "ssokit: recording refused logout", slog.Any("err", err))
		}
	}
	s.log.LogAttrs(r.Context(), slog.LevelWarn, msg,
		slog.String("reason", string(le.Reason)), slog.String("connection", conn.ID),
		slog.String("org", conn.OrgID), slog.String("detail", le.Detail), slog.Any("err", le.Err),
		slog.Bool("event_recorded", recorded))
}

// signEnveloped signs el (a LogoutRequest or LogoutResponse with an
// Issuer) with the SP key, RSA-SHA256, the Signature placed after the
// Issuer as the schema wants.
func signEnveloped(sp *samlSP, el *etree.Element) (*etree.Element, error) {
	if sp.key == nil {
		return nil, ErrNoIdPLogout
	}
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(tlsCert(sp)))
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return nil, err
	}
	// The canonicalizer rewrites its input: sign a copy (every namespace
	// el uses is declared on el itself).
	sig, err := ctx.ConstructSignature(el.Copy(), true)
	if err != nil {
		return nil, fmt.Errorf("ssokit: signing %s: %w", el.Tag, err)
	}
	at := 0
	for i, tok := range el.Child {
		if c, ok := tok.(*etree.Element); ok && c.Tag == "Issuer" {
			at = i + 1
		}
	}
	el.InsertChildAt(at, sig)
	return el, nil
}

// redirectURL encodes el for the HTTP-Redirect binding to dest and signs
// the query string with the SP key (RSA-SHA256), as the bindings spec
// (3.4.4.1) says.
func (s *SSO) redirectURL(sp *samlSP, dest, field string, el *etree.Element, relayState string) (string, error) {
	if sp.key == nil {
		return "", ErrNoIdPLogout
	}
	doc := etree.NewDocument()
	doc.SetRoot(el)
	var buf bytes.Buffer
	b64 := base64.NewEncoder(base64.StdEncoding, &buf)
	fw, _ := flate.NewWriter(b64, flate.BestCompression)
	if _, err := doc.WriteTo(fw); err != nil {
		return "", err
	}
	if err := fw.Close(); err != nil {
		return "", err
	}
	if err := b64.Close(); err != nil {
		return "", err
	}
	q := field + "=" + url.QueryEscape(buf.String())
	if relayState != "" {
		q += "&RelayState=" + url.QueryEscape(relayState)
	}
	q += "&SigAlg=" + url.QueryEscape(dsig.RSASHA256SignatureMethod)
	sum := crypto.SHA256.New()
	sum.Write([]byte(q))
	sig, err := rsa.SignPKCS1v15(s.rand, sp.key, crypto.SHA256, sum.Sum(nil))
	if err != nil {
		return "", err
	}
	q += "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
	sep := "?"
	if strings.Contains(dest, "?") {
		sep = "&"
	}
	return dest + sep + q, nil
}

// postMessage writes the auto-submitting HTTP-POST binding form of el to
// dest.
func (s *SSO) postMessage(w http.ResponseWriter, dest, field string, el *etree.Element, relayState string) error {
	doc := etree.NewDocument()
	doc.SetRoot(el)
	raw, err := doc.WriteToBytes()
	if err != nil {
		return err
	}
	var form bytes.Buffer
	err = postForm.Execute(&form, struct{ URL, Field, Value, RelayState string }{
		dest, field, base64.StdEncoding.EncodeToString(raw), relayState})
	if err != nil {
		return err
	}
	setNoStore(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; form-action "+originOf(dest)+"; frame-ancestors 'none'")
	_, err = w.Write(postPage(form.Bytes()))
	return err
}

var postForm = template.Must(template.New("post").Parse(`<form method="post" action="{{.URL}}" id="f">` +
	`<input type="hidden" name="{{.Field}}" value="{{.Value}}">` +
	`{{if .RelayState}}<input type="hidden" name="RelayState" value="{{.RelayState}}">{{end}}` +
	`<noscript><button type="submit">Continue</button></noscript></form>` +
	`<script>document.getElementById("f").submit()</script>`))

func tlsCert(sp *samlSP) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{sp.cert.Raw}, PrivateKey: sp.key, Leaf: sp.cert}
}

// logoutTarget names the sessions an IdP asked to end: those of one
// connection whose SAML NameID (and, when given, SessionIndex) or OIDC sub
// and/or sid match.
type logoutTarget struct {
	conn           *store.Connection
	nameID         string
	sessionIndexes []string
	subject        string
	sid            string
}
