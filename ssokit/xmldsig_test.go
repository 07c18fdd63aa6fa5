package ssokit

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"
	xrv "github.com/mattermost/xml-roundtrip-validator"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// TestSAMLSignatureOnTree sends what the signature check on the parsed
// tree (xmldsig.go) must refuse, beyond TestSAMLAttacks.
func TestSAMLSignatureOnTree(t *testing.T) {
	t.Parallel()
	spSigned := func(s *respSpec) { s.SignResponse, s.SignAssertion = true, false }
	cases := []attack{
		{name: "reference to the response from the assertion's signature", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				d.FindElement("//Reference").CreateAttr("URI", "#"+d.Root().SelectAttrValue("ID", ""))
			}
		}},
		{name: "reference to an element that is not signed", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				d.Root().SelectElement("Status").CreateAttr("ID", "_status")
				d.FindElement("//Reference").CreateAttr("URI", "#_status")
			}
		}},
		{name: "assertion ID also on the Status", want: ReasonStructure, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				d.Root().SelectElement("Status").CreateAttr("ID", findAssertion(d).SelectAttrValue("ID", ""))
			}
		}},
		{name: "assertion ID also on the Response", want: ReasonStructure, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) { d.Root().CreateAttr("ID", findAssertion(d).SelectAttrValue("ID", "")) }
		}},
		{name: "response ID also inside the signed assertion", want: ReasonStructure, spec: func(s *respSpec) {
			spSigned(s)
			s.MutateDoc = func(d *etree.Document) {
				findAssertion(d).FindElement("./Subject/NameID").CreateAttr("ID", d.Root().SelectAttrValue("ID", ""))
			}
		}},
		{name: "assertion ID inside the Response's Signature", want: ReasonStructure, spec: func(s *respSpec) {
			s.SignResponse, s.SignAssertion = true, true
			s.MutateDoc = func(d *etree.Document) {
				d.Root().SelectElement("Signature").SelectElement("KeyInfo").CreateAttr("ID", findAssertion(d).SelectAttrValue("ID", ""))
			}
		}},
		{name: "ID attribute given twice", want: ReasonMalformed, raw: func(t *testing.T, e *env, id string) []byte {
			raw := respSpec{InResponseTo: id}.build(t)
			return bytes.Replace(raw, []byte("<saml:Assertion "), []byte(`<saml:Assertion ID="_evil" `), 1)
		}},
		{name: "attribute given twice under two prefixes of one namespace", want: ReasonMalformed, raw: func(t *testing.T, e *env, id string) []byte {
			raw := respSpec{InResponseTo: id}.build(t)
			return bytes.Replace(raw, []byte("<saml:Issuer>"), []byte(`<saml:Issuer xmlns:a="urn:x" xmlns:b="urn:x" a:k="1" b:k="2">`), 1)
		}},
		{name: "undeclared prefix", want: ReasonMalformed, raw: func(t *testing.T, e *env, id string) []byte {
			raw := respSpec{InResponseTo: id}.build(t)
			return bytes.Replace(raw, []byte("<samlp:Status>"), []byte(`<samlp:Status><u:Extra/>`), 1)
		}},
		{name: "signature inside Subject", want: ReasonStructure, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				a := findAssertion(d)
				sig := a.SelectElement("Signature")
				a.RemoveChild(sig)
				a.SelectElement("Subject").AddChild(sig)
			}
		}},
		{name: "whitespace added inside NameID after signing", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				n := findAssertion(d).FindElement("./Subject/NameID")
				n.SetText(" " + n.Text() + "\n")
			}
		}},
		{name: "Reference redefines the dsig prefix", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) { d.FindElement("//Reference").CreateAttr("xmlns:ds", "urn:evil") }
		}},
		{name: "SignedInfo redefines the dsig prefix", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) { d.FindElement("//SignedInfo").CreateAttr("xmlns:ds", "urn:evil") }
		}},
		{name: "assertion redefines the saml prefix after signing", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				a := findAssertion(d)
				for _, c := range a.ChildElements() {
					if c.Tag == "Subject" {
						c.CreateAttr("xmlns:saml", "urn:evil")
					}
				}
			}
		}},
		{name: "no enveloped-signature transform", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				tr := d.FindElement("//Transforms")
				tr.RemoveChild(tr.ChildElements()[0])
			}
		}},
		{name: "no canonicalization transform", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				tr := d.FindElement("//Transforms")
				tr.RemoveChild(tr.ChildElements()[1])
			}
		}},
		{name: "no Transforms", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				ref := d.FindElement("//Reference")
				ref.RemoveChild(ref.SelectElement("Transforms"))
			}
		}},
		{name: "enveloped-signature transform twice", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				tr := d.FindElement("//Transforms")
				tr.ChildElements()[1].CreateAttr("Algorithm", string(dsig.EnvelopedSignatureAltorithmId))
			}
		}},
		{name: "unsupported transform", want: ReasonAlgorithm, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				d.FindElements("//Transform")[0].CreateAttr("Algorithm", "http://www.w3.org/2002/06/xmldsig-filter2")
			}
		}},
		{name: "digest mismatch in a signed response", want: ReasonBadSignature, spec: func(s *respSpec) {
			spSigned(s)
			s.MutateDoc = func(d *etree.Document) {
				d.Root().SelectElement("Status").SelectElement("StatusCode").CreateAttr("Extra", "1")
			}
		}},
		{name: "DigestValue of another length", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) { d.FindElement("//DigestValue").SetText("AAAA") }
		}},
		{name: "Object in the Signature", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) { findAssertion(d).SelectElement("Signature").CreateElement("ds:Object") }
		}},
		{name: "two SignatureValues", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				sig := findAssertion(d).SelectElement("Signature")
				sig.AddChild(sig.SelectElement("SignatureValue").Copy())
			}
		}},
		{name: "extra element in SignedInfo", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) { d.FindElement("//SignedInfo").CreateElement("ds:Extra") }
		}},
		{name: "SignatureValue not base64", want: ReasonBadSignature, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) { d.FindElement("//SignatureValue").SetText("%%%") }
		}},
	}
	runAttacks(t, cases)
}

