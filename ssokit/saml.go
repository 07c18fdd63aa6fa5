package ssokit

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"time"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/onboardkit/onboardkit/store"
)

// samlSP is a connection's service provider, built once from the connection
// row and cached until the row's Version changes: certificates, metadata
// and keys are never parsed per request.
type samlSP struct {
	rev    connRev
	connID string
	orgID  string

	entityID string // SP entity id (our metadata URL)
	acsURL   string

	idpEntityID string
	ssoURL      string // HTTP-Redirect
	ssoPostURL  string // HTTP-POST
	sloURL      string // our Single Logout endpoint
	// The IdP's Single Logout endpoints: requests and responses, for the
	// HTTP-Redirect and HTTP-POST bindings. Empty when the IdP has none.
	idpSLOURL, idpSLORespURL         string
	idpSLOPostURL, idpSLOPostRespURL string
	certs                            []*x509.Certificate
	thumbs                           []string

	allowSHA1         bool
	requireEncryption bool
	allowIdPInitiated bool
	skew              time.Duration // Config.ClockSkew, or the connection's wider one

	key  *rsa.PrivateKey // SP key: request signing, assertion decryption
	cert *x509.Certificate
	sp   *saml.ServiceProvider // crewjam SP: AuthnRequest signing and SP metadata
}

const maxCachedSPs = 4096

// samlSPFor returns the cached SP of conn, building it when the connection
// changed.
func (s *SSO) samlSPFor(conn *store.Connection) (*samlSP, error) {
	s.mu.Lock()
	sp := s.saml[conn.ID]
	s.mu.Unlock()
	if sp != nil && sp.rev.matches(conn) {
		return sp, nil
	}
	sp, err := s.buildSAMLSP(conn)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	putBounded(s.saml, conn.ID, sp)
	s.mu.Unlock()
	return sp, nil
}

// putBounded sets m[k] = v, first dropping an arbitrary entry when m holds
// maxCachedSPs others: the per-connection caches stay bounded however many
// connections requests name.
func putBounded[V any](m map[string]V, k string, v V) {
	if _, ok := m[k]; !ok && len(m) >= maxCachedSPs {
		for other := range m {
			delete(m, other)
			break
		}
	}
	m[k] = v
}

// connRev identifies the state of a connection that cached per-connection
// state was built from: the Store increments Version on every update. A
// Store that does not keep Version (it stays 0) falls back to UpdatedAt.
type connRev struct {
	version   int64
	updatedAt time.Time
}

func revOf(c *store.Connection) connRev { return connRev{c.Version, c.UpdatedAt} }

// matches reports whether c is still the state r was taken from.
func (r connRev) matches(c *store.Connection) bool {
	if r.version != c.Version {
		return false
	}
	return r.version != 0 || r.updatedAt.Equal(c.UpdatedAt)
}

// ErrBadConnection: the connection's configuration cannot be used.
var ErrBadConnection = errors.New("ssokit: connection misconfigured")

