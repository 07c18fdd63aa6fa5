package ssokit

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store/memstore"
)

// FuzzLogoutMessage feeds arbitrary bytes to the Single Logout endpoint's
// decoding and parsing: as the HTTP-Redirect query (deflated), as a POST
// form, and straight to the LogoutRequest and LogoutResponse readers.
// Nothing may panic; a decoding failure is ErrBadRequest.
func FuzzLogoutMessage(f *testing.F) {
	f.Add([]byte(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="id1" Version="2.0" IssueInstant="2026-03-02T10:00:00Z" Destination="https://sp/slo"><saml:Issuer>idp</saml:Issuer><saml:NameID>jane@example.com</saml:NameID><samlp:SessionIndex>s1</samlp:SessionIndex></samlp:LogoutRequest>`), "SigAlg=x&Signature=AAAA")
	f.Add([]byte(`<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="id2" InResponseTo="lo_1" Version="2.0" IssueInstant="2026-03-02T10:00:00Z"><saml:Issuer>idp</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`), "")
	f.Add([]byte("<!DOCTYPE x><x/>"), "RelayState=%zz")
	f.Add([]byte{0xff, 0x00}, "SAMLRequest=a&SAMLRequest=b")
	s, err := New(Config{Store: memstore.New(), BaseURL: "https://app.example.com/sso",
		OnLogin: func(http.ResponseWriter, *http.Request, *Profile) {}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, extra string) {
		for _, tag := range []string{"LogoutRequest", "LogoutResponse"} {
			if root, le := readSAMLDocument(data, tag); le == nil {
				if tag == "LogoutRequest" {
					_, _ = readLogoutRequest(root)
				} else {
					_, _ = readLogoutResponse(root)
				}
			}
		}
		var buf bytes.Buffer
		fw, _ := flate.NewWriter(&buf, flate.BestSpeed)
		_, _ = fw.Write(data)
		_ = fw.Close()
		for _, q := range []string{
			"SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes())) + "&" + extra,
			"SAMLResponse=" + url.QueryEscape(string(data)) + "&" + extra,
			extra,
		} {
			r := httptest.NewRequest(http.MethodGet, "https://app.example.com/sso/saml/c/slo?x", nil)
			r.URL.RawQuery = q
			if _, err := s.readSLOMessage(httptest.NewRecorder(), r); err != nil && !errors.Is(err, ErrBadRequest) {
				t.Fatalf("redirect decode error is not ErrBadRequest: %v", err)
			}
		}
		r := httptest.NewRequest(http.MethodPost, "https://app.example.com/sso/saml/c/slo",
			bytes.NewReader([]byte("SAMLRequest="+url.QueryEscape(base64.StdEncoding.EncodeToString(data))+"&"+extra)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if _, err := s.readSLOMessage(httptest.NewRecorder(), r); err != nil && !errors.Is(err, ErrBadRequest) {
			t.Fatalf("post decode error is not ErrBadRequest: %v", err)
		}
	})
}

// FuzzLogoutToken feeds arbitrary logout_token headers and claims to the
// checks made before and after the signature: nothing may panic, and a
// token accepted has a jti and a sub or sid.
func FuzzLogoutToken(f *testing.F) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	f.Add(`{"alg":"RS256"}`, `{"iss":"https://idp","aud":"app","iat":1772445600,"jti":"j","sid":"s","events":{"http://schemas.openid.net/event/backchannel-logout":{}}}`)
	f.Add(`{"alg":"none"}`, `{"iss":"https://idp","aud":["app","x"],"iat":"1","nonce":"n"}`)
	f.Add(`{"jku":"https://evil"}`, `{"exp":1e300,"iat":-1,"events":[]}`)
	f.Fuzz(func(t *testing.T, header, claims string) {
		raw := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".sig"
		_ = checkJOSEHeader(raw)
		m, err := decodeClaims(func(v any) error { return json.Unmarshal([]byte(claims), v) })
		if err != nil {
			return
		}
		tok, le := checkLogoutClaims("https://idp", "app", "", m, now, 3*time.Minute)
		if le == nil && (tok.JTI == "" || (tok.Subject == "" && tok.SID == "")) {
			t.Fatalf("accepted a token without jti or subject: %+v", tok)
		}
	})
}