// TestSAMLSignatureOnTreeAccepts: what canonicalization does not change
// still verifies, and is read whole: a NameID split by a CDATA section is
// not truncated, an unused namespace declaration added to SignedInfo is
// dropped by exclusive c14n.
func TestSAMLSignatureOnTreeAccepts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(d *etree.Document)
	}{
		{"CDATA split inside NameID", func(d *etree.Document) {
			n := findAssertion(d).FindElement("./Subject/NameID")
			v := n.Text()
			n.SetText(v[:4])
			n.CreateCData(v[4:8])
			n.CreateText(v[8:])
		}},
		{"unused namespace declaration on SignedInfo", func(d *etree.Document) {
			d.FindElement("//SignedInfo").CreateAttr("xmlns:unused", "urn:unused")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			b := e.browser()
			id := b.startSAML(t, "connection="+connSAML)
			w := b.postSAML(connSAML, respSpec{InResponseTo: id, MutateDoc: tc.mutate}.build(t), id)
			if w.Code != 303 || len(e.logins()) != 1 {
				t.Fatalf("status %d, logins %d:\n%s", w.Code, len(e.logins()), e.logs)
			}
			if got := e.logins()[0].Subject; got != "jane@example.com" {
				t.Fatalf("subject %q", got)
			}
		})
	}
}

// TestCanonicalizeMatchesGoxmldsig: the exclusive canonical form written
// from the tree without a copy is byte for byte goxmldsig's.
func TestCanonicalizeMatchesGoxmldsig(t *testing.T) {
	keys(t)
	files, _ := filepath.Glob(filepath.Join("testdata", "fixtures", "*.xml"))
	raws := [][]byte{respSpec{SignResponse: true}.build(t), respSpec{Attrs: benchAttrs}.build(t)}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
	}
	n := 0
	for _, raw := range raws {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(raw); err != nil {
			continue
		}
		for _, el := range append([]*etree.Element{doc.Root()}, doc.Root().ChildElements()...) {
			for _, prefixes := range []string{"", "xs xsi"} {
				ctx, err := etreeutils.NSBuildParentContext(el)
				if err != nil {
					t.Fatal(err)
				}
				a, err := etreeutils.NSDetatch(ctx, el)
				if err != nil {
					t.Fatal(err)
				}
				b := a.Copy()
				got, err := canonicalize(a, string(dsig.CanonicalXML10ExclusiveAlgorithmId), prefixes)
				if err != nil {
					t.Fatal(err)
				}
				want, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixes).Canonicalize(b)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("canonical forms differ:\n%s\n%s", got, want)
				}
				n++
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d elements compared", n)
	}
}

