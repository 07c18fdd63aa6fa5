package idpsim

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// Key generation is slow; tests share a few key pairs.
var testKeys = sync.OnceValues(func() ([3]*rsa.PrivateKey, [3]*x509.Certificate) {
	var ks [3]*rsa.PrivateKey
	var cs [3]*x509.Certificate
	for i := range ks {
		k, c, err := GenerateKeyPair(nil, "test")
		if err != nil {
			panic(err)
		}
		ks[i], cs[i] = k, c
	}
	return ks, cs
})

const (
	testSPEntity = "https://sp.example.com/saml/metadata"
	testACS      = "https://sp.example.com/saml/acs"
	testReqID    = "id-request-1"
)

// newTestIdP builds a simulator with the shared IdP key, one SP (with an
// encryption certificate) and a seed user. The clock stays time.Now because
// crewjam/saml reads its own package clock (saml.TimeNow), which these
// tests leave untouched.
func newTestIdP(t *testing.T, configure func(*Config)) *IdP {
	t.Helper()
	ks, cs := testKeys()
	cfg := Config{
		Development: true,
		Logger:      quietLogger(t),
		BaseURL:     "https://idp.example.com/idp",
		Key:         ks[0], Certificate: cs[0],
		Users: []User{{Email: "admin@corp.com", GivenName: "Ada", FamilyName: "Admin", Groups: []string{"Admins", "Engineering"},
			Attributes: map[string][]string{"department": {"R&D"}}}},
		SPs: []SP{{EntityID: testSPEntity, ACSURL: testACS, Certificate: cs[1]}},
	}
	if configure != nil {
		configure(&cfg)
	}
	idp, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return idp
}

// crewjamSP is an independent service provider configured from the
// simulator's metadata.
func crewjamSP(t *testing.T, idp *IdP) *saml.ServiceProvider {
	t.Helper()
	md, err := idp.metadataXML()
	if err != nil {
		t.Fatal(err)
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(md, &ed); err != nil {
		t.Fatal(err)
	}
	ks, cs := testKeys()
	acs, _ := url.Parse(testACS)
	return &saml.ServiceProvider{EntityID: testSPEntity, Key: ks[1], Certificate: cs[1], AcsURL: *acs, IDPMetadata: &ed}
}

func parseWithCrewjam(t *testing.T, sp *saml.ServiceProvider, b64 string) (*saml.Assertion, error) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return sp.ParseXMLResponse(raw, []string{testReqID}, sp.AcsURL)
}

func privateErr(err error) string {
	var ire *saml.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		return ire.PrivateErr.Error()
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func attrValues(a *saml.Assertion, name string) []string {
	var out []string
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if at.Name == name {
				for _, v := range at.Values {
					out = append(out, v.Value)
				}
			}
		}
	}
	return out
}

func TestSAMLResponseValidatesInCrewjam(t *testing.T) {
	for _, preset := range presets {
		for _, signing := range []Signing{SignBoth, SignAssertion, SignResponse} {
			for _, encrypt := range []bool{false, true} {
				name := preset.String() + "/" + signing.String()
				if encrypt {
					name += "/encrypted"
				}
				t.Run(name, func(t *testing.T) {
					idp := newTestIdP(t, func(c *Config) { c.SPs[0].Preset = preset })
					b64, err := idp.SAMLResponse(ResponseOptions{SP: testSPEntity, InResponseTo: testReqID, Signing: signing, Encrypt: encrypt})
					if err != nil {
						t.Fatal(err)
					}
					raw, _ := base64.StdEncoding.DecodeString(b64)
					if got := bytes.Contains(raw, []byte("EncryptedAssertion")); got != encrypt {
						t.Fatalf("EncryptedAssertion present = %v, want %v", got, encrypt)
					}
					a, err := parseWithCrewjam(t, crewjamSP(t, idp), b64)
					if err != nil {
						t.Fatalf("crewjam refused a valid response: %s", privateErr(err))
					}
					if a.Subject.NameID.Value != "admin@corp.com" {
						t.Errorf("NameID = %q", a.Subject.NameID.Value)
					}
					checkPresetAttributes(t, idp, preset, a)
				})
			}
		}
	}
}

