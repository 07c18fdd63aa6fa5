package dashboard_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/dashboard"
	"github.com/onboardkit/onboardkit/gworkspace"
	"github.com/onboardkit/onboardkit/gworkspace/gwsim"
	"github.com/onboardkit/onboardkit/internal/browsertest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/portal"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/ssokit/idpsim"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// kitHost is a host of the SSO and SCIM kits over a memstore, listening
// on the loopback at origin, for the dashboard's browser tests.
type kitHost struct {
	st     *memstore.Store
	mux    *http.ServeMux
	origin string
	logger *slog.Logger
	sso    *ssokit.SSO
	scim   *scimkit.Server
}

func newKitHost(t *testing.T) *kitHost {
	h := &kitHost{st: memstore.New(), mux: http.NewServeMux(), logger: slog.New(slog.NewTextHandler(testkit.TestWriter{T: t}, nil))}
	_, port := testkit.Listen(t, h.mux)
	h.origin = "http://localhost:" + port
	var err error
	h.sso, err = ssokit.New(ssokit.Config{Store: h.st, BaseURL: h.origin + "/sso", Logger: h.logger, InsecureAllowPrivateNetworks: true,
		OnLogin: func(w http.ResponseWriter, r *http.Request, p *ssokit.Profile) {
			http.Redirect(w, r, "/", http.StatusSeeOther)
		}})
	testkit.Must(t, err)
	h.scim, err = scimkit.New(scimkit.Config{Store: h.st, BaseURL: h.origin + "/scim", Logger: h.logger})
	testkit.Must(t, err)
	return h
}

