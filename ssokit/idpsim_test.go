package ssokit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/ssokit/idpsim"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// app is a host application on a real HTTP server with ssokit mounted
// under /sso, as DESIGN.md shows.
type app struct {
	srv   *httptest.Server
	sso   *SSO
	st    store.Store
	logs  *testkit.LogBuffer
	mu    sync.Mutex
	login []*Profile
}

func newApp(t testing.TB, st store.Store, seed bool) *app {
	t.Helper()
	return newAppWith(t, st, seed, nil)
}

// newAppWith is newApp with mod applied to the Config.
func newAppWith(t testing.TB, st store.Store, seed bool, mod func(*Config)) *app {
	t.Helper()
	keys(t)
	if seed {
		seedStore(t, st)
	}
	a := &app{st: st, logs: &testkit.LogBuffer{}}
	var h http.Handler
	mux := http.NewServeMux()
	mux.Handle("/sso/", http.StripPrefix("/sso", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) })))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "home") })
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		err := a.sso.StartLogout(w, r, LogoutOptions{ConnectionID: q.Get("connection"), NameID: q.Get("name_id"),
			SessionIndex: q.Get("session_index"), IDToken: q.Get("id_token"), ReturnTo: "/bye"})
		if err != nil {
			http.Error(w, err.Error(), StatusCode(err))
		}
	})
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	cfg := Config{
		Store:   st,
		BaseURL: a.srv.URL + "/sso",
		OnLogin: func(w http.ResponseWriter, r *http.Request, p *Profile) {
			a.mu.Lock()
			a.login = append(a.login, p)
			a.mu.Unlock()
			http.SetCookie(w, &http.Cookie{Name: "host_session", Value: p.ID, Path: "/", HttpOnly: true})
			http.Redirect(w, r, p.ReturnTo, http.StatusSeeOther)
		},
		Logger:                       slog.New(slog.NewTextHandler(a.logs, nil)),
		Now:                          func() time.Time { return testNow },
		InsecureAllowPrivateNetworks: true,
	}
	if mod != nil {
		mod(&cfg)
	}
	sso, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.sso, h = sso, sso
	return a
}

func (a *app) logins() []*Profile {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*Profile(nil), a.login...)
}

