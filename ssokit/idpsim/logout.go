package idpsim

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/go-jose/go-jose/v4"
	dsig "github.com/russellhaering/goxmldsig"
)

// Logout faults. Besides these, logout messages and tokens take
// FaultUnsigned, FaultForeignKey, FaultWrongIssuer, FaultWrongDestination
// (SAML), FaultWrongAudience (OIDC), FaultExpired, FaultNotYetValid,
// FaultSHA1 and FaultDoctype (SAML).
const (
	// FaultForeignNameID names LogoutRequestOptions.ForgedNameID (another
	// tenant's user) instead of the user's NameID (SAML logout).
	FaultForeignNameID Fault = "foreign-nameid"
	// FaultLogoutNonce adds a nonce claim to a logout_token, which the
	// Back-Channel Logout spec forbids (OIDC logout).
	FaultLogoutNonce Fault = "logout-nonce"
	// FaultNoEvents omits the events claim of a logout_token (OIDC logout).
	FaultNoEvents Fault = "no-events"
)

var logoutFaults = []Fault{
	FaultUnsigned, FaultForeignKey, FaultWrongIssuer, FaultWrongDestination, FaultWrongAudience,
	FaultExpired, FaultNotYetValid, FaultSHA1, FaultDoctype, FaultForeignNameID, FaultLogoutNonce, FaultNoEvents,
}

// LogoutFaults lists the faults that apply to logout messages and tokens.
func LogoutFaults() []Fault { return slices.Clone(logoutFaults) }

func init() {
	faultDescriptions[FaultForeignNameID] = "NameID of another tenant's user"
	faultDescriptions[FaultLogoutNonce] = "logout_token carries a nonce"
	faultDescriptions[FaultNoEvents] = "logout_token without the events claim"
}

func checkLogoutFaults(fs []Fault) error {
	for _, f := range fs {
		if !slices.Contains(logoutFaults, f) {
			return fmt.Errorf("%w: %q does not apply to logout", ErrFaultNotApplicable, f)
		}
	}
	return nil
}

// LogoutMessage is a SAML logout message ready to be sent by a browser:
// a GET of URL (HTTP-Redirect binding), or a POST of Form to URL
// (HTTP-POST binding).
type LogoutMessage struct {
	Method string
	URL    string
	Form   url.Values
}

// NewRequest returns the HTTP request that delivers m.
func (m *LogoutMessage) NewRequest(ctx context.Context) (*http.Request, error) {
	if m.Method == http.MethodGet {
		return http.NewRequestWithContext(ctx, http.MethodGet, m.URL, nil)
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, strings.NewReader(m.Form.Encode()))
	if err == nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return r, err
}

// LogoutRequestOptions describe one IdP-initiated SAML LogoutRequest made
// by SAMLLogoutRequest.
type LogoutRequestOptions struct {
	// SP is the entity id of a registered service provider with an
	// SLOURL. Required.
	SP string
	// User is the subject; its NameID is shaped as the SP's preset shapes
	// it in assertions. Default: the first seed user.
	User User
	// NameID, when set, is sent instead of the User's.
	NameID string
	// SessionIndex, when set, names the IdP session to end (the
	// SessionIndex of the login's AuthnStatement).
	SessionIndex string
	// POST sends the HTTP-POST binding; default HTTP-Redirect.
	POST bool
	// RelayState is sent as is when set.
	RelayState string
	// Faults are logout faults (LogoutFaults).
	Faults []Fault
	// ForgedNameID is the NameID of FaultForeignNameID.
	ForgedNameID string
}