// TestBrowserDashboardControls drives, in Chromium at 1280 and 360 px,
// every control the dashboard has beside the portal's: an SSO connection
// created, configured from an IdP's metadata URL, refused a bad URL, given
// an insecure option, a test link; a SCIM directory with its token shown
// once, a second token, a revocation through its confirmation; a Google
// Workspace directory configured and tested; an API key. Each page,
// including those reached only through forms (token reveal, error state,
// confirmation, test link), passes axe-core and has no console error; a
// double submission and a reload create nothing more.
func TestBrowserDashboardControls(t *testing.T) {
	ctx := browsertest.New(t)
	console := browsertest.RecordConsole(t, ctx)
	kh := newKitHost(t)
	st, mux, origin, logger, sso, scim := kh.st, kh.mux, kh.origin, kh.logger, kh.sso, kh.scim
	sim := gwsim.New("globex.example")
	gsrv := httptest.NewServer(sim)
	t.Cleanup(gsrv.Close)
	sim.PutUser(gwsim.User{PrimaryEmail: "admin@globex.example", GivenName: "Ada", FamilyName: "Admin", IsAdmin: true})
	key, err := sim.NewServiceAccountKey()
	testkit.Must(t, err)
	sim.Delegate(key.ClientID, gworkspace.Scopes...)
	gws, err := gworkspace.New(gworkspace.Config{Store: st, Endpoint: gsrv.URL, TokenURL: gsrv.URL + "/token", HTTPClient: gsrv.Client(), Logger: logger})
	testkit.Must(t, err)
	a, err := admin.New(admin.Config{Store: st, PortalURL: origin + "/portal", Connections: sso, Directories: scim, Google: gws, Logger: logger})
	testkit.Must(t, err)
	p, err := portal.New(portal.Config{Store: st, Admin: a, SSO: sso, SCIM: scim, Logger: logger})
	testkit.Must(t, err)
	d, err := dashboard.New(dashboard.Config{Admin: a, BaseURL: origin + "/dashboard", Logger: logger})
	testkit.Must(t, err)
	mux.Handle("/sso/", http.StripPrefix("/sso", sso))
	mux.Handle("/portal/", http.StripPrefix("/portal", p))
	mux.Handle("/dashboard/", http.StripPrefix("/dashboard", d))
	idp := idpsim.NewServer(t, nil)
	keyFile := filepath.Join(t.TempDir(), "key.json")
	testkit.Must(t, os.WriteFile(keyFile, key.JSON, 0o600))

	audit := func(name string, expectedDocument ...string) {
		t.Helper()
		browsertest.WaitFor(t, ctx, name, `document.readyState === "complete"`)
		browsertest.Audit(t, ctx, name, console, expectedDocument...)
	}
	done := func(name, code string) {
		t.Helper()
		browsertest.WaitFor(t, ctx, name, `location.search.includes("done=`+code+`") && document.readyState === "complete"`)
	}
	count := func(what string, n func() int, want int) {
		t.Helper()
		if got := n(); got != want {
			t.Errorf("%s: %d, want %d", what, got, want)
		}
	}
	for _, width := range []int64{1280, 360} {
		org, err := a.CreateOrganization(context.Background(), admin.OrganizationInput{Name: "Globex " + map[int64]string{1280: "wide", 360: "narrow"}[width]}, "")
		testkit.Must(t, err)
		orgURL := origin + "/dashboard/orgs/" + org.ID
		at := func(name string) string { return name + " at " + map[int64]string{1280: "1280px", 360: "360px"}[width] }
		browsertest.Do(t, ctx, at("organization"), chromedp.EmulateViewport(width, 900), chromedp.Navigate(orgURL),
			chromedp.WaitVisible(browsertest.TID("create-connection-form")))
		audit(at("organization"))

		// A connection: a double submission creates one.
		browsertest.Do(t, ctx, at("create connection"),
			chromedp.SendKeys(browsertest.TID("connection-name-input"), "Globex Okta"),
			chromedp.Evaluate[chromedp.Void](`(function(){var f=document.querySelector('[data-testid="create-connection-form"]'); f.requestSubmit(); f.requestSubmit();})()`),
		)
		browsertest.WaitFor(t, ctx, at("connection page"), `!!document.querySelector('[data-testid="connection-detail"]')`)
		count(at("connections after a double submission"), func() int { cs, _ := st.ListConnections(context.Background(), org.ID); return len(cs) }, 1)
		audit(at("connection page"))

		// A bad metadata URL: the error is shown, and the page passes.
		browsertest.Do(t, ctx, at("bad metadata URL"),
			chromedp.SetValue(browsertest.TID("metadata-url-input"), "https://127.0.0.1:1/none"),
			chromedp.Click(browsertest.TID("save-metadata-url")),
			chromedp.WaitVisible(browsertest.TID("error-summary")),
		)
		audit(at("connection error state"), browsertest.Eval[string](t, ctx, `location.href`))
		browsertest.Do(t, ctx, at("metadata URL"),
			chromedp.SetValue(browsertest.TID("metadata-url-input"), idp.MetadataURL()),
			chromedp.Click(browsertest.TID("save-metadata-url")),
		)
		done(at("metadata URL"), "connection-saved")
		// An insecure option, recorded.
		browsertest.Do(t, ctx, at("security options"),
			chromedp.Click(browsertest.TID("insecure-idp-initiated")),
			chromedp.Click(browsertest.TID("save-security")),
		)
		browsertest.WaitFor(t, ctx, at("security options"), `(document.querySelector('[data-testid="sec-idp-initiated"]') || {textContent: ""}).textContent.trim() === "On (weakens security)"`)
		// A test link, shown once.
		browsertest.Do(t, ctx, at("test link"),
			chromedp.Click(browsertest.TID("test-connection")),
			chromedp.WaitVisible(browsertest.TID("test-link-url")),
		)
		audit(at("test link"))
		browsertest.Do(t, ctx, at("reload"), chromedp.Reload(), chromedp.WaitVisible(browsertest.TID("test-result")))
		if browsertest.Eval[bool](t, ctx, `!!document.querySelector('[data-testid="test-link-url"]')`) {
			t.Errorf("%s: the test link is shown again after a reload", at("test link"))
		}
		browsertest.Do(t, ctx, at("delete confirmation"),
			chromedp.Click(browsertest.TID("delete-connection")),
			chromedp.WaitVisible(browsertest.TID("confirm-button")),
		)
		audit(at("confirmation"))
		browsertest.Do(t, ctx, at("cancel"), chromedp.Click(browsertest.TID("confirm-cancel")), chromedp.WaitVisible(browsertest.TID("connection-detail")))

		// A SCIM directory, its token shown once; a reload creates nothing.
		browsertest.Do(t, ctx, at("create directory"), chromedp.Navigate(orgURL), chromedp.WaitVisible(browsertest.TID("create-directory-form")),
			chromedp.SetValue(browsertest.TID("directory-provider"), "okta"),
			chromedp.Click(browsertest.TID("create-directory")),
			chromedp.WaitVisible(browsertest.TID("new-token-value")),
		)
		audit(at("token reveal"))
		browsertest.Do(t, ctx, at("reload directory"), chromedp.Reload(), chromedp.WaitVisible(browsertest.TID("tokens")))
		if browsertest.Eval[bool](t, ctx, `!!document.querySelector('[data-testid="new-token-value"]')`) {
			t.Errorf("%s: the token is shown again after a reload", at("directory"))
		}
		dirs, _ := st.ListDirectories(context.Background(), org.ID)
		count(at("directories"), func() int { return len(dirs) }, 1)
		browsertest.Do(t, ctx, at("second token"), chromedp.Click(browsertest.TID("create-token")), chromedp.WaitVisible(browsertest.TID("new-token-value")))
		browsertest.WaitFor(t, ctx, at("second token"), `document.querySelectorAll('[data-testid="revoke-token"]').length === 2`)
		browsertest.Do(t, ctx, at("revoke token"),
			chromedp.Click(browsertest.TID("revoke-token")),
			chromedp.WaitVisible(browsertest.TID("confirm-button")),
			chromedp.Click(browsertest.TID("confirm-button")),
		)
		done(at("revoke token"), "token-revoked")
		if len(dirs) == 1 {
			toks, _ := st.ListDirectoryTokens(context.Background(), dirs[0].ID)
			revoked := 0
			for _, tk := range toks {
				if !tk.RevokedAt.IsZero() {
					revoked++
				}
			}
			if len(toks) != 2 || revoked != 1 {
				t.Errorf("%s: %d tokens, %d revoked", at("tokens"), len(toks), revoked)
			}
		}
		audit(at("directory page"))

		// A Google Workspace directory, configured and tested.
		browsertest.Do(t, ctx, at("google directory"), chromedp.Navigate(orgURL), chromedp.WaitVisible(browsertest.TID("create-directory-form")),
			chromedp.SetValue(browsertest.TID("directory-provider"), "google"),
			chromedp.Click(browsertest.TID("create-directory")),
			chromedp.WaitVisible(browsertest.TID("google-settings-form")),
			chromedp.SendKeys(browsertest.TID("google-admin-input"), "admin@globex.example"),
			chromedp.Click(browsertest.TID("save-google-settings")),
		)
		done(at("google settings"), "google-saved")
		browsertest.Do(t, ctx, at("google key"),
			chromedp.SetUploadFiles(`[data-testid="google-key-input"]`, []string{keyFile}),
			chromedp.Click(browsertest.TID("save-google-key")),
		)
		done(at("google key"), "google-key-saved")
		browsertest.Do(t, ctx, at("google test"),
			chromedp.Click(browsertest.TID("test-google")),
			chromedp.WaitVisible(browsertest.TID("google-test-result")),
		)
		if got := browsertest.Eval[string](t, ctx, `document.querySelector('[data-testid="google-test-result"]').dataset.state`); got != "passed" {
			t.Errorf("%s: Google test %s: %s", at("google"), got, browsertest.Body(t, ctx))
		}
		audit(at("google directory"))

		// An API key, shown once.
		browsertest.Do(t, ctx, at("api key"), chromedp.Navigate(origin+"/dashboard/api-keys"), chromedp.WaitVisible(browsertest.TID("create-key-form")),
			chromedp.SendKeys(browsertest.TID("key-name-input"), "CI "+at("")),
			chromedp.Click(browsertest.TID("create-key")),
			chromedp.WaitVisible(browsertest.TID("new-key-value")),
		)
		audit(at("api key reveal"))
		if width == 360 && browsertest.Eval[bool](t, ctx, `document.documentElement.scrollWidth > document.documentElement.clientWidth`) {
			t.Error("the API keys page overflows at 360 px")
		}
	}
}
