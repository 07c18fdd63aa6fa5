package dashboard_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/dashboard"
	"github.com/onboardkit/onboardkit/internal/browsertest"
	"github.com/onboardkit/onboardkit/internal/testkit"
)

// TestBrowserDashboardPostRedirectGet drives, in Chromium, each creation
// form of the dashboard and a refused one: each is submitted twice at once
// (a double click), then the page it lands on is reloaded. Every POST
// lands on a GET page (a reload posts nothing), nothing is created twice,
// and the refused form comes back with its focused error summary and the
// value typed, once. Then the audit log: newest first, filtered by type,
// with a working copy button. No page overflows 360 px.
func TestBrowserDashboardPostRedirectGet(t *testing.T) {
	ctx := browsertest.New(t)
	console := browsertest.RecordConsole(t, ctx)
	kh := newKitHost(t)
	st, mux, origin, logger := kh.st, kh.mux, kh.origin, kh.logger
	a, err := admin.New(admin.Config{Store: st, PortalURL: origin + "/portal", Connections: kh.sso, Directories: kh.scim, Logger: logger})
	testkit.Must(t, err)
	d, err := dashboard.New(dashboard.Config{Admin: a, BaseURL: origin + "/dashboard", Logger: logger})
	testkit.Must(t, err)
	var posts atomic.Int64
	mux.Handle("/dashboard/", http.StripPrefix("/dashboard", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
		d.ServeHTTP(w, r)
	})))
	bg := context.Background()
	org, err := a.CreateOrganization(bg, admin.OrganizationInput{Name: "Globex"}, "")
	testkit.Must(t, err)
	orgURL := origin + "/dashboard/orgs/" + org.ID

	noOverflow := func(name string) {
		t.Helper()
		if w := browsertest.Eval[int](t, ctx, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
			t.Errorf("%s overflows 360 px by %d px", name, w)
		}
	}
	// submitTwice fills the form (a script setting its inputs), submits it
	// twice at once, waits for the page the redirect leads to, then
	// reloads it: the reload must post nothing.
	submitTwice := func(name, page, form, fill string) {
		t.Helper()
		browsertest.Do(t, ctx, name, chromedp.Navigate(page), chromedp.WaitVisible(browsertest.TID(form)))
		noOverflow(name + " (form)")
		sent := posts.Load()
		browsertest.Do(t, ctx, name+": submit twice", chromedp.Evaluate[chromedp.Void](`(function(){var f=document.querySelector('[data-testid="`+form+`"]');`+fill+`;window.__before=true;f.requestSubmit();f.requestSubmit();})()`))
		browsertest.WaitFor(t, ctx, name+": the page after the redirect", `!window.__before && document.readyState === "complete"`)
		// forms.js cancels the second submit: one POST reaches the server.
		if n := posts.Load() - sent; n != 1 {
			t.Errorf("%s: two submits sent %d POSTs, want 1", name, n)
		}
		before := posts.Load()
		browsertest.Do(t, ctx, name+": reload", chromedp.Reload())
		browsertest.WaitFor(t, ctx, name+": reloaded", `document.readyState === "complete"`)
		if n := posts.Load() - before; n != 0 {
			t.Errorf("%s: the reload posted %d times", name, n)
		}
		browsertest.Audit(t, ctx, name, console)
		noOverflow(name)
	}
	count := func(what string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %d, want %d", what, got, want)
		}
	}
	set := func(sel, v string) string {
		return `f.querySelector('` + sel + `').value=` + "`" + v + "`"
	}
	browsertest.Do(t, ctx, "viewport", chromedp.EmulateViewport(360, 800))

	// A form submits once: its first submit marks it busy and disables its
	// button, which says so; a second submit is cancelled. (A listener on
	// window, after forms.js's on document, keeps the page from leaving.)
	browsertest.Do(t, ctx, "busy form", chromedp.Navigate(origin+"/dashboard/"), chromedp.WaitVisible(browsertest.TID("create-org-form")))
	browsertest.Do(t, ctx, "busy form: submit", chromedp.Evaluate[chromedp.Void](`(function(){window.__cancelled=[];window.addEventListener('submit',function(e){window.__cancelled.push(e.defaultPrevented);e.preventDefault()});var f=document.querySelector('[data-testid="create-org-form"]');f.querySelector('[name="name"]').value='Busy';f.requestSubmit();setTimeout(function(){f.requestSubmit();window.__done=true},50)})()`))
	browsertest.WaitFor(t, ctx, "busy form: both submits", `window.__done === true`)
	if got := browsertest.Eval[string](t, ctx, `(function(){var f=document.querySelector('[data-testid="create-org-form"]');var b=f.querySelector('button[type=submit], button:not([type])');return f.getAttribute('aria-busy')+' '+b.disabled+' '+b.textContent.trim()+' '+JSON.stringify(window.__cancelled)})()`); got != "true true Working… [false,true]" {
		t.Errorf("busy form: aria-busy, disabled, label, submits prevented = %q, want %q", got, "true true Working… [false,true]")
	}

	submitTwice("create organization", origin+"/dashboard/", "create-org-form", set(`[name="name"]`, "Initech"))
	page, err := a.ListOrganizations(bg, admin.OrganizationQuery{Search: "Initech"})
	testkit.Must(t, err)
	count("organizations named Initech", len(page.Organizations), 1)

	submitTwice("generate link", orgURL, "generate-link-form", "")
	ov, err := a.Overview(bg, org.ID)
	testkit.Must(t, err)
	count("links", len(ov.Links), 1)

	submitTwice("create connection", orgURL, "create-connection-form", set(`[name="name"]`, "Globex Okta"))
	conns, _ := st.ListConnections(bg, org.ID)
	count("connections", len(conns), 1)

	submitTwice("create directory", orgURL, "create-directory-form", set(`[name="name"]`, "Globex Entra"))
	dirs, _ := st.ListDirectories(bg, org.ID)
	count("directories", len(dirs), 1)
	toks, _ := st.ListDirectoryTokens(bg, dirs[0].ID)
	count("tokens of the new directory", len(toks), 1)

	submitTwice("create token", orgURL+"/directories/"+dirs[0].ID, "create-token-form", "")
	toks, _ = st.ListDirectoryTokens(bg, dirs[0].ID)
	count("tokens after a second", len(toks), 2)

	submitTwice("create API key", origin+"/dashboard/api-keys", "create-key-form", set(`[name="name"]`, "CI"))
	keys, _ := a.ListAPIKeys(bg)
	count("API keys", len(keys), 1)

	submitTwice("save connection mapping", orgURL+"/connections/"+conns[0].ID, "mapping-form", set(`[name="map_email"]`, "mail"))

	// A refused form: the summary is focused, links to the field and
	// keeps what was typed; the reload shows the page without it.
	browsertest.Do(t, ctx, "refused", chromedp.Navigate(orgURL), chromedp.WaitVisible(browsertest.TID("delete-org-form")))
	browsertest.Do(t, ctx, "refused: submit twice", chromedp.Evaluate[chromedp.Void](`(function(){var f=document.querySelector('[data-testid="delete-org-form"]');f.querySelector('#confirm').value="globex?";window.__before=true;f.requestSubmit();f.requestSubmit();})()`))
	browsertest.WaitFor(t, ctx, "refused: the page after the redirect", `!window.__before && document.readyState === "complete" && !!document.querySelector('[data-error-summary]')`)
	browsertest.WaitFor(t, ctx, "refused: the summary has the focus", `document.activeElement === document.querySelector('[data-error-summary]')`)
	if got := browsertest.Eval[string](t, ctx, `document.querySelector('[data-error-summary] a').getAttribute("href") + " " + document.querySelector('#confirm').value`); got != "#confirm globex?" {
		t.Errorf("refused: link and value %q", got)
	}
	if !strings.HasPrefix(browsertest.Eval[string](t, ctx, `location.pathname`), "/dashboard/orgs/") {
		t.Error("refused: not on the organization's page")
	}
	browsertest.Audit(t, ctx, "refused", console)
	noOverflow("refused")
	before := posts.Load()
	browsertest.Do(t, ctx, "refused: reload", chromedp.Reload())
	browsertest.WaitFor(t, ctx, "refused: reloaded", `document.readyState === "complete" && !!document.querySelector('[data-testid="delete-org-form"]')`)
	if n := posts.Load() - before; n != 0 {
		t.Errorf("refused: the reload posted %d times", n)
	}
	if browsertest.Eval[bool](t, ctx, `!!document.querySelector('[data-error-summary]')`) {
		t.Error("refused: the reload shows the refusal again")
	}
	if _, err := st.GetOrganization(bg, org.ID); err != nil {
		t.Fatalf("refused: the organization is gone: %v", err)
	}

	// The audit log: newest first, a filter, a copy button.
	browsertest.Do(t, ctx, "audit log", chromedp.Navigate(origin+"/dashboard/events"), chromedp.WaitVisible(browsertest.TID("events")))
	cursors := browsertest.Eval[[]int](t, ctx, `Array.from(document.querySelectorAll('[data-testid="event"]')).map(e => +e.dataset.cursor)`)
	last, _ := st.LastEventCursor(bg)
	if len(cursors) < 2 || int64(cursors[0]) != last {
		t.Fatalf("audit log cursors %v, newest %d", cursors, last)
	}
	for i := 1; i < len(cursors); i++ {
		if cursors[i] >= cursors[i-1] {
			t.Fatalf("audit log not newest first: %v", cursors)
		}
	}
	browsertest.Audit(t, ctx, "audit log", console)
	noOverflow("audit log")
	browsertest.Do(t, ctx, "audit log filter",
		chromedp.SetValue(browsertest.TID("filter-type"), "portal.link"),
		chromedp.Click(browsertest.TID("filter-submit")),
	)
	browsertest.WaitFor(t, ctx, "filtered", `location.search.includes("types=portal.link") && document.readyState === "complete"`)
	types := browsertest.Eval[[]string](t, ctx, `Array.from(document.querySelectorAll('[data-testid="event-type"]')).map(e => e.textContent)`)
	if len(types) != 1 || types[0] != admin.EventLinkCreated {
		t.Errorf("filtered types %v", types)
	}
	id := browsertest.Eval[string](t, ctx, `document.querySelector('[data-testid="event-id"]').textContent`)
	browsertest.Do(t, ctx, "copy", chromedp.Click(chromedp.CSS(`[data-testid="event"] [data-testid="copy-id"]`)))
	browsertest.WaitFor(t, ctx, "copied", `document.querySelector('[data-copy-status="page"]').textContent !== ""`)
	status := browsertest.Eval[string](t, ctx, `document.querySelector('[data-copy-status="page"]').textContent`)
	copied := browsertest.Eval[string](t, ctx, `window.getSelection().toString()`)
	if status != "Copied." && copied != id {
		t.Errorf("copy: status %q, selection %q, want %q", status, copied, id)
	}
	if !strings.HasPrefix(id, "evt_") {
		t.Errorf("event id %q", id)
	}
	noOverflow("audit log, filtered")
}
