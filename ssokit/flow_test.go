package ssokit

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

func TestSAMLReplay(t *testing.T) {
	t.Parallel()
	t.Run("SP-initiated, same browser", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		b := e.browser()
		id := b.startSAML(t, "connection="+connSAML)
		raw := respSpec{InResponseTo: id}.build(t)
		if w := b.postSAML(connSAML, raw, id); w.Code != http.StatusSeeOther {
			t.Fatalf("first post: %d", w.Code)
		}
		w := b.postSAML(connSAML, raw, id)
		if w.Code < 400 || len(e.logins()) != 1 {
			t.Fatalf("replay accepted: %d", w.Code)
		}
	})
	t.Run("SP-initiated, new request id but same assertion", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		b := e.browser()
		id := b.startSAML(t, "connection="+connSAML)
		raw := respSpec{InResponseTo: id, AssertionID: "_fixed", ResponseID: "_r1"}.build(t)
		if w := b.postSAML(connSAML, raw, id); w.Code != http.StatusSeeOther {
			t.Fatalf("first post: %d %s", w.Code, e.logs)
		}
		id2 := b.startSAML(t, "connection="+connSAML)
		raw2 := respSpec{InResponseTo: id2, AssertionID: "_fixed", ResponseID: "_r2"}.build(t)
		w := b.postSAML(connSAML, raw2, id2)
		assertRefusedAfter(t, e, w, ReasonReplayed, 1)
	})
	t.Run("IdP-initiated, another browser", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		e.updateConn(connSAML, func(c *store.Connection) { c.SAML.AllowIdPInitiated = true })
		raw := respSpec{AssertionID: "_replayed"}.build(t)
		if w := e.browser().postSAML(connSAML, raw, ""); w.Code != http.StatusSeeOther {
			t.Fatalf("first post: %d %s", w.Code, e.logs)
		}
		w := e.browser().postSAML(connSAML, raw, "")
		assertRefusedAfter(t, e, w, ReasonReplayed, 1)
		// Remembered until NotOnOrAfter + skew (8 minutes here)...
		ctx := t.Context()
		e.advance(7 * time.Minute)
		if err := e.st.ConsumeAssertionID(ctx, connSAML, "_replayed", e.clock().Add(time.Minute), e.clock()); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("replay cache forgot the assertion early: %v", err)
		}
		// ...then refused as expired, and forgotten by the cache.
		e.advance(2 * time.Minute)
		w = e.browser().postSAML(connSAML, raw, "")
		assertRefusedAfter(t, e, w, ReasonExpired, 1)
		if err := e.st.ConsumeAssertionID(ctx, connSAML, "_replayed", e.clock().Add(time.Minute), e.clock()); err != nil {
			t.Fatalf("replay cache still holds the expired assertion: %v", err)
		}
	})
	t.Run("IdP-initiated, another app instance", func(t *testing.T) {
		t.Parallel()
		st := memstore.New()
		e1 := newEnvWithStore(t, st, true, nil)
		e1.updateConn(connSAML, func(c *store.Connection) { c.SAML.AllowIdPInitiated = true })
		e2 := newEnvWithStore(t, st, false, nil)
		raw := respSpec{}.build(t)
		if w := e1.browser().postSAML(connSAML, raw, ""); w.Code != http.StatusSeeOther {
			t.Fatalf("first post: %d %s", w.Code, e1.logs)
		}
		w := e2.browser().postSAML(connSAML, raw, "")
		assertRefusedAfter(t, e2, w, ReasonReplayed, 0)
	})
}

// assertRefusedAfter is assertRefused for an env that already logged n
// users in.
func assertRefusedAfter(t *testing.T, e *env, w interface {
	Result() *http.Response
}, want Reason, n int) {
	t.Helper()
	res := w.Result()
	if res.StatusCode < 400 || res.StatusCode > 499 {
		t.Errorf("status %d, want 4xx", res.StatusCode)
	}
	if got := len(e.logins()); got != n {
		t.Errorf("%d logins, want %d", got, n)
	}
	for _, c := range res.Cookies() {
		if c.Name == "host_session" {
			t.Error("session cookie set")
		}
	}
	if !strings.Contains(e.logs.String(), "reason="+string(want)) {
		t.Errorf("log lacks reason=%s:\n%s", want, e.logs)
	}
}