// newClient is a browser of its own: its own cookies, and its own
// transport, since closing any httptest.Server closes the idle connections
// of http.DefaultTransport, which fails a request of a parallel test that
// is just reusing one.
func newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: http.DefaultTransport.(*http.Transport).Clone(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func fetch(t testing.TB, c *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// samlRoundTrip logs in through the simulator: start, IdP (auto login),
// auto-posted form to the ACS. It returns the ACS response.
func samlRoundTrip(t testing.TB, a *app, c *http.Client, conn string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/sso/start?connection="+conn+"&return_to=/after", nil)
	resp, _ := fetch(t, c, req)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	req, _ = http.NewRequest(http.MethodGet, loc, nil)
	resp, body := fetch(t, c, req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("IdP: %d %s", resp.StatusCode, body)
	}
	form, err := idpsim.ParsePostForm(body, loc)
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodPost, form.Action, strings.NewReader(form.Values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return fetch(t, c, req)
}

// addSimConnection registers the app's connection at the simulator and
// creates it from the simulator's metadata URL, refreshed through
// RefreshMetadata.
func addSimConnection(t testing.TB, a *app, idp *idpsim.IdP, id string, preset idpsim.Preset, signing idpsim.Signing) {
	t.Helper()
	ctx := context.Background()
	if err := idp.RegisterSP(idpsim.SP{EntityID: a.sso.SAMLEntityID(id), ACSURL: a.sso.SAMLACSURL(id), Preset: preset, Signing: signing}); err != nil {
		t.Fatal(err)
	}
	if err := a.st.CreateConnection(ctx, &store.Connection{
		ID: id, OrgID: testOrg, Protocol: store.ProtocolSAML, Provider: string(preset), State: store.ConnectionActive,
		SAML:     &store.SAMLConfig{MetadataURL: idp.MetadataURL()},
		TestedAt: testNow, CreatedAt: testNow, UpdatedAt: testNow,
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.sso.RefreshMetadata(ctx, id); err != nil {
		t.Fatal(err)
	}
}

func newSim(t testing.TB) *idpsim.IdP {
	return idpsim.NewServer(t, func(c *idpsim.Config) {
		c.Key, c.Certificate = idpKey.Key, idpKey.Cert
		c.Now = func() time.Time { return testNow }
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		c.Users = []idpsim.User{{Email: "jane@example.com", GivenName: "Jane", FamilyName: "Doe", Groups: []string{"Engineering"}}}
		c.AutoLogin = &idpsim.AutoLogin{User: idpsim.User{Email: "jane@example.com"}}
	})
}

func TestIdPSimSAMLPresets(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		preset  idpsim.Preset
		signing idpsim.Signing
		first   string
	}{
		{idpsim.PresetOkta, idpsim.SignAssertion, "Jane"},
		{idpsim.PresetEntra, idpsim.SignBoth, "Jane"},
		{idpsim.PresetGoogle, idpsim.SignResponse, ""},
		{idpsim.PresetADFS, idpsim.SignBoth, "Jane"},
		{idpsim.PresetGeneric, idpsim.SignAssertion, "Jane"},
	} {
		t.Run(tc.preset.String(), func(t *testing.T) {
			t.Parallel()
			a := newApp(t, memstore.New(), true)
			idp := newSim(t)
			addSimConnection(t, a, idp, "conn_sim", tc.preset, tc.signing)
			c := newClient()
			resp, body := samlRoundTrip(t, a, c, "conn_sim")
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/after" {
				t.Fatalf("ACS: %d %s\n%s", resp.StatusCode, body, a.logs)
			}
			ls := a.logins()
			if len(ls) != 1 || ls[0].Email != "jane@example.com" || !ls[0].EmailVerified || ls[0].FirstName != tc.first {
				t.Fatalf("profile = %+v", ls)
			}
		})
	}
}

func TestIdPSimSAMLFaults(t *testing.T) {
	t.Parallel()
	for _, f := range idpsim.SAMLFaults() {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			a := newApp(t, memstore.New(), true)
			idp := newSim(t)
			addSimConnection(t, a, idp, "conn_sim", idpsim.PresetOkta, idpsim.SignBoth)
			c := newClient()
			if f == idpsim.FaultReplay {
				if resp, _ := samlRoundTrip(t, a, c, "conn_sim"); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("first login: %d", resp.StatusCode)
				}
			}
			if err := idp.SetAutoLogin(&idpsim.AutoLogin{User: idpsim.User{Email: "jane@example.com"}, Faults: []idpsim.Fault{f}}); err != nil {
				t.Fatal(err)
			}
			before := len(a.logins())
			resp, body := samlRoundTrip(t, a, c, "conn_sim")
			if resp.StatusCode < 400 || resp.StatusCode > 499 || len(a.logins()) != before {
				t.Fatalf("fault %s: status %d, logins %d\n%s", f, resp.StatusCode, len(a.logins()), a.logs)
			}
			if strings.Contains(string(body), "ssokit") || !strings.Contains(a.logs.String(), "reason=") {
				t.Errorf("body %s / log %s", body, a.logs)
			}
			for _, ck := range resp.Cookies() {
				if ck.Name == "host_session" {
					t.Error("session cookie set")
				}
			}
		})
	}
}