func checkPresetAttributes(t *testing.T, idp *IdP, preset Preset, a *saml.Assertion) {
	t.Helper()
	want := map[string][]string{}
	switch preset {
	case PresetOkta:
		want = map[string][]string{"email": {"admin@corp.com"}, "firstName": {"Ada"}, "lastName": {"Admin"}, "groups": {"Admins", "Engineering"}, "department": {"R&D"}}
		if a.Subject.NameID.Format != nameIDEmail {
			t.Errorf("Okta NameID format = %q", a.Subject.NameID.Format)
		}
	case PresetEntra:
		want = map[string][]string{
			"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": {"admin@corp.com"},
			"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname":    {"Ada"},
			"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname":      {"Admin"},
			"http://schemas.microsoft.com/ws/2008/06/identity/claims/groups":     {EntraGroupID("Admins"), EntraGroupID("Engineering")},
			"http://schemas.microsoft.com/identity/claims/tenantid":              {idp.TenantID()},
		}
	case PresetGoogle:
		want = map[string][]string{"department": {"R&D"}}
		n := 0
		for _, st := range a.AttributeStatements {
			n += len(st.Attributes)
		}
		if n != 1 {
			t.Errorf("Google preset sent %d attributes, want only the custom one", n)
		}
	case PresetADFS:
		want = map[string][]string{
			"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":                  {"admin@corp.com"},
			"http://schemas.xmlsoap.org/claims/Group":                                    {"Admins", "Engineering"},
			"http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname": {`CORP\admin`},
		}
	default:
		want = map[string][]string{"email": {"admin@corp.com"}, "givenName": {"Ada"}, "surname": {"Admin"}, "groups": {"Admins", "Engineering"}}
	}
	for name, vs := range want {
		got := attrValues(a, name)
		if strings.Join(got, "|") != strings.Join(vs, "|") {
			t.Errorf("attribute %s = %q, want %q", name, got, vs)
		}
	}
}

