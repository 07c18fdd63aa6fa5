package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	bt "github.com/onboardkit/onboardkit/internal/browsertest"
	"github.com/onboardkit/onboardkit/scimkit"
)

// TestBrowserReadmeTour follows the README's "Five-minute tour" in
// Chromium, click by click, as a developer trying the quickstart would:
// email routing to the SAML connection, a fault injected on the
// simulator's login page, a good login, the IdP-initiated launcher; the
// portal link: a SAML connection set up step by step from the simulator's
// metadata URL, tested in a popup and activated, a directory and its
// token, a domain, "What went wrong"; the directory simulator provisioning
// users that the portal lists, a group mapped to a role that a signed-in
// user's page shows without a new login, a deactivated user refused; the
// event feed and the dashboard. When the README's tour changes, this test
// changes with it.
func TestBrowserReadmeTour(t *testing.T) {
	q := newBrowserQuickstart(t)
	ctx, base := q.ctx, q.base
	text := func(id string) string {
		t.Helper()
		return strings.TrimSpace(bt.Eval[string](t, ctx, fmt.Sprintf(`(function () { var e = document.querySelector('[data-testid=%q]'); return e ? e.textContent : ""; })()`, id)))
	}
	// idpLogin answers the simulator's login page: the user (seed is the
	// index of a listed user, or "custom" with email) and the outcome.
	idpLogin := func(ctx context.Context, seed, email, outcome string) {
		t.Helper()
		bt.Do(t, ctx, "the simulator's login page", chromedp.WaitVisible(bt.TID("login-form")))
		// Filled in and pressed by one script, the button after the
		// evaluation returns: a test popup closes itself once the portal
		// has the result, which could be before a click action reported
		// back.
		bt.Do(t, ctx, "sign in on the simulator as "+seed+email+" ("+outcome+")", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function () {
  var f = document.querySelector('[data-testid="login-form"]');
  f.elements.seed.value = %q;
  f.elements.outcome.value = %q;
  f.elements.email.value = %q;
  setTimeout(function () { f.querySelector('button[type="submit"]').click(); }, 0);
})()`, seed, outcome, email)))
	}
	signedInAs := func(email string) {
		t.Helper()
		bt.WaitFor(t, ctx, "the profile page of "+email, fmt.Sprintf(`(function () { var e = document.querySelector('[data-testid="email"]'); return e !== null && e.textContent.trim() === %q; })()`, email))
	}
	signOut := func() {
		t.Helper()
		bt.Do(t, ctx, "sign out", chromedp.Click(bt.TID("sign-out")), chromedp.WaitVisible(bt.TID("sso-form")))
	}

	// 1. Sign in with SSO: email routing offers both connections.
	bt.Do(t, ctx, "open the app", chromedp.Navigate(base+"/"), chromedp.WaitVisible(bt.TID("sso-form")))
	bt.Do(t, ctx, "type alice's email",
		chromedp.SetValue(chromedp.CSS(`[data-testid="sso-form"] input[name="email"]`), "alice@example.com"),
		chromedp.Click(chromedp.CSS(`[data-testid="sso-form"] button[type="submit"]`)))
	bt.WaitFor(t, ctx, "the choice of connections", `document.querySelector('[data-testid="message"]') !== null`)
	routed := bt.Eval[[]string](t, ctx, `(function () {
  var card = Array.prototype.find.call(document.querySelectorAll(".card"), function (c) {
    var h = c.querySelector("h2");
    return h !== null && h.textContent.trim() === "Choose how to sign in";
  });
  return card ? Array.prototype.map.call(card.querySelectorAll("a.button"), function (a) { return a.getAttribute("href"); }) : [];
})()`)
	if len(routed) != 2 || !strings.Contains(strings.Join(routed, " "), q.d.SAMLConnectionID) || !strings.Contains(strings.Join(routed, " "), q.d.OIDCConnectionID) {
		t.Fatalf("routing alice@example.com offered %v, want the two demo connections", routed)
	}
	// The simulator's login page: a fault is refused...
	bt.Do(t, ctx, "choose SAML", chromedp.Click(chromedp.CSS(`a.button[href="/login?connection=`+q.d.SAMLConnectionID+`"]`)))
	idpLogin(ctx, "0", "", "expired")
	bt.WaitFor(t, ctx, "the refusal", `location.pathname.indexOf("/sso/") === 0 && document.querySelector('[data-testid="email"]') === null && document.readyState === "complete" && document.title !== ""`)
	if bt.Eval[bool](t, ctx, `location.pathname === "/me"`) {
		t.Fatal("an expired assertion signed alice in")
	}
	// ... and a good answer signs alice in.
	bt.Do(t, ctx, "back to the app", chromedp.Navigate(base+"/"), chromedp.WaitVisible(bt.TID("saml")))
	bt.Do(t, ctx, "sign in with SAML", chromedp.Click(bt.TID("saml")))
	idpLogin(ctx, "0", "", "success")
	signedInAs("alice@example.com")
	if got := text("protocol"); got != "saml" {
		t.Errorf("protocol %q", got)
	}
	signOut()
	// The IdP-initiated launcher, linked from the home page.
	bt.Do(t, ctx, "open the IdP-initiated launcher", chromedp.Click(chromedp.CSS(`a[href="/idp/saml/idp-initiated"]`)), chromedp.WaitVisible(bt.TID("idp-initiated-form")))
	bt.Do(t, ctx, "send a response for bob",
		chromedp.SetValue(bt.TID("seed"), "1"),
		chromedp.Click(chromedp.CSS(`[data-testid="idp-initiated-form"] button[type="submit"]`)))
	signedInAs("bob@example.com")
	if got := text("idp-initiated"); got != "true" {
		t.Errorf("IdP-initiated %q", got)
	}
	signOut()

	// 2. The portal link, as the customer's IT admin.
	bt.Do(t, ctx, "open the portal link", chromedp.Navigate(q.d.PortalLink), chromedp.WaitVisible(bt.TID("continue")))
	bt.Do(t, ctx, "continue", chromedp.Click(bt.TID("continue")), chromedp.WaitVisible(bt.TID("home-title")))
	bt.Do(t, ctx, "Single sign-on: set up a connection, Okta, SAML",
		chromedp.Click(bt.TID("nav-sso")), chromedp.WaitVisible(bt.TID("sso-new")),
		chromedp.Click(bt.TID("sso-new")), chromedp.WaitVisible(bt.TID("provider-okta")),
		chromedp.Click(bt.TID("provider-okta")), chromedp.WaitVisible(bt.TID("sso-create-form")),
		chromedp.Click(bt.TID("f-protocol-saml")),
		chromedp.Click(bt.TID("sso-create")), chromedp.WaitVisible(bt.TID("guide-steps")))
	if acs := bt.Eval[string](t, ctx, `document.getElementById("v-acs").value`); !strings.HasPrefix(acs, base+"/sso/") {
		t.Errorf("the ACS URL to copy is %q", acs)
	}
	bt.Do(t, ctx, "next: paste the simulator's metadata URL",
		chromedp.Click(bt.TID("step-next")), chromedp.WaitVisible(bt.TID("f-metadata_url")),
		chromedp.SendKeys(bt.TID("f-metadata_url"), base+"/idp/saml/metadata"),
		chromedp.Click(bt.TID("save-metadata-url")), chromedp.WaitVisible(bt.TID("form-mapping")))
	bt.Do(t, ctx, "keep the default mapping",
		chromedp.Click(bt.TID("step-next")), chromedp.WaitVisible(bt.TID("test-connection")),
		chromedp.Click(bt.TID("test-connection")), chromedp.WaitVisible(bt.TID("test-open")))
	// The test opens in a popup, where the IT admin signs in at the IdP.
	popupID := chromedp.WaitNewTarget(ctx, func(info *target.Info) bool { return info.Type == "page" && info.OpenerID != "" })
	bt.Do(t, ctx, "open the test popup", chromedp.Click(bt.TID("test-open")))
	var popup context.Context
	select {
	case id := <-popupID:
		var cancel context.CancelFunc
		popup, cancel = chromedp.NewContext(ctx, chromedp.WithTargetID(id))
		defer cancel()
		// Attached without a deadline: a deadline on the first run would
		// detach the popup when it passed.
		if err := chromedp.Do(popup); err != nil {
			t.Fatalf("attaching to the popup: %v", err)
		}
	case <-time.After(bt.Wait):
		t.Fatal("the test did not open a popup")
	}
	idpLogin(popup, "0", "", "success")
	bt.WaitFor(t, ctx, "the test result in the portal", `document.querySelector('[data-testid="result-ok"]') !== null`)
	if got := text("result-email"); got != "alice@example.com" {
		t.Errorf("the test result shows %q", got)
	}
	bt.Do(t, ctx, "activate", chromedp.Click(bt.TID("activate")), chromedp.WaitVisible(bt.TID("flash")))
	if got := text("connection-state"); got != "Active" {
		t.Errorf("state after activation %q", got)
	}
	bt.Do(t, ctx, "reload after the POST", chromedp.Reload(), chromedp.WaitVisible(bt.TID("deactivate")))
	// Its signing certificates, their expiry and how to renew one.
	bt.WaitFor(t, ctx, "the connection's certificates", `document.querySelectorAll('[data-testid="cert"]').length >= 1 && document.querySelector('[data-testid="cert-expiry"]') !== null`)

	// A directory and its SCIM token.
	bt.Do(t, ctx, "create a directory",
		chromedp.Click(bt.TID("nav-dir-sync")), chromedp.WaitVisible(bt.TID("dir-create-form")),
		chromedp.SetValue(bt.TID("dir-provider"), "okta"),
		chromedp.SetValue(bt.TID("dir-name"), "Okta (tour)"),
		chromedp.Click(bt.TID("dir-create-submit")), chromedp.WaitVisible(bt.TID("token-value")))
	if tok := bt.Eval[string](t, ctx, `(function () { var e = document.querySelector('[data-testid="token-value"]'); return e.value || e.textContent; })()`); !strings.Contains(tok, scimkit.TokenPrefix) {
		t.Errorf("the new token shows %q", tok)
	}
	// A domain: the TXT record to publish.
	bt.Do(t, ctx, "add a domain",
		chromedp.Click(bt.TID("nav-domains")), chromedp.WaitVisible(bt.TID("domain-add-form")),
		chromedp.SetValue(bt.TID("domain-input"), "tour.example.org"),
		chromedp.Click(bt.TID("domain-add-submit")), chromedp.WaitVisible(bt.TID("record-value")))
	// What went wrong: the expired assertion of step 1, with its fix.
	bt.Do(t, ctx, "what went wrong", chromedp.Click(bt.TID("nav-problems")), chromedp.WaitVisible(bt.TID("refused-logins")))
	reasons := bt.Eval[[]string](t, ctx, `Array.prototype.map.call(document.querySelectorAll('[data-testid="problem-reason"]'), function (e) { return e.textContent.trim(); })`)
	if !strings.Contains(strings.Join(reasons, " "), "expired") {
		t.Errorf("the refused logins show %q, want the expired assertion", reasons)
	}
	if text("problem-fix") == "" {
		t.Error("a refused login without its fix")
	}

	// 3. Provision users from the directory simulator; the portal lists them.
	q.dirsim(t, "run-sync", chromedp.SetValue(chromedp.CSS("#users"), "5"), chromedp.SetValue(chromedp.CSS("#groups"), "1"),
		chromedp.SetValue(chromedp.CSS("#domain"), "example.com"), chromedp.SetValue(chromedp.CSS("#updates"), "0"),
		chromedp.SetValue(chromedp.CSS("#removals"), "0"), chromedp.SetValue(chromedp.CSS("#deactivations"), "0"),
		chromedp.SetValue(chromedp.CSS("#deletions"), "0"))
	bt.Do(t, ctx, "the demo directory in the portal",
		chromedp.Navigate(base+"/portal/directory-sync/"+q.d.DirectoryID+"/users"), chromedp.WaitVisible(bt.TID("users-table")))
	users := bt.Eval[[]string](t, ctx, `Array.prototype.map.call(document.querySelectorAll('[data-testid="user-name"]'), function (e) { return e.textContent.trim(); })`)
	if !strings.Contains(strings.Join(users, " "), "user0001@example.com") {
		t.Fatalf("the portal lists %q, want the provisioned users", users)
	}
	// Roles: user0001 signs in, joins Admins in the directory, the IT admin
	// maps Admins to a role, and user0001's page shows it without a new
	// login.
	bt.Do(t, ctx, "sign in as user0001", chromedp.Navigate(base+"/login?connection="+q.d.SAMLConnectionID))
	idpLogin(ctx, "custom", "user0001@example.com", "success")
	signedInAs("user0001@example.com")
	if got := text("roles"); got != "viewer" {
		t.Errorf("user0001's roles before the mapping: %q", got)
	}
	q.dirsim(t, "run-add-member", chromedp.SetValue(chromedp.CSS("#group"), "Admins"), chromedp.SetValue(chromedp.CSS("#member"), "user0001@example.com"))
	bt.Do(t, ctx, "roles and access", chromedp.Navigate(base+"/portal/roles"), chromedp.WaitVisible(bt.TID("group-search")))
	bt.Do(t, ctx, "search the group", chromedp.SetValue(bt.TID("group-search"), "Admins"), chromedp.Click(bt.TID("group-search-submit")))
	bt.WaitFor(t, ctx, "the group found", `Array.prototype.some.call(document.querySelectorAll('[data-testid="group-choice-name"]'), function (n) { return n.textContent.trim() === "Admins"; })`)
	bt.Do(t, ctx, "map it to Administrator",
		chromedp.SetValue(chromedp.CSS(`[data-testid="group-choice"] [data-testid="role-select"]`), "admin"),
		chromedp.Click(bt.TID("group-choice-map")))
	bt.WaitFor(t, ctx, "the mapping saved", `document.querySelectorAll('[data-testid="mapping-row"]').length === 1`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		bt.Do(t, ctx, "reload user0001's page", chromedp.Navigate(base+"/me"), chromedp.WaitVisible(bt.TID("roles")))
		if text("roles") == "admin" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("user0001's page still shows roles %q", text("roles"))
		}
		time.Sleep(250 * time.Millisecond)
	}
	signOut()
	// A user the directory deactivated is refused at sign-in, with a page
	// saying so.
	q.dirsim(t, "run-deactivate", chromedp.SetValue(chromedp.CSS("#ident"), "user0002@example.com"))
	bt.Do(t, ctx, "sign in as user0002", chromedp.Navigate(base+"/login?connection="+q.d.SAMLConnectionID))
	idpLogin(ctx, "custom", "user0002@example.com", "success")
	bt.WaitFor(t, ctx, "the refusal page", `location.pathname.indexOf("/sso/") === 0 && /access to this application has been removed/i.test(document.body.innerText)`)

	// 4. The event feed and the operator dashboard.
	bt.Do(t, ctx, "the events", chromedp.Navigate(base+"/events"), chromedp.WaitVisible(bt.TID("events")))
	types := bt.Eval[string](t, ctx, `document.querySelector('[data-testid="events"]').innerText`)
	for _, want := range []string{"sso.login.succeeded", "sso.login.failed", "directory.user.created", "user.roles_changed", "sso.connection.activated"} {
		if !strings.Contains(types, want) {
			t.Errorf("the event feed has no %s", want)
		}
	}
	bt.Do(t, ctx, "the dashboard", chromedp.Navigate(base+"/dashboard/"), chromedp.WaitVisible(bt.TID("orgs")))
	bt.Do(t, ctx, "open the organization",
		chromedp.Click(chromedp.CSS(`[data-testid="org-row"] [data-testid="org-link"]`)), chromedp.WaitVisible(bt.TID("org-id")))
	if got := text("org-id"); got != q.d.OrgID {
		t.Errorf("the dashboard opened %q, want %q", got, q.d.OrgID)
	}
}
