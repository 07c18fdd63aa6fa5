package ssokit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/internal/teststores"
	"github.com/onboardkit/onboardkit/ssokit/idpsim"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

const (
	connSLO   = "conn_slo"   // SAML, org A, the simulator's IdP
	connSLOB  = "conn_slo_b" // SAML, org B, another IdP
	connBCL   = "conn_bcl"   // OIDC, org A, the simulator
	connBCLB  = "conn_bcl_b" // OIDC, org B, the simulator with another client
	janeEmail = "jane@example.com"
)

// logoutEnv is an app with SAML and OIDC connections of two organizations
// at one simulator, and sessions to end.
type logoutEnv struct {
	a   *app
	idp *idpsim.IdP
	ctx context.Context
}

func newLogoutEnv(t *testing.T, st store.Store) *logoutEnv {
	t.Helper()
	ctx := context.Background()
	a := newApp(t, st, true)
	idp := newSim(t)
	e := &logoutEnv{a: a, idp: idp, ctx: ctx}
	for _, sp := range []idpsim.SP{
		{EntityID: a.sso.SAMLEntityID(connSLO), ACSURL: a.sso.SAMLACSURL(connSLO), SLOURL: a.sso.SAMLSLOURL(connSLO), SigningCertificate: spKey.Cert, Preset: idpsim.PresetOkta},
		{EntityID: a.sso.SAMLEntityID(connSLOB), ACSURL: a.sso.SAMLACSURL(connSLOB), SLOURL: a.sso.SAMLSLOURL(connSLOB), SigningCertificate: spKey.Cert, Preset: idpsim.PresetOkta},
	} {
		if err := idp.RegisterSP(sp); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ conn, client string }{{connBCL, "app"}, {connBCLB, "app_b"}} {
		if err := idp.RegisterClient(idpsim.Client{ID: c.client, Secret: "secret", Preset: idpsim.PresetOkta,
			RedirectURIs:           []string{a.sso.OIDCRedirectURL(c.conn)},
			PostLogoutRedirectURIs: []string{a.sso.OIDCPostLogoutRedirectURL(c.conn)},
			BackChannelLogoutURI:   a.sso.OIDCBackChannelLogoutURL(c.conn)}); err != nil {
			t.Fatal(err)
		}
	}
	conns := []store.Connection{
		{ID: connSLO, OrgID: testOrg, Protocol: store.ProtocolSAML, Provider: "okta",
			SAML: &store.SAMLConfig{MetadataURL: idp.MetadataURL(), SPKeyPEM: spKey.KeyPEM, SPCertPEM: spKey.CertPEM}},
		// Org B trusts another IdP (idpB's certificate, another entity id).
		{ID: connSLOB, OrgID: testOrgB, Protocol: store.ProtocolSAML, Provider: "generic",
			SAML: &store.SAMLConfig{IdPEntityID: "https://idp-b.example/metadata", SSOURL: "https://idp-b.example/sso",
				SLOURL: "https://idp-b.example/slo", Certificates: []string{idpB.CertPEM}, SPKeyPEM: spKey.KeyPEM, SPCertPEM: spKey.CertPEM}},
		{ID: connBCL, OrgID: testOrg, Protocol: store.ProtocolOIDC, Provider: "okta",
			OIDC: &store.OIDCConfig{Issuer: idp.Issuer(), ClientID: "app", ClientSecret: "secret"}},
		{ID: connBCLB, OrgID: testOrgB, Protocol: store.ProtocolOIDC, Provider: "okta",
			OIDC: &store.OIDCConfig{Issuer: idp.Issuer(), ClientID: "app_b", ClientSecret: "secret"}},
	}
	for i := range conns {
		c := conns[i]
		c.State, c.TestedAt, c.CreatedAt, c.UpdatedAt = store.ConnectionActive, testNow, testNow, testNow
		if err := st.CreateConnection(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.sso.RefreshMetadata(ctx, connSLO); err != nil {
		t.Fatal(err)
	}
	return e
}

// addSession stores an active session and returns its id.
func (e *logoutEnv) addSession(t *testing.T, id, org, conn, subject, nameID, sessionIndex, sid string) {
	t.Helper()
	d := sha256.Sum256([]byte(id))
	if err := e.a.st.CreateSession(e.ctx, &store.Session{ID: id, Digest: d[:], OrgID: org, ConnectionID: conn,
		Subject: subject, NameID: nameID, SessionIndex: sessionIndex, SID: sid,
		CreatedAt: testNow, IdleExpiresAt: testNow.Add(time.Hour), ExpiresAt: testNow.Add(8 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

// active returns the ids of the sessions still active, in creation order.
func (e *logoutEnv) active(t *testing.T) string {
	t.Helper()
	var ids []string
	for _, org := range []string{testOrg, testOrgB} {
		ss, err := e.a.st.ListSessions(e.ctx, store.SessionSelector{OrgID: org})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			if s.EndedAt.IsZero() {
				ids = append(ids, s.ID)
			}
		}
	}
	return strings.Join(ids, ",")
}

// samlSessions stores the SAML sessions the SLO tests end: jane twice
// (two IdP sessions), bob, and jane at org B's connection.
func (e *logoutEnv) samlSessions(t *testing.T) {
	e.addSession(t, "s1", testOrg, connSLO, janeEmail, janeEmail, "idx1", "")
	e.addSession(t, "s2", testOrg, connSLO, janeEmail, janeEmail, "idx2", "")
	e.addSession(t, "s3", testOrg, connSLO, "bob@example.com", "bob@example.com", "idx3", "")
	e.addSession(t, "s4", testOrgB, connSLOB, janeEmail, janeEmail, "idx1", "")
}

// send delivers a simulator message with a browser and returns the answer.
func (e *logoutEnv) send(t *testing.T, c *http.Client, m *idpsim.LogoutMessage) (*http.Response, []byte) {
	t.Helper()
	req, err := m.NewRequest(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return fetch(t, c, req)
}

// events returns the types and reasons of the events of org, in order.
func (e *logoutEnv) events(t *testing.T, typ string) []string {
	t.Helper()
	var out []string
	evs, err := e.a.st.ListEvents(e.ctx, store.EventQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Type != typ {
			continue
		}
		var d struct {
			Reason string `json:"reason"`
		}
		_ = json.Unmarshal(ev.Data, &d)
		out = append(out, ev.Subject+":"+d.Reason)
	}
	return out
}

func TestSAMLIdPInitiatedLogout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opts   idpsim.LogoutRequestOptions
		active string
	}{
		{"redirect, one session index", idpsim.LogoutRequestOptions{SessionIndex: "idx1"}, "s2,s3,s4"},
		{"post, one session index", idpsim.LogoutRequestOptions{SessionIndex: "idx2", POST: true}, "s1,s3,s4"},
		{"every session of the NameID", idpsim.LogoutRequestOptions{}, "s3,s4"},
		{"another tenant's NameID ends nothing", idpsim.LogoutRequestOptions{Faults: []idpsim.Fault{idpsim.FaultForeignNameID}, ForgedNameID: "boss@orgb.example"}, "s1,s2,s3,s4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newLogoutEnv(t, memstore.New())
			e.samlSessions(t)
			tc.opts.SP, tc.opts.User, tc.opts.RelayState = e.a.sso.SAMLEntityID(connSLO), idpsim.User{Email: janeEmail}, "rs-1"
			m, err := e.idp.SAMLLogoutRequest(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			c := newClient()
			resp, body := e.send(t, c, m)
			if got := e.active(t); got != tc.active {
				t.Errorf("active sessions = %s, want %s\n%s", got, tc.active, e.a.logs)
			}
			// The SP answers the IdP with a signed LogoutResponse in the
			// request's binding; the simulator verifies it.
			if tc.opts.POST {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("SLO: %d %s\n%s", resp.StatusCode, body, e.a.logs)
				}
				form, err := idpsim.ParsePostForm(body, m.URL)
				if err != nil {
					t.Fatal(err)
				}
				if form.Action != e.idp.SLOURL() || form.Values.Get("RelayState") != "rs-1" {
					t.Fatalf("form = %+v", form)
				}
				resp, body = e.send(t, c, &idpsim.LogoutMessage{Method: http.MethodPost, URL: form.Action, Form: form.Values})
			} else {
				if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), e.idp.SLOURL()+"?SAMLResponse=") {
					t.Fatalf("SLO: %d %s %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body, e.a.logs)
				}
				resp, body = e.send(t, c, &idpsim.LogoutMessage{Method: http.MethodGet, URL: resp.Header.Get("Location")})
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("IdP: %d %s", resp.StatusCode, body)
			}
			logs := e.idp.Logouts()
			if len(logs) != 1 || logs[0].Kind != "LogoutResponse" || !logs[0].Signed || logs[0].Status != statusSuccess {
				t.Fatalf("IdP received %+v", logs)
			}
		})
	}
}

// TestSAMLIdPInitiatedLogoutRefused sends each forged or stale
// LogoutRequest: every one is refused with a 4xx, ends no session, and
// says why in the log and in an sso.logout.failed event.
func TestSAMLIdPInitiatedLogoutRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		fault  idpsim.Fault
		post   bool
		conn   string // SLO endpoint posted to; default connSLO
		reason Reason
	}{
		{"unsigned redirect", idpsim.FaultUnsigned, false, "", ReasonUnsigned},
		{"unsigned post", idpsim.FaultUnsigned, true, "", ReasonUnsigned},
		{"wrong signature redirect", idpsim.FaultForeignKey, false, "", ReasonBadSignature},
		{"wrong signature post (KeyInfo not trusted)", idpsim.FaultForeignKey, true, "", ReasonUnknownCertificate},
		{"wrong issuer", idpsim.FaultWrongIssuer, true, "", ReasonIssuer},
		{"wrong destination", idpsim.FaultWrongDestination, false, "", ReasonDestination},
		{"expired", idpsim.FaultExpired, true, "", ReasonExpired},
		{"not yet valid", idpsim.FaultNotYetValid, false, "", ReasonNotYetValid},
		{"sha1", idpsim.FaultSHA1, false, "", ReasonAlgorithm},
		{"doctype", idpsim.FaultDoctype, true, "", ReasonForbiddenXML},
		{"other tenant's SLO endpoint", "", false, connSLOB, ReasonBadSignature},
		{"other tenant's SLO endpoint, post", "", true, connSLOB, ReasonUnknownCertificate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newLogoutEnv(t, memstore.New())
			e.samlSessions(t)
			opts := idpsim.LogoutRequestOptions{SP: e.a.sso.SAMLEntityID(connSLO), User: idpsim.User{Email: janeEmail}, POST: tc.post}
			if tc.fault != "" {
				opts.Faults = []idpsim.Fault{tc.fault}
			}
			if tc.conn != "" {
				opts.SP = e.a.sso.SAMLEntityID(tc.conn)
			}
			m, err := e.idp.SAMLLogoutRequest(opts)
			if err != nil {
				t.Fatal(err)
			}
			resp, body := e.send(t, newClient(), m)
			if resp.StatusCode < 400 || resp.StatusCode > 499 {
				t.Fatalf("status %d %s\n%s", resp.StatusCode, body, e.a.logs)
			}
			if strings.Contains(string(body), "ssokit") {
				t.Errorf("body leaks the cause: %s", body)
			}
			if got := e.active(t); got != "s1,s2,s3,s4" {
				t.Errorf("active sessions = %s", got)
			}
			if !strings.Contains(e.a.logs.String(), "reason="+string(tc.reason)) {
				t.Errorf("log lacks reason %s:\n%s", tc.reason, e.a.logs)
			}
			conn := connSLO
			if tc.conn != "" {
				conn = tc.conn
			}
			if evs := e.events(t, EventLogoutFailed); len(evs) != 1 || evs[0] != conn+":"+string(tc.reason) {
				t.Errorf("events = %v", evs)
			}
		})
	}
}