// roundTripPayloads are the Go XML round-trip instability cases
// (CVE-2020-29509 attributes, CVE-2020-29510 directives, CVE-2020-29511
// elements) and xml-roundtrip-validator's own test inputs.
var roundTripPayloads = []string{
	// CVE-2020-29509: attribute names.
	`<Root :attr="x"/>`,
	`<Root x:="value"/>`,
	`<Root xmlns="x" xmlns:="y"></Root>`,
	`<Root><Element ::attr="foo"></Element></Root>`,
	`<Root xmlns:x="urn:x" x:a:b="c"/>`,
	`<Root xmlns:x="urn:x" xmlns:x:y="urn:y"/>`,
	`<Root xmlns:xmlns="urn:x"/>`,
	`<Root xmlns:x="urn:x" x:xmlns="urn:y"/>`,
	// CVE-2020-29510: directives.
	`<Root><! <<!-- -->!-- x --> y></Root>`,
	`<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd"><Root/>`,
	`<! ">" <X/>><Root/>`,
	`<!name <!-- comment --><nesting <more nesting>>><Root/>`,
	`<Root><!--`,
	// CVE-2020-29511: element names.
	`<x::Root/>`,
	`<Root><x::Element></::Element></Root>`,
	`<Root></x::Element></Root>`,
	`<x:>`,
	`</x:>`,
	`<:Root/>`,
	`<Root><x:/></Root>`,
	`<xmlns:Root xmlns:xmlns="urn:x"/>`,
	`<Root xml:lang="en"/>`,
	// xml-roundtrip-validator's other inputs.
	`<Root></Root>`,
	`<x:Root></x:Root>`,
	`<x:Root xmlns:x="http://example.com/"></x:Root>`,
	`<x:Root xmlns="http://example.com/"></x:Root>`,
	`<Root xmlns="http://example.com/1" xmlns="http://example.com/2"></Root>`,
	`<?xml version="1.0" encoding="EUC-JP"?><Root></Root>`,
	`<Root>text &quot;hello&quot;</Root>`,
	`<Root><![CDATA[text "hello"]]></Root>`,
	`<!-- comment --><Root/>`,
	`<Root xmlns="http://example.com/1" x:attr="y"/>`,
	`<x:Root xmlns="http://example.com/1" x:attr="y" x:attr2="z"/>`,
	`<x:Root xmlns:x="http://example.com/"><Element xmlns:x="http://example.com/"/></x:Root>`,
	`&reference;`,
	`<Root>]]></Root>`,
	`<Root ::attr="x">]]><x::Element/></Root>`,
	"<Root>\r\n    <! <<!-- -->!-- x --> y>\r\n    <Element ::attr=\"foo\"></x::Element>\r\n</Root>",
}

// TestXMLRoundTripPayloads: readXML refuses every input that
// xml-roundtrip-validator refuses, and every CVE-2020-29509/10/11 payload.
func TestXMLRoundTripPayloads(t *testing.T) {
	for i, p := range roundTripPayloads {
		_, le := readXML([]byte(p))
		xerr := xrv.Validate(strings.NewReader(p))
		if xerr != nil && le == nil {
			t.Errorf("accepted what the round-trip validator refuses (%v): %s", xerr, p)
		}
		if i < 22 && le == nil {
			t.Errorf("accepted a round-trip instability payload: %s", p)
		}
	}
}

