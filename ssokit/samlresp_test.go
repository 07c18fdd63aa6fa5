package ssokit

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
	dsig "github.com/russellhaering/goxmldsig"
)

// attr is one SAML attribute of a test response.
type attr struct {
	Name         string
	FriendlyName string
	Values       []string
}

// respSpec describes a SAML response built and signed by the tests' IdP.
// Zero fields get the values of a valid response for connSAML.
type respSpec struct {
	Key          *testKey // signing key; idpKey by default
	Issuer       string   // assertion Issuer; "-" to omit
	RespIssuer   string   // Response Issuer; "-" to omit
	ACS          string
	Destination  string // "-" to omit
	Recipient    string
	Audience     string // "-" to omit the AudienceRestriction
	InResponseTo string
	NameID       string
	NameIDFormat string
	Attrs        []attr
	Now          time.Time
	IssueInstant time.Time
	NotBefore    time.Time
	NotOnOrAfter time.Time
	ResponseID   string
	AssertionID  string
	Status       string

	SignAssertion   bool
	SignResponse    bool
	NoKeyInfo       bool
	SigAlg          string
	DigestSHA1      bool
	EncryptTo       *x509.Certificate
	EncCipher       xmlenc.BlockCipher // content cipher (crewjam, CBC only); AES-128-GCM by default
	EncKey          *xmlenc.RSA        // key transport (crewjam); RSA-OAEP with SHA-1 by default
	OmitConditions  bool
	OmitSubject     bool
	MutateAssertion func(a *etree.Element)  // before signing
	MutateResponse  func(r *etree.Element)  // before the Response is signed
	MutateDoc       func(d *etree.Document) // after signing and encryption
	noSign          bool
}

func (s respSpec) withDefaults() respSpec {
	if s.Key == nil {
		s.Key = idpKey
	}
	if s.Issuer == "" {
		s.Issuer = idpEntity
	}
	if s.RespIssuer == "" {
		s.RespIssuer = s.Issuer
	}
	if s.ACS == "" {
		s.ACS = testBase + "/saml/" + connSAML + "/acs"
	}
	if s.Destination == "" {
		s.Destination = s.ACS
	}
	if s.Recipient == "" {
		s.Recipient = s.ACS
	}
	if s.Audience == "" {
		s.Audience = testBase + "/saml/" + connSAML + "/metadata"
	}
	if s.NameID == "" {
		s.NameID = "jane@example.com"
	}
	if s.NameIDFormat == "" {
		s.NameIDFormat = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	}
	if s.Now.IsZero() {
		s.Now = testNow
	}
	if s.IssueInstant.IsZero() {
		s.IssueInstant = s.Now
	}
	if s.NotBefore.IsZero() {
		s.NotBefore = s.Now.Add(-5 * time.Minute)
	}
	if s.NotOnOrAfter.IsZero() {
		s.NotOnOrAfter = s.Now.Add(5 * time.Minute)
	}
	if s.ResponseID == "" {
		s.ResponseID = fmt.Sprintf("_r%d", s.Now.UnixNano()^int64(len(s.NameID))^time.Now().UnixNano())
	}
	if s.AssertionID == "" {
		s.AssertionID = "_a" + s.ResponseID[2:]
	}
	if s.Status == "" {
		s.Status = statusSuccess
	}
	if !s.SignAssertion && !s.SignResponse && !s.noSign {
		s.SignAssertion = true
	}
	if s.SigAlg == "" {
		s.SigAlg = dsig.RSASHA256SignatureMethod
	}
	if s.Attrs == nil {
		s.Attrs = []attr{
			{Name: "email", Values: []string{"jane@example.com"}},
			{Name: "firstName", Values: []string{"Jane"}},
			{Name: "lastName", Values: []string{"Doe"}},
			{Name: "groups", Values: []string{"Engineering", "Admins"}},
		}
	}
	return s
}

func xsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (s respSpec) assertion() *etree.Element {
	a := etree.NewElement("saml:Assertion")
	a.CreateAttr("xmlns:saml", nsAssertion)
	a.CreateAttr("ID", s.AssertionID)
	a.CreateAttr("IssueInstant", xsTime(s.IssueInstant))
	a.CreateAttr("Version", "2.0")
	if s.Issuer != "-" {
		a.CreateElement("saml:Issuer").SetText(s.Issuer)
	}
	if !s.OmitSubject {
		subj := a.CreateElement("saml:Subject")
		n := subj.CreateElement("saml:NameID")
		n.CreateAttr("Format", s.NameIDFormat)
		n.SetText(s.NameID)
		sc := subj.CreateElement("saml:SubjectConfirmation")
		sc.CreateAttr("Method", methodBearer)
		d := sc.CreateElement("saml:SubjectConfirmationData")
		if s.InResponseTo != "" {
			d.CreateAttr("InResponseTo", s.InResponseTo)
		}
		d.CreateAttr("NotOnOrAfter", xsTime(s.NotOnOrAfter))
		d.CreateAttr("Recipient", s.Recipient)
	}
	if !s.OmitConditions {
		c := a.CreateElement("saml:Conditions")
		c.CreateAttr("NotBefore", xsTime(s.NotBefore))
		c.CreateAttr("NotOnOrAfter", xsTime(s.NotOnOrAfter))
		if s.Audience != "-" {
			c.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(s.Audience)
		}
	}
	as := a.CreateElement("saml:AuthnStatement")
	as.CreateAttr("AuthnInstant", xsTime(s.IssueInstant))
	as.CreateAttr("SessionIndex", "_session"+s.AssertionID)
	as.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").
		SetText("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
	if len(s.Attrs) > 0 {
		st := a.CreateElement("saml:AttributeStatement")
		for _, at := range s.Attrs {
			el := st.CreateElement("saml:Attribute")
			el.CreateAttr("Name", at.Name)
			if at.FriendlyName != "" {
				el.CreateAttr("FriendlyName", at.FriendlyName)
			}
			el.CreateAttr("NameFormat", "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified")
			for _, v := range at.Values {
				ve := el.CreateElement("saml:AttributeValue")
				ve.CreateAttr("xmlns:xs", "http://www.w3.org/2001/XMLSchema")
				ve.CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
				ve.CreateAttr("xsi:type", "xs:string")
				ve.SetText(v)
			}
		}
	}
	if s.MutateAssertion != nil {
		s.MutateAssertion(a)
	}
	return a
}

// signEl signs el enveloped with k, placing the Signature after Issuer as
// the SAML schema wants.
func signEl(t testing.TB, el *etree.Element, k *testKey, alg string, sha1 bool, keyInfo bool) *etree.Element {
	t.Helper()
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{k.Cert.Raw}, PrivateKey: k.Key}))
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(alg); err != nil {
		t.Fatal(err)
	}
	if sha1 {
		ctx.Hash = crypto.SHA1
	}
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		t.Fatal(err)
	}
	sig, ok := signed.RemoveChildAt(len(signed.Child) - 1).(*etree.Element)
	if !ok || sig.Tag != "Signature" {
		t.Fatal("signature not found at the end of the signed element")
	}
	if !keyInfo {
		if ki := sig.FindElement("./KeyInfo"); ki != nil {
			sig.RemoveChild(ki)
		}
	}
	idx := 0
	if iss := signed.FindElement("./Issuer"); iss != nil {
		idx = iss.Index() + 1
	}
	signed.InsertChildAt(idx, sig)
	return signed
}

// build returns the response XML.
func (s respSpec) build(t testing.TB) []byte {
	t.Helper()
	s = s.withDefaults()
	a := s.assertion()
	if s.SignAssertion {
		a = signEl(t, a, s.Key, s.SigAlg, s.DigestSHA1, !s.NoKeyInfo)
	}
	r := etree.NewElement("samlp:Response")
	r.CreateAttr("xmlns:samlp", nsProtocol)
	r.CreateAttr("xmlns:saml", nsAssertion)
	r.CreateAttr("ID", s.ResponseID)
	r.CreateAttr("Version", "2.0")
	r.CreateAttr("IssueInstant", xsTime(s.IssueInstant))
	if s.Destination != "-" {
		r.CreateAttr("Destination", s.Destination)
	}
	if s.InResponseTo != "" {
		r.CreateAttr("InResponseTo", s.InResponseTo)
	}
	if s.RespIssuer != "-" {
		r.CreateElement("saml:Issuer").SetText(s.RespIssuer)
	}
	r.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", s.Status)
	if s.EncryptTo != nil {
		doc := etree.NewDocument()
		doc.SetRoot(a)
		plain, err := doc.WriteToBytes()
		if err != nil {
			t.Fatal(err)
		}
		var ed *etree.Element
		if s.EncCipher == nil && s.EncKey == nil {
			ed = encryptGCM(t, s.EncryptTo, plain, 16)
		} else {
			enc := xmlenc.OAEP()
			enc.DigestMethod = &xmlenc.SHA1
			if s.EncKey != nil {
				enc = *s.EncKey
			}
			enc.BlockCipher = xmlenc.AES128CBC
			if s.EncCipher != nil {
				enc.BlockCipher = s.EncCipher
			}
			if ed, err = enc.Encrypt(s.EncryptTo, plain, nil); err != nil {
				t.Fatal(err)
			}
		}
		ed.CreateAttr("Type", "http://www.w3.org/2001/04/xmlenc#Element")
		ea := r.CreateElement("saml:EncryptedAssertion")
		ea.AddChild(ed)
	} else {
		r.AddChild(a)
	}
	if s.MutateResponse != nil {
		s.MutateResponse(r)
	}
	if s.SignResponse {
		r = signEl(t, r, s.Key, s.SigAlg, s.DigestSHA1, !s.NoKeyInfo)
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(r)
	if s.MutateDoc != nil {
		s.MutateDoc(doc)
	}
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
