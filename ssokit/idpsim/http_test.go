package idpsim

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
)

// newSAMLServer starts a simulator with the test SP registered and returns
// it with a crewjam service provider that trusts it.
func newSAMLServer(t *testing.T, configure func(*Config)) (*IdP, *saml.ServiceProvider) {
	t.Helper()
	ks, cs := testKeys()
	idp := NewServer(t, func(c *Config) {
		c.Key, c.Certificate = ks[0], cs[0]
		c.Logger = quietLogger(t)
		c.Users = []User{{Email: "admin@corp.com", GivenName: "Ada", FamilyName: "Admin"}}
		c.SPs = []SP{{EntityID: testSPEntity, ACSURL: testACS, Certificate: cs[1], Preset: PresetOkta}}
		if configure != nil {
			configure(c)
		}
	})
	return idp, crewjamSP(t, idp)
}

func get(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	resp, err := noRedirectClient().Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func postForm(t *testing.T, u string, v url.Values) (*http.Response, []byte) {
	t.Helper()
	resp, err := noRedirectClient().PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

var inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)

// checkPage asserts the banner and the strict headers of every HTML page.
func checkPage(t *testing.T, resp *http.Response, body []byte) {
	t.Helper()
	if !bytes.Contains(body, []byte(`data-testid="dev-banner"`)) || !bytes.Contains(body, []byte(Banner)) {
		t.Errorf("page without the development banner:\n%s", body)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "default-src 'self'") || strings.Contains(csp, "unsafe") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	if inlineScript.Match(body) || bytes.Contains(body, []byte(" style=")) || bytes.Contains(body, []byte("<style")) {
		t.Errorf("inline script or style in page:\n%s", body)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Referrer-Policy") != "strict-origin" {
		t.Errorf("headers %v", resp.Header)
	}
}

func TestSAMLSPInitiatedOverHTTP(t *testing.T) {
	for _, binding := range []string{saml.HTTPRedirectBinding, saml.HTTPPostBinding} {
		t.Run(binding[strings.LastIndex(binding, ":")+1:], func(t *testing.T) {
			idp, sp := newSAMLServer(t, func(c *Config) {
				c.AutoLogin = &AutoLogin{User: User{Email: "admin@corp.com"}, Faults: []Fault{FaultAlgNone}} // OIDC-only faults are ignored by SAML
				c.SPs[0].Encrypt = binding == saml.HTTPPostBinding
			})
			req, err := sp.MakeAuthenticationRequest(idp.SSOURL(), binding, saml.HTTPPostBinding)
			if err != nil {
				t.Fatal(err)
			}
			var resp *http.Response
			var body []byte
			if binding == saml.HTTPRedirectBinding {
				u, err := req.Redirect("relay-1", sp)
				if err != nil {
					t.Fatal(err)
				}
				resp, body = get(t, u.String())
			} else {
				doc := etree.NewDocument()
				doc.SetRoot(req.Element())
				x, _ := doc.WriteToBytes()
				resp, body = postForm(t, idp.SSOURL(), url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(x)}, "RelayState": {"relay-1"}})
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			checkPage(t, resp, body)
			if !bytes.Contains(body, []byte(`<script src="/static/autopost.js"></script>`)) || !bytes.Contains(body, []byte(`<button type="submit">`)) {
				t.Errorf("autopost page lacks its script or no-script button:\n%s", body)
			}
			form, err := ParsePostForm(body, idp.SSOURL())
			if err != nil {
				t.Fatal(err)
			}
			if form.Action != testACS || form.Values.Get("RelayState") != "relay-1" {
				t.Fatalf("form %s %v", form.Action, form.Values)
			}
			raw, _ := base64.StdEncoding.DecodeString(form.Values.Get("SAMLResponse"))
			a, err := sp.ParseXMLResponse(raw, []string{req.ID}, sp.AcsURL)
			if err != nil {
				t.Fatalf("crewjam refused: %s", privateErr(err))
			}
			if a.Subject.NameID.Value != "admin@corp.com" || attrValues(a, "firstName")[0] != "Ada" {
				t.Fatalf("assertion %+v", a.Subject.NameID)
			}
			if bytes.Contains(raw, []byte("EncryptedAssertion")) != (binding == saml.HTTPPostBinding) {
				t.Fatal("encryption does not follow SP.Encrypt")
			}
		})
	}
}