// FuzzXMLRoundTrip checks that the single parse leaves nothing to round
// trip: whatever readXML accepts, xml-roundtrip-validator accepts too.
func FuzzXMLRoundTrip(f *testing.F) {
	for _, p := range roundTripPayloads {
		f.Add([]byte(p))
	}
	okta, err := os.ReadFile(filepath.Join("testdata", "fixtures", "okta.xml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(okta)
	f.Add([]byte(`<a:R xmlns:a="urn:a" xmlns:b="urn:b" b:k="v"><b:C xmlns="urn:d">t</b:C></a:R>`))
	f.Add([]byte(`<R xml:lang="en"/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, le := readXML(data); le != nil {
			return
		}
		if err := xrv.Validate(bytes.NewReader(data)); err != nil {
			t.Fatalf("readXML accepted what the round-trip validator refuses: %v", err)
		}
	})
}

// TestXMLPrefixScope: a prefix is in scope on the element declaring it and
// its descendants only, never on a sibling's.
func TestXMLPrefixScope(t *testing.T) {
	for _, tc := range []struct {
		xml string
		ok  bool
	}{
		{`<a:R xmlns:a="urn:a"><a:C/></a:R>`, true},
		{`<a:R xmlns:a="urn:a"><b:C xmlns:b="urn:b"><b:D b:k="v"/></b:C></a:R>`, true},
		{`<a:R xmlns:a="urn:a"><b:C xmlns:b="urn:b"/><b:D/></a:R>`, false},
		{`<R><C xmlns:b="urn:b" xmlns:c="urn:c"/><D xmlns:d="urn:d"><c:E/></D></R>`, false},
		{`<R><C xmlns:b="urn:b" xmlns:c="urn:c"/><D xmlns:d="urn:d"><E c:k="v"/></D></R>`, false},
		{`<R xmlns:a="urn:a"><C xmlns:a="urn:b" a:k="1"/><D a:k="2"/></R>`, true},
		{`<R xmlns:a="urn:a" xmlns:b="urn:a"><C a:k="1" b:k="2"/></R>`, false},
		{`<R xmlns:a="urn:a" xmlns:b="urn:b"><C a:k="1" b:k="2"/></R>`, true},
		{`<R xmlns:a="urn:a"><C xmlns:a="" a:k="1"/></R>`, false},
		{`<R xmlns=""><C/></R>`, true},
	} {
		_, le := readXML([]byte(tc.xml))
		if (le == nil) != tc.ok {
			t.Errorf("%s: accepted %v, want %v (%v)", tc.xml, le == nil, tc.ok, le)
		}
		if le == nil && xrv.Validate(strings.NewReader(tc.xml)) != nil {
			t.Errorf("%s: the round-trip validator refuses it", tc.xml)
		}
	}
}

// FuzzVerifySAMLResponse mutates signed responses and runs the XML checks
// and the signature verification on them: whatever verifies must read the
// identity that was signed, never another. It uses only the checked-in
// IdP key: generating the other test keys takes minutes in a fuzzing
// binary.
func FuzzVerifySAMLResponse(f *testing.F) {
	k := loadTestKey(f, "idp")
	sso, err := New(Config{
		Store: memstore.New(), BaseURL: testBase,
		OnLogin: func(http.ResponseWriter, *http.Request, *Profile) {},
	})
	if err != nil {
		f.Fatal(err)
	}
	sp, err := sso.samlSPFor(&store.Connection{
		ID: connSAML, OrgID: testOrg, Protocol: store.ProtocolSAML, State: store.ConnectionActive,
		SAML: &store.SAMLConfig{IdPEntityID: idpEntity, SSOURL: "https://idp.example.com/sso", Certificates: []string{k.CertPEM}},
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []respSpec{{Key: k}, {Key: k, SignResponse: true}, {Key: k, SignResponse: true, SignAssertion: true, NoKeyInfo: true}} {
		raw := s.build(f)
		pr, le := parseSAMLResponse(raw)
		if le == nil {
			_, le = sso.verifySAMLResponse(sp, pr, testNow)
		}
		if le != nil {
			f.Fatalf("seed does not verify: %v", le)
		}
		f.Add(raw)
	}
	want := respSpec{Key: k}.withDefaults()
	f.Fuzz(func(t *testing.T, data []byte) {
		pr, le := parseSAMLResponse(data)
		if le != nil {
			return
		}
		res, le := sso.verifySAMLResponse(sp, pr, testNow)
		if le != nil {
			return
		}
		if res.NameID != want.NameID || res.Issuer != want.Issuer || len(res.Audiences) != 1 || res.Audiences[0][0] != want.Audience {
			t.Fatalf("verified a forged identity: %+v", res)
		}
		for _, a := range want.Attrs {
			if got := res.Attributes[a.Name]; strings.Join(got, "\x00") != strings.Join(a.Values, "\x00") {
				t.Fatalf("verified forged attribute %s: %q", a.Name, got)
			}
		}
		if len(res.Attributes) != len(want.Attrs) {
			t.Fatalf("verified forged attributes: %v", res.Attributes)
		}
	})
}
