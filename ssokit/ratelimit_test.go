package ssokit

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/store"
)

// addOIDCConn adds an active OIDC connection connOIDC to e's Store (its
// issuer is never reached: the requests of these tests are refused first).
func addOIDCConn(t *testing.T, e *env) {
	t.Helper()
	err := e.st.CreateConnection(t.Context(), &store.Connection{
		ID: connOIDC, OrgID: testOrg, Protocol: store.ProtocolOIDC, Provider: "generic", Name: "OIDC",
		State:    store.ConnectionActive,
		OIDC:     &store.OIDCConfig{Issuer: "https://idp.example.net", ClientID: "app", ClientSecret: "secret"},
		TestedAt: testNow, CreatedAt: testNow, UpdatedAt: testNow,
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestConnectionRateLimit: a connection's login endpoints over their rate
// answer 429 with Retry-After before the message is read, through
// ErrorHandler; other connections, and the connection's logout endpoints,
// keep their own allowance.
func TestConnectionRateLimit(t *testing.T) {
	var handled []error
	e := newEnv(t, func(c *Config) {
		c.Limits.PerConnection = limits.Rate{PerSecond: 1, Burst: 2}
		c.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			handled = append(handled, err)
			w.WriteHeader(StatusCode(err))
		}
	})
	addOIDCConn(t, e)
	b := e.browser()
	junk := []byte("<not-saml/>")
	for i := range 2 {
		if w := b.postSAML(connSAML, junk, ""); w.Code != http.StatusBadRequest {
			t.Fatalf("junk response %d within the allowance: %d", i+1, w.Code)
		}
	}
	w := b.postSAML(connSAML, junk, "")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("third response: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if last := handled[len(handled)-1]; last != ErrTooManyRequests {
		t.Fatalf("ErrorHandler got %v", last)
	}
	if !strings.Contains(e.logs.String(), "over its request rate") {
		t.Fatalf("no log of the refusal:\n%s", e.logs)
	}
	if w := b.postSAML(connSAMLB, junk, ""); w.Code != http.StatusBadRequest {
		t.Fatalf("another connection: %d", w.Code)
	}
	if w := b.get("/saml/" + connSAML + "/slo?SAMLRequest=x"); w.Code == http.StatusTooManyRequests {
		t.Fatal("the logout endpoint shares the login allowance")
	}
	for i := range 2 {
		if w := b.get("/oidc/" + connOIDC + "/callback?state=unknown"); w.Code == http.StatusTooManyRequests {
			t.Fatalf("OIDC callback %d within the allowance: 429", i+1)
		}
	}
	if w := b.get("/oidc/" + connOIDC + "/callback?state=unknown"); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("OIDC callback over the allowance: %d", w.Code)
	}
	e.advance(time.Second)
	if w := b.postSAML(connSAML, junk, ""); w.Code != http.StatusBadRequest {
		t.Fatalf("after Retry-After: %d", w.Code)
	}
}

// TestBackChannelLogoutRateLimit: the back-channel endpoint answers 429 in
// the JSON error shape of Back-Channel Logout 1.0.
func TestBackChannelLogoutRateLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.PerConnection = limits.Rate{PerSecond: 1, Burst: 1} })
	addOIDCConn(t, e)
	b := e.browser()
	form := url.Values{"logout_token": {"junk"}}
	if w := b.postForm("/oidc/"+connOIDC+"/backchannel-logout", form); w.Code != http.StatusBadRequest {
		t.Fatalf("first junk token: %d", w.Code)
	}
	w := b.postForm("/oidc/"+connOIDC+"/backchannel-logout", form)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" ||
		strings.TrimSpace(w.Body.String()) != `{"error":"temporarily_unavailable"}` {
		t.Fatalf("over the allowance: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
}

// TestRefusedLogoutEventsLimited: anyone can post junk to a logout URL;
// past Config.Limits.RefusalEvents the refusals are logged but no longer
// written to the Store as events.
func TestRefusedLogoutEventsLimited(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Limits.PerConnection = limits.Rate{Unlimited: true}
		c.Limits.RefusalEvents = limits.Rate{PerSecond: 1.0 / 60, Burst: 3}
	})
	b := e.browser()
	unsigned := `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="id1" Version="2.0" IssueInstant="2026-03-02T10:00:00Z" Destination="` +
		testBase + `/saml/` + connSAML + `/slo"><saml:Issuer>` + idpEntity + `</saml:Issuer><saml:NameID>jane@example.com</saml:NameID></samlp:LogoutRequest>`
	post := func() {
		t.Helper()
		w := b.postForm("/saml/"+connSAML+"/slo", url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(unsigned))}})
		if w.Code < 400 || w.Code >= 500 {
			t.Fatalf("unsigned LogoutRequest: %d", w.Code)
		}
	}
	for range 8 {
		post()
	}
	if n := len(e.events(EventLogoutFailed)); n != 3 {
		t.Fatalf("%d sso.logout.failed events for 8 refusals, want 3 (the burst)", n)
	}
	if got := strings.Count(e.logs.String(), "event_recorded=false"); got != 5 {
		t.Fatalf("%d refusals logged as not recorded, want 5:\n%s", got, e.logs)
	}
	e.advance(time.Minute)
	post()
	post()
	if n := len(e.events(EventLogoutFailed)); n != 4 {
		t.Fatalf("%d events a minute later, want 4", n)
	}
}