// SAMLLogoutRequest builds an IdP-initiated LogoutRequest to a registered
// SP's Single Logout endpoint, signed as the binding wants (the query
// string for HTTP-Redirect, an enveloped signature for HTTP-POST).
func (idp *IdP) SAMLLogoutRequest(opts LogoutRequestOptions) (*LogoutMessage, error) {
	sp, ok := idp.lookupSP(opts.SP)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownSP, opts.SP)
	}
	if sp.SLOURL == "" {
		return nil, fmt.Errorf("idpsim: SP %q has no SLOURL", sp.EntityID)
	}
	if err := checkLogoutFaults(opts.Faults); err != nil {
		return nil, err
	}
	fs := newFaultSet(opts.Faults)
	u, err := idp.resolveUser(opts.User)
	if err != nil {
		return nil, err
	}
	shape := idp.shapeSAML(sp.Preset, u)
	nameID := shape.nameID
	if opts.NameID != "" {
		nameID = opts.NameID
	}
	if fs[FaultForeignNameID] {
		nameID = opts.ForgedNameID
		if nameID == "" {
			nameID = "someone@other-tenant.example"
		}
	}
	id, err := idp.newID("id-")
	if err != nil {
		return nil, err
	}
	el := etree.NewElement("samlp:LogoutRequest")
	el.CreateAttr("xmlns:samlp", nsProtocol)
	el.CreateAttr("xmlns:saml", nsAssertion)
	el.CreateAttr("ID", id)
	el.CreateAttr("Version", "2.0")
	issue := idp.faultTime(fs)
	el.CreateAttr("IssueInstant", samlTime(issue))
	el.CreateAttr("NotOnOrAfter", samlTime(issue.Add(idp.lifetime)))
	dest := sp.SLOURL
	if fs[FaultWrongDestination] {
		dest = attackerBase + "/saml/slo"
	}
	el.CreateAttr("Destination", dest)
	iss := el.CreateElement("saml:Issuer")
	iss.CreateAttr("Format", nameFormatEntity)
	iss.SetText(idp.faultIssuer(fs))
	nid := el.CreateElement("saml:NameID")
	nid.CreateAttr("Format", shape.nameIDFormat)
	nid.SetText(nameID)
	if opts.SessionIndex != "" {
		el.CreateElement("samlp:SessionIndex").SetText(opts.SessionIndex)
	}
	return idp.encodeSAMLMessage(sp.SLOURL, "SAMLRequest", el, opts.RelayState, opts.POST, fs)
}

func (idp *IdP) faultTime(fs faultSet) time.Time {
	now := idp.now().UTC()
	switch {
	case fs[FaultExpired]:
		return now.Add(-2 * time.Hour)
	case fs[FaultNotYetValid]:
		return now.Add(time.Hour)
	}
	return now
}

func (idp *IdP) faultIssuer(fs faultSet) string {
	if fs[FaultWrongIssuer] {
		return attackerBase + "/saml/metadata"
	}
	return idp.entityID
}

// encodeSAMLMessage signs el (unless FaultUnsigned) and encodes it for
// the binding: HTTP-POST with an enveloped signature, HTTP-Redirect with
// the query string signed (SAML bindings 3.4.4.1).
func (idp *IdP) encodeSAMLMessage(to, field string, el *etree.Element, relay string, post bool, fs faultSet) (*LogoutMessage, error) {
	s := idp.signer()
	if fs[FaultForeignKey] {
		var err error
		if s, err = idp.foreignSigner(); err != nil {
			return nil, err
		}
	}
	if post {
		if !fs[FaultUnsigned] {
			if err := signElement(el, s, fs[FaultSHA1]); err != nil {
				return nil, err
			}
		}
		raw, err := docBytes(el, fs[FaultDoctype])
		if err != nil {
			return nil, err
		}
		form := url.Values{field: {base64.StdEncoding.EncodeToString(raw)}}
		if relay != "" {
			form.Set("RelayState", relay)
		}
		return &LogoutMessage{Method: http.MethodPost, URL: to, Form: form}, nil
	}
	raw, err := docBytes(el, fs[FaultDoctype])
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	_, _ = fw.Write(raw)
	if err := fw.Close(); err != nil {
		return nil, err
	}
	q := field + "=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes()))
	if relay != "" {
		q += "&RelayState=" + url.QueryEscape(relay)
	}
	if !fs[FaultUnsigned] {
		alg, h, sum := dsig.RSASHA256SignatureMethod, crypto.SHA256, func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
		if fs[FaultSHA1] {
			alg, h, sum = dsig.RSASHA1SignatureMethod, crypto.SHA1, func(b []byte) []byte { s := sha1.Sum(b); return s[:] }
		}
		q += "&SigAlg=" + url.QueryEscape(alg)
		sig, err := rsa.SignPKCS1v15(nil, s.key, h, sum([]byte(q)))
		if err != nil {
			return nil, fmt.Errorf("idpsim: signing query: %w", err)
		}
		q += "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
	}
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	return &LogoutMessage{Method: http.MethodGet, URL: to + sep + q}, nil
}

func docBytes(el *etree.Element, doctype bool) ([]byte, error) {
	doc := etree.NewDocument()
	doc.SetRoot(el)
	raw, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	if doctype {
		raw = append([]byte(`<!DOCTYPE x [<!ENTITY e "e">]>`), raw...)
	}
	return raw, nil
}

