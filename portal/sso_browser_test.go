package portal

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/ssokit/idpsim"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// ssoBrowserEnv is a host application on 127.0.0.1 with the portal under
// /portal and ssokit under /sso (both on the same store), the IdP
// simulator on another port of 127.0.0.1 (same site: the SAML POST back to
// the ACS carries ssokit's Lax browser-binding cookie over plain http), and
// a host page on localhost (another site) allowed to embed the portal.
type ssoBrowserEnv struct {
	st      *memstore.Store
	p       *Portal
	sso     *ssokit.SSO
	idp     *idpsim.IdP
	org     *store.Organization
	origin  string
	hostURL string
}

func newSSOBrowserEnv(t *testing.T) *ssoBrowserEnv {
	t.Helper()
	env := &ssoBrowserEnv{st: memstore.New()}
	env.idp = idpsim.NewServer(t, func(c *idpsim.Config) {
		c.AutoLogin = &idpsim.AutoLogin{User: idpsim.User{Email: "ada@megacorp.example", GivenName: "Ada", FamilyName: "Lovelace", Groups: []string{"engineering"}}}
	})
	mux := http.NewServeMux()
	_, port := testkit.Listen(t, mux)
	_, hostPort := testkit.Listen(t, http.HandlerFunc(hostPage))
	env.origin = "http://127.0.0.1:" + port
	env.hostURL = "http://localhost:" + hostPort + "/host"
	logger := slog.New(slog.NewTextHandler(testkit.TestWriter{T: t}, nil))
	var err error
	env.sso, err = ssokit.New(ssokit.Config{
		Store:   env.st,
		BaseURL: env.origin + "/sso",
		OnLogin: func(w http.ResponseWriter, r *http.Request, p *ssokit.Profile) {
			http.SetCookie(w, &http.Cookie{Name: "host_user", Value: p.Email, Path: "/", HttpOnly: true})
			http.Redirect(w, r, p.ReturnTo, http.StatusSeeOther)
		},
		Logger:                       logger,
		InsecureAllowPrivateNetworks: true, // the simulator runs on loopback; tests only
	})
	if err != nil {
		t.Fatal(err)
	}
	env.p, err = newPortal(Config{
		Store:          env.st,
		BaseURL:        env.origin + "/portal",
		FrameAncestors: []string{"http://localhost:" + hostPort},
		Logger:         logger,
		SSO:            env.sso,
	}, func(c *admin.Config) {
		c.Branding = admin.Branding{ProductName: "Widgets Cloud", AccentColor: "#0f766e"}
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/portal/", http.StripPrefix("/portal", env.p))
	mux.Handle("/sso/", http.StripPrefix("/sso", env.sso))
	mux.HandleFunc("GET /welcome", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("host_user")
		if err != nil {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Welcome</title><p id="welcome">Welcome %s</p>`, html.EscapeString(c.Value))
	})

	ctx := context.Background()
	now := time.Now().UTC()
	env.org = &store.Organization{ID: "org_megacorp", Name: "MegaCorp", CreatedAt: now, UpdatedAt: now}
	must(t, env.st.CreateOrganization(ctx, env.org))
	must(t, env.st.CreateDomain(ctx, &store.Domain{ID: "dom_1", OrgID: env.org.ID, Name: "megacorp.example", State: store.DomainVerified,
		Method: store.DomainManual, VerifiedAt: now, VerifiedBy: "operator", CreatedAt: now, UpdatedAt: now}))
	return env
}

// inputValue reads an input's value.
func inputValue(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	return testkit.Eval[string](t, ctx, fmt.Sprintf(`document.getElementById(%q).value`, id))
}

// ssoJourney is the IT admin's journey for one protocol, from the SSO
// section to an active connection, then an end user's login through it.
func ssoJourney(t *testing.T, ctx context.Context, env *ssoBrowserEnv, protocol, provider string, fault idpsim.Fault, wantReason string, register func(conn string)) {
	t.Helper()
	testkit.Do(t, ctx, "open the SSO section and choose the provider",
		chromedp.Click(chromedp.CSS(testkit.TID("nav-sso"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("sso-new"))),
		chromedp.Click(chromedp.CSS(testkit.TID("sso-new"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("provider-"+provider))),
		chromedp.Click(chromedp.CSS(testkit.TID("provider-"+provider))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("sso-create-form"))),
		chromedp.Click(chromedp.CSS(testkit.TID("f-protocol-"+protocol))),
	)
	if provider == "generic" {
		testkit.Do(t, ctx, "name it", chromedp.SendKeys(chromedp.CSS(testkit.TID("f-name")), "Widgets Cloud IdP"))
	}
	testkit.Do(t, ctx, "create",
		chromedp.Click(chromedp.CSS(testkit.TID("sso-create"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("guide-steps"))),
	)
	// The provider's sign is served by the portal and loads.
	if !testkit.Eval[bool](t, ctx, `(function () { var i = document.querySelector('[data-testid="provider-logo"]'); return !!i && i.complete && i.naturalWidth > 0; })()`) {
		t.Error("the provider's logo did not load")
	}
	loc := testkit.Eval[string](t, ctx, `location.pathname`)
	conn := strings.TrimSuffix(strings.TrimPrefix(loc, "/portal/sso/"), "/setup/guide")
	if conn == loc || conn == "" || strings.Contains(conn, "/") {
		t.Fatalf("not on a connection's first step: %s", loc)
	}
	if got := testkit.Text(t, ctx, testkit.TID("connection-state")); got != "Draft" {
		t.Errorf("new connection state %q", got)
	}
	// The copy button reports what it did.
	valueID := "v-acs"
	if protocol == "oidc" {
		valueID = "v-redirect"
	}
	testkit.Do(t, ctx, "copy", chromedp.Click(chromedp.CSS(testkit.TID("copy-"+valueID))))
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.querySelector('[data-copy-status="%s"]').textContent !== ""`, valueID), chromedp.WithPollingTimeout(5*time.Second)))
		return err
	}); err != nil {
		t.Errorf("the copy button reported nothing: %v", err)
	}
	register(conn)
	testkit.Do(t, ctx, "skip the mapping",
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("form-mapping"))),
		chromedp.Click(chromedp.CSS(testkit.TID("step-next"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("test-connection"))),
	)

	// A test the IdP gets wrong shows the precise reason and its fix; then a
	// good one shows the claims received, in the portal page.
	user := idpsim.User{Email: "ada@megacorp.example", GivenName: "Ada", FamilyName: "Lovelace", Groups: []string{"engineering"}}
	must(t, env.idp.SetAutoLogin(&idpsim.AutoLogin{User: user, Faults: []idpsim.Fault{fault}}))
	testkit.Do(t, ctx, "start a failing test",
		chromedp.Click(chromedp.CSS(testkit.TID("test-connection"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("test-open"))),
		chromedp.Click(chromedp.CSS(testkit.TID("test-open"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("result-failed"))),
	)
	if got := testkit.Text(t, ctx, testkit.TID("result-reason")); got != wantReason {
		t.Errorf("failed test reason %q, want %q", got, wantReason)
	}
	if hint := testkit.Text(t, ctx, testkit.TID("result-hint")); hint == "" {
		t.Error("no fix hint")
	}
	if c, _ := env.st.GetConnection(context.Background(), conn); c.State != store.ConnectionDraft {
		t.Errorf("a failed test moved the connection to %s", c.State)
	}
	must(t, env.idp.SetAutoLogin(&idpsim.AutoLogin{User: user}))
	testkit.Do(t, ctx, "test again",
		chromedp.Click(chromedp.CSS(testkit.TID("test-again"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("test-open"))),
		chromedp.Click(chromedp.CSS(testkit.TID("test-open"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("result-ok"))),
	)
	if got := testkit.Text(t, ctx, testkit.TID("result-email")); got != "ada@megacorp.example" {
		t.Errorf("test result email %q", got)
	}
	if protocol == "oidc" {
		// Number claims show as the provider wrote them (1796639439, not
		// 1.796639439e+09).
		exp := testkit.Eval[string](t, ctx, `Array.prototype.filter.call(document.querySelectorAll('[data-testid="result-attribute"]'), function (r) { return r.cells[0].textContent.trim() === "exp"; }).map(function (r) { return r.cells[1].textContent.trim(); }).join()`)
		if exp == "" || strings.Trim(exp, "0123456789") != "" {
			t.Errorf("test result exp claim %q, want the integer the provider sent", exp)
		}
	}
	c, err := env.st.GetConnection(context.Background(), conn)
	if err != nil || c.State != store.ConnectionTested {
		t.Fatalf("after the test: %v %+v", err, c)
	}
	testkit.Do(t, ctx, "activate",
		chromedp.Click(chromedp.CSS(testkit.TID("activate"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("flash"))),
	)
	if got := testkit.Text(t, ctx, testkit.TID("connection-state")); got != "Active" {
		t.Errorf("state after activation %q", got)
	}
	// A reload after the POST shows the same page and submits nothing.
	activations := len(ssoEvents(t, env.st, ssokit.EventConnectionActivated))
	testkit.Do(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(testkit.TID("deactivate"))))
	if n := len(ssoEvents(t, env.st, ssokit.EventConnectionActivated)); n != activations {
		t.Errorf("the reload wrote %d more activation events", n-activations)
	}

	// An end user of the organization now signs in through SSO.
	testkit.Do(t, ctx, "end-user login",
		chromedp.Navigate(env.origin+"/sso/start?email=ada@megacorp.example&return_to=/welcome"),
		chromedp.WaitVisible(chromedp.CSS(`#welcome`)),
	)
	if got := testkit.Text(t, ctx, `#welcome`); got != "Welcome ada@megacorp.example" {
		t.Errorf("end user landed on %q", got)
	}
	// Back to the portal for the next journey; deactivate so that the email
	// routes to the next connection.
	testkit.Do(t, ctx, "deactivate",
		chromedp.Navigate(env.origin+"/portal/sso/"+conn),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("deactivate"))),
		chromedp.Click(chromedp.CSS(testkit.TID("deactivate"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("confirm-submit"))),
		chromedp.Click(chromedp.CSS(testkit.TID("confirm-submit"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("delete"))),
	)
}

// TestBrowserSSOSetup walks the IT admin's journey in Chromium: open a
// shareable link, confirm, configure SAML from the simulator's metadata
// URL, test, activate, and see an end user log in; then the same for OIDC.
func TestBrowserSSOSetup(t *testing.T) {
	ctx := testkit.NewBrowser(t)
	env := newSSOBrowserEnv(t)
	link, err := env.p.admin.GenerateLink(context.Background(), env.org.ID, admin.LinkOptions{}, "")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Do(t, ctx, "open the link and confirm",
		chromedp.EmulateViewport(1024, 800),
		chromedp.Navigate(link.URL),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("continue"))),
		chromedp.Click(chromedp.CSS(testkit.TID("continue"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("home-title"))),
	)

	ssoJourney(t, ctx, env, "saml", "okta", idpsim.FaultWrongAudience, "audience_mismatch", func(conn string) {
		if err := env.idp.RegisterSP(idpsim.SP{
			EntityID: inputValue(t, ctx, "v-entity"), ACSURL: inputValue(t, ctx, "v-acs"), Preset: idpsim.PresetOkta,
		}); err != nil {
			t.Fatal(err)
		}
		testkit.Screenshot(t, ctx, "sso-guide", 1024, 1500)
		testkit.Do(t, ctx, "next: the metadata URL",
			chromedp.Click(chromedp.CSS(testkit.TID("step-next"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("f-metadata_url"))),
		)
		testkit.Do(t, ctx, "save the metadata URL",
			chromedp.SendKeys(chromedp.CSS(testkit.TID("f-metadata_url")), env.idp.MetadataURL()),
			chromedp.Click(chromedp.CSS(testkit.TID("save-metadata-url"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("flash"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("form-mapping"))),
		)
		// Back shows the details as saved (a page restored from the
		// back-forward cache is loaded again).
		testkit.Do(t, ctx, "back to the details", chromedp.Evaluate[chromedp.Void](`history.back()`), chromedp.WaitVisible(chromedp.CSS(testkit.TID("current-entity-id"))))
		if got := testkit.Text(t, ctx, testkit.TID("current-entity-id")); got != env.idp.EntityID() {
			t.Errorf("entity id shown %q", got)
		}
		// Nothing overflows at 360 px.
		testkit.Do(t, ctx, "narrow", chromedp.EmulateViewport(360, 800))
		if testkit.Eval[bool](t, ctx, `document.documentElement.scrollWidth > document.documentElement.clientWidth`) {
			t.Errorf("the connection page overflows at 360 px: %s", testkit.Eval[string](t, ctx, `Array.prototype.filter.call(document.querySelectorAll("main *"), function (e) { return e.getBoundingClientRect().right > document.documentElement.clientWidth; }).slice(0, 5).map(function (e) { return e.tagName + "#" + e.id + "." + e.className + " " + Math.round(e.getBoundingClientRect().right); }).join(", ")`))
		}
		testkit.Screenshot(t, ctx, "sso-idp-mobile", 360, 1200)
		testkit.Do(t, ctx, "wide", chromedp.EmulateViewport(1024, 800))
		testkit.Screenshot(t, ctx, "sso-idp", 1024, 1000)
		testkit.Do(t, ctx, "forward to the mapping", chromedp.Evaluate[chromedp.Void](`history.forward()`), chromedp.WaitVisible(chromedp.CSS(testkit.TID("form-mapping"))))
	})

	ssoJourney(t, ctx, env, "oidc", "generic", idpsim.FaultWrongNonce, "nonce_mismatch", func(conn string) {
		if err := env.idp.RegisterClient(idpsim.Client{
			ID: "widgets-cloud", Secret: "s3cret-value", RedirectURIs: []string{inputValue(t, ctx, "v-redirect")},
		}); err != nil {
			t.Fatal(err)
		}
		testkit.Do(t, ctx, "next: the OIDC settings",
			chromedp.Click(chromedp.CSS(testkit.TID("step-next"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("f-issuer"))),
		)
		testkit.Do(t, ctx, "save the OIDC settings",
			chromedp.SendKeys(chromedp.CSS(testkit.TID("f-issuer")), env.idp.Issuer()),
			chromedp.SendKeys(chromedp.CSS(testkit.TID("f-client_id")), "widgets-cloud"),
			chromedp.SendKeys(chromedp.CSS(testkit.TID("f-client_secret")), "s3cret-value"),
			chromedp.Click(chromedp.CSS(testkit.TID("save-oidc"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("flash"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("form-mapping"))),
		)
		// A reload of the next step keeps what was saved.
		testkit.Do(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(testkit.TID("form-mapping"))))
		if n := len(ssoEvents(t, env.st, ssokit.EventConnectionConfigured)); n != 2 {
			t.Errorf("%d configured events after a reload, want 2 (one per connection)", n)
		}
	})
	if n := len(ssoEvents(t, env.st, ssokit.EventConnectionActivated)); n != 2 {
		t.Errorf("%d activation events, want 2", n)
	}
}

func ssoEvents(t *testing.T, st store.Store, typ string) []store.Event {
	t.Helper()
	evs, err := st.ListEvents(context.Background(), store.EventQuery{Types: []string{typ}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestBrowserSSOEmbedded: activating a tested connection inside the
// embedded portal posts ORGANIZATION_SSO_ENABLED to the parent page, and
// deactivating it ORGANIZATION_SSO_DISABLED.
func TestBrowserSSOEmbedded(t *testing.T) {
	ctx := testkit.NewBrowser(t)
	env := newSSOBrowserEnv(t)
	bg := context.Background()
	conn, err := env.sso.CreateConnection(bg, env.org.ID, ssokit.NewConnection{Protocol: store.ProtocolSAML, Provider: "okta"}, "operator")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.sso.ConfigureSAMLMetadataURL(bg, env.org.ID, conn.ID, env.idp.MetadataURL(), "operator"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.st.UpdateConnection(bg, conn.ID, func(c *store.Connection) ([]store.Event, error) {
		c.State, c.TestedAt, c.UpdatedAt = store.ConnectionTested, time.Now().UTC(), time.Now().UTC()
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	link, err := env.p.admin.GenerateLink(bg, env.org.ID, admin.LinkOptions{Embedded: true, Features: []store.Feature{store.FeatureSSO}}, "")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Do(t, ctx, "embed", chromedp.Navigate(env.hostURL+"?src="+url.QueryEscape(link.URL)))
	if _, err := waitMessage(ctx, UIEventLoadSuccess); err != nil {
		t.Fatal(err)
	}
	fctx := portalFrameContext(t, ctx, env.origin)
	testkit.Do(t, fctx, "open the connection in the frame",
		chromedp.Navigate(env.origin+"/portal/sso/"+conn.ID),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("activate"))),
		chromedp.Click(chromedp.CSS(testkit.TID("activate"))),
	)
	msgs, err := waitMessage(ctx, UIEventSSOEnabled)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Type == UIEventSSOEnabled {
			if m.Origin != env.origin || m.Data["connectionId"] != conn.ID || m.Data["organizationId"] != env.org.ID {
				t.Errorf("ORGANIZATION_SSO_ENABLED = %+v", m)
			}
		}
	}
	fctx = portalFrameContext(t, ctx, env.origin)
	testkit.Do(t, fctx, "deactivate in the frame",
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("deactivate"))),
		chromedp.Click(chromedp.CSS(testkit.TID("deactivate"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("confirm-submit"))),
		chromedp.Click(chromedp.CSS(testkit.TID("confirm-submit"))),
	)
	if _, err := waitMessage(ctx, UIEventSSODisabled); err != nil {
		t.Fatal(err)
	}
	if c, _ := env.st.GetConnection(bg, conn.ID); c.State != store.ConnectionInactive {
		t.Errorf("state %s", c.State)
	}
}

// portalFrameContext returns a context driving the page's cross-site
// iframe that shows the portal.
func portalFrameContext(t *testing.T, ctx context.Context, origin string) context.Context {
	t.Helper()
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if info.Type == "iframe" && strings.HasPrefix(info.URL, origin+"/portal/") {
			fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
			t.Cleanup(cancel)
			return fctx
		}
	}
	t.Fatalf("no portal iframe among %d targets", len(infos))
	return nil
}