func TestSAMLIdPInitiatedLogoutReplay(t *testing.T) {
	t.Parallel()
	e := newLogoutEnv(t, memstore.New())
	e.samlSessions(t)
	m, err := e.idp.SAMLLogoutRequest(idpsim.LogoutRequestOptions{SP: e.a.sso.SAMLEntityID(connSLO), User: idpsim.User{Email: janeEmail}, SessionIndex: "idx1"})
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := e.send(t, newClient(), m); resp.StatusCode != http.StatusFound {
		t.Fatalf("first: %d\n%s", resp.StatusCode, e.a.logs)
	}
	// A new session for the same IdP session index, then the same request
	// again (another browser): refused, the new session lives on.
	e.addSession(t, "s5", testOrg, connSLO, janeEmail, janeEmail, "idx1", "")
	resp, _ := e.send(t, newClient(), m)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(e.a.logs.String(), "reason="+string(ReasonReplayed)) {
		t.Fatalf("replay: %d\n%s", resp.StatusCode, e.a.logs)
	}
	if got := e.active(t); got != "s2,s3,s5,s4" {
		t.Errorf("active = %s", got)
	}
}

// TestSAMLSPInitiatedLogout: the app ends its session, then StartLogout
// sends a signed LogoutRequest (query-string signature for HTTP-Redirect,
// enveloped for HTTP-POST); the simulator verifies it and answers; the SP
// validates the LogoutResponse and lands the browser on ReturnTo.
func TestSAMLSPInitiatedLogout(t *testing.T) {
	t.Parallel()
	for _, post := range []bool{false, true} {
		t.Run(map[bool]string{false: "redirect", true: "post"}[post], func(t *testing.T) {
			t.Parallel()
			e := newLogoutEnv(t, memstore.New())
			if post {
				// Set by hand, the POST endpoint alone.
				if _, err := e.a.st.UpdateConnection(e.ctx, connSLO, func(c *store.Connection) ([]store.Event, error) {
					c.SAML.SLOPostURL = e.idp.SLOURL()
					return nil, nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			c := newClient()
			resp, body := e.spLogout(t, c)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/bye" {
				t.Fatalf("SLO: %d %s\n%s", resp.StatusCode, body, e.a.logs)
			}
			logs := e.idp.Logouts()
			want := map[bool]string{false: "redirect", true: "post"}[post]
			if len(logs) != 1 || logs[0].Kind != "LogoutRequest" || !logs[0].Signed || logs[0].NameID != janeEmail ||
				logs[0].SessionIndex != "idx1" || logs[0].Binding != want {
				t.Fatalf("IdP received %+v", logs)
			}
			if evs := e.events(t, EventLogoutCompleted); len(evs) != 1 {
				t.Errorf("events = %v", evs)
			}
		})
	}
}

// spLogout starts an SP-initiated logout with c and follows it to the
// SP's SLO endpoint, returning the SP's answer.
func (e *logoutEnv) spLogout(t *testing.T, c *http.Client) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.a.srv.URL+"/logout?connection="+connSLO+"&name_id="+url.QueryEscape(janeEmail)+"&session_index=idx1", nil)
	resp, body := fetch(t, c, req)
	var m *idpsim.LogoutMessage
	switch resp.StatusCode {
	case http.StatusFound:
		m = &idpsim.LogoutMessage{Method: http.MethodGet, URL: resp.Header.Get("Location")}
	case http.StatusOK:
		f, err := idpsim.ParsePostForm(body, req.URL.String())
		if err != nil {
			t.Fatal(err)
		}
		m = &idpsim.LogoutMessage{Method: http.MethodPost, URL: f.Action, Form: f.Values}
	default:
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	resp, body = e.send(t, c, m) // at the IdP
	switch resp.StatusCode {
	case http.StatusFound:
		m = &idpsim.LogoutMessage{Method: http.MethodGet, URL: resp.Header.Get("Location")}
	case http.StatusOK:
		f, err := idpsim.ParsePostForm(body, m.URL)
		if err != nil {
			t.Fatal(err)
		}
		m = &idpsim.LogoutMessage{Method: http.MethodPost, URL: f.Action, Form: f.Values}
	default:
		t.Fatalf("IdP: %d %s", resp.StatusCode, body)
	}
	return e.send(t, c, m)
}

func TestSAMLLogoutResponseRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fault  idpsim.Fault
		reason Reason
	}{
		{idpsim.FaultUnsigned, ReasonUnsigned},
		{idpsim.FaultForeignKey, ReasonBadSignature},
		{idpsim.FaultWrongIssuer, ReasonIssuer},
		{idpsim.FaultWrongDestination, ReasonDestination},
		{idpsim.FaultExpired, ReasonExpired},
	} {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			e := newLogoutEnv(t, memstore.New())
			if err := e.idp.SetAutoLogin(&idpsim.AutoLogin{User: idpsim.User{Email: janeEmail}}); err != nil {
				t.Fatal(err)
			}
			// AutoLogin faults are validated against login faults; use
			// the ones that apply to both.
			if err := e.idp.SetAutoLogin(&idpsim.AutoLogin{User: idpsim.User{Email: janeEmail}, Faults: []idpsim.Fault{tc.fault}}); err != nil {
				t.Fatal(err)
			}
			resp, body := e.spLogout(t, newClient())
			if resp.StatusCode < 400 || resp.StatusCode > 499 || !strings.Contains(e.a.logs.String(), "reason="+string(tc.reason)) {
				t.Fatalf("%d %s\n%s", resp.StatusCode, body, e.a.logs)
			}
		})
	}
	t.Run("replayed and other browser", func(t *testing.T) {
		t.Parallel()
		e := newLogoutEnv(t, memstore.New())
		c := newClient()
		req, _ := http.NewRequest(http.MethodGet, e.a.srv.URL+"/logout?connection="+connSLO+"&name_id=x", nil)
		resp, _ := fetch(t, c, req)
		resp, _ = e.send(t, c, &idpsim.LogoutMessage{Method: http.MethodGet, URL: resp.Header.Get("Location")})
		answer := &idpsim.LogoutMessage{Method: http.MethodGet, URL: resp.Header.Get("Location")}
		if resp, _ := e.send(t, newClient(), answer); resp.StatusCode != http.StatusForbidden ||
			!strings.Contains(e.a.logs.String(), "reason="+string(ReasonBrowserMismatch)) {
			t.Fatalf("other browser: %d\n%s", resp.StatusCode, e.a.logs)
		}
		if resp, _ := e.send(t, c, answer); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("own browser: %d\n%s", resp.StatusCode, e.a.logs)
		}
		if resp, _ := e.send(t, c, answer); resp.StatusCode != http.StatusForbidden ||
			!strings.Contains(e.a.logs.String(), "reason="+string(ReasonRequestUnknown)) {
			t.Fatalf("replay: %d\n%s", resp.StatusCode, e.a.logs)
		}
	})
}