// LogoutRecord is a logout message the simulator received.
type LogoutRecord struct {
	// Kind is "LogoutRequest" (SP-initiated) or "LogoutResponse" (the
	// answer to an IdP-initiated request), or "end_session" (OIDC).
	Kind string
	// SP is the issuer (SAML) or client id (OIDC).
	SP string
	// NameID and SessionIndex of a LogoutRequest; Status of a
	// LogoutResponse; InResponseTo of a LogoutResponse.
	NameID       string
	SessionIndex string
	Status       string
	InResponseTo string
	// Signed reports whether the signature verified with the SP's
	// certificate (SAML) or the id_token_hint verified (OIDC).
	Signed bool
	// Binding is "redirect" or "post" (SAML).
	Binding string
}

// Logouts returns the logout messages received so far, oldest first.
func (idp *IdP) Logouts() []LogoutRecord {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	return slices.Clone(idp.logouts)
}

func (idp *IdP) recordLogout(r LogoutRecord) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	if len(idp.logouts) >= maxGrants {
		idp.logouts = idp.logouts[1:]
	}
	idp.logouts = append(idp.logouts, r)
}

// handleSLO is the simulator's Single Logout endpoint (both bindings): it
// answers an SP's LogoutRequest with a signed LogoutResponse to the SP's
// SLOURL, in the request's binding, and records the SP's LogoutResponse to
// an IdP-initiated request. The SP's signature is checked when its
// certificate is known; the answer's status says whether it verified.
func (idp *IdP) handleSLO(w http.ResponseWriter, r *http.Request) {
	redirect := r.Method == http.MethodGet
	var vals url.Values
	if redirect {
		vals = r.URL.Query()
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			idp.fail(w, http.StatusBadRequest, "The form is too large or unreadable.", err)
			return
		}
		vals = r.PostForm
	}
	field := "SAMLRequest"
	if vals.Get(field) == "" {
		field = "SAMLResponse"
	}
	raw, err := decodeSAMLParam(vals.Get(field), redirect)
	if err == nil {
		err = checkXML(raw)
	}
	doc := etree.NewDocument()
	if err == nil {
		err = doc.ReadFromBytes(raw)
	}
	if err != nil || doc.Root() == nil {
		idp.fail(w, http.StatusBadRequest, "The SAML logout message is malformed.", err)
		return
	}
	root := doc.Root()
	issuer := ""
	if iss := childByTag(root, "Issuer"); iss != nil {
		issuer = strings.TrimSpace(iss.Text())
	}
	sp, ok := idp.lookupSP(issuer)
	if !ok {
		idp.fail(w, http.StatusBadRequest, "The logout message comes from an unregistered service provider.", ErrUnknownSP)
		return
	}
	binding := "post"
	if redirect {
		binding = "redirect"
	}
	cert := sp.SigningCertificate
	if cert == nil {
		cert = sp.Certificate
	}
	signed := cert != nil && verifySAMLMessage(r, root, field, redirect, cert) == nil
	rec := LogoutRecord{Kind: root.Tag, SP: sp.EntityID, Signed: signed, Binding: binding}
	if field == "SAMLResponse" {
		rec.InResponseTo = root.SelectAttrValue("InResponseTo", "")
		if st := childByTag(root, "Status"); st != nil {
			if sc := childByTag(st, "StatusCode"); sc != nil {
				rec.Status = sc.SelectAttrValue("Value", "")
			}
		}
		idp.recordLogout(rec)
		loggedOut(w)
		return
	}
	if nid := childByTag(root, "NameID"); nid != nil {
		rec.NameID = strings.TrimSpace(nid.Text())
	}
	if si := childByTag(root, "SessionIndex"); si != nil {
		rec.SessionIndex = strings.TrimSpace(si.Text())
	}
	idp.recordLogout(rec)
	if sp.SLOURL == "" {
		idp.fail(w, http.StatusBadRequest, "The service provider has no Single Logout URL registered.", errors.New("no SLOURL"))
		return
	}
	var faults []Fault
	if a := idp.autoLogin(); a != nil {
		for _, f := range a.Faults {
			if slices.Contains(logoutFaults, f) {
				faults = append(faults, f)
			}
		}
	}
	fs := newFaultSet(faults)
	status := statusSuccess
	if cert != nil && !signed {
		status = "urn:oasis:names:tc:SAML:2.0:status:Requester"
	}
	id, err := idp.newID("id-")
	if err != nil {
		idp.fail(w, http.StatusInternalServerError, "The simulator failed.", err)
		return
	}
	dest := sp.SLOURL
	if fs[FaultWrongDestination] {
		dest = attackerBase + "/saml/slo"
	}
	resp := etree.NewElement("samlp:LogoutResponse")
	resp.CreateAttr("xmlns:samlp", nsProtocol)
	resp.CreateAttr("xmlns:saml", nsAssertion)
	resp.CreateAttr("ID", id)
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", samlTime(idp.faultTime(fs)))
	resp.CreateAttr("Destination", dest)
	resp.CreateAttr("InResponseTo", root.SelectAttrValue("ID", ""))
	iss := resp.CreateElement("saml:Issuer")
	iss.CreateAttr("Format", nameFormatEntity)
	iss.SetText(idp.faultIssuer(fs))
	resp.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", status)
	m, err := idp.encodeSAMLMessage(sp.SLOURL, "SAMLResponse", resp, vals.Get("RelayState"), !redirect, fs)
	if err != nil {
		idp.fail(w, http.StatusInternalServerError, "The simulator failed.", err)
		return
	}
	idp.sendBrowser(w, r, m)
}

