package portal

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/onboardkit/onboardkit/admin"
	bt "github.com/onboardkit/onboardkit/internal/browsertest"
	"github.com/onboardkit/onboardkit/store"
)

// postCounter counts the POST requests the tab sends.
type postCounter struct {
	mu sync.Mutex
	n  int
}

func (c *postCounter) event(ev any) {
	if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request.Method == "POST" {
		c.mu.Lock()
		c.n++
		c.mu.Unlock()
	}
}

func (c *postCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// doubleSubmit double-clicks the submit button of the form sel, which the
// page's script must turn into one submission. With replay, the form's
// fields (its one-time token included) are first posted by a script, as a
// first click whose answer the browser dropped: the server must answer the
// clicks' post with the first one's result.
func doubleSubmit(sel string, replay bool) string {
	pre := ""
	if replay {
		pre = `await fetch(f.action, {method: "POST", body: new URLSearchParams(new FormData(f)), credentials: "same-origin", redirect: "manual"});`
	}
	return `(async function () {
  var f = document.querySelector(` + strconv.Quote(sel) + `);
  ` + pre + `
  var b = f.querySelector("button[type=submit], button:not([type])");
  b.click();
  b.click();
  return true;
})()`
}

// TestBrowserPostRedirectGet drives each portal flow in Chromium at 1280
// and 360 px: add a domain, create a directory, create and revoke a
// token, create a SAML connection through the guided flow and enter its
// IdP details, test it, deactivate and activate a connection, map a group
// to a role and remove the mapping, and save the branding. Each form is
// submitted twice (the second time by a double click) and the page is
// reloaded after each POST: nothing is created twice, the reload sends no
// POST (the page after a POST is a GET), and every page reached through a
// form (token reveal, confirmation, error summary) passes the axe and
// console audit without horizontal overflow.
func TestBrowserPostRedirectGet(t *testing.T) {
	for _, width := range []int64{1280, 360} {
		t.Run(strconv.FormatInt(width, 10)+"px", func(t *testing.T) {
			env := newA11yEnv(t)
			ctx := bt.New(t)
			console := bt.RecordConsole(t, ctx)
			posts := &postCounter{}
			if err := chromedp.Listen(ctx, posts.event); err != nil {
				t.Fatal(err)
			}
			bt.Do(t, ctx, "viewport", chromedp.EmulateViewport(width, 800))
			bg := context.Background()

			audit := func(name string) {
				t.Helper()
				bt.WaitFor(t, ctx, name, `document.readyState === "complete"`)
				bt.Audit(t, ctx, name, console)
				checkOverflow(t, ctx, name, width)
			}
			// submit double-submits the form sel, waits for ready on the
			// page after it, reloads, and checks that the reload posted
			// nothing.
			submitAs := func(replay bool, name, sel, ready string, checks ...func()) {
				t.Helper()
				runDoubleSubmit(t, ctx, sel, replay)
				bt.WaitFor(t, ctx, name, `document.querySelector(`+strconv.Quote(ready)+`) !== null && document.readyState === "complete"`)
				audit(name)
				if strings.Contains(ready, "error-summary") && !bt.Eval[bool](t, ctx, `document.activeElement === document.querySelector('[data-testid="error-summary"]')`) {
					t.Errorf("%s: the error summary does not have the focus", name)
				}
				for _, check := range checks {
					check()
				}
				before := posts.count()
				bt.Do(t, ctx, name+": reload", chromedp.Reload())
				bt.WaitFor(t, ctx, name+": reloaded", `document.readyState === "complete" && document.querySelector("main") !== null`)
				if n := posts.count() - before; n != 0 {
					t.Errorf("%s: the reload sent %d POST(s)", name, n)
				}
			}
			submit := func(name, sel, ready string, checks ...func()) {
				t.Helper()
				submitAs(true, name, sel, ready, checks...)
			}
			tid := func(id string) string { return `[data-testid="` + id + `"]` }

			link, err := env.p.admin.GenerateLink(bg, env.org.ID, admin.LinkOptions{}, "")
			if err != nil {
				t.Fatal(err)
			}
			bt.Do(t, ctx, "sign in", chromedp.Navigate(link.URL), chromedp.WaitVisible(bt.TID("continue")),
				chromedp.Click(bt.TID("continue")), chromedp.WaitVisible(bt.TID("home-title")))

			// A domain, and a refused one (the error summary).
			bt.Do(t, ctx, "domains", chromedp.Navigate(env.origin+"/portal/domains"), chromedp.WaitVisible(bt.TID("domain-add-form")),
				chromedp.SetValue(bt.TID("domain-input"), "twice.example"))
			submit("add a domain", tid("domain-add-form"), tid("domains-message"))
			doms, _ := env.st.ListDomains(bg, env.org.ID)
			if n := countIf(doms, func(d store.Domain) bool { return d.Name == "twice.example" }); n != 1 {
				t.Errorf("%d domains twice.example", n)
			}
			bt.Do(t, ctx, "a refused domain", chromedp.SetValue(bt.TID("domain-input"), "gmail.com"))
			submit("domain refused", tid("domain-add-form"), tid("error-summary"))
			bt.Do(t, ctx, "domains again", chromedp.Navigate(env.origin+"/portal/domains"), chromedp.WaitVisible(bt.TID("domain-add-form")))
			if bt.Eval[bool](t, ctx, `document.querySelector('[data-testid="error-summary"]') !== null`) {
				t.Error("the error summary is shown again after a new GET")
			}
			bt.Do(t, ctx, "remove: the confirmation", chromedp.Click(chromedp.CSS(`#domain-dom_2 `+tid("domain-remove"))), chromedp.WaitVisible(bt.TID("confirm-form")))
			audit("domain removal confirmation")
			submit("remove a domain", tid("confirm-form"), tid("domains-message"))
			if _, err := env.st.GetDomain(bg, "dom_2"); err == nil {
				t.Error("the domain is still there")
			}

			// A directory: its token shown once.
			bt.Do(t, ctx, "directories", chromedp.Navigate(env.origin+"/portal/directory-sync"), chromedp.WaitVisible(bt.TID("dir-create-form")),
				chromedp.SetValue(bt.TID("dir-provider"), "entra"), chromedp.SetValue(bt.TID("dir-name"), "Entra (twice)"))
			submit("create a directory", tid("dir-create-form"), tid("dir-replayed"))
			dirs, _ := env.st.ListDirectories(bg, env.org.ID)
			var dirID string
			for _, d := range dirs {
				if d.Name == "Entra (twice)" {
					if dirID != "" {
						t.Error("two directories created")
					}
					dirID = d.ID
				}
			}
			toks, _ := env.st.ListDirectoryTokens(bg, dirID)
			if len(toks) != 1 {
				t.Errorf("%d tokens after the creation", len(toks))
			}
			// A double click: one token, shown once.
			runDoubleSubmit(t, ctx, tid("token-rotate-form"), false)
			bt.WaitFor(t, ctx, "token created", `document.querySelector('[data-testid="token-value"]') !== null && document.readyState === "complete"`)
			audit("token reveal")
			tok := bt.Eval[string](t, ctx, `document.querySelector('[data-testid="token-value"]').value`)
			before := posts.count()
			bt.Do(t, ctx, "reload the reveal", chromedp.Reload())
			bt.WaitFor(t, ctx, "reloaded", `document.readyState === "complete" && document.querySelector("main") !== null`)
			if strings.Contains(bt.Body(t, ctx), tok) || bt.Eval[bool](t, ctx, `document.querySelector('[data-testid="token-value"]') !== null`) {
				t.Error("the reload shows the token again")
			}
			if posts.count() != before {
				t.Error("the reload of the token reveal posted")
			}
			if toks, _ = env.st.ListDirectoryTokens(bg, dirID); len(toks) != 2 {
				t.Errorf("%d tokens after a new one", len(toks))
			}
			bt.Do(t, ctx, "revoke: the confirmation", chromedp.Click(bt.TID("token-revoke")), chromedp.WaitVisible(bt.TID("confirm-form")))
			audit("token revocation confirmation")
			submit("revoke a token", tid("confirm-form"), tid("dir-message"))

			// A SAML connection through the guided flow.
			conns, _ := env.st.ListConnections(bg, env.org.ID)
			bt.Do(t, ctx, "new connection", chromedp.Navigate(env.origin+"/portal/sso/new"), chromedp.WaitVisible(bt.TID("provider-choices")),
				chromedp.Navigate(env.origin+"/portal/sso/new/onelogin"), chromedp.WaitVisible(bt.TID("sso-create-form")))
			submit("create a connection", tid("sso-create-form"), tid("guide-steps"))
			after, _ := env.st.ListConnections(bg, env.org.ID)
			if len(after) != len(conns)+1 {
				t.Fatalf("%d connections created", len(after)-len(conns))
			}
			conn := bt.Eval[string](t, ctx, `location.pathname.split("/")[3]`)
			bt.Do(t, ctx, "IdP details by hand", chromedp.Navigate(env.origin+"/portal/sso/"+conn+"/setup/idp?method=manual"),
				chromedp.WaitVisible(bt.TID("form-manual")),
				chromedp.SetValue(chromedp.CSS("#f-entity_id"), "https://idp.example.com"),
				chromedp.SetValue(chromedp.CSS("#f-sso_url"), "https://idp.example.com/sso"),
				chromedp.SetValue(chromedp.CSS("#f-certificate"), "not a certificate"))
			submit("IdP details refused", tid("form-manual"), tid("error-summary"), func() {
				if v := bt.Eval[string](t, ctx, `document.querySelector("#f-entity_id").value`); v != "https://idp.example.com" {
					t.Errorf("the refused form lost what was typed: %q", v)
				}
				if href := bt.Eval[string](t, ctx, `document.querySelector('[data-testid="error-summary"] a').getAttribute("href")`); href != "#f-certificate" {
					t.Errorf("the error summary links to %q", href)
				}
			})
			bt.Do(t, ctx, "IdP details again",
				chromedp.SetValue(chromedp.CSS("#f-entity_id"), "https://idp.example.com"),
				chromedp.SetValue(chromedp.CSS("#f-sso_url"), "https://idp.example.com/sso"),
				chromedp.SetValue(chromedp.CSS("#f-certificate"), manualCert(t, time.Now())))
			submit("IdP details saved", tid("form-manual"), tid("form-mapping"))
			submit("mapping saved", tid("form-mapping"), tid("form-test"))
			submit("test started", tid("form-test"), tid("test-open"))

			// Deactivate (asked first) and activate a tested connection.
			bt.Do(t, ctx, "connection", chromedp.Navigate(env.origin+"/portal/sso/conn_okta"), chromedp.WaitVisible(bt.TID("deactivate")),
				chromedp.Click(bt.TID("deactivate")), chromedp.WaitVisible(bt.TID("confirm-form")))
			audit("deactivation confirmation")
			submit("deactivate", tid("confirm-form"), tid("form-activate"))
			if c, _ := env.st.GetConnection(bg, "conn_okta"); c.State != store.ConnectionInactive {
				t.Errorf("state %s after deactivation", c.State)
			}
			submit("activate", tid("form-activate"), tid("deactivate"))
			if c, _ := env.st.GetConnection(bg, "conn_okta"); c.State != store.ConnectionActive {
				t.Errorf("state %s after activation", c.State)
			}

			// A group mapped to a role, then the mapping removed.
			bt.Do(t, ctx, "roles", chromedp.Navigate(env.origin+"/portal/roles?q=All"), chromedp.WaitVisible(bt.TID("group-choice")))
			submit("map a group", tid("group-choice"), tid("roles-message"))
			ms, _ := env.st.ListRoleMappings(bg, env.org.ID)
			if n := countIf(ms, func(m store.RoleMapping) bool { return m.Value == "grp_all" }); n != 1 {
				t.Errorf("%d mappings of the group", n)
			}
			bt.Do(t, ctx, "unmap: the confirmation", chromedp.Click(chromedp.CSS(`[data-testid="mapping-row"]:last-child `+tid("mapping-remove"))), chromedp.WaitVisible(bt.TID("confirm-form")))
			audit("mapping removal confirmation")
			submit("remove a mapping", tid("confirm-form"), tid("roles-message"))
			ms, _ = env.st.ListRoleMappings(bg, env.org.ID)
			if n := countIf(ms, func(m store.RoleMapping) bool { return m.Value == "grp_all" }); n != 0 {
				t.Errorf("%d mappings of the group after the removal", n)
			}

			// The branding, in the operator's dashboard.
			bt.Do(t, ctx, "branding", chromedp.Navigate(env.origin+"/dashboard/branding"), chromedp.WaitVisible(bt.TID("accent-input")))
			audit("dashboard branding")
			submit("save the branding", tid("branding-form"), tid("accent-input"))
		})
	}
}

// checkOverflow fails t when the page is wider than the viewport (width
// px), naming the first elements that stick out.
func checkOverflow(t *testing.T, ctx context.Context, name string, width int64) {
	t.Helper()
	if bt.Eval[bool](t, ctx, `document.documentElement.scrollWidth > document.documentElement.clientWidth`) {
		wide := bt.Eval[[]string](t, ctx, `Array.prototype.filter.call(document.querySelectorAll("body *"), function (e) {
  return e.getBoundingClientRect().right > document.documentElement.clientWidth + 1;
}).slice(0, 5).map(function (e) { return e.tagName + "." + e.className + "#" + e.id + " " + Math.round(e.getBoundingClientRect().right); })`)
		t.Errorf("%s overflows at %d px: %v", name, width, wide)
	}
}

func countIf[T any](xs []T, f func(T) bool) int {
	n := 0
	for _, x := range xs {
		if f(x) {
			n++
		}
	}
	return n
}

// runDoubleSubmit runs doubleSubmit's script, awaiting its first post.
func runDoubleSubmit(t *testing.T, ctx context.Context, sel string, replay bool) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, bt.Wait)
	defer cancel()
	if _, err := chromedp.Run(tctx, chromedp.Evaluate[bool](doubleSubmit(sel, replay), chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("submitting %s twice: %v", sel, err)
	}
}
