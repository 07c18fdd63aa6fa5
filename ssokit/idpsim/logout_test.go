package idpsim

import (
	"compress/flate"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestEndSession(t *testing.T) {
	ks, cs := testKeys()
	idp := NewServer(t, func(c *Config) {
		c.Key, c.Certificate = ks[0], cs[0]
		c.Logger = quietLogger(t)
		c.Clients = []Client{{ID: "app", Secret: "s", RedirectURIs: []string{"https://app.example/cb"},
			PostLogoutRedirectURIs: []string{"https://app.example/bye"}}}
	})
	hint, err := idp.IDToken(IDTokenOptions{Client: "app"})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := idp.IDToken(IDTokenOptions{Client: "app", Faults: []Fault{FaultForeignKey}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		q    url.Values
		code int
		loc  string
	}{
		{"registered", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"st1"}}, http.StatusFound, "https://app.example/bye?state=st1"},
		{"client_id only", url.Values{"client_id": {"app"}, "post_logout_redirect_uri": {"https://app.example/bye"}}, http.StatusFound, "https://app.example/bye"},
		{"unregistered redirect", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://evil.example/"}}, http.StatusBadRequest, ""},
		{"foreign hint", url.Values{"id_token_hint": {foreign}, "post_logout_redirect_uri": {"https://app.example/bye"}}, http.StatusBadRequest, ""},
		{"hint of another client", url.Values{"id_token_hint": {hint}, "client_id": {"other"}}, http.StatusBadRequest, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := noRedirect().Get(idp.EndSessionURL() + "?" + tc.q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.code || resp.Header.Get("Location") != tc.loc {
				t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}

func TestLogoutBuildersRefuse(t *testing.T) {
	ks, cs := testKeys()
	idp := NewServer(t, func(c *Config) {
		c.Key, c.Certificate = ks[0], cs[0]
		c.Logger = quietLogger(t)
		c.SPs = []SP{{EntityID: testSPEntity, ACSURL: testACS}}
		c.Clients = []Client{{ID: "app", Secret: "s", RedirectURIs: []string{"https://app.example/cb"}}}
	})
	if _, err := idp.SAMLLogoutRequest(LogoutRequestOptions{SP: testSPEntity}); err == nil {
		t.Error("LogoutRequest to an SP without SLOURL")
	}
	if _, err := idp.SAMLLogoutRequest(LogoutRequestOptions{SP: "unknown"}); !errors.Is(err, ErrUnknownSP) {
		t.Errorf("unknown SP: %v", err)
	}
	if _, err := idp.LogoutToken(LogoutTokenOptions{Client: "app", Faults: []Fault{FaultXSW1}}); !errors.Is(err, ErrFaultNotApplicable) {
		t.Errorf("login fault on a logout token: %v", err)
	}
	if _, _, err := idp.SendBackChannelLogout(context.Background(), LogoutTokenOptions{Client: "app"}); err == nil {
		t.Error("sent to a client without BackChannelLogoutURI")
	}
	// The home page offers the back-channel button only with CSRF.
	resp, err := http.PostForm(idp.BaseURL()+"/oidc/backchannel-send", url.Values{"client": {"app"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("back-channel send without CSRF: %d", resp.StatusCode)
	}
	// An SLO message from an unregistered issuer is refused.
	m := &LogoutMessage{Method: http.MethodPost, URL: idp.SLOURL(), Form: url.Values{"SAMLRequest": {"PHNhbWxwOkxvZ291dFJlcXVlc3QgeG1sbnM6c2FtbHA9InVybjpvYXNpczpuYW1lczp0YzpTQU1MOjIuMDpwcm90b2NvbCIvPg=="}}}
	req, _ := m.NewRequest(context.Background())
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "unregistered") {
		t.Errorf("unknown issuer: %d %s", resp.StatusCode, body)
	}
}

// FuzzSLO posts arbitrary bytes to the simulator's Single Logout endpoint
// in both bindings: nothing may panic and nothing but a 4xx or an answer
// to a registered SP may come back.
func FuzzSLO(f *testing.F) {
	f.Add([]byte(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="a" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>https://sp.example.com/metadata</saml:Issuer><saml:NameID>x</saml:NameID></samlp:LogoutRequest>`), false)
	f.Add([]byte(`<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><Issuer>https://sp.example.com/metadata</Issuer></samlp:LogoutResponse>`), true)
	f.Add([]byte("<!DOCTYPE x><x/>"), true)
	ks, cs := testKeys()
	idp, err := New(Config{Development: true, BaseURL: "https://idp.example.com", Key: ks[0], Certificate: cs[0], Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SPs: []SP{{EntityID: "https://sp.example.com/metadata", ACSURL: "https://sp.example.com/acs", SLOURL: "https://sp.example.com/slo", SigningCertificate: cs[1]}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, redirect bool) {
		var r *http.Request
		if redirect {
			var buf strings.Builder
			fw, _ := flate.NewWriter(base64.NewEncoder(base64.StdEncoding, &buf), flate.BestSpeed)
			_, _ = fw.Write(data)
			_ = fw.Close()
			r = httptest.NewRequest(http.MethodGet, "https://idp.example.com/saml/slo?SAMLRequest="+url.QueryEscape(buf.String()), nil)
		} else {
			r = httptest.NewRequest(http.MethodPost, "https://idp.example.com/saml/slo",
				strings.NewReader(url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(data)}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		w := httptest.NewRecorder()
		idp.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("status %d", w.Code)
		}
		if loc := w.Header().Get("Location"); loc != "" && !strings.HasPrefix(loc, "https://sp.example.com/slo?") {
			t.Fatalf("answered to %q", loc)
		}
	})
}
