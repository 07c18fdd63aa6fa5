package portal

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/dashboard"
	"github.com/onboardkit/onboardkit/domains"
	bt "github.com/onboardkit/onboardkit/internal/browsertest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// a11yEnv serves the portal (with SSO, SCIM and domain verification, so every
// section renders) and the operator dashboard, on an organization having a
// connection, a directory, domains, links and events.
type a11yEnv struct {
	st     *memstore.Store
	p      *Portal
	past   *Portal // same store, its clock two minutes behind: its links are expired
	org    *store.Organization
	origin string
}

func newA11yEnv(t *testing.T) *a11yEnv {
	t.Helper()
	env := &a11yEnv{st: memstore.New()}
	mux := http.NewServeMux()
	_, port := testkit.Listen(t, mux)
	env.origin = "http://localhost:" + port
	logger := slog.New(slog.NewTextHandler(testkit.TestWriter{T: t}, nil))
	scim, err := scimkit.New(scimkit.Config{Store: env.st, BaseURL: env.origin + "/scim", Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	zone := testkit.NewDNSServer(t)
	ds, err := domains.New(domains.Config{Store: env.st, Resolver: zone.Resolver(), Logger: logger, LookupTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sso, err := ssokit.New(ssokit.Config{
		Store:   env.st,
		BaseURL: env.origin + "/sso",
		OnLogin: func(w http.ResponseWriter, r *http.Request, p *ssokit.Profile) {
			http.Redirect(w, r, p.ReturnTo, http.StatusSeeOther)
		},
		Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	env.p, err = newPortal(Config{
		Store:   env.st,
		SSO:     sso,
		BaseURL: env.origin + "/portal",
		SCIM:    scim,
		Logger:  logger,
	}, func(c *admin.Config) {
		c.Domains = ds
		c.Branding = admin.Branding{ProductName: "Widgets Cloud", AccentColor: "#0f766e"}
		c.Roles = &roles.Config{Roles: []roles.Role{{Key: "admin", Name: "Administrator", Description: "Manages the workspace"}, {Key: "member", Name: "Member"}}, Default: "member"}
	})
	if err != nil {
		t.Fatal(err)
	}
	dash, err := dashboard.New(dashboard.Config{
		Admin:    env.p.admin,
		BaseURL:  env.origin + "/dashboard",
		Operator: func(*http.Request) string { return "jane@example.com" },
		Logger:   logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	env.past, err = newPortal(Config{
		Store:   env.st,
		BaseURL: env.origin + "/portal",
		Now:     func() time.Time { return time.Now().Add(-2 * time.Minute) },
		Logger:  logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/portal/", http.StripPrefix("/portal", env.p))
	mux.Handle("/dashboard/", http.StripPrefix("/dashboard", dash))
	mux.Handle("/scim/", http.StripPrefix("/scim", scim))
	mux.Handle("/sso/", http.StripPrefix("/sso", sso))

	ctx := context.Background()
	svc := env.p.admin
	env.org, err = svc.CreateOrganization(ctx, admin.OrganizationInput{Name: "MegaCorp"}, "operator:setup")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateOrganization(ctx, admin.OrganizationInput{Name: "Initech"}, "operator:setup"); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	must(t, env.st.CreateConnection(ctx, &store.Connection{
		ID: "conn_okta", OrgID: env.org.ID, Protocol: store.ProtocolSAML, Provider: "okta", Name: "Okta (employees)",
		State: store.ConnectionActive, TestedAt: now, CreatedAt: now, UpdatedAt: now,
		SAML: &store.SAMLConfig{IdPEntityID: "http://www.okta.com/exk1megacorp", SSOURL: "https://megacorp.okta.com/app/sso/saml", Certificates: []string{manualCert(t, now)}},
	}))
	must(t, env.st.CreateConnection(ctx, &store.Connection{
		ID: "conn_draft", OrgID: env.org.ID, Protocol: store.ProtocolSAML, Provider: "okta", Name: "Okta (contractors)",
		State: store.ConnectionDraft, CreatedAt: now, UpdatedAt: now, SAML: &store.SAMLConfig{},
	}))
	refused, _ := json.Marshal(&ssokit.LoginError{Reason: ssokit.ReasonAudience, Detail: "audience is not this connection's SP entity id", Email: "ada@megacorp.com"})
	if _, err := env.st.AppendEvents(ctx, store.Event{ID: "evt_refused", Type: ssokit.EventLoginFailed, OrgID: env.org.ID, Subject: "conn_okta", Actor: "system", Data: refused, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	must(t, env.st.CreateDirectory(ctx, &store.Directory{ID: "dir_okta", OrgID: env.org.ID, Provider: "okta", Name: "Okta directory", State: store.DirectoryActive, CreatedAt: now, UpdatedAt: now}))
	// A group mapped to a role and one to map, for the roles page.
	must(t, env.st.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: "usr_ann", DirectoryID: "dir_okta", UserName: "ann.longname-with-no-break@megacorp.com", Active: true, CreatedAt: now, UpdatedAt: now}))
	must(t, env.st.CreateDirectoryGroup(ctx, &store.DirectoryGroup{ID: "grp_admins", DirectoryID: "dir_okta", DisplayName: "Administrators of the whole workspace", CreatedAt: now, UpdatedAt: now},
		[]store.MemberOp{{Kind: store.MembersAdd, IDs: []string{"usr_ann"}}}, nil))
	must(t, env.st.CreateDirectoryGroup(ctx, &store.DirectoryGroup{ID: "grp_all", DirectoryID: "dir_okta", DisplayName: "All staff", CreatedAt: now, UpdatedAt: now}, nil, nil))
	must(t, env.st.SetRoleMappings(ctx, env.org.ID, []store.RoleMapping{{OrgID: env.org.ID, Source: store.RoleFromDirectoryGroup, Value: "grp_admins", Role: "admin"}}))
	must(t, env.st.CreateDomain(ctx, &store.Domain{ID: "dom_1", OrgID: env.org.ID, Name: "megacorp.com", State: store.DomainVerified, Method: store.DomainManual, VerifiedAt: now, VerifiedBy: "operator", CreatedAt: now, UpdatedAt: now}))
	must(t, env.st.CreateDomain(ctx, &store.Domain{ID: "dom_2", OrgID: env.org.ID, Name: "megacorp.io", State: store.DomainPending, Method: store.DomainDNSTXT, Challenge: "onboardkit-verification=4f9c2a", CreatedAt: now, UpdatedAt: now}))
	if _, err := svc.GenerateLink(ctx, env.org.ID, admin.LinkOptions{}, "operator:setup"); err != nil {
		t.Fatal(err)
	}
	return env
}

// TestBrowserAccessibility loads each main page of the portal and of the
// dashboard in Chromium at 1280 and 360 px (and with a light and a dark
// accent colour, and a mid one), runs axe-core on it and fails
// on any critical or serious violation (colour contrast included), and on
// any console error, uncaught exception or browser log error while the
// page loads.
func TestBrowserAccessibility(t *testing.T) {
	ctx := testkit.NewBrowser(t)
	env := newA11yEnv(t)
	console := bt.RecordConsole(t, ctx)

	// Both widths with the configured accent, then accents at both ends
	// of the range, saved as the operator would: the colours derived from
	// the accent must keep every text readable.
	for _, tc := range []struct {
		name   string
		width  int64
		accent string
	}{
		{"1280px", 1280, ""},
		{"360px", 360, ""},
		{"1280px-light-accent", 1280, "#fde047"},
		{"360px-dark-accent", 360, "#111111"},
		{"1280px-mid-accent", 1280, "#ef4444"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			width := tc.width
			if tc.accent != "" {
				must(t, env.st.PutBranding(context.Background(), &store.Branding{AccentColor: tc.accent, UpdatedAt: time.Now().UTC()}))
			}
			testkit.Do(t, ctx, "viewport", chromedp.EmulateViewport(width, 800))

			// leftovers fails on errors that came after the last audit:
			// late ones (a script failing after the load) count against
			// the page they came from.
			prev := "start"
			leftovers := func() {
				t.Helper()
				for _, e := range console.Take() {
					t.Errorf("%s (after the audit): %s", prev, e)
				}
			}

			// check navigates to path (unless it is ""), waits for ready,
			// and audits the page. A problem page answers with an error
			// status on purpose (410 for an expired link): with problem,
			// the network error of the page's own document is expected,
			// and any other error still fails.
			check := func(name, path, ready string, problem bool) {
				t.Helper()
				if path != "" {
					leftovers()
					testkit.Do(t, ctx, name, chromedp.Navigate(env.origin+path))
				}
				prev = name
				testkit.Do(t, ctx, name, chromedp.WaitVisible(chromedp.CSS(ready)))
				if err := testkit.Within(ctx, func(ctx context.Context) error {
					return waitJS(ctx, `document.readyState === "complete"`)
				}); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				expected := ""
				switch {
				case problem && path == "":
					// A form answered with an error status, at its URL.
					expected = testkit.Eval[string](t, ctx, `location.href`)
				case problem:
					expected = env.origin + path
				}
				var docs []string
				if expected != "" {
					docs = append(docs, expected)
				}
				bt.Audit(t, ctx, name, console, docs...)
			}

			// The link's landing page, then the portal after Continue.
			link, err := env.p.admin.GenerateLink(context.Background(), env.org.ID, admin.LinkOptions{}, "")
			if err != nil {
				t.Fatal(err)
			}
			check("landing", strings.TrimPrefix(link.URL, env.origin), testkit.TID("continue"), false)
			leftovers()
			testkit.Do(t, ctx, "continue", chromedp.Click(chromedp.CSS(testkit.TID("continue"))))
			check("portal home", "", testkit.TID("home-title"), false)
			check("SSO connections", "/portal/sso", testkit.TID("sso-section"), false)
			check("SSO provider picker", "/portal/sso/new", testkit.TID("provider-choices"), false)
			check("SSO protocol", "/portal/sso/new/generic", testkit.TID("sso-create-form"), false)
			check("SSO setup: guide", "/portal/sso/conn_draft/setup/guide", testkit.TID("guide-steps"), false)
			if tc.accent == "" {
				check("SSO setup: metadata URL", "/portal/sso/conn_draft/setup/idp", testkit.TID("form-metadata-url"), false)
				check("SSO setup: metadata file", "/portal/sso/conn_draft/setup/idp?method=xml", testkit.TID("form-metadata-xml"), false)
				check("SSO setup: by hand", "/portal/sso/conn_draft/setup/idp?method=manual", testkit.TID("form-manual"), false)
				check("SSO setup: mapping", "/portal/sso/conn_draft/setup/mapping", testkit.TID("form-mapping"), false)
				check("SSO setup: test", "/portal/sso/conn_draft/setup/test", testkit.TID("test"), false)
				check("SSO setup: activate", "/portal/sso/conn_draft/setup/activate", testkit.TID("activate-step"), false)
			}
			check("SSO active connection", "/portal/sso/conn_okta", testkit.TID("certificates"), false)
			if tc.accent == "" {
				leftovers()
				testkit.Do(t, ctx, "a refused certificate",
					chromedp.Click(chromedp.CSS(testkit.TID("cert-renew")+" summary")),
					chromedp.SendKeys(chromedp.CSS(testkit.TID("f-new-certificate")), "not a certificate"),
					chromedp.Click(chromedp.CSS(testkit.TID("cert-add"))),
				)
				check("SSO certificate refused", "", testkit.TID("f-new-certificate-error"), true)
				leftovers()
				testkit.Do(t, ctx, "an unnamed provider",
					chromedp.Navigate(env.origin+"/portal/sso/new/generic"),
					chromedp.WaitVisible(chromedp.CSS(testkit.TID("sso-create"))),
					chromedp.Click(chromedp.CSS(testkit.TID("sso-create"))),
				)
				check("SSO name refused", "", testkit.TID("f-name-error"), true)
			}
			check("what went wrong", "/portal/problems", testkit.TID("refused-logins"), false)
			check("directory sync", "/portal/directory-sync", testkit.TID("dir-sync-section"), false)
			check("domains", "/portal/domains", testkit.TID("domains-section"), false)
			check("roles and access", "/portal/roles?q=a", testkit.TID("roles-policy"), false)
			if overflow := testkit.Eval[bool](t, ctx, `document.documentElement.scrollWidth > document.documentElement.clientWidth`); overflow {
				t.Errorf("the roles and access page overflows at %d px", width)
			}

			old, err := env.past.admin.GenerateLink(context.Background(), env.org.ID, admin.LinkOptions{Embedded: true}, "")
			if err != nil {
				t.Fatal(err)
			}
			check("expired link", strings.TrimPrefix(old.URL, env.origin), testkit.TID("problem-link-expired"), true)

			check("dashboard organizations", "/dashboard/", testkit.TID("orgs"), false)
			check("dashboard organization", "/dashboard/orgs/"+url.PathEscape(env.org.ID), testkit.TID("org-status"), false)
			check("dashboard branding", "/dashboard/branding", testkit.TID("accent-input"), false)
			check("dashboard events", "/dashboard/events", testkit.TID("events"), false)
			leftovers()
		})
	}
}