func (s *SSO) buildSAMLSP(conn *store.Connection) (*samlSP, error) {
	c := conn.SAML
	if conn.Protocol != store.ProtocolSAML || c == nil {
		return nil, fmt.Errorf("%w: %s is not a SAML connection", ErrBadConnection, conn.ID)
	}
	sp := &samlSP{
		rev:               revOf(conn),
		connID:            conn.ID,
		orgID:             conn.OrgID,
		entityID:          s.SAMLEntityID(conn.ID),
		acsURL:            s.SAMLACSURL(conn.ID),
		sloURL:            s.SAMLSLOURL(conn.ID),
		idpSLOURL:         c.SLOURL,
		idpSLORespURL:     c.SLOURL,
		idpSLOPostURL:     c.SLOPostURL,
		idpSLOPostRespURL: c.SLOPostURL,
		idpEntityID:       c.IdPEntityID,
		ssoURL:            c.SSOURL,
		ssoPostURL:        c.SSOPostURL,
		allowSHA1:         c.AllowSHA1,
		requireEncryption: c.EncryptedAssertion,
		allowIdPInitiated: c.AllowIdPInitiated,
		skew:              max(s.cfg.ClockSkew, c.ClockSkew),
	}
	seen := map[string]bool{}
	add := func(crt *x509.Certificate) {
		tp := thumbprint(crt)
		if !seen[tp] {
			seen[tp] = true
			sp.certs = append(sp.certs, crt)
			sp.thumbs = append(sp.thumbs, tp)
		}
	}
	for i, p := range c.Certificates {
		crt, err := parseCertPEM(p)
		if err != nil {
			return nil, fmt.Errorf("%w: IdP certificate %d: %v", ErrBadConnection, i+1, err)
		}
		add(crt)
	}
	if c.MetadataXML != "" {
		md, err := ParseIdPMetadata([]byte(c.MetadataXML), c.IdPEntityID, s.cfg.MaxResponseSize, s.cfg.InsecureAllowPrivateNetworks)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadConnection, err)
		}
		if sp.idpEntityID == "" {
			sp.idpEntityID = md.EntityID
		}
		if sp.ssoURL == "" {
			sp.ssoURL = md.SSOURL
		}
		if sp.ssoPostURL == "" {
			sp.ssoPostURL = md.SSOPostURL
		}
		if sp.idpSLOURL == "" && sp.idpSLOPostURL == "" {
			sp.idpSLOURL, sp.idpSLORespURL = md.SLOURL, md.SLOResponseURL
			sp.idpSLOPostURL, sp.idpSLOPostRespURL = md.SLOPostURL, md.SLOPostResponseURL
		}
		for _, crt := range md.Certificates {
			add(crt)
		}
	}
	if sp.idpEntityID == "" {
		if c.MetadataURL != "" && c.MetadataXML == "" {
			return nil, fmt.Errorf("%w: IdP metadata not fetched yet (RefreshMetadata)", ErrBadConnection)
		}
		return nil, fmt.Errorf("%w: IdP entity id is not set", ErrBadConnection)
	}
	if len(sp.certs) == 0 {
		return nil, fmt.Errorf("%w: no IdP signing certificate", ErrBadConnection)
	}
	for _, u := range []string{sp.ssoURL, sp.ssoPostURL} {
		if u != "" {
			if err := checkIdPURL(u, s.cfg.InsecureAllowPrivateNetworks); err != nil {
				return nil, fmt.Errorf("%w: SSO URL: %w", ErrBadConnection, err)
			}
		}
	}
	for _, u := range []string{sp.idpSLOURL, sp.idpSLORespURL, sp.idpSLOPostURL, sp.idpSLOPostRespURL} {
		if u != "" {
			if err := checkIdPURL(u, s.cfg.InsecureAllowPrivateNetworks); err != nil {
				return nil, fmt.Errorf("%w: SLO URL: %w", ErrBadConnection, err)
			}
		}
	}
	if c.SPKeyPEM != "" || c.SPCertPEM != "" {
		key, crt, err := parseKeyPair(c.SPKeyPEM, c.SPCertPEM)
		if err != nil {
			return nil, fmt.Errorf("%w: SP key pair: %v", ErrBadConnection, err)
		}
		sp.key, sp.cert = key, crt
	}
	if (c.SignRequests || c.EncryptedAssertion) && sp.key == nil {
		return nil, fmt.Errorf("%w: signed requests and encrypted assertions need the SP key pair", ErrBadConnection)
	}
	entityURL, _ := url.Parse(sp.entityID)
	acsURL, _ := url.Parse(sp.acsURL)
	sloURL, _ := url.Parse(sp.sloURL)
	sp.sp = &saml.ServiceProvider{
		EntityID:          sp.entityID,
		MetadataURL:       *entityURL,
		AcsURL:            *acsURL,
		SloURL:            *sloURL,
		LogoutBindings:    []string{saml.HTTPRedirectBinding, saml.HTTPPostBinding},
		AuthnNameIDFormat: saml.UnspecifiedNameIDFormat,
		AllowIDPInitiated: c.AllowIdPInitiated,
	}
	if sp.key != nil {
		sp.sp.Key = sp.key
		sp.sp.Certificate = sp.cert
	} else {
		// Logout messages are always signed: without a key pair there is
		// no Single Logout to advertise.
		sp.sp.LogoutBindings = nil
	}
	if c.SignRequests {
		sp.sp.SignatureMethod = dsig.RSASHA256SignatureMethod
	}
	return sp, nil
}

func parseKeyPair(keyPEM, certPEM string) (*rsa.PrivateKey, *x509.Certificate, error) {
	kb, _ := pem.Decode([]byte(keyPEM))
	if kb == nil {
		return nil, nil, errors.New("SP key is not PEM")
	}
	var key *rsa.PrivateKey
	switch kb.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
		if err != nil {
			return nil, nil, err
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
		if err != nil {
			return nil, nil, err
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, nil, errors.New("SP key must be RSA")
		}
		key = rk
	default:
		return nil, nil, fmt.Errorf("unexpected PEM block %q", kb.Type)
	}
	crt, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("SP certificate: %v", err)
	}
	pub, ok := crt.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, nil, errors.New("SP certificate does not match the SP key")
	}
	return key, crt, nil
}

// NewSAMLKeyPair generates an SP key pair for a SAML connection (RSA-2048,
// self-signed certificate valid ten years from now), PEM encoded, for
// store.SAMLConfig.SPKeyPEM and SPCertPEM. rand nil means crypto/rand.
func NewSAMLKeyPair(rand io.Reader, now time.Time, commonName string) (keyPEM, certPEM string, err error) {
	if rand == nil {
		rand = cryptoRand()
	}
	key, err := rsa.GenerateKey(rand, 2048)
	if err != nil {
		return "", "", err
	}
	serial, err := randSerial(rand)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    now.Add(-time.Hour).UTC(),
		NotAfter:     now.AddDate(10, 0, 0).UTC(),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	der, err := x509.CreateCertificate(rand, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", err
	}
	keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return keyPEM, certPEM, nil
}