func TestSAMLLoginPageFlow(t *testing.T) {
	idp, sp := newSAMLServer(t, nil)
	req, err := sp.MakeAuthenticationRequest(idp.SSOURL(), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := req.Redirect("", sp)
	resp, body := get(t, u.String())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	checkPage(t, resp, body)
	login, err := ParsePostForm(body, u.String())
	if err != nil {
		t.Fatal(err)
	}
	if login.Action != idp.BaseURL()+"/login" || login.Values.Get("pending") == "" {
		t.Fatalf("login form %s %v", login.Action, login.Values)
	}
	v := url.Values{"pending": {login.Values.Get("pending")}, "seed": {"custom"}, "email": {"bob@corp.com"},
		"given_name": {"Bob"}, "family_name": {"<Builder>"}, "groups": {"Ops, Admins"},
		"attributes": {"costCenter=42\nrole=a\nrole=b"}, "outcome": {"success"}, "signing": {"assertion"}}
	resp, body = postForm(t, login.Action, v)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	form, err := ParsePostForm(body, login.Action)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(form.Values.Get("SAMLResponse"))
	a, err := sp.ParseXMLResponse(raw, []string{req.ID}, sp.AcsURL)
	if err != nil {
		t.Fatalf("crewjam refused: %s", privateErr(err))
	}
	if a.Subject.NameID.Value != "bob@corp.com" || strings.Join(attrValues(a, "groups"), ",") != "Ops,Admins" ||
		strings.Join(attrValues(a, "role"), ",") != "a,b" || attrValues(a, "lastName")[0] != "<Builder>" {
		t.Fatalf("assertion attributes %+v", a.AttributeStatements)
	}
	// The pending request is single-use.
	resp, _ = postForm(t, login.Action, v)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("reused pending login: status %d", resp.StatusCode)
	}

	// A fault chosen on the login page reaches the SP.
	req2, _ := sp.MakeAuthenticationRequest(idp.SSOURL(), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	u2, _ := req2.Redirect("", sp)
	_, body = get(t, u2.String())
	login, _ = ParsePostForm(body, u2.String())
	_, body = postForm(t, login.Action, url.Values{"pending": {login.Values.Get("pending")}, "seed": {"0"}, "outcome": {string(FaultWrongAudience)}})
	form, err = ParsePostForm(body, login.Action)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = base64.StdEncoding.DecodeString(form.Values.Get("SAMLResponse"))
	if _, err := sp.ParseXMLResponse(raw, []string{req2.ID}, sp.AcsURL); err == nil || !strings.Contains(privateErr(err), "AudienceRestriction") {
		t.Fatalf("wrong audience accepted or refused for another reason: %s", privateErr(err))
	}
}

func TestIdPInitiated(t *testing.T) {
	idp, sp := newSAMLServer(t, nil)
	sp.AllowIDPInitiated = true
	jar, _ := cookiejar.New(nil)
	browser := noRedirectClient()
	browser.Jar = jar
	launcher := idp.BaseURL() + "/saml/idp-initiated"
	resp, err := browser.Get(launcher)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	checkPage(t, resp, body)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in the launcher:\n%s", body)
	}
	values := url.Values{"sp": {testSPEntity}, "relay_state": {"/dashboard"}, "seed": {"0"}}
	// Login CSRF: a post without the page's token and cookie is refused.
	for name, post := range map[string]func() (*http.Response, []byte){
		"no token, no cookie": func() (*http.Response, []byte) { return postForm(t, launcher, values) },
		"cookie, no token":    func() (*http.Response, []byte) { return postWith(t, browser, launcher, values, nil) },
		"cross-site": func() (*http.Response, []byte) {
			return postWith(t, browser, launcher, withCSRF(values, string(m[1])), map[string]string{"Sec-Fetch-Site": "cross-site"})
		},
	} {
		if resp, body := post(); resp.StatusCode != http.StatusForbidden || bytes.Contains(body, []byte("SAMLResponse")) {
			t.Errorf("%s: status %d", name, resp.StatusCode)
		}
	}
	resp, body = postWith(t, browser, launcher, withCSRF(values, string(m[1])), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	form, err := ParsePostForm(body, "")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(form.Values.Get("SAMLResponse"))
	if bytes.Contains(raw, []byte("InResponseTo")) {
		t.Fatal("IdP-initiated response carries InResponseTo")
	}
	if _, err := sp.ParseXMLResponse(raw, nil, sp.AcsURL); err != nil {
		t.Fatalf("crewjam refused: %s", privateErr(err))
	}
	if form.Values.Get("RelayState") != "/dashboard" {
		t.Fatalf("RelayState %q", form.Values.Get("RelayState"))
	}
	resp, _ = postWith(t, browser, launcher, withCSRF(url.Values{"sp": {"https://nobody.example"}, "seed": {"0"}}, string(m[1])), nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown SP: status %d", resp.StatusCode)
	}
	// Headless launch.
	if err := idp.SetAutoLogin(&AutoLogin{}); err != nil {
		t.Fatal(err)
	}
	_, body = get(t, idp.BaseURL()+"/saml/idp-initiated?sp="+url.QueryEscape(testSPEntity)+"&RelayState=x")
	if form, err = ParsePostForm(body, ""); err != nil || form.Values.Get("SAMLResponse") == "" {
		t.Fatalf("headless IdP-initiated: %v", err)
	}
}

func withCSRF(v url.Values, tok string) url.Values {
	out := url.Values{"csrf": {tok}}
	for k, vs := range v {
		out[k] = vs
	}
	return out
}

func postWith(t *testing.T, c *http.Client, u string, v url.Values, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, val := range hdr {
		req.Header.Set(k, val)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func deflateB64(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func authnXML(id, issuer, acs string) string {
	return `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="` + id +
		`" Version="2.0" IssueInstant="2030-01-01T00:00:00Z" AssertionConsumerServiceURL="` + acs + `"><saml:Issuer>` + issuer + `</saml:Issuer></samlp:AuthnRequest>`
}

func TestDecodeAuthnRequest(t *testing.T) {
	good := authnXML("id-1", testSPEntity, testACS)
	huge := authnXML("id-1", testSPEntity, testACS+"?"+strings.Repeat("a", MaxRequestXML))
	bomb := "<x>" + strings.Repeat(" ", 10<<20) + "</x>"
	tests := []struct {
		name     string
		encoded  string
		redirect bool
		want     error
	}{
		{"redirect ok", deflateB64(t, []byte(good)), true, nil},
		{"post ok", base64.StdEncoding.EncodeToString([]byte(good)), false, nil},
		{"post with line breaks", strings.Join(strings.SplitAfter(base64.StdEncoding.EncodeToString([]byte(good)), "AAAA"), "\r\n"), false, nil},
		{"empty", "", true, ErrMalformedRequest},
		{"bad base64", "%%%not base64", true, ErrMalformedRequest},
		{"not deflate", base64.StdEncoding.EncodeToString([]byte(good)), true, ErrMalformedRequest},
		{"deflate bomb", deflateB64(t, []byte(bomb)), true, ErrRequestTooLarge},
		{"too long parameter", strings.Repeat("A", MaxEncodedRequest+4), false, ErrRequestTooLarge},
		{"too large xml", base64.StdEncoding.EncodeToString([]byte(huge)), false, ErrRequestTooLarge},
		{"not xml", base64.StdEncoding.EncodeToString([]byte("hello")), false, ErrMalformedRequest},
		{"non utf8", base64.StdEncoding.EncodeToString([]byte("<a>\xff\xfe</a>")), false, ErrMalformedRequest},
		{"doctype", base64.StdEncoding.EncodeToString([]byte(`<!DOCTYPE x [<!ENTITY e "boom">]>` + good)), false, ErrMalformedRequest},
		{"wrong root", base64.StdEncoding.EncodeToString([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`)), false, ErrMalformedRequest},
		{"no ID", base64.StdEncoding.EncodeToString([]byte(authnXML("", testSPEntity, testACS))), false, ErrMalformedRequest},
		{"bad ID", base64.StdEncoding.EncodeToString([]byte(authnXML("1abc", testSPEntity, testACS))), false, ErrMalformedRequest},
		{"ID with markup", base64.StdEncoding.EncodeToString([]byte(authnXML("a&lt;b", testSPEntity, testACS))), false, ErrMalformedRequest},
		{"no issuer", base64.StdEncoding.EncodeToString([]byte(authnXML("id-1", "", testACS))), false, ErrMalformedRequest},
		{"wrong version", base64.StdEncoding.EncodeToString([]byte(strings.Replace(good, `Version="2.0"`, `Version="1.1"`, 1))), false, ErrMalformedRequest},
		{"artifact binding", base64.StdEncoding.EncodeToString([]byte(strings.Replace(good, `Version="2.0"`, `Version="2.0" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"`, 1))), false, ErrMalformedRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := DecodeAuthnRequest(tt.encoded, tt.redirect)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil && (req.ID != "id-1" || req.Issuer != testSPEntity || req.AssertionConsumerServiceURL != testACS) {
				t.Fatalf("request %+v", req)
			}
		})
	}
}

func FuzzDecodeAuthnRequest(f *testing.F) {
	good := authnXML("id-1", testSPEntity, testACS)
	f.Add(base64.StdEncoding.EncodeToString([]byte(good)), false)
	f.Add("", true)
	f.Add("AAAA", true)
	f.Fuzz(func(t *testing.T, s string, redirect bool) {
		req, err := DecodeAuthnRequest(s, redirect)
		if err == nil && (!validID(req.ID) || req.Issuer == "") {
			t.Fatalf("accepted invalid request %+v", req)
		}
		if err != nil && !errors.Is(err, ErrMalformedRequest) && !errors.Is(err, ErrRequestTooLarge) {
			t.Fatalf("unclassified error %v", err)
		}
	})
}

func TestSSORefusals(t *testing.T) {
	idp, _ := newSAMLServer(t, nil)
	anyIdP, _ := newSAMLServer(t, func(c *Config) { c.InsecureAllowAnySP = true })
	tests := []struct {
		name   string
		idp    *IdP
		xml    string
		status int
	}{
		{"registered", idp, authnXML("id-1", testSPEntity, testACS), 200},
		{"registered without ACS", idp, authnXML("id-1", testSPEntity, ""), 200},
		{"unknown SP", idp, authnXML("id-1", "https://rogue.example", "https://rogue.example/acs"), 400},
		{"ACS mismatch", idp, authnXML("id-1", testSPEntity, "https://evil.example/acs"), 400},
		{"other Destination", idp, strings.Replace(authnXML("id-1", testSPEntity, testACS), `Version=`, `Destination="https://other-idp.example/sso" Version=`, 1), 400},
		{"our Destination", idp, strings.Replace(authnXML("id-1", testSPEntity, testACS), `Version=`, `Destination="`+idp.SSOURL()+`" Version=`, 1), 200},
		{"any SP allowed", anyIdP, authnXML("id-1", "https://rogue.example", "https://rogue.example/acs"), 200},
		{"any SP needs an ACS", anyIdP, authnXML("id-1", "https://rogue.example", "javascript:alert(1)"), 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, tt.idp.SSOURL()+"?SAMLRequest="+url.QueryEscape(deflateB64(t, []byte(tt.xml))))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			checkPage(t, resp, body)
			if tt.status != 200 && bytes.Contains(body, []byte("idpsim:")) {
				t.Errorf("internal error text on the page: %s", body)
			}
		})
	}
	t.Run("huge POST", func(t *testing.T) {
		resp, _ := postForm(t, idp.SSOURL(), url.Values{"SAMLRequest": {strings.Repeat("A", 1<<20)}})
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
}

func TestMetadataEndpointAndSPMetadata(t *testing.T) {
	idp, sp := newSAMLServer(t, nil)
	resp, body := get(t, idp.MetadataURL())
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/samlmetadata+xml" {
		t.Fatalf("metadata %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(body, &ed); err != nil {
		t.Fatal(err)
	}
	if ed.EntityID != idp.EntityID() || len(ed.IDPSSODescriptors) != 1 || len(ed.IDPSSODescriptors[0].SingleSignOnServices) != 2 {
		t.Fatalf("metadata %+v", ed)
	}

	// Register an SP from crewjam's own metadata, by value and by URL.
	sp.EntityID = "https://other.example/saml/metadata"
	acs, _ := url.Parse("https://other.example/saml/acs")
	sp.AcsURL = *acs
	mdXML, err := xml.Marshal(sp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	got, err := idp.RegisterSPMetadata(mdXML, PresetEntra)
	if err != nil {
		t.Fatal(err)
	}
	if got.EntityID != sp.EntityID || got.ACSURL != acs.String() || got.Certificate == nil || !got.Certificate.Equal(sp.Certificate) || got.Preset != PresetEntra {
		t.Fatalf("registered %+v", got)
	}
	mdSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(mdXML) }))
	defer mdSrv.Close()
	if _, err := idp.RegisterSPMetadataURL(context.Background(), mdSrv.URL, PresetOkta); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"garbage":  []byte("nope"),
		"no SP":    []byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`),
		"doctype":  append([]byte(`<!DOCTYPE x>`), mdXML...),
		"too big":  bytes.Repeat([]byte(" "), MaxMetadata+1),
		"js ACS":   bytes.ReplaceAll(mdXML, []byte("https://other.example/saml/acs"), []byte("javascript:alert(1)")),
		"bad cert": regexp.MustCompile(`<X509Certificate[^>]*>[^<]+<`).ReplaceAll(mdXML, []byte(`<X509Certificate xmlns="http://www.w3.org/2000/09/xmldsig#">AAAA<`)),
	} {
		if _, err := idp.RegisterSPMetadata(bad, PresetGeneric); err == nil {
			t.Errorf("%s: metadata accepted", name)
		}
	}
}

func TestPagesAndBranding(t *testing.T) {
	idp, _ := newSAMLServer(t, func(c *Config) {
		c.Branding = Branding{Name: "Acme <Dev>", AccentColor: "#0a7", LogoURL: "https://cdn.acme.example/logo.png"}
		c.Clients = []Client{{ID: "c1", Secret: "s", RedirectURIs: []string{testRedirect}}}
	})
	resp, body := get(t, idp.BaseURL()+"/")
	checkPage(t, resp, body)
	for _, want := range []string{"Acme &lt;Dev&gt;", `src="https://cdn.acme.example/logo.png"`, testSPEntity, "c1", "admin@corp.com", idp.Issuer()} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("home page lacks %q", want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' https://cdn.acme.example;") {
		t.Errorf("CSP %q", csp)
	}
	_, css := get(t, idp.BaseURL()+"/static/theme.css")
	if !bytes.Contains(css, []byte("--accent:#0a7")) {
		t.Errorf("theme.css %q", css)
	}
	resp, js := get(t, idp.BaseURL()+"/static/autopost.js")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || !bytes.Contains(js, []byte("submit()")) {
		t.Errorf("autopost.js %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, _ := get(t, idp.BaseURL()+"/static/../idpsim.go"); resp.StatusCode == 200 {
		t.Error("static path traversal")
	}
	resp, body = get(t, idp.BaseURL()+"/oidc/authorize?client_id=nobody")
	checkPage(t, resp, body)
}

func TestNewValidation(t *testing.T) {
	ks, cs := testKeys()
	ok := func(c *Config) {}
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"ok", ok, ""},
		{"not development", func(c *Config) { c.Development = false }, "development"},
		{"no base URL", func(c *Config) { c.BaseURL = "" }, "BaseURL"},
		{"relative base URL", func(c *Config) { c.BaseURL = "/idp" }, "BaseURL"},
		{"key without cert", func(c *Config) { c.Certificate = nil }, "together"},
		{"cert of another key", func(c *Config) { c.Certificate = cs[1] }, "not the certificate"},
		{"bad colour", func(c *Config) { c.Branding.AccentColor = "red;}body{x" }, "AccentColor"},
		{"bad logo", func(c *Config) { c.Branding.LogoURL = "javascript:alert(1)" }, "LogoURL"},
		{"protocol-relative logo", func(c *Config) { c.Branding.LogoURL = "//evil.example/x.png" }, "LogoURL"},
		{"SP without ACS", func(c *Config) { c.SPs = []SP{{EntityID: "x"}} }, "ACSURL"},
		{"SP javascript ACS", func(c *Config) { c.SPs = []SP{{EntityID: "x", ACSURL: "javascript:alert(1)"}} }, "ACSURL"},
		{"SP encrypt without cert", func(c *Config) { c.SPs = []SP{{EntityID: "x", ACSURL: testACS, Encrypt: true}} }, "certificate"},
		{"SP bad preset", func(c *Config) { c.SPs = []SP{{EntityID: "x", ACSURL: testACS, Preset: "ping"}} }, "preset"},
		{"client without secret", func(c *Config) { c.Clients = []Client{{ID: "c", RedirectURIs: []string{testRedirect}}} }, "Secret"},
		{"client bad redirect", func(c *Config) { c.Clients = []Client{{ID: "c", Secret: "s", RedirectURIs: []string{"app://x"}}} }, "redirect"},
		{"user without email or id", func(c *Config) { c.Users = []User{{GivenName: "x"}} }, "Email"},
		{"auto login unknown fault", func(c *Config) { c.AutoLogin = &AutoLogin{Faults: []Fault{"nope"}} }, "fault"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Development: true, BaseURL: "http://localhost:8080/idp", Key: ks[0], Certificate: cs[0]}
			tt.mod(&cfg)
			idp, err := New(cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if idp.BaseURL() != "http://localhost:8080/idp" || idp.EntityID() != "http://localhost:8080/idp/saml/metadata" {
					t.Fatalf("URLs %s %s", idp.BaseURL(), idp.EntityID())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if tt.name == "not development" && !errors.Is(err, ErrNotDevelopment) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestNewGeneratesKey(t *testing.T) {
	idp, err := New(Config{Development: true, BaseURL: "http://localhost/"})
	if err != nil {
		t.Fatal(err)
	}
	if idp.Certificate() == nil || idp.Certificate().PublicKey.(interface{ Size() int }).Size() != 256 {
		t.Fatal("no RSA-2048 certificate generated")
	}
	if idp.BaseURL() != "http://localhost" || len(idp.Users()) != 1 {
		t.Fatalf("defaults: %s %v", idp.BaseURL(), idp.Users())
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	ks, cs := testKeys()
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	idp, err := New(Config{Development: true, BaseURL: "http://" + srv.Listener.Addr().String() + "/dev/idp", Key: ks[0], Certificate: cs[0], Logger: quietLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/dev/idp/", http.StripPrefix("/dev/idp", idp))
	srv.Start()
	defer srv.Close()
	resp, body := get(t, idp.BaseURL()+"/")
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`href="/dev/idp/static/style.css"`)) {
		t.Fatalf("status %d, body %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, idp.Issuer()+"/.well-known/openid-configuration"); resp.StatusCode != 200 {
		t.Fatalf("discovery status %d", resp.StatusCode)
	}
}

func FuzzRegisterSPMetadata(f *testing.F) {
	f.Add([]byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example/acs" index="1"/></md:SPSSODescriptor></md:EntityDescriptor>`))
	f.Add([]byte("<x/>"))
	ks, cs := testKeys()
	idp, err := New(Config{Development: true, BaseURL: "https://idp.example", Key: ks[0], Certificate: cs[0]})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sp, err := idp.RegisterSPMetadata(b, PresetGeneric)
		if err == nil && (sp.EntityID == "" || checkHTTPURL(sp.ACSURL) != nil) {
			t.Fatalf("registered an unusable SP %+v", sp)
		}
	})
}