func TestSPMetadataAdvertisesSLO(t *testing.T) {
	t.Parallel()
	e := newLogoutEnv(t, memstore.New())
	req, _ := http.NewRequest(http.MethodGet, e.a.sso.SAMLEntityID(connSLO), nil)
	_, body := fetch(t, newClient(), req)
	for _, b := range []string{"HTTP-Redirect", "HTTP-POST"} {
		want := `<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:` + b + `" Location="` + e.a.sso.SAMLSLOURL(connSLO) + `"`
		if !strings.Contains(string(body), want) {
			t.Errorf("metadata lacks %s\n%s", want, body)
		}
	}
}

// oidcSessions stores the OIDC sessions the back-channel tests end.
func (e *logoutEnv) oidcSessions(t *testing.T) (sub string) {
	sub = e.subOf(t, "app")
	sid := e.idp.SessionID("app", idpsim.User{Email: janeEmail})
	e.addSession(t, "o1", testOrg, connBCL, sub, "", "", sid)
	e.addSession(t, "o2", testOrg, connBCL, sub, "", "", "sid-other")
	e.addSession(t, "o3", testOrg, connBCL, "bob-sub", "", "", sid)
	e.addSession(t, "o4", testOrgB, connBCLB, sub, "", "", sid)
	return sub
}

