package ssokit

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/onboardkit/onboardkit/store"
)

// assertRefused checks the common outcome of every attack: a 4xx with a
// generic body, no OnLogin call, no host session cookie, and the reason in
// the operator log.
func assertRefused(t *testing.T, e *env, w *httptest.ResponseRecorder, want Reason) {
	t.Helper()
	if w.Code < 400 || w.Code > 499 {
		t.Errorf("status %d, want 4xx", w.Code)
	}
	body := w.Body.String()
	if want != "" && strings.Contains(body, string(want)) || strings.Contains(body, "ssokit") ||
		strings.Contains(body, "jane@") || strings.Contains(body, "admin@") {
		t.Errorf("body is not generic: %s", body)
	}
	if n := len(e.logins()); n != 0 {
		t.Errorf("OnLogin called %d times", n)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == "host_session" {
			t.Errorf("session cookie set")
		}
	}
	if want != "" && !strings.Contains(e.logs.String(), "reason="+string(want)) {
		t.Errorf("log lacks reason=%s:\n%s", want, e.logs)
	}
}

func findAssertion(d *etree.Document) *etree.Element { return d.FindElement("//Assertion") }

// unsignedCopy returns a copy of el without its Signature children.
func unsignedCopy(el *etree.Element) *etree.Element {
	c := el.Copy()
	for _, s := range c.SelectElements("Signature") {
		c.RemoveChild(s)
	}
	return c
}

func setNameID(a *etree.Element, v string) {
	a.FindElement("./Subject/NameID").SetText(v)
}

type attack struct {
	name        string
	setup       func(e *env)
	spec        func(s *respSpec)
	raw         func(t *testing.T, e *env, id string) []byte
	before      func(e *env)
	conn        string
	unsolicited bool
	want        Reason
	event       bool // a sso.login.failed event is expected
}

func runAttacks(t *testing.T, cases []attack) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			if tc.setup != nil {
				tc.setup(e)
			}
			b := e.browser()
			id := ""
			if !tc.unsolicited {
				id = b.startSAML(t, "connection="+connSAML)
			}
			var raw []byte
			if tc.raw != nil {
				raw = tc.raw(t, e, id)
			} else {
				spec := respSpec{InResponseTo: id}
				if tc.spec != nil {
					tc.spec(&spec)
				}
				raw = spec.build(t)
			}
			if tc.before != nil {
				tc.before(e)
			}
			conn := tc.conn
			if conn == "" {
				conn = connSAML
			}
			w := b.postSAML(conn, raw, id)
			assertRefused(t, e, w, tc.want)
			if tc.event {
				evs := e.events(EventLoginFailed)
				if len(evs) != 1 || !strings.Contains(string(evs[0].Data), string(tc.want)) {
					t.Errorf("failure events = %+v", evs)
				}
			}
		})
	}
}