func TestIdPSimOIDC(t *testing.T) {
	t.Parallel()
	faults := append([]idpsim.Fault{""}, idpsim.OIDCFaults()...)
	for _, f := range faults {
		name := string(f)
		if name == "" {
			name = "ok"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := newApp(t, memstore.New(), true)
			idp := newSim(t)
			preset, provider, tenant := idpsim.PresetOkta, "okta", ""
			if f == idpsim.FaultOtherTenant {
				// A connection pinned to the simulator's tenant.
				preset, provider, tenant = idpsim.PresetEntra, "entra", idp.TenantID()
			}
			if err := idp.RegisterClient(idpsim.Client{ID: "app", Secret: "secret", RedirectURIs: []string{a.sso.OIDCRedirectURL("conn_simo")}, Preset: preset}); err != nil {
				t.Fatal(err)
			}
			if err := a.st.CreateConnection(ctx, &store.Connection{
				ID: "conn_simo", OrgID: testOrg, Protocol: store.ProtocolOIDC, Provider: provider, State: store.ConnectionActive,
				OIDC:     &store.OIDCConfig{Issuer: idp.Issuer(), ClientID: "app", ClientSecret: "secret", TenantID: tenant},
				TestedAt: testNow, CreatedAt: testNow, UpdatedAt: testNow,
			}); err != nil {
				t.Fatal(err)
			}
			if f != "" {
				if err := idp.SetAutoLogin(&idpsim.AutoLogin{User: idpsim.User{Email: "jane@example.com"}, Faults: []idpsim.Fault{f}}); err != nil {
					t.Fatal(err)
				}
			}
			c := newClient()
			req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/sso/start?connection=conn_simo", nil)
			resp, body := fetch(t, c, req)
			for i := 0; i < 5 && (resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther); i++ {
				req, _ = http.NewRequest(http.MethodGet, resolveLoc(req, resp.Header.Get("Location")), nil)
				resp, body = fetch(t, c, req)
			}
			if f == "" || f == idpsim.FaultUserinfoSubMismatch {
				// The ID token carries the email: userinfo is not
				// consulted, so its answer cannot change the identity.
				// (TestOIDCAttacks covers a userinfo that is used.)
				if resp.StatusCode != http.StatusOK || string(body) != "home" || len(a.logins()) != 1 || a.logins()[0].Email != "jane@example.com" {
					t.Fatalf("login: %d %s\n%s", resp.StatusCode, body, a.logs)
				}
				return
			}
			if resp.StatusCode < 400 || len(a.logins()) != 0 || !strings.Contains(a.logs.String(), "reason=") {
				t.Fatalf("fault %s: %d %s\n%s", f, resp.StatusCode, body, a.logs)
			}
		})
	}
}

func resolveLoc(req *http.Request, loc string) string {
	u, err := req.URL.Parse(loc)
	if err != nil {
		return loc
	}
	return u.String()
}

// TestIdPSimSAMLEncrypted: the simulator encrypts with RSA-OAEP and
// AES-256-CBC, as ADFS and older Okta do by default. That is accepted when
// the Response is signed (verified before decryption) and refused, without
// an oracle, when only the assertion inside the ciphertext is signed.
func TestIdPSimSAMLEncrypted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		signing idpsim.Signing
		ok      bool
	}{
		{"signed response", idpsim.SignBoth, true},
		{"only the assertion signed", idpsim.SignAssertion, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := newApp(t, memstore.New(), true)
			idp := newSim(t)
			id := "conn_enc"
			if err := idp.RegisterSP(idpsim.SP{EntityID: a.sso.SAMLEntityID(id), ACSURL: a.sso.SAMLACSURL(id), Preset: idpsim.PresetADFS,
				Signing: tc.signing, Certificate: spKey.Cert, Encrypt: true}); err != nil {
				t.Fatal(err)
			}
			if err := a.st.CreateConnection(ctx, &store.Connection{
				ID: id, OrgID: testOrg, Protocol: store.ProtocolSAML, Provider: "adfs", State: store.ConnectionActive,
				SAML: &store.SAMLConfig{MetadataURL: idp.MetadataURL(), EncryptedAssertion: true,
					SPKeyPEM: spKey.KeyPEM, SPCertPEM: spKey.CertPEM},
				TestedAt: testNow, CreatedAt: testNow, UpdatedAt: testNow,
			}); err != nil {
				t.Fatal(err)
			}
			if err := a.sso.RefreshMetadata(ctx, id); err != nil {
				t.Fatal(err)
			}
			resp, body := samlRoundTrip(t, a, newClient(), id)
			if tc.ok {
				if resp.StatusCode != http.StatusSeeOther || len(a.logins()) != 1 || a.logins()[0].Email != "jane@example.com" {
					t.Fatalf("ACS: %d %s\n%s", resp.StatusCode, body, a.logs)
				}
				return
			}
			if resp.StatusCode != http.StatusForbidden || len(a.logins()) != 0 || !strings.Contains(a.logs.String(), "reason="+string(ReasonDecrypt)) {
				t.Fatalf("ACS: %d %s\n%s", resp.StatusCode, body, a.logs)
			}
		})
	}
}