// subOf is the sub the simulator gives jane at client.
func (e *logoutEnv) subOf(t *testing.T, client string) string {
	t.Helper()
	tok, err := e.idp.IDToken(idpsim.IDTokenOptions{Client: client, User: idpsim.User{Email: janeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Sub string }
	if err := json.Unmarshal(jwtPayload(t, tok), &c); err != nil {
		t.Fatal(err)
	}
	return c.Sub
}

func TestBackChannelLogout(t *testing.T) {
	t.Parallel()
	sid := func(e *logoutEnv) string { return e.idp.SessionID("app", idpsim.User{Email: janeEmail}) }
	for _, tc := range []struct {
		name   string
		opts   func(e *logoutEnv) idpsim.LogoutTokenOptions
		active string
	}{
		{"sub and sid", func(e *logoutEnv) idpsim.LogoutTokenOptions { return idpsim.LogoutTokenOptions{SID: sid(e)} }, "o2,o3,o4"},
		{"sub only", func(e *logoutEnv) idpsim.LogoutTokenOptions { return idpsim.LogoutTokenOptions{} }, "o3,o4"},
		{"sid only", func(e *logoutEnv) idpsim.LogoutTokenOptions {
			return idpsim.LogoutTokenOptions{SID: sid(e), NoSub: true}
		}, "o2,o4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newLogoutEnv(t, memstore.New())
			e.oidcSessions(t)
			o := tc.opts(e)
			o.Client, o.User = "app", idpsim.User{Email: janeEmail}
			code, body, err := e.idp.SendBackChannelLogout(e.ctx, o)
			if err != nil || code != http.StatusOK {
				t.Fatalf("%d %s %v\n%s", code, body, err, e.a.logs)
			}
			if got := e.active(t); got != tc.active {
				t.Errorf("active = %s, want %s", got, tc.active)
			}
		})
	}
}

// TestBackChannelLogoutRefused: each bad logout_token gets 400 with the
// spec's error JSON, ends nothing, and is logged and recorded with its
// reason.
func TestBackChannelLogoutRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		fault  idpsim.Fault
		opts   idpsim.LogoutTokenOptions
		reason Reason
	}{
		{"unsigned", idpsim.FaultUnsigned, idpsim.LogoutTokenOptions{}, ReasonAlgorithm},
		{"wrong signature", idpsim.FaultForeignKey, idpsim.LogoutTokenOptions{}, ReasonBadSignature},
		{"wrong issuer", idpsim.FaultWrongIssuer, idpsim.LogoutTokenOptions{}, ReasonIssuer},
		{"wrong aud", idpsim.FaultWrongAudience, idpsim.LogoutTokenOptions{}, ReasonAudience},
		{"expired", idpsim.FaultExpired, idpsim.LogoutTokenOptions{}, ReasonExpired},
		{"not yet valid", idpsim.FaultNotYetValid, idpsim.LogoutTokenOptions{}, ReasonNotYetValid},
		{"nonce present", idpsim.FaultLogoutNonce, idpsim.LogoutTokenOptions{}, ReasonNonce},
		{"no events claim", idpsim.FaultNoEvents, idpsim.LogoutTokenOptions{}, ReasonMalformed},
		{"neither sub nor sid", "", idpsim.LogoutTokenOptions{NoSub: true}, ReasonSubject},
		{"another tenant's client", "", idpsim.LogoutTokenOptions{Client: "app_b"}, ReasonAudience},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newLogoutEnv(t, memstore.New())
			e.oidcSessions(t)
			o := tc.opts
			if o.Client == "" {
				o.Client = "app"
			}
			o.User = idpsim.User{Email: janeEmail}
			if tc.fault != "" {
				o.Faults = []idpsim.Fault{tc.fault}
			}
			tok, err := e.idp.LogoutToken(o)
			if err != nil {
				t.Fatal(err)
			}
			code, body, err := e.idp.PostLogoutToken(e.ctx, "app", tok) // always to connBCL's endpoint
			if err != nil || code != http.StatusBadRequest || strings.TrimSpace(string(body)) != `{"error":"invalid_request"}` {
				t.Fatalf("%d %s %v\n%s", code, body, err, e.a.logs)
			}
			if got := e.active(t); got != "o1,o2,o3,o4" {
				t.Errorf("active = %s", got)
			}
			if !strings.Contains(e.a.logs.String(), "reason="+string(tc.reason)) {
				t.Errorf("log lacks %s:\n%s", tc.reason, e.a.logs)
			}
			if evs := e.events(t, EventLogoutFailed); len(evs) != 1 || evs[0] != connBCL+":"+string(tc.reason) {
				t.Errorf("events = %v", evs)
			}
		})
	}
}