// sendBrowser redirects to a Redirect-binding message or renders an
// auto-submitting form for a POST one.
func (idp *IdP) sendBrowser(w http.ResponseWriter, r *http.Request, m *LogoutMessage) {
	w.Header().Set("Cache-Control", "no-store")
	if m.Method == http.MethodGet {
		http.Redirect(w, r, m.URL, http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; form-action *; frame-ancestors 'none'")
	_ = logoutPost.Execute(w, struct {
		*LogoutMessage
		Script string
	}{m, idp.basePath + "/static/autopost.js"})
}

var logoutPost = template.Must(template.New("post").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Continue</title></head><body>` +
	`<form method="post" action="{{.URL}}" id="autopost">{{range $k, $v := .Form}}{{range $v}}<input type="hidden" name="{{$k}}" value="{{.}}">{{end}}{{end}}` +
	`<button type="submit">Continue</button></form><script src="{{.Script}}"></script></body></html>`))

func decodeSAMLParam(encoded string, redirect bool) ([]byte, error) {
	if encoded == "" || len(encoded) > MaxEncodedRequest {
		return nil, fmt.Errorf("%w: missing or too large", ErrMalformedRequest)
	}
	raw, err := base64.StdEncoding.DecodeString(trimB64(encoded))
	if err != nil {
		return nil, fmt.Errorf("%w: bad base64", ErrMalformedRequest)
	}
	if redirect {
		raw, err = io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), MaxRequestXML+1))
		if err != nil {
			return nil, fmt.Errorf("%w: bad deflate data", ErrMalformedRequest)
		}
	}
	if len(raw) > MaxRequestXML {
		return nil, ErrRequestTooLarge
	}
	return raw, nil
}

// verifySAMLMessage checks an SP's signature: over the query string for
// HTTP-Redirect, enveloped for HTTP-POST.
func verifySAMLMessage(r *http.Request, root *etree.Element, field string, redirect bool, cert *x509.Certificate) error {
	if redirect {
		raw := map[string]string{}
		for _, kv := range strings.Split(r.URL.RawQuery, "&") {
			k, v, _ := strings.Cut(kv, "=")
			raw[k] = v
		}
		signed := field + "=" + raw[field]
		if rs, ok := raw["RelayState"]; ok {
			signed += "&RelayState=" + rs
		}
		signed += "&SigAlg=" + raw["SigAlg"]
		alg, _ := url.QueryUnescape(raw["SigAlg"])
		sigB64, _ := url.QueryUnescape(raw["Signature"])
		sig, err := base64.StdEncoding.DecodeString(sigB64)
		if err != nil {
			return err
		}
		if alg != dsig.RSASHA256SignatureMethod {
			return errors.New("unexpected SigAlg")
		}
		return cert.CheckSignature(x509.SHA256WithRSA, []byte(signed), sig)
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	vc.IdAttribute = "ID"
	_, err := vc.Validate(root)
	return err
}

// handleSAMLLogoutInitiated sends an IdP-initiated LogoutRequest through
// the browser: GET ?sp=&email=&session_index=&binding=post&fault=... It is
// the launcher's logout button; like IdP-initiated login it is a
// development tool only.
func (idp *IdP) handleSAMLLogoutInitiated(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var faults []Fault
	for _, f := range q["fault"] {
		if f != "" {
			faults = append(faults, Fault(f))
		}
	}
	m, err := idp.SAMLLogoutRequest(LogoutRequestOptions{
		SP: q.Get("sp"), User: User{Email: q.Get("email")}, SessionIndex: q.Get("session_index"),
		POST: q.Get("binding") == "post", RelayState: q.Get("RelayState"), Faults: faults,
	})
	if err != nil {
		idp.fail(w, http.StatusBadRequest, "The simulator could not build this LogoutRequest: check the service provider, user and faults.", err)
		return
	}
	idp.sendBrowser(w, r, m)
}

// LogoutTokenOptions describe one OIDC Back-Channel Logout token made by
// LogoutToken.
type LogoutTokenOptions struct {
	// Client is the client_id (the audience). Required.
	Client string
	// User is the subject. Default: the first seed user.
	User User
	// SID, when set, is sent as the sid claim; SessionID gives the sid of
	// the simulator's ID tokens.
	SID string
	// NoSub leaves the sub claim out (then SID must be set).
	NoSub bool
	// JTI, when set, is the token id; default a fresh random one. Tests
	// send one token twice to check replay protection.
	JTI string
	// Faults are logout faults (LogoutFaults).
	Faults []Fault
}

// SessionID returns the sid claim the simulator puts in the ID tokens of
// user (by email or id) at client.
func (idp *IdP) SessionID(client string, u User) string {
	ru, err := idp.resolveUser(u)
	if err != nil {
		return ""
	}
	return guidFrom("sid|" + client + "|" + ru.ID)
}

// LogoutToken signs a logout_token (OpenID Connect Back-Channel Logout
// 1.0) for client.
func (idp *IdP) LogoutToken(opts LogoutTokenOptions) (string, error) {
	c, ok := idp.lookupClient(opts.Client)
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownClient, opts.Client)
	}
	if err := checkLogoutFaults(opts.Faults); err != nil {
		return "", err
	}
	fs := newFaultSet(opts.Faults)
	u, err := idp.resolveUser(opts.User)
	if err != nil {
		return "", err
	}
	iat := idp.faultTime(fs)
	claims := map[string]any{
		"iss": idp.issuer,
		"aud": c.ID,
		"iat": iat.Unix(),
		"exp": iat.Add(2 * time.Minute).Unix(),
	}
	if fs[FaultWrongIssuer] {
		claims["iss"] = attackerBase + "/oidc"
	}
	if fs[FaultWrongAudience] {
		claims["aud"] = "attacker-client"
	}
	if !opts.NoSub {
		claims["sub"] = idp.shapeClaims(c.Preset, u, c.ID)["sub"]
	}
	if opts.SID != "" {
		claims["sid"] = opts.SID
	}
	jti := opts.JTI
	if jti == "" {
		if jti, err = idp.newID("jti-"); err != nil {
			return "", err
		}
	}
	claims["jti"] = jti
	if !fs[FaultNoEvents] {
		claims["events"] = map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}
	}
	if fs[FaultLogoutNonce] {
		claims["nonce"] = "n-" + jti
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	if fs[FaultUnsigned] {
		header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"logout+jwt"}`))
		return header + "." + base64.RawURLEncoding.EncodeToString(payload) + ".", nil
	}
	s := idp.signer()
	if fs[FaultForeignKey] {
		if s, err = idp.foreignSigner(); err != nil {
			return "", err
		}
	}
	opt := (&jose.SignerOptions{}).WithType("logout+jwt")
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: s.key, KeyID: s.kid, Algorithm: string(jose.RS256)}}, opt)
	if err != nil {
		return "", err
	}
	jws, err := sig.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// SendBackChannelLogout makes a logout_token and POSTs it to the client's
