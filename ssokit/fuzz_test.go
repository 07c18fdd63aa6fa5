package ssokit

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crewjam/saml/xmlenc"

	"github.com/onboardkit/onboardkit/store"
)

// FuzzACS posts arbitrary bytes as a SAMLResponse to an ACS that accepts
// IdP-initiated logins at the fixtures' clock, or (enc) to a connection
// with an SP key that requires encrypted assertions, so that decryption is
// reached. Nothing may panic, every refusal must be a 4xx, and the only
// response that can log a user in is one that carries a signed assertion
// of the tests' IdP.
func FuzzACS(f *testing.F) {
	keys(f)
	okta, err := os.ReadFile(filepath.Join("testdata", "fixtures", "okta.xml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(okta, false, false)
	f.Add(bytes.Replace(okta, []byte("jane.doe"), []byte("admin"), 1), false, false)
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`), false, false)
	f.Add([]byte("<!DOCTYPE x><x/>"), false, false)
	f.Add([]byte("not base64 %%%"), true, false)
	f.Add(respSpec{EncryptTo: spKey.Cert}.build(f), false, true)
	f.Add(respSpec{EncryptTo: spKey.Cert, SignResponse: true, EncCipher: xmlenc.AES128CBC}.build(f), false, true)
	f.Add(respSpec{EncryptTo: spKey.Cert, MutateDoc: setCipherValue([]byte("abcd"))}.build(f), false, true)
	f.Fuzz(func(t *testing.T, data []byte, rawField, enc bool) {
		e := newEnv(t, nil)
		if enc {
			e.updateConn(connSAML, func(c *store.Connection) {
				c.SAML.EncryptedAssertion, c.SAML.AllowIdPInitiated = true, true
			})
			field := base64.StdEncoding.EncodeToString(data)
			if rawField {
				field = string(data)
			}
			w := e.browser().postForm("/saml/"+connSAML+"/acs", url.Values{"SAMLResponse": {field}})
			if len(e.logins()) == 0 {
				if w.Code < 400 || w.Code > 499 {
					t.Fatalf("refusal with status %d", w.Code)
				}
				return
			}
			if p := e.logins()[0]; p.Subject != (respSpec{}).withDefaults().NameID {
				t.Fatalf("forged login: %+v", p)
			}
			return
		}
		e.now = fixtureNow
		fx := fixtures[0]
		conn := fixtureConn(fx.name)
		if err := e.st.CreateConnection(t.Context(), &store.Connection{
			ID: conn, OrgID: testOrg, Protocol: store.ProtocolSAML, Provider: "okta", State: store.ConnectionActive,
			SAML:      &store.SAMLConfig{IdPEntityID: fx.issuer, SSOURL: "https://idp.example.com/sso", Certificates: []string{idpKey.CertPEM}, AllowIdPInitiated: true},
			CreatedAt: fixtureNow, UpdatedAt: fixtureNow,
		}); err != nil {
			t.Fatal(err)
		}
		field := base64.StdEncoding.EncodeToString(data)
		if rawField {
			field = string(data)
		}
		r := httptest.NewRequest(http.MethodPost, "/saml/"+conn+"/acs", strings.NewReader(url.Values{"SAMLResponse": {field}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		e.sso.ServeHTTP(w, r)
		if len(e.logins()) == 0 {
			if w.Code < 400 || w.Code > 499 {
				t.Fatalf("refusal with status %d", w.Code)
			}
			return
		}
		if p := e.logins()[0]; p.Subject != "jane.doe@example.com" || p.Email != "jane.doe@example.com" {
			t.Fatalf("forged login: %+v", p)
		}
	})
}

// FuzzParseSAMLResponse exercises the XML reader and the structural checks
// alone, without signatures.
func FuzzParseSAMLResponse(f *testing.F) {
	okta, _ := os.ReadFile(filepath.Join("testdata", "fixtures", "okta.xml"))
	f.Add(okta)
	f.Add([]byte(`<?xml version="1.0"?><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"/></samlp:Response>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pr, le := parseSAMLResponse(data)
		if le == nil && (pr == nil || pr.assertion == nil || pr.root == nil) {
			t.Fatal("accepted without an assertion")
		}
	})
}