// TestBackChannelLogoutStores: the jti is single use on every Store, and a
// replayed token ends nothing (a session started after the logout lives).
func TestBackChannelLogoutStores(t *testing.T) {
	t.Parallel()
	for name, open := range logoutStores() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newLogoutEnv(t, open(t))
			e.oidcSessions(t)
			sid := e.idp.SessionID("app", idpsim.User{Email: janeEmail})
			tok, err := e.idp.LogoutToken(idpsim.LogoutTokenOptions{Client: "app", User: idpsim.User{Email: janeEmail}, SID: sid})
			if err != nil {
				t.Fatal(err)
			}
			if code, body, _ := e.idp.PostLogoutToken(e.ctx, "app", tok); code != http.StatusOK {
				t.Fatalf("first: %d %s\n%s", code, body, e.a.logs)
			}
			e.addSession(t, "o5", testOrg, connBCL, "x", "", "", sid)
			if code, _, _ := e.idp.PostLogoutToken(e.ctx, "app", tok); code != http.StatusBadRequest ||
				!strings.Contains(e.a.logs.String(), "reason="+string(ReasonReplayed)) {
				t.Fatalf("replay: %d\n%s", code, e.a.logs)
			}
			if got := e.active(t); got != "o2,o3,o5,o4" {
				t.Errorf("active = %s", got)
			}
			if evs := e.events(t, store.SessionEventEnded); len(evs) != 1 || evs[0] != "o1:"+store.SessionEndedIdPLogout {
				t.Errorf("session.ended events = %v", evs)
			}

			// SAML on the same Store: IdP-initiated logout, then its replay.
			e.samlSessions(t)
			m, err := e.idp.SAMLLogoutRequest(idpsim.LogoutRequestOptions{SP: e.a.sso.SAMLEntityID(connSLO), User: idpsim.User{Email: janeEmail}, SessionIndex: "idx1"})
			if err != nil {
				t.Fatal(err)
			}
			if resp, _ := e.send(t, newClient(), m); resp.StatusCode != http.StatusFound {
				t.Fatalf("SLO: %d\n%s", resp.StatusCode, e.a.logs)
			}
			if resp, _ := e.send(t, newClient(), m); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("SLO replay: %d\n%s", resp.StatusCode, e.a.logs)
			}
			if got := e.active(t); got != "o2,o3,o5,s2,s3,o4,s4" {
				t.Errorf("active = %s", got)
			}
		})
	}
}

