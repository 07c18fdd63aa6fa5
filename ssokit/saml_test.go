package ssokit

import (
	"encoding/base64"
	"github.com/crewjam/saml/xmlenc"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"crypto/x509"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/onboardkit/onboardkit/store"
)

func TestSAMLSPInitiated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spec  func(s *respSpec)
		conn  func(c *store.Connection)
		check func(t *testing.T, p *Profile)
		retTo string
	}{
		{name: "signed assertion"},
		{name: "signed response", spec: func(s *respSpec) { s.SignResponse, s.SignAssertion = true, false }},
		{name: "signed response and assertion", spec: func(s *respSpec) { s.SignResponse, s.SignAssertion = true, true }},
		{name: "no KeyInfo, one certificate", spec: func(s *respSpec) { s.NoKeyInfo = true }},
		{name: "rotated certificate, no KeyInfo", spec: func(s *respSpec) { s.Key, s.NoKeyInfo = idp2Key, true },
			conn: func(c *store.Connection) { c.SAML.Certificates = []string{idpKey.CertPEM, idp2Key.CertPEM} }},
		{name: "rotated certificate, KeyInfo", spec: func(s *respSpec) { s.Key = idp2Key },
			conn: func(c *store.Connection) { c.SAML.Certificates = []string{idpKey.CertPEM, idp2Key.CertPEM} }},
		{name: "rsa-sha512", spec: func(s *respSpec) { s.SigAlg = dsig.RSASHA512SignatureMethod }},
		{name: "sha1 allowed by the connection", spec: func(s *respSpec) { s.SigAlg, s.DigestSHA1 = dsig.RSASHA1SignatureMethod, true },
			conn: func(c *store.Connection) { c.SAML.AllowSHA1 = true }},
		{name: "encrypted signed assertion (AES-GCM)", spec: func(s *respSpec) { s.EncryptTo = spKey.Cert },
			conn: func(c *store.Connection) { c.SAML.EncryptedAssertion = true }},
		{name: "encrypted AES-CBC assertion in signed response", spec: func(s *respSpec) {
			s.EncryptTo, s.SignResponse, s.EncCipher = spKey.Cert, true, xmlenc.AES256CBC
		}, conn: func(c *store.Connection) { c.SAML.EncryptedAssertion = true }},
		{name: "encrypted assertion, xmlenc11 rsa-oaep with SHA-256", spec: func(s *respSpec) {
			k := xmlenc.OAEP_SHA256()
			s.EncryptTo, s.SignResponse, s.EncKey = spKey.Cert, true, &k
		}, conn: func(c *store.Connection) { c.SAML.EncryptedAssertion = true }},
		{name: "encrypted assertion in signed response", spec: func(s *respSpec) { s.EncryptTo, s.SignResponse, s.SignAssertion = spKey.Cert, true, false },
			conn: func(c *store.Connection) { c.SAML.EncryptedAssertion = true }},
		{name: "clock skew within 3 minutes", spec: func(s *respSpec) {
			s.IssueInstant = testNow.Add(2 * time.Minute)
			s.NotBefore = testNow.Add(2 * time.Minute)
		}},
		{name: "return_to kept", retTo: "/dashboard?tab=1", check: func(t *testing.T, p *Profile) {
			if p.ReturnTo != "/dashboard?tab=1" {
				t.Errorf("ReturnTo = %q", p.ReturnTo)
			}
		}},
		{name: "metadata XML instead of manual fields", conn: func(c *store.Connection) {
			c.SAML.MetadataXML = idpMetadataXML(idpEntity, idpSSO, idpKey)
			c.SAML.IdPEntityID, c.SAML.SSOURL, c.SAML.Certificates = "", "", nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			if tc.conn != nil {
				e.updateConn(connSAML, tc.conn)
			}
			b := e.browser()
			q := "connection=" + connSAML
			if tc.retTo != "" {
				q += "&return_to=" + url.QueryEscape(tc.retTo)
			}
			id := b.startSAML(t, q)
			spec := respSpec{InResponseTo: id}
			if tc.spec != nil {
				tc.spec(&spec)
			}
			w := b.postSAML(connSAML, spec.build(t), id)
			if w.Code != http.StatusSeeOther {
				t.Fatalf("status %d, body %s\nlog: %s", w.Code, w.Body, e.logs)
			}
			ls := e.logins()
			if len(ls) != 1 {
				t.Fatalf("%d logins", len(ls))
			}
			p := ls[0]
			if p.Email != "jane@example.com" || !p.EmailVerified || p.FirstName != "Jane" || p.LastName != "Doe" ||
				p.Subject != "jane@example.com" || p.ConnectionID != connSAML || p.OrgID != testOrg ||
				p.Protocol != store.ProtocolSAML || p.ID != ProfileID(connSAML, "jane@example.com") ||
				!slices.Equal(p.Groups, []string{"Engineering", "Admins"}) || p.IdPInitiated {
				t.Errorf("profile = %+v", p)
			}
			if tc.check != nil {
				tc.check(t, p)
			}
			if evs := e.events(EventLoginSucceeded); len(evs) != 1 || evs[0].OrgID != testOrg {
				t.Errorf("events = %+v", evs)
			}
		})
	}
}

func TestSAMLPostBindingAndSignedRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.updateConn(connSAML, func(c *store.Connection) {
		c.SAML.SSOURL = ""
		c.SAML.SSOPostURL = "https://idp.example.net/sso/post"
		c.SAML.SignRequests = true
	})
	b := e.browser()
	w := b.get("/start?connection=" + connSAML)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `action="https://idp.example.net/sso/post"`) {
		t.Fatalf("status %d body %s", w.Code, w.Body)
	}
	body := w.Body.String()
	i := strings.Index(body, `name="SAMLRequest" value="`)
	rest := body[i+len(`name="SAMLRequest" value="`):]
	v := rest[:strings.Index(rest, `"`)]
	raw, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(v, "&#43;", "+"))
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	if doc.FindElement("//Signature") == nil {
		t.Fatal("AuthnRequest is not signed")
	}
	// The signature verifies with the SP certificate.
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509Certificate{spKey.Cert}})
	vc.Clock = dsig.NewFakeClockAt(testNow)
	if _, err := vc.Validate(doc.Root()); err != nil {
		t.Fatalf("AuthnRequest signature: %v", err)
	}
	id := doc.Root().SelectAttrValue("ID", "")
	if doc.Root().SelectAttrValue("AssertionConsumerServiceURL", "") != testBase+"/saml/"+connSAML+"/acs" {
		t.Errorf("ACS URL in request: %s", raw)
	}
	w = b.postSAML(connSAML, respSpec{InResponseTo: id}.build(t), id)
	if w.Code != http.StatusSeeOther || len(e.logins()) != 1 {
		t.Fatalf("status %d, log %s", w.Code, e.logs)
	}
}

func TestSAMLRedirectSignedRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.updateConn(connSAML, func(c *store.Connection) { c.SAML.SignRequests = true })
	w := e.browser().get("/start?connection=" + connSAML)
	loc, _ := url.Parse(w.Header().Get("Location"))
	q := loc.Query()
	if q.Get("SigAlg") != dsig.RSASHA256SignatureMethod || q.Get("Signature") == "" {
		t.Fatalf("redirect not signed: %s", loc)
	}
}

func TestSAMLIdPInitiated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.updateConn(connSAML, func(c *store.Connection) { c.SAML.AllowIdPInitiated = true })
	b := e.browser() // no login started: no binding cookie either
	w := b.postSAML(connSAML, respSpec{}.build(t), "/reports?x=1")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("status %d, body %s log %s", w.Code, w.Body, e.logs)
	}
	ls := e.logins()
	if len(ls) != 1 || !ls[0].IdPInitiated || ls[0].ReturnTo != "/reports?x=1" {
		t.Fatalf("logins = %+v", ls)
	}
	// An unsafe RelayState falls back to "/".
	w = b.postSAML(connSAML, respSpec{}.build(t), "//evil.example")
	if w.Code != http.StatusSeeOther || e.logins()[1].ReturnTo != "/" {
		t.Fatalf("status %d, logins %+v", w.Code, e.logins())
	}
}

// x509Certificate aliases the type for the composite literal above.
type x509Certificate = x509.Certificate