func TestSAMLBrowserBinding(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	victim := e.browser()
	id := victim.startSAML(t, "connection="+connSAML)
	raw := respSpec{InResponseTo: id}.build(t)
	attacker := e.browser()
	w := attacker.postSAML(connSAML, raw, id)
	assertRefused(t, e, w, ReasonBrowserMismatch)
	// The attempt did not use up the victim's request, nor the assertion.
	w = victim.postSAML(connSAML, raw, id)
	if w.Code != http.StatusSeeOther || len(e.logins()) != 1 {
		t.Fatalf("victim's login after the attempt: %d\n%s", w.Code, e.logs)
	}
	// Consumed now: a second post, from any browser, is refused.
	for _, b := range []*browser{victim, attacker} {
		if w := b.postSAML(connSAML, raw, id); w.Code < 400 || len(e.logins()) != 1 {
			t.Fatalf("replay accepted: %d", w.Code)
		}
	}
}

// TestSAMLRequestNotCancellable: knowing a login request id (it travels in
// the AuthnRequest) does not let anyone cancel that login with a forged
// response from another browser or to another connection's ACS.
func TestSAMLRequestNotCancellable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		conn string
		want Reason
	}{
		{"garbage from another browser", connSAML, ReasonBrowserMismatch},
		{"garbage to another connection's ACS", connSAMLB, ReasonInResponseTo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			victim := e.browser()
			id := victim.startSAML(t, "connection="+connSAML)
			forged := respSpec{InResponseTo: id, Key: evilKey, NameID: "admin@example.com"}.build(t)
			w := e.browser().postSAML(tc.conn, forged, id)
			if w.Code < 400 || !strings.Contains(e.logs.String(), "reason="+string(tc.want)) {
				t.Fatalf("forged post: %d\n%s", w.Code, e.logs)
			}
			w = victim.postSAML(connSAML, respSpec{InResponseTo: id}.build(t), id)
			if w.Code != http.StatusSeeOther || len(e.logins()) != 1 {
				t.Fatalf("victim's login was cancelled: %d\n%s", w.Code, e.logs)
			}
		})
	}
}

func TestBindingCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	b := e.browser()
	b.startSAML(t, "connection="+connSAML)
	c := b.cookies[bindingCookie]
	if c == nil || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteNoneMode || c.Path != "/sso" {
		t.Fatalf("binding cookie = %+v", c)
	}
	first := c.Value
	b.startSAML(t, "connection="+connSAML)
	if b.cookies[bindingCookie].Value != first {
		t.Error("binding cookie not reused across flows")
	}
}