// logoutStores are the Stores the logout flows run on.
func logoutStores() map[string]teststores.Opener { return teststores.All(testKeyring, "ssologout") }

// TestOIDCRPInitiatedLogout: a login through the simulator gives the
// Profile its sid and ID token; StartLogout sends id_token_hint, client_id,
// the registered post_logout_redirect_uri and a state bound to the
// browser; the return consumes the state once.
func TestOIDCRPInitiatedLogout(t *testing.T) {
	t.Parallel()
	e := newLogoutEnv(t, memstore.New())
	c := newClient()
	req, _ := http.NewRequest(http.MethodGet, e.a.srv.URL+"/sso/start?connection="+connBCL, nil)
	resp, body := fetch(t, c, req)
	for i := 0; i < 5 && resp.StatusCode == http.StatusFound; i++ {
		req, _ = http.NewRequest(http.MethodGet, resolveLoc(req, resp.Header.Get("Location")), nil)
		resp, body = fetch(t, c, req)
	}
	ls := e.a.logins()
	if len(ls) != 1 || ls[0].IDToken == "" || ls[0].SID != e.idp.SessionID("app", idpsim.User{Email: janeEmail}) {
		t.Fatalf("login: %d %s %+v\n%s", resp.StatusCode, body, ls, e.a.logs)
	}
	req, _ = http.NewRequest(http.MethodGet, e.a.srv.URL+"/logout?connection="+connBCL+"&id_token="+url.QueryEscape(ls[0].IDToken), nil)
	resp, _ = fetch(t, c, req)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("post_logout_redirect_uri") != e.a.sso.OIDCPostLogoutRedirectURL(connBCL) ||
		loc.Query().Get("client_id") != "app" || loc.Query().Get("id_token_hint") != ls[0].IDToken || loc.Query().Get("state") == "" {
		t.Fatalf("start: %d %s", resp.StatusCode, loc)
	}
	resp, _ = e.send(t, c, &idpsim.LogoutMessage{Method: http.MethodGet, URL: loc.String()})
	back := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(back, e.a.sso.OIDCPostLogoutRedirectURL(connBCL)+"?state=") {
		t.Fatalf("IdP: %d %s", resp.StatusCode, back)
	}
	if logs := e.idp.Logouts(); len(logs) != 1 || !logs[0].Signed {
		t.Fatalf("IdP logouts %+v", logs)
	}
	if resp, _ = e.send(t, newClient(), &idpsim.LogoutMessage{Method: http.MethodGet, URL: back}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("other browser: %d", resp.StatusCode)
	}
	if resp, _ = e.send(t, c, &idpsim.LogoutMessage{Method: http.MethodGet, URL: back}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/bye" {
		t.Fatalf("return: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), e.a.logs)
	}
	if resp, _ = e.send(t, c, &idpsim.LogoutMessage{Method: http.MethodGet, URL: back}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("replayed state: %d", resp.StatusCode)
	}
}

// TestStartLogoutWithoutEndpoint: an IdP without SLO gives ErrNoIdPLogout
// and writes nothing.
func TestStartLogoutWithoutEndpoint(t *testing.T) {
	t.Parallel()
	e := newLogoutEnv(t, memstore.New())
	if _, err := e.a.st.UpdateConnection(e.ctx, connSLOB, func(c *store.Connection) ([]store.Event, error) {
		c.SAML.SLOURL = ""
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, e.a.srv.URL+"/logout?connection="+connSLOB+"&name_id=x", nil)
	if resp, body := fetch(t, newClient(), req); resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), ErrNoIdPLogout.Error()) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

func jwtPayload(t *testing.T, tok string) []byte {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestConfigureSLOURL: the IdP's SLO endpoint is taken by hand
// (SAMLManual.SLOURL, checked like the SSO URL) or from the metadata, and
// configuring from metadata drops a hand-set one.
func TestConfigureSLOURL(t *testing.T) {
	t.Parallel()
	e := newLogoutEnv(t, memstore.New())
	conn, err := e.a.st.GetConnection(e.ctx, connSLO)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := e.a.sso.IdPLogoutURL(conn); err != nil || u != e.idp.SLOURL() {
		t.Fatalf("from metadata: %q %v", u, err)
	}
	m := SAMLManual{EntityID: e.idp.EntityID(), SSOURL: e.idp.SSOURL(), Certificates: []string{idpKey.CertPEM}, SLOURL: "javascript:alert(1)"}
	if _, err := e.a.sso.ConfigureSAMLManual(e.ctx, testOrg, connSLO, m, "admin"); err == nil {
		t.Fatal("javascript: SLO URL accepted")
	}
	m.SLOURL = "https://idp.example.com/slo"
	if conn, err = e.a.sso.ConfigureSAMLManual(e.ctx, testOrg, connSLO, m, "admin"); err != nil {
		t.Fatal(err)
	}
	if u, err := e.a.sso.IdPLogoutURL(conn); err != nil || u != m.SLOURL || conn.SAML.SLOURL != m.SLOURL {
		t.Fatalf("by hand: %q %v", u, err)
	}
	if conn, err = e.a.sso.ConfigureSAMLMetadataURL(e.ctx, testOrg, connSLO, e.idp.MetadataURL(), "admin"); err != nil {
		t.Fatal(err)
	}
	if u, err := e.a.sso.IdPLogoutURL(conn); err != nil || u != e.idp.SLOURL() || conn.SAML.SLOURL != "" {
		t.Fatalf("metadata again: %q %v %q", u, err, conn.SAML.SLOURL)
	}
}