// TestSAMLFaultsAgainstCrewjam sends every SAML fault to crewjam/saml. Most
// are rejected; the ones crewjam accepts are listed with what it does, and a
// service provider built on crewjam must refuse them itself.
func TestSAMLFaultsAgainstCrewjam(t *testing.T) {
	const forged = "admin@corp.com"
	type outcome int
	const (
		rejected outcome = iota
		// acceptedSafe: crewjam accepts but returns the legitimate signed
		// assertion (the forged identity never comes out).
		acceptedSafe
		// acceptedNoAudience, acceptedComment, acceptedReplay: documented
		// gaps an SP must close itself.
		acceptedNoAudience
		acceptedComment
		acceptedReplay
		// acceptedGap: crewjam accepts a response an SP should refuse
		// (SHA-1, DOCTYPE).
		acceptedGap
	)
	tests := []struct {
		fault Fault
		want  outcome
		why   string // rejected: substring of crewjam's private error; acceptedGap: of the response
	}{
		{FaultUnsigned, rejected, "signature"},
		{FaultForeignKey, rejected, "signature"},
		{FaultExpired, rejected, "expire"},
		{FaultNotYetValid, rejected, "not yet valid"},
		{FaultWrongAudience, rejected, "AudienceRestriction"},
		{FaultNoAudience, acceptedNoAudience, ""},
		{FaultWrongRecipient, rejected, "Recipient"},
		{FaultWrongDestination, rejected, "Destination"},
		{FaultWrongIssuer, rejected, "Issuer"},
		{FaultWrongInResponseTo, rejected, "InResponseTo"},
		{FaultReplay, acceptedReplay, ""},
		{FaultTwoAssertions, acceptedSafe, ""},
		{FaultNameIDComment, acceptedComment, ""},
		{FaultXSW1, rejected, "signature"},
		{FaultXSW2, rejected, "signature"},
		{FaultXSW3, acceptedSafe, ""},
		{FaultXSW4, rejected, "signature"},
		{FaultXSW5, rejected, "signature"},
		{FaultXSW6, rejected, "signature"},
		{FaultXSW7, acceptedSafe, ""},
		{FaultXSW8, rejected, "signature"},
		{FaultSHA1, acceptedGap, "http://www.w3.org/2000/09/xmldsig#rsa-sha1"},
		{FaultDoctype, acceptedGap, "<!DOCTYPE"},
	}
	seen := map[Fault]bool{}
	for _, tt := range tests {
		seen[tt.fault] = true
		t.Run(string(tt.fault), func(t *testing.T) {
			idp := newTestIdP(t, nil)
			sp := crewjamSP(t, idp)
			// The attacker is a low-privilege user; wrapping faults try to
			// smuggle in the admin.
			user := User{Email: "mallory@corp.com", GivenName: "Mallory"}
			var previous string
			if tt.fault == FaultReplay {
				var err error
				previous, err = idp.SAMLResponse(ResponseOptions{SP: testSPEntity, User: user, InResponseTo: testReqID})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := parseWithCrewjam(t, sp, previous); err != nil {
					t.Fatalf("first response refused: %s", privateErr(err))
				}
			}
			if tt.fault == FaultNameIDComment {
				user = User{Email: "admin@corp.com"}
			}
			b64, err := idp.SAMLResponse(ResponseOptions{SP: testSPEntity, User: user, InResponseTo: testReqID,
				Faults: []Fault{tt.fault}, ForgedNameID: forged})
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := base64.StdEncoding.DecodeString(b64)
			if tt.fault.xsw() || tt.fault == FaultTwoAssertions {
				// The wrapped original must still carry a valid signature,
				// or the attack would be a mere broken signature.
				if !originalSignatureIntact(t, raw, idp.Certificate()) {
					t.Fatalf("the signed original did not survive the wrapping:\n%s", raw)
				}
				if !bytes.Contains(raw, []byte(forged)) {
					t.Fatal("forged identity missing")
				}
			}
			a, err := parseWithCrewjam(t, sp, b64)
			switch tt.want {
			case rejected:
				if err == nil {
					t.Fatalf("crewjam accepted fault %s:\n%s", tt.fault, raw)
				}
				if !strings.Contains(privateErr(err), tt.why) {
					t.Errorf("crewjam refused for another reason: %q, want it to mention %q", privateErr(err), tt.why)
				}
			case acceptedSafe:
				if err == nil && a.Subject.NameID.Value == forged {
					t.Fatalf("crewjam returned the forged identity")
				}
				if err == nil && a.Subject.NameID.Value != user.Email {
					t.Fatalf("NameID = %q", a.Subject.NameID.Value)
				}
				if n := bytes.Count(raw, []byte("<saml:Assertion ")); n < 2 {
					t.Fatalf("response has %d assertions, want 2", n)
				}
			case acceptedGap:
				if !bytes.Contains(raw, []byte(tt.why)) {
					t.Fatalf("response lacks %q:\n%s", tt.why, raw)
				}
				if err != nil {
					t.Fatalf("crewjam now refuses %s (%s): update the documentation", tt.fault, privateErr(err))
				}
			case acceptedNoAudience:
				if err != nil {
					t.Fatalf("crewjam now refuses a missing audience (%s): update the documentation", privateErr(err))
				}
				if len(a.Conditions.AudienceRestrictions) != 0 {
					t.Fatal("audience restriction present")
				}
			case acceptedReplay:
				if b64 != previous {
					t.Fatal("replay differs from the previous response")
				}
				if err != nil {
					t.Fatalf("crewjam refused the replay (%s): it has no replay cache, expected acceptance", privateErr(err))
				}
			case acceptedComment:
				if err != nil {
					t.Fatalf("comment injection broke the signature: %s", privateErr(err))
				}
				if !bytes.Contains(raw, []byte("admin@corp.com<!---->.evil.com")) {
					t.Fatalf("no comment in NameID:\n%s", raw)
				}
				// crewjam (encoding/xml) and etree concatenate the text
				// around the comment, so they see the signed value; a
				// parser reading only the first text node (DOM
				// firstChild) sees the victim.
				if a.Subject.NameID.Value != "admin@corp.com.evil.com" {
					t.Fatalf("crewjam NameID = %q", a.Subject.NameID.Value)
				}
				if got := firstNameIDText(t, raw); got != "admin@corp.com" {
					t.Fatalf("first text node = %q", got)
				}
			}
		})
	}
	for _, f := range SAMLFaults() {
		if !seen[f] {
			t.Errorf("fault %s has no test", f)
		}
	}
}