func randSerial(r io.Reader) (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	b[0] &= 0x7f
	return new(big.Int).SetBytes(b), nil
}

// startSAML sends the browser to the IdP with an AuthnRequest: HTTP-Redirect
// when the IdP has a redirect endpoint, else HTTP-POST.
func (s *SSO) startSAML(w http.ResponseWriter, r *http.Request, conn *store.Connection, returnTo string, test bool) error {
	sp, err := s.samlSPFor(conn)
	if err != nil {
		return err
	}
	if sp.ssoURL == "" && sp.ssoPostURL == "" {
		return fmt.Errorf("%w: no IdP SSO URL", ErrBadConnection)
	}
	id, err := s.newID("id")
	if err != nil {
		return err
	}
	if _, err := s.newLoginRequest(w, r, conn, id, returnTo, test, nil); err != nil {
		return err
	}
	allowCreate := true
	req := &saml.AuthnRequest{
		ID:                          id,
		Version:                     "2.0",
		IssueInstant:                s.now().UTC(),
		AssertionConsumerServiceURL: sp.acsURL,
		ProtocolBinding:             saml.HTTPPostBinding,
		Issuer: &saml.Issuer{
			Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
			Value:  sp.entityID,
		},
		NameIDPolicy: &saml.NameIDPolicy{AllowCreate: &allowCreate},
	}
	// The request id is an NCName of hex characters: safe unescaped in the
	// query string crewjam builds.
	relay := id
	setNoStore(w)
	if sp.ssoURL != "" {
		req.Destination = sp.ssoURL
		u, err := req.Redirect(relay, sp.sp)
		if err != nil {
			return fmt.Errorf("ssokit: building AuthnRequest: %w", err)
		}
		http.Redirect(w, r, u.String(), http.StatusFound)
		return nil
	}
	req.Destination = sp.ssoPostURL
	if sp.sp.SignatureMethod != "" {
		if err := sp.sp.SignAuthnRequest(req); err != nil {
			return fmt.Errorf("ssokit: signing AuthnRequest: %w", err)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; form-action "+originOf(sp.ssoPostURL)+"; frame-ancestors 'none'")
	_, err = w.Write(postPage(req.Post(relay)))
	return err
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "'none'"
	}
	return u.Scheme + "://" + u.Host
}

func postPage(form []byte) []byte {
	var b bytes.Buffer
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signing in</title></head><body>`)
	b.Write(form)
	b.WriteString(`</body></html>`)
	return b.Bytes()
}

// handleSAMLMetadata serves the SP metadata of a connection.
func (s *SSO) handleSAMLMetadata(w http.ResponseWriter, r *http.Request) {
	conn, err := s.getConnection(r.Context(), r.PathValue("connection"))
	if err == nil && conn.Protocol != store.ProtocolSAML {
		err = ErrConnectionNotFound
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sp, err := s.samlSPFor(conn)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ed := sp.sp.Metadata()
	validUntil := s.now().UTC().Add(48 * time.Hour)
	ed.ValidUntil = validUntil
	for i := range ed.SPSSODescriptors {
		ed.SPSSODescriptors[i].ValidUntil = &validUntil
		// Only the HTTP-POST ACS is served.
		acs := ed.SPSSODescriptors[i].AssertionConsumerServices[:0]
		for _, a := range ed.SPSSODescriptors[i].AssertionConsumerServices {
			if a.Binding == saml.HTTPPostBinding {
				acs = append(acs, a)
			}
		}
		ed.SPSSODescriptors[i].AssertionConsumerServices = acs
		ed.SPSSODescriptors[i].NameIDFormats = nil
		// The encryption key is published only when the connection asks
		// for encrypted assertions (it decrypts nothing otherwise), with
		// the algorithms it prefers: AES-GCM content, RSA-OAEP key
		// transport.
		kds := ed.SPSSODescriptors[i].KeyDescriptors[:0]
		for _, kd := range ed.SPSSODescriptors[i].KeyDescriptors {
			if kd.Use == "encryption" {
				if !sp.requireEncryption {
					continue
				}
				kd.EncryptionMethods = []saml.EncryptionMethod{
					{Algorithm: nsXMLEnc11 + "aes256-gcm"}, {Algorithm: nsXMLEnc11 + "aes128-gcm"},
					{Algorithm: encRSAOAEPMGF1P}, {Algorithm: encRSAOAEP11},
				}
			}
			kds = append(kds, kd)
		}
		ed.SPSSODescriptors[i].KeyDescriptors = kds
	}
	out, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Content-Disposition", `attachment; filename="metadata.xml"`)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}

var _ crypto.Signer = (*rsa.PrivateKey)(nil)