func TestTestConnectionFlow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil)
	e.updateConn(connSAML, func(c *store.Connection) { c.State, c.TestedAt = store.ConnectionDraft, time.Time{} })

	// A draft connection does not log users in...
	b := e.browser()
	if w := b.get("/start?connection=" + connSAML); w.Code != http.StatusForbidden {
		t.Fatalf("start on draft: %d", w.Code)
	}
	// ...cannot be activated...
	if _, err := e.sso.Activate(ctx, connSAML, "operator:test"); !errors.Is(err, ErrNotTested) {
		t.Fatalf("Activate draft: %v", err)
	}
	// ...but can be tested. A failing test reports the diagnosis.
	id := b.startTest(t, connSAML, "/portal/sso")
	raw := respSpec{InResponseTo: id, Audience: "https://wrong.example/sp"}.build(t)
	b.postSAML(connSAML, raw, id)
	res := e.testResults()
	if len(res) != 1 || res[0].Err == nil || res[0].Err.Reason != ReasonAudience ||
		res[0].Err.ExpectedAudience != testBase+"/saml/"+connSAML+"/metadata" ||
		len(res[0].Err.Audiences) != 1 || res[0].Err.Audiences[0] != "https://wrong.example/sp" {
		t.Fatalf("test results = %+v", res)
	}
	if len(e.logins()) != 0 {
		t.Fatal("OnLogin called in a test flow")
	}
	if evs := e.events(EventConnectionTestFailed); len(evs) != 1 {
		t.Fatalf("test_failed events: %+v", evs)
	}

	// A test with an unknown certificate shows the thumbprint.
	id = b.startTest(t, connSAML, "")
	b.postSAML(connSAML, respSpec{InResponseTo: id, Key: evilKey}.build(t), id)
	res = e.testResults()
	if le := res[1].Err; le == nil || le.Reason != ReasonUnknownCertificate || len(le.CertificateThumbprints) != 1 ||
		le.CertificateThumbprints[0] != thumbprint(evilKey.Cert) || le.TrustedThumbprints[0] != thumbprint(idpKey.Cert) {
		t.Fatalf("diagnosis = %+v", res[1].Err)
	}

	// A passing test reports the claims and marks the connection tested.
	id = b.startTest(t, connSAML, "")
	b.postSAML(connSAML, respSpec{InResponseTo: id}.build(t), id)
	res = e.testResults()
	if len(res) != 3 || res[2].Err != nil || res[2].Profile.Email != "jane@example.com" || res[2].State != store.ConnectionTested {
		t.Fatalf("test results = %+v", res[2])
	}
	c, _ := e.st.GetConnection(ctx, connSAML)
	if c.State != store.ConnectionTested || !c.TestedAt.Equal(testNow) {
		t.Fatalf("connection = %s tested at %v", c.State, c.TestedAt)
	}
	if len(e.logins()) != 0 {
		t.Fatal("OnLogin called in a test flow")
	}

	// Lifecycle: tested -> active -> inactive -> active.
	for _, step := range []struct {
		fn   func(context.Context, string, string) (*store.Connection, error)
		want store.ConnectionState
		ev   string
	}{
		{e.sso.Activate, store.ConnectionActive, EventConnectionActivated},
		{e.sso.Deactivate, store.ConnectionInactive, EventConnectionDeactivated},
		{e.sso.Activate, store.ConnectionActive, EventConnectionActivated},
	} {
		c, err := step.fn(ctx, connSAML, "operator:ann")
		if err != nil || c.State != step.want {
			t.Fatalf("transition to %s: %v %+v", step.want, err, c)
		}
	}
	if evs := e.events(EventConnectionActivated, EventConnectionDeactivated); len(evs) != 3 || evs[0].Actor != "operator:ann" {
		t.Fatalf("state events = %+v", evs)
	}
	// Activating an active connection is a no-op without event.
	if _, err := e.sso.Activate(ctx, connSAML, "x"); err != nil {
		t.Fatal(err)
	}
	if evs := e.events(EventConnectionActivated); len(evs) != 2 {
		t.Fatalf("no-op wrote an event: %d", len(evs))
	}
	// And now users log in.
	id = b.startSAML(t, "connection="+connSAML)
	if w := b.postSAML(connSAML, respSpec{InResponseTo: id}.build(t), id); w.Code != http.StatusSeeOther {
		t.Fatalf("login after activation: %d", w.Code)
	}
	// Deactivated: refused, tests too.
	if _, err := e.sso.Deactivate(ctx, connSAML, "x"); err != nil {
		t.Fatal(err)
	}
	if err := e.sso.StartTest(httptestRecorder(), newGet("/start"), connSAML, ""); !errors.Is(err, ErrConnectionNotActive) {
		t.Fatalf("test on inactive: %v", err)
	}
}

func TestDeactivatedDirectoryUserInTest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	addDirectoryUser(t, e, "jane@example.com", true)
	b := e.browser()
	id := b.startSAML(t, "connection="+connSAML)
	if w := b.postSAML(connSAML, respSpec{InResponseTo: id}.build(t), id); w.Code != http.StatusSeeOther {
		t.Fatalf("status %d", w.Code)
	}
	p := e.logins()[0]
	if p.DirectoryUser == nil || p.DirectoryUser.ID != "dusr_jane" {
		t.Fatalf("directory user = %+v", p.DirectoryUser)
	}
}

func TestAllowEmailOutsideDomains(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.updateConn(connSAML, func(c *store.Connection) { c.AllowEmailOutsideDomains = true })
	b := e.browser()
	id := b.startSAML(t, "connection="+connSAML)
	raw := respSpec{InResponseTo: id, NameID: "contractor@agency.example",
		Attrs: []attr{{Name: "email", Values: []string{"contractor@agency.example"}}}}.build(t)
	if w := b.postSAML(connSAML, raw, id); w.Code != http.StatusSeeOther {
		t.Fatalf("status %d %s", w.Code, e.logs)
	}
	if p := e.logins()[0]; p.Email != "contractor@agency.example" || p.EmailVerified {
		t.Fatalf("profile = %+v", p)
	}
}