func TestSAMLDeny(t *testing.T) {
	idp := newTestIdP(t, nil)
	b64, err := idp.SAMLResponse(ResponseOptions{SP: testSPEntity, InResponseTo: testReqID, Deny: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = parseWithCrewjam(t, crewjamSP(t, idp), b64)
	var bad saml.ErrBadStatus
	var ire *saml.InvalidResponseError
	if !errors.As(err, &ire) || !errors.As(ire.PrivateErr, &bad) || bad.Status != statusResponder {
		t.Fatalf("err = %v (%s), want a Responder status", err, privateErr(err))
	}
}

func TestSAMLResponseOptionErrors(t *testing.T) {
	idp := newTestIdP(t, func(c *Config) {
		c.SPs = append(c.SPs, SP{EntityID: "https://nocert.example", ACSURL: "https://nocert.example/acs"})
	})
	tests := []struct {
		name string
		opts ResponseOptions
		want error
	}{
		{"unknown SP", ResponseOptions{SP: "https://nobody.example"}, ErrUnknownSP},
		{"OIDC fault", ResponseOptions{SP: testSPEntity, Faults: []Fault{FaultAlgNone}}, ErrFaultNotApplicable},
		{"unknown fault", ResponseOptions{SP: testSPEntity, Faults: []Fault{"bogus"}}, ErrFaultNotApplicable},
		{"two wrappings", ResponseOptions{SP: testSPEntity, Faults: []Fault{FaultXSW1, FaultXSW3}}, ErrFaultNotApplicable},
		{"replay first", ResponseOptions{SP: testSPEntity, Faults: []Fault{FaultReplay}}, ErrNoPreviousResponse},
		{"replay combined", ResponseOptions{SP: testSPEntity, Faults: []Fault{FaultReplay, FaultExpired}}, ErrFaultNotApplicable},
		{"deny with fault", ResponseOptions{SP: testSPEntity, Deny: true, Faults: []Fault{FaultExpired}}, ErrFaultNotApplicable},
		{"encrypt without cert", ResponseOptions{SP: "https://nocert.example", Encrypt: true}, ErrNoEncryptionCertificate},
		{"encrypt and wrap", ResponseOptions{SP: testSPEntity, Encrypt: true, Faults: []Fault{FaultXSW3}}, ErrFaultNotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := idp.SAMLResponse(tt.opts); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// firstNameIDText returns the first text node of the first NameID, the way
// a naive DOM consumer would read it.
func firstNameIDText(t *testing.T, raw []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(raw))
	in := false
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("no NameID text: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			in = tok.Name.Local == "NameID"
		case xml.CharData:
			if in {
				return string(tok)
			}
		}
	}
}

// originalSignatureIntact finds the element each Signature references,
// wherever it sits, re-attaches the bare signature to a copy and verifies it
// with goxmldsig: what a validator that resolves references document-wide
// would do.
func originalSignatureIntact(t *testing.T, raw []byte, cert *x509.Certificate) bool {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	sigs := doc.FindElements("//Signature")
	if len(sigs) == 0 {
		return false
	}
	for _, sig := range sigs {
		ref := sig.FindElement("./SignedInfo/Reference")
		if ref == nil {
			continue
		}
		id := strings.TrimPrefix(ref.SelectAttrValue("URI", ""), "#")
		var target *etree.Element
		for _, el := range doc.FindElements("//*[@ID='" + id + "']") {
			target = el
			break
		}
		if target == nil {
			return false
		}
		bare := sig.Copy()
		for _, c := range bare.ChildElements() {
			switch c.Tag {
			case "SignedInfo", "SignatureValue", "KeyInfo":
			default:
				bare.RemoveChild(c)
			}
		}
		el := target.Copy()
		for _, c := range el.ChildElements() {
			if c.Tag == "Signature" {
				el.RemoveChild(c)
			}
		}
		el.AddChild(bare)
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
		vc.IdAttribute = "ID"
		if _, err := vc.Validate(el); err != nil {
			t.Logf("signature over %s %s: %v", target.Tag, id, err)
			return false
		}
	}
	return true
}

// quietLogger sends the simulator's log to the test log.
func quietLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func BenchmarkSAMLResponse(b *testing.B) {
	ks, cs := testKeys()
	idp, err := New(Config{Development: true, BaseURL: "https://idp.example.com", Key: ks[0], Certificate: cs[0],
		SPs: []SP{{EntityID: testSPEntity, ACSURL: testACS, Certificate: cs[1]}}})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		opts ResponseOptions
	}{
		{"sign-both", ResponseOptions{SP: testSPEntity, InResponseTo: testReqID}},
		{"sign-assertion", ResponseOptions{SP: testSPEntity, InResponseTo: testReqID, Signing: SignAssertion}},
		{"sign-both-encrypted", ResponseOptions{SP: testSPEntity, InResponseTo: testReqID, Encrypt: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := idp.SAMLResponse(bc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestTypedClaimLine(t *testing.T) {
	for in, want := range map[string]string{`42`: "42", `true`: "true", `"x"`: "x", `["a","b"]`: "a|b", `[1,"b"]`: "1|b"} {
		_, vals, err := typedClaim(in)
		if err != nil || strings.Join(vals, "|") != want {
			t.Errorf("typedClaim(%s) = %q, %v", in, vals, err)
		}
	}
	for _, in := range []string{``, `x`, `1 2`, `{`} {
		if _, _, err := typedClaim(in); err == nil {
			t.Errorf("typedClaim(%q) accepted", in)
		}
	}
}