func TestSAMLAttacks(t *testing.T) {
	t.Parallel()
	spSigned := func(s *respSpec) { s.SignResponse, s.SignAssertion = true, false }
	cases := []attack{
		// Unsigned, foreign keys, tampering.
		{name: "unsigned", want: ReasonUnsigned, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				a := findAssertion(d)
				a.RemoveChild(a.SelectElement("Signature"))
			}
		}},
		{name: "encrypted but unsigned", want: ReasonUnsigned, setup: encryptionOn, spec: func(s *respSpec) {
			s.EncryptTo = spKey.Cert
			s.unsigned()
		}},
		{name: "re-signed with a key in KeyInfo", want: ReasonUnknownCertificate, spec: func(s *respSpec) { s.Key = evilKey }, event: true},
		{name: "re-signed, no KeyInfo", want: ReasonUnknownCertificate, spec: func(s *respSpec) { s.Key, s.NoKeyInfo = evilKey, true }},
		{name: "response re-signed by attacker", want: ReasonUnknownCertificate, spec: func(s *respSpec) { spSigned(s); s.Key = evilKey }},
		{name: "tampered NameID after signing", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) { setNameID(findAssertion(d), "admin@example.com") }
		}},
		{name: "tampered attribute in signed response", want: ReasonBadSignature, spec: func(s *respSpec) {
			spSigned(s)
			s.MutateDoc = func(d *etree.Document) { d.FindElement("//AttributeValue").SetText("admin@example.com") }
		}},
		{name: "expired IdP certificate", want: ReasonCertificateExpired, setup: func(e *env) {
			e.updateConn(connSAML, func(c *store.Connection) { c.SAML.Certificates = []string{expiredKey.CertPEM} })
		}, spec: func(s *respSpec) { s.Key = expiredKey }},

		// XML signature wrapping, after SAML Raider's XSW1-8.
		{name: "XSW1 signed response copied into Extensions, evil response outside", want: ReasonStructure, spec: func(s *respSpec) {
			spSigned(s)
			s.MutateDoc = func(d *etree.Document) {
				root := d.Root()
				orig := root.Copy()
				evil := unsignedCopy(root)
				setNameID(findAssertion(&etree.Document{Element: etree.Element{Child: []etree.Token{evil}}}), "admin@example.com")
				evil.CreateAttr("ID", "_evil")
				ext := etree.NewElement("samlp:Extensions")
				ext.AddChild(orig)
				evil.InsertChildAt(1, ext)
				d.SetRoot(evil)
			}
		}},
		{name: "XSW2 detached signature over a copy", want: ReasonStructure, spec: func(s *respSpec) {
			spSigned(s)
			s.MutateDoc = func(d *etree.Document) {
				root := d.Root()
				sig := root.SelectElement("Signature")
				orig := unsignedCopy(root)
				setNameID(findAssertion(d), "admin@example.com")
				root.CreateAttr("ID", "_evil")
				root.RemoveChild(sig)
				sig.AddChild(orig)
				root.InsertChildAt(1, sig)
			}
		}},
		{name: "XSW3 evil assertion before the signed one", want: ReasonStructure, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				a := findAssertion(d)
				evil := unsignedCopy(a)
				evil.CreateAttr("ID", "_evil")
				setNameID(evil, "admin@example.com")
				d.Root().InsertChildAt(a.Index(), evil)
			}
		}},
		{name: "XSW4 signed assertion inside the evil one", want: ReasonStructure, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				a := findAssertion(d)
				evil := unsignedCopy(a)
				evil.CreateAttr("ID", "_evil")
				setNameID(evil, "admin@example.com")
				root := d.Root()
				idx := a.Index()
				root.RemoveChild(a)
				evil.AddChild(a)
				root.InsertChildAt(idx, evil)
			}
		}},
		{name: "XSW5 evil assertion carries the signature, signed copy elsewhere", want: ReasonStructure, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				a := findAssertion(d)
				orig := unsignedCopy(a)
				setNameID(a, "admin@example.com")
				d.Root().AddChild(orig)
			}
		}},
		{name: "XSW6 signed copy inside the signature Object", want: ReasonStructure, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				a := findAssertion(d)
				orig := unsignedCopy(a)
				setNameID(a, "admin@example.com")
				obj := a.SelectElement("Signature").CreateElement("ds:Object")
				obj.AddChild(orig)
			}
		}},
		{name: "XSW7 signed copy inside Extensions", want: ReasonStructure, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				a := findAssertion(d)
				ext := etree.NewElement("samlp:Extensions")
				ext.AddChild(a.Copy())
				setNameID(a, "admin@example.com")
				a.RemoveChild(a.SelectElement("Signature"))
				d.Root().InsertChildAt(1, ext)
			}
		}},
		{name: "XSW8 unsigned evil assertion, signed original under its Signature", want: ReasonStructure, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				a := findAssertion(d)
				sig := a.SelectElement("Signature")
				orig := unsignedCopy(a)
				setNameID(a, "admin@example.com")
				sig.CreateElement("ds:Object").AddChild(orig)
			}
		}},
		{name: "evil assertion carrying the signature of another signed assertion", want: ReasonBadSignature, spec: func(s *respSpec) {
			// A genuine signature (of another login's assertion, same IdP)
			// re-pointed at the evil assertion's ID.
			other := respSpec{AssertionID: "_other", NameID: "jane@example.com"}
			s.NameID = "admin@example.com"
			s.SignAssertion = false
			s.SignResponse = false
			s.noSign = true
			s.MutateDoc = func(d *etree.Document) {
				od := etree.NewDocument()
				if err := od.ReadFromBytes(other.build(t)); err != nil {
					t.Fatal(err)
				}
				sig := findAssertion(od).SelectElement("Signature").Copy()
				a := findAssertion(d)
				sig.FindElement("./SignedInfo/Reference").CreateAttr("URI", "#"+a.SelectAttrValue("ID", ""))
				a.InsertChildAt(1, sig)
			}
		}},
		{name: "signature moved to the response, reference to the assertion", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				a := findAssertion(d)
				sig := a.SelectElement("Signature")
				a.RemoveChild(sig)
				d.Root().InsertChildAt(1, sig)
			}
		}},
		{name: "empty reference URI", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) { d.FindElement("//Reference").CreateAttr("URI", "") }
		}},
		{name: "two assertions, one signed (CVE-2022-41912)", want: ReasonStructure, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				evil := unsignedCopy(findAssertion(d))
				evil.CreateAttr("ID", "_evil")
				setNameID(evil, "admin@example.com")
				d.Root().AddChild(evil)
			}
		}},
		{name: "signed failure response (with its assertion)", want: ReasonIdPStatus, spec: func(s *respSpec) {
			spSigned(s)
			s.Status = "urn:oasis:names:tc:SAML:2.0:status:Requester"
		}},
		{name: "signed assertion injected into a signed failure response that had none (CVE-2022-39299)", want: ReasonBadSignature,
			raw: func(t *testing.T, e *env, id string) []byte {
				// A genuine signed assertion of this IdP for this request...
				ok := etree.NewDocument()
				if err := ok.ReadFromBytes(respSpec{InResponseTo: id, NameID: "admin@example.com"}.build(t)); err != nil {
					t.Fatal(err)
				}
				signed := findAssertion(ok).Copy()
				// ...moved into a failure Response the IdP signed without one.
				fail := respSpec{InResponseTo: id, SignResponse: true, Status: "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed",
					MutateResponse: func(r *etree.Element) { r.RemoveChild(r.SelectElement("Assertion")) },
					MutateDoc:      func(d *etree.Document) { d.Root().AddChild(signed) }}
				fail.SignAssertion = false
				return fail.build(t)
			}},
		{name: "failure response without assertion", want: ReasonIdPStatus, spec: func(s *respSpec) {
			spSigned(s)
			s.Status = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
			s.MutateDoc = func(d *etree.Document) { d.Root().RemoveChild(findAssertion(d)) }
		}},
		{name: "signed failure response with injected assertion", want: ReasonBadSignature, spec: func(s *respSpec) {
			spSigned(s)
			s.Status = "urn:oasis:names:tc:SAML:2.0:status:Responder"
			s.MutateDoc = func(d *etree.Document) {
				a := findAssertion(d)
				setNameID(a, "admin@example.com")
			}
		}},

		// Comments, DOCTYPE, round trip, namespaces.
		{name: "comment injected in NameID after signing", want: ReasonForbiddenXML, spec: func(s *respSpec) {
			s.NameID = "admin@example.com.evil.example"
			s.MutateDoc = func(d *etree.Document) {
				n := findAssertion(d).FindElement("./Subject/NameID")
				n.SetText("admin@example.com")
				n.CreateComment("")
				n.CreateText(".evil.example")
			}
		}},
		{name: "comment in an attribute value after signing", want: ReasonForbiddenXML, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) { d.FindElement("//AttributeValue").CreateComment("") }
		}},
		{name: "comment before the root", want: ReasonForbiddenXML, raw: func(t *testing.T, e *env, id string) []byte {
			raw := respSpec{InResponseTo: id}.build(t)
			return bytes.Replace(raw, []byte("?>"), []byte("?><!-- x -->"), 1)
		}},
		{name: "processing instruction inside", want: ReasonForbiddenXML, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) { findAssertion(d).CreateProcInst("evil", "x") }
		}},
		{name: "DOCTYPE with entity", want: ReasonForbiddenXML, raw: func(t *testing.T, e *env, id string) []byte {
			raw := respSpec{InResponseTo: id}.build(t)
			raw = bytes.Replace(raw, []byte("?>"), []byte(`?><!DOCTYPE r [<!ENTITY e "admin@example.com">]>`), 1)
			return raw
		}},
		{name: "billion laughs", want: ReasonForbiddenXML, raw: func(t *testing.T, e *env, id string) []byte {
			var b strings.Builder
			b.WriteString(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">`)
			prev := "lol"
			for i := 1; i < 10; i++ {
				n := "lol" + string(rune('0'+i))
				b.WriteString(`<!ENTITY ` + n + ` "&` + prev + `;&` + prev + `;&` + prev + `;&` + prev + `;&` + prev + `;&` + prev + `;&` + prev + `;&` + prev + `;&` + prev + `;&` + prev + `;">`)
				prev = n
			}
			b.WriteString(`]><samlp:Response xmlns:samlp="` + nsProtocol + `">&` + prev + `;</samlp:Response>`)
			return []byte(b.String())
		}},
		{name: "round-trip unstable attribute namespace", want: ReasonMalformed, raw: func(t *testing.T, e *env, id string) []byte {
			raw := respSpec{InResponseTo: id}.build(t)
			return bytes.Replace(raw, []byte(`<saml:Issuer>`), []byte(`<saml:Issuer xmlns:a="urn:x" a:b:c="d">`), 1)
		}},
		{name: "round-trip unstable element name", want: ReasonMalformed, raw: func(t *testing.T, e *env, id string) []byte {
			raw := respSpec{InResponseTo: id}.build(t)
			return bytes.Replace(raw, []byte(`<samlp:Status>`), []byte(`<samlp:Status><x:y:z xmlns:x="urn:x"/>`), 1)
		}},
		{name: "NameID in a foreign namespace (GO-2026-6909)", want: ReasonSubject, spec: func(s *respSpec) {
			s.MutateAssertion = func(a *etree.Element) {
				subj := a.SelectElement("Subject")
				n := subj.SelectElement("NameID")
				subj.RemoveChild(n)
				f := etree.NewElement("evil:NameID")
				f.CreateAttr("xmlns:evil", "urn:evil")
				f.SetText("admin@example.com")
				subj.InsertChildAt(0, f)
			}
		}},
		{name: "foreign NameID beside the real one", want: ReasonSubject, spec: func(s *respSpec) {
			s.MutateAssertion = func(a *etree.Element) {
				f := etree.NewElement("evil:NameID")
				f.CreateAttr("xmlns:evil", "urn:evil")
				f.SetText("admin@example.com")
				a.SelectElement("Subject").InsertChildAt(0, f)
			}
		}},
		{name: "missing Subject", want: ReasonSubject, spec: func(s *respSpec) { s.OmitSubject = true }},
		{name: "missing Conditions", want: ReasonAudience, spec: func(s *respSpec) { s.OmitConditions = true }},
		{name: "NameID with a child element", want: ReasonSubject, spec: func(s *respSpec) {
			s.MutateAssertion = func(a *etree.Element) {
				a.FindElement("./Subject/NameID").CreateElement("saml:X").SetText("y")
			}
		}},

		// Algorithms.
		{name: "SHA-1 without opt-in", want: ReasonAlgorithm, spec: func(s *respSpec) { s.SigAlg, s.DigestSHA1 = dsig.RSASHA1SignatureMethod, true }},
		{name: "SHA-1 digest only", want: ReasonAlgorithm, spec: func(s *respSpec) { s.DigestSHA1 = true }},
		{name: "exclusive c14n WithComments", want: ReasonAlgorithm, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				d.FindElement("//CanonicalizationMethod").CreateAttr("Algorithm", string(dsig.CanonicalXML10ExclusiveWithCommentsAlgorithmId))
			}
		}},
		{name: "WithComments transform", want: ReasonAlgorithm, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				d.FindElements("//Transform")[1].CreateAttr("Algorithm", string(dsig.CanonicalXML10ExclusiveWithCommentsAlgorithmId))
			}
		}},
		{name: "XPath transform", want: ReasonAlgorithm, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				d.FindElements("//Transform")[1].CreateAttr("Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116")
			}
		}},
		{name: "XSLT transform", want: ReasonAlgorithm, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				d.FindElements("//Transform")[1].CreateAttr("Algorithm", "http://www.w3.org/TR/1999/REC-xslt-19991116")
			}
		}},
		{name: "MD5 digest", want: ReasonAlgorithm, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				d.FindElement("//DigestMethod").CreateAttr("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#md5")
			}
		}},
		{name: "HMAC signature method", want: ReasonAlgorithm, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				d.FindElement("//SignatureMethod").CreateAttr("Algorithm", "http://www.w3.org/2000/09/xmldsig#hmac-sha1")
			}
		}},

		// Audience, destination, recipient, issuer, tenants.
		{name: "wrong audience", want: ReasonAudience, spec: func(s *respSpec) { s.Audience = "https://other.example/sp" }, event: true},
		{name: "no audience restriction", want: ReasonAudience, spec: func(s *respSpec) { s.Audience = "-" }},
		{name: "audience of tenant B", want: ReasonAudience, spec: func(s *respSpec) { s.Audience = testBase + "/saml/" + connSAMLB + "/metadata" }},
		{name: "wrong destination", want: ReasonDestination, spec: func(s *respSpec) { s.Destination = "https://evil.example/acs" }},
		{name: "signed response without destination", want: ReasonDestination, spec: func(s *respSpec) { spSigned(s); s.Destination = "-" }},
		{name: "wrong recipient", want: ReasonRecipient, spec: func(s *respSpec) { s.Recipient = testBase + "/saml/" + connSAMLB + "/acs" }},
		{name: "wrong issuer, trusted key", want: ReasonIssuer, spec: func(s *respSpec) { s.Issuer = "https://other-idp.example" }},
		{name: "missing issuer", want: ReasonIssuer, spec: func(s *respSpec) { s.Issuer, s.RespIssuer = "-", idpEntity }},
		{name: "tenant B's IdP with B's issuer, posted to A", want: ReasonUnknownCertificate, spec: func(s *respSpec) { s.Key, s.Issuer = idpB, idpEntityB }},
		{name: "tenant B's IdP with A's issuer, posted to A", want: ReasonUnknownCertificate, spec: func(s *respSpec) { s.Key = idpB }},
		{name: "tenant A's response posted to B's ACS", want: ReasonUnknownCertificate, unsolicited: true, conn: connSAMLB, spec: func(s *respSpec) {
			s.ACS = testBase + "/saml/" + connSAMLB + "/acs"
			s.Audience = testBase + "/saml/" + connSAMLB + "/metadata"
			s.Issuer = idpEntityB
		}},

		{name: "tenant A's response with A's issuer posted to B's ACS", want: ReasonUnknownCertificate, unsolicited: true, conn: connSAMLB, spec: func(s *respSpec) {
			s.ACS = testBase + "/saml/" + connSAMLB + "/acs"
			s.Audience = testBase + "/saml/" + connSAMLB + "/metadata"
		}},

		// Time.
		{name: "NotBefore beyond skew", want: ReasonNotYetValid, spec: func(s *respSpec) { s.NotBefore = testNow.Add(4 * time.Minute) }},
		{name: "NotOnOrAfter passed", want: ReasonExpired, before: func(e *env) { e.advance(9 * time.Minute) },
			spec: func(s *respSpec) { s.NotOnOrAfter = testNow.Add(5 * time.Minute) }},
		{name: "IssueInstant in the future", want: ReasonNotYetValid, spec: func(s *respSpec) {
			s.IssueInstant = testNow.Add(10 * time.Minute)
			s.NotOnOrAfter = testNow.Add(20 * time.Minute)
		}},
		{name: "IssueInstant too old", want: ReasonExpired, spec: func(s *respSpec) {
			s.IssueInstant = testNow.Add(-9 * time.Minute)
			s.NotOnOrAfter = testNow.Add(time.Hour)
		}},
		{name: "SubjectConfirmationData expired", want: ReasonExpired, spec: func(s *respSpec) {
			s.MutateAssertion = func(a *etree.Element) {
				a.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData").CreateAttr("NotOnOrAfter", xsTime(testNow.Add(-4*time.Minute)))
			}
		}},

		// Requests and binding.
		{name: "unknown InResponseTo", want: ReasonRequestUnknown, spec: func(s *respSpec) { s.InResponseTo = "id_0000000000000000000000000" }},
		{name: "assertion InResponseTo differs from the response's", want: ReasonInResponseTo, spec: func(s *respSpec) {
			s.MutateAssertion = func(a *etree.Element) {
				a.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData").CreateAttr("InResponseTo", "id_other")
			}
		}},
		{name: "request of tenant B's connection", want: ReasonInResponseTo, raw: func(t *testing.T, e *env, id string) []byte {
			// The same browser started a login at B; its request id is
			// replayed in a response to A.
			other := e.browser()
			bid := other.startSAML(t, "connection="+connSAMLB)
			return respSpec{InResponseTo: bid}.build(t)
		}},
		{name: "request expired", want: ReasonRequestUnknown, before: func(e *env) { e.advance(11 * time.Minute) },
			spec: func(s *respSpec) {
				s.Now = testNow.Add(11 * time.Minute)
			}},
		{name: "IdP-initiated while disabled", want: ReasonUnsolicited, unsolicited: true},
		{name: "connection inactive", want: ReasonConnectionInactive, raw: func(t *testing.T, e *env, id string) []byte {
			if _, err := e.sso.Deactivate(context.Background(), connSAML, "test"); err != nil {
				t.Fatal(err)
			}
			return respSpec{InResponseTo: id}.build(t)
		}},
		{name: "encryption required, plain assertion", want: ReasonNotEncrypted, setup: func(e *env) {
			e.updateConn(connSAML, func(c *store.Connection) { c.SAML.EncryptedAssertion = true })
		}},

		// Email and directory checks.
		{name: "email outside the organization's domains", want: ReasonEmailOutsideDomains, event: true, spec: func(s *respSpec) {
			s.NameID = "jane@evil.example"
			s.Attrs = []attr{{Name: "email", Values: []string{"jane@evil.example"}}}
		}},
		{name: "email in another organization's verified domain", want: ReasonEmailOutsideDomains, spec: func(s *respSpec) {
			s.Attrs = []attr{{Name: "email", Values: []string{"ceo@orgb.example"}}}
		}},
		{name: "email in another organization's verified domain, outside domains allowed", want: ReasonEmailOutsideDomains,
			setup: func(e *env) { e.updateConn(connSAML, func(c *store.Connection) { c.AllowEmailOutsideDomains = true }) },
			spec:  func(s *respSpec) { s.Attrs = []attr{{Name: "email", Values: []string{"ceo@orgb.example"}}} }},
		{name: "email in a pending domain", want: ReasonEmailOutsideDomains, spec: func(s *respSpec) {
			s.Attrs = []attr{{Name: "email", Values: []string{"jane@pending.example"}}}
		}},
		{name: "IDN homoglyph domain", want: ReasonInvalidEmail, spec: func(s *respSpec) {
			s.Attrs = []attr{{Name: "email", Values: []string{"jane@ex\u0430mple.com"}}}
		}},
		{name: "email with two @", want: ReasonInvalidEmail, spec: func(s *respSpec) {
			s.Attrs = []attr{{Name: "email", Values: []string{"a@evil.example@example.com"}}}
		}},
		{name: "IDN domain of another script (punycode, unverified)", want: ReasonEmailOutsideDomains, spec: func(s *respSpec) {
			s.Attrs = []attr{{Name: "email", Values: []string{"jane@\u043f\u0440\u0438\u043c\u0435\u0440.com"}}}
		}},
		{name: "email suffix trick", want: ReasonEmailOutsideDomains, spec: func(s *respSpec) {
			s.Attrs = []attr{{Name: "email", Values: []string{"a@example.com.evil.example"}}}
		}},
		{name: "Entra guest account", want: ReasonInvalidEmail, spec: func(s *respSpec) {
			s.Attrs = []attr{{Name: "email", Values: []string{"bob_gmail.com#EXT#@example.com"}}}
		}},
		{name: "no email at all", want: ReasonMissingEmail, spec: func(s *respSpec) {
			s.NameID, s.NameIDFormat = "00u1abcd", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
			s.Attrs = []attr{{Name: "firstName", Values: []string{"Jane"}}}
		}},
		{name: "directory user deactivated", want: ReasonUserDeactivated, event: true, setup: func(e *env) {
			addDirectoryUser(t, e, "jane@example.com", false)
		}},
	}
	runAttacks(t, cases)
}