func TestEmailNormalizedAndNoCrossOrgLink(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil)
	// A directory user with the same email in org B must not be linked.
	if err := e.st.CreateDirectory(ctx, &store.Directory{ID: "dir_b", OrgID: testOrgB, State: store.DirectoryActive, CreatedAt: testNow, UpdatedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: "du_b", DirectoryID: "dir_b", UserName: "Jane@example.com", Active: false,
		Emails: []store.Email{{Value: "Jane@example.com"}}, CreatedAt: testNow, UpdatedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	id := b.startSAML(t, "connection="+connSAML)
	raw := respSpec{InResponseTo: id, Attrs: []attr{{Name: "email", Values: []string{"Jane@EXAMPLE.COM"}}}}.build(t)
	if w := b.postSAML(connSAML, raw, id); w.Code != http.StatusSeeOther {
		t.Fatalf("status %d\n%s", w.Code, e.logs)
	}
	p := e.logins()[0]
	if p.Email != "Jane@example.com" || !p.EmailVerified || p.DirectoryUser != nil {
		t.Fatalf("profile = %+v", p)
	}
}

func TestAttributeMapping(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.updateConn(connSAML, func(c *store.Connection) {
		c.AttributeMapping = map[string]string{FieldEmail: "mailPrimary", FieldFirstName: "gn", FieldGroups: "teams", FieldRoles: "appRoles"}
	})
	b := e.browser()
	id := b.startSAML(t, "connection="+connSAML)
	raw := respSpec{InResponseTo: id, NameID: "00u42", NameIDFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", Attrs: []attr{
		{Name: "email", Values: []string{"other@example.com"}},
		{Name: "mailPrimary", Values: []string{"jane@example.com"}},
		{Name: "urn:oid:2.5.4.42", FriendlyName: "gn", Values: []string{"Janet"}},
		{Name: "teams", Values: []string{"red", " ", "blue"}},
		{Name: "appRoles", Values: []string{"admin"}},
	}}.build(t)
	if w := b.postSAML(connSAML, raw, id); w.Code != http.StatusSeeOther {
		t.Fatalf("status %d\n%s", w.Code, e.logs)
	}
	p := e.logins()[0]
	if p.Email != "jane@example.com" || p.FirstName != "Janet" || strings.Join(p.Groups, ",") != "red,blue" ||
		strings.Join(p.Roles, ",") != "admin" || p.Subject != "00u42" || p.ID != ProfileID(connSAML, "00u42") {
		t.Fatalf("profile = %+v", p)
	}
}

func TestAuthnRequestShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	w := e.browser().get("/start?connection=" + connSAML)
	loc, _ := url.Parse(w.Header().Get("Location"))
	doc := decodeRedirectRequest(t, loc.Query().Get("SAMLRequest"))
	r := doc.Root()
	if r.Tag != "AuthnRequest" || r.SelectAttrValue("Destination", "") != idpSSO ||
		r.SelectAttrValue("AssertionConsumerServiceURL", "") != testBase+"/saml/"+connSAML+"/acs" ||
		r.SelectAttrValue("ProtocolBinding", "") != "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" ||
		r.SelectAttrValue("IssueInstant", "") != "2026-03-02T10:00:00Z" ||
		r.FindElement("./Issuer").Text() != testBase+"/saml/"+connSAML+"/metadata" {
		d, _ := doc.WriteToString()
		t.Fatalf("AuthnRequest:\n%s", d)
	}
	if loc.Query().Get("RelayState") != r.SelectAttrValue("ID", "") {
		t.Errorf("RelayState %q", loc.Query().Get("RelayState"))
	}
}

func TestDefaultTestResultPageEscapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.OnTestResult = nil })
	b := e.browser()
	id := b.startTest(t, connSAML, "")
	raw := respSpec{InResponseTo: id, Attrs: []attr{
		{Name: "email", Values: []string{"jane@example.com"}},
		{Name: "firstName", Values: []string{"<script>alert(1)</script>"}},
	}}.build(t)
	w := b.postSAML(connSAML, raw, id)
	body := w.Body.String()
	if w.Code != http.StatusOK || strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;") ||
		!strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("%d %s", w.Code, body)
	}
}