// BackChannelLogoutURI with Config.HTTPClient, as a provider does. It
// returns the status and body of the answer.
func (idp *IdP) SendBackChannelLogout(ctx context.Context, opts LogoutTokenOptions) (int, []byte, error) {
	tok, err := idp.LogoutToken(opts)
	if err != nil {
		return 0, nil, err
	}
	return idp.PostLogoutToken(ctx, opts.Client, tok)
}

// PostLogoutToken POSTs tok to the client's BackChannelLogoutURI.
func (idp *IdP) PostLogoutToken(ctx context.Context, client, tok string) (int, []byte, error) {
	c, ok := idp.lookupClient(client)
	if !ok {
		return 0, nil, fmt.Errorf("%w: %q", ErrUnknownClient, client)
	}
	if c.BackChannelLogoutURI == "" {
		return 0, nil, fmt.Errorf("idpsim: client %q has no BackChannelLogoutURI", client)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BackChannelLogoutURI, strings.NewReader(url.Values{"logout_token": {tok}}.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := idp.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, body, nil
}

// handleEndSession is the OIDC end_session_endpoint (RP-Initiated Logout
// 1.0): it verifies id_token_hint when sent (the simulator's own
// signature; expiry is not checked, as the spec allows), requires a
// post_logout_redirect_uri registered exactly for the client, records the
// logout and redirects there with state.
func (idp *IdP) handleEndSession(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	clientID := q.Get("client_id")
	signed := false
	if hint := q.Get("id_token_hint"); hint != "" {
		aud, err := idp.verifyOwnToken(hint)
		if err != nil {
			idp.fail(w, http.StatusBadRequest, "The id_token_hint was not issued by this simulator.", err)
			return
		}
		if clientID != "" && !slices.Contains(aud, clientID) {
			idp.fail(w, http.StatusBadRequest, "The id_token_hint was issued to another client.", errors.New("client_id not in aud"))
			return
		}
		if clientID == "" && len(aud) > 0 {
			clientID = aud[0]
		}
		signed = true
	}
	c, ok := idp.lookupClient(clientID)
	if !ok {
		idp.fail(w, http.StatusBadRequest, "Unknown client.", ErrUnknownClient)
		return
	}
	idp.recordLogout(LogoutRecord{Kind: "end_session", SP: c.ID, Signed: signed})
	target := q.Get("post_logout_redirect_uri")
	if target == "" {
		loggedOut(w)
		return
	}
	if !slices.Contains(c.PostLogoutRedirectURIs, target) {
		idp.fail(w, http.StatusBadRequest, "The post_logout_redirect_uri is not registered for this client.", errors.New("unregistered post_logout_redirect_uri"))
		return
	}
	if st := q.Get("state"); st != "" {
		target = appendQuery(target, url.Values{"state": {st}})
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

// verifyOwnToken checks that tok is a JWS signed with the simulator's key
// and returns its audiences.
func (idp *IdP) verifyOwnToken(tok string) ([]string, error) {
	jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(&idp.key.PublicKey)
	if err != nil {
		return nil, err
	}
	var c struct {
		Aud any `json:"aud"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, err
	}
	switch a := c.Aud.(type) {
	case string:
		return []string{a}, nil
	case []any:
		var out []string
		for _, v := range a {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out, nil
	}
	return nil, errors.New("no aud")
}

func loggedOut(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	_, _ = io.WriteString(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><h1 data-testid="signed-out">Signed out of the IdP simulator</h1></body></html>`)
}

// handleBackChannelSend is the home page's back-channel logout button: it
// sends a logout_token for the chosen user (with the chosen fault) to the
// client's BackChannelLogoutURI and shows the answer.
func (idp *IdP) handleBackChannelSend(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		idp.fail(w, http.StatusBadRequest, "The form is too large or unreadable.", err)
		return
	}
	if err := idp.csrf.Verify(r); err != nil {
		idp.fail(w, http.StatusForbidden, "This form has expired or did not come from the simulator's page: reload it and try again.", err)
		return
	}
	client, u := r.PostForm.Get("client"), User{Email: r.PostForm.Get("email")}
	o := LogoutTokenOptions{Client: client, User: u, SID: idp.SessionID(client, u)}
	if f := r.PostForm.Get("fault"); f != "" {
		o.Faults = []Fault{Fault(f)}
	}
	code, body, err := idp.SendBackChannelLogout(r.Context(), o)
	if err != nil {
		idp.fail(w, http.StatusBadGateway, "The logout_token could not be sent: check the client and its back-channel logout URI.", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	_ = backChannelResult.Execute(w, struct {
		Code int
		Body string
	}{code, string(body)})
}

var backChannelResult = template.Must(template.New("bcl").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Back-channel logout sent</title></head><body>` +
	`<h1>Back-channel logout sent</h1><p>The application answered <strong data-testid="bcl-status">{{.Code}}</strong>.</p>{{if .Body}}<pre>{{.Body}}</pre>{{end}}</body></html>`))