// unsigned makes build sign neither the assertion nor the response.
func (s *respSpec) unsigned() {
	s.SignAssertion, s.SignResponse, s.noSign = false, false, true
}

func addDirectoryUser(t testing.TB, e *env, email string, active bool) *store.DirectoryUser {
	t.Helper()
	ctx := context.Background()
	if _, err := e.st.GetDirectory(ctx, "dir_a"); err != nil {
		if err := e.st.CreateDirectory(ctx, &store.Directory{ID: "dir_a", OrgID: testOrg, Provider: "okta", Name: "Okta", State: store.DirectoryActive, CreatedAt: testNow, UpdatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
	}
	u := &store.DirectoryUser{ID: "dusr_" + strings.Split(email, "@")[0], DirectoryID: "dir_a", UserName: email, Active: active,
		Emails: []store.Email{{Value: email, Primary: true}}, CreatedAt: testNow, UpdatedAt: testNow}
	if err := e.st.CreateDirectoryUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSAMLGarbage(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("A", 300<<10)
	var bomb bytes.Buffer
	fw, _ := flate.NewWriter(&bomb, flate.BestCompression)
	fw.Write(bytes.Repeat([]byte("<a>"), 5<<20))
	fw.Close()
	deep := `<samlp:Response xmlns:samlp="` + nsProtocol + `">` + strings.Repeat("<x>", 500) + strings.Repeat("</x>", 500) + `</samlp:Response>`
	cases := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"huge POST", func() *http.Request { return form(url.Values{"SAMLResponse": {big}}) }, 400},
		{"bad base64", func() *http.Request { return form(url.Values{"SAMLResponse": {"%%%not base64"}}) }, 400},
		{"no SAMLResponse", func() *http.Request { return form(url.Values{"RelayState": {"x"}}) }, 400},
		{"non-UTF-8", func() *http.Request { return formRaw([]byte("<samlp:Response>\xff\xfe</samlp:Response>")) }, 400},
		{"wrong root", func() *http.Request {
			return formRaw([]byte(`<samlp:AuthnRequest xmlns:samlp="` + nsProtocol + `" ID="x"/>`))
		}, 400},
		{"not XML", func() *http.Request { return formRaw([]byte("hello")) }, 400},
		{"deep nesting", func() *http.Request { return formRaw([]byte(deep)) }, 400},
		// The ACS has no HTTP-Redirect binding (the profile forbids it for
		// a Response): a GET is refused before anything is decoded, so
		// there is no inflater for a deflate bomb to reach.
		{"deflate bomb on the redirect binding, refused uninflated", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/saml/"+connSAML+"/acs?SAMLResponse="+url.QueryEscape(base64.StdEncoding.EncodeToString(bomb.Bytes())), nil)
		}, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			e.updateConn(connSAML, func(c *store.Connection) { c.SAML.AllowIdPInitiated = true })
			w := e.browser().do(tc.req())
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			assertRefused(t, e, w, "")
			if n := len(e.events()); n != 0 {
				t.Errorf("%d events written for garbage", n)
			}
		})
	}
}

func form(v url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/saml/"+connSAML+"/acs", strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func formRaw(b []byte) *http.Request {
	return form(url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(b)}})
}
