package portal

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onboardkit/onboardkit/admin"
	bt "github.com/onboardkit/onboardkit/internal/browsertest"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// browserFlow is a Chromium tab on the portal of newA11yEnv at one width,
// counting the POSTs it sends.
type browserFlow struct {
	t       *testing.T
	env     *a11yEnv
	ctx     context.Context
	console *bt.Console
	posts   *postCounter
	width   int64
}

// eachWidth runs f in a fresh environment and tab at 1280 and 360 px.
func eachWidth(t *testing.T, f func(b *browserFlow)) {
	for _, width := range []int64{1280, 360} {
		t.Run(strconv.FormatInt(width, 10)+"px", func(t *testing.T) {
			b := &browserFlow{t: t, env: newA11yEnv(t), ctx: bt.New(t), posts: &postCounter{}, width: width}
			b.console = bt.RecordConsole(t, b.ctx)
			if err := chromedp.Listen(b.ctx, b.posts.event); err != nil {
				t.Fatal(err)
			}
			bt.Do(t, b.ctx, "viewport", chromedp.EmulateViewport(width, 800))
			f(b)
		})
	}
}

// check waits for the page to load, then runs the axe and console audit
// and the overflow check on it. A page that answers an error status on
// purpose passes expectError.
func (b *browserFlow) check(name string, expectError ...bool) {
	b.t.Helper()
	bt.WaitFor(b.t, b.ctx, name, `document.readyState === "complete"`)
	var expected []string
	if len(expectError) > 0 && expectError[0] {
		expected = append(expected, bt.Eval[string](b.t, b.ctx, `location.href`))
	}
	bt.Audit(b.t, b.ctx, name, b.console, expected...)
	checkOverflow(b.t, b.ctx, name, b.width)
	checkDates(b.t, b.ctx, name)
}

// checkDates fails t for each date on the page that is not a <time>
// element with a valid datetime, in one of the portal's two formats ("3
// Dec 2026", "3 Dec 2026, 14:05 UTC"), after a label (the text before it,
// its <dt> or its table column).
func checkDates(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	bad := bt.Eval[[]string](t, ctx, `(function () {
  var date = /\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b/;
  var format = /^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}(, \d{2}:\d{2} UTC)?$/;
  var bad = [];
  var w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (w.nextNode()) {
    var n = w.currentNode;
    if (date.test(n.nodeValue) && !n.parentElement.closest("time")) bad.push("not a <time>: " + n.nodeValue.trim());
  }
  document.querySelectorAll("time").forEach(function (t) {
    if (isNaN(Date.parse(t.getAttribute("datetime") || ""))) bad.push("datetime: " + t.outerHTML);
    if (!format.test(t.textContent.trim())) bad.push("format: " + t.textContent.trim());
    var label = "", dd = t.closest("dd"), td = t.closest("td");
    if (dd) {
      label = dd.previousElementSibling ? dd.previousElementSibling.textContent : "";
    } else if (td) {
      var th = td.closest("table").querySelectorAll("thead th")[td.cellIndex];
      label = th ? th.textContent : "";
    } else {
      label = t.previousSibling ? t.previousSibling.textContent : "";
    }
    if (!/[A-Za-z]/.test(label)) bad.push("no label: " + t.parentElement.textContent.trim());
  });
  return bad;
})()`)
	for _, b := range bad {
		t.Errorf("%s: %s", name, b)
	}
}

// reload reloads the page, checks that it sent no POST and that ready (a
// CSS selector) is on the page again, and audits it.
func (b *browserFlow) reload(name, ready string, expectError ...bool) {
	b.t.Helper()
	before := b.posts.count()
	bt.Do(b.t, b.ctx, name+": reload", chromedp.Reload())
	bt.WaitFor(b.t, b.ctx, name+": reloaded", `document.readyState === "complete" && document.querySelector(`+strconv.Quote(ready)+`) !== null`)
	if n := b.posts.count() - before; n != 0 {
		b.t.Errorf("%s: the reload sent %d POST(s)", name, n)
	}
	b.check(name+" (reloaded)", expectError...)
}

// signIn opens a shareable link of the organization and continues.
func (b *browserFlow) signIn() {
	b.t.Helper()
	link, err := b.env.p.admin.GenerateLink(context.Background(), b.env.org.ID, admin.LinkOptions{}, "")
	if err != nil {
		b.t.Fatal(err)
	}
	bt.Do(b.t, b.ctx, "sign in", chromedp.Navigate(link.URL), chromedp.WaitVisible(bt.TID("continue")),
		chromedp.Click(bt.TID("continue")), chromedp.WaitVisible(bt.TID("home-title")))
}

// TestBrowserRefusedLink: a link revoked while its landing page is open
// is refused on Continue with a page at a GET URL naming the reason, not
// the token; reloading it posts nothing.
func TestBrowserRefusedLink(t *testing.T) {
	eachWidth(t, func(b *browserFlow) {
		bg := context.Background()
		link, err := b.env.p.admin.GenerateLink(bg, b.env.org.ID, admin.LinkOptions{}, "")
		if err != nil {
			t.Fatal(err)
		}
		bt.Do(t, b.ctx, "landing", chromedp.Navigate(link.URL), chromedp.WaitVisible(bt.TID("continue")))
		if _, err := b.env.p.admin.RevokeLink(bg, link.ID, "operator:test"); err != nil {
			t.Fatal(err)
		}
		bt.Do(t, b.ctx, "continue", chromedp.Click(bt.TID("continue")), chromedp.WaitVisible(bt.TID("problem-link-revoked")))
		if loc := bt.Eval[string](t, b.ctx, `location.pathname`); loc != "/portal/link-refused/link_revoked" {
			t.Errorf("the refusal is at %q", loc)
		}
		b.check("refused link", true)
		b.reload("refused link", `[data-testid="problem-link-revoked"]`, true)
	})
}

// TestBrowserCertificateRemoval: the renewal in Chromium. The new
// certificate is added (both trusted), the old one's Remove opens a
// confirmation, and its double-clicked confirmation removes the old
// certificate once; every page reloads without a POST.
func TestBrowserCertificateRemoval(t *testing.T) {
	eachWidth(t, func(b *browserFlow) {
		bg := context.Background()
		b.signIn()
		before, _ := b.env.st.GetConnection(bg, "conn_okta")
		old, _ := ssokit.ConnectionCertificates(before)
		if len(old) != 1 {
			t.Fatalf("%d certificates to start with", len(old))
		}
		bt.Do(t, b.ctx, "connection", chromedp.Navigate(b.env.origin+"/portal/sso/conn_okta"), chromedp.WaitVisible(bt.TID("cert-renew")),
			chromedp.Click(chromedp.CSS(`[data-testid="cert-renew"] summary`)),
			chromedp.SetValue(chromedp.CSS("#f-new-certificate"), manualCert(t, time.Now().Add(24*time.Hour))),
			chromedp.Click(bt.TID("cert-add")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="cert-remove"][href$="`+old[0].Thumbprint+`"]`)))
		b.check("certificate added")
		b.reload("certificate added", `[data-testid="cert-remove"]`)

		bt.Do(t, b.ctx, "remove: the confirmation", chromedp.Click(chromedp.CSS(`[data-testid="cert-remove"][href$="`+old[0].Thumbprint+`"]`)),
			chromedp.WaitVisible(bt.TID("confirm-form")))
		b.check("certificate removal confirmation")
		if c, _ := b.env.st.GetConnection(bg, "conn_okta"); len(c.SAML.Certificates) != 2 {
			t.Fatalf("%d certificates before the confirmation", len(c.SAML.Certificates))
		}
		runDoubleSubmit(t, b.ctx, `[data-testid="confirm-form"]`, true)
		bt.WaitFor(t, b.ctx, "certificate removed", `document.querySelector('[data-testid="flash"]') !== null && document.readyState === "complete"`)
		b.check("certificate removed")
		b.reload("certificate removed", `[data-testid="certificates"]`)
		after, _ := b.env.st.GetConnection(bg, "conn_okta")
		got, _ := ssokit.ConnectionCertificates(after)
		if len(got) != 1 || got[0].Thumbprint == old[0].Thumbprint {
			t.Errorf("certificates after the removal: %+v", got)
		}
		evs, _ := b.env.st.ListEvents(bg, store.EventQuery{Types: []string{ssokit.EventCertificateRemoved}, Limit: 10})
		if len(evs) != 1 {
			t.Errorf("%d removal events", len(evs))
		}
	})
}

// TestBrowserLabelledDates: every page of the portal that shows a date
// shows it labelled, in a <time datetime> element, in one format (see
// checkDates): the overview, connections, a connection's certificates and
// the confirmation of a removal, domains, a directory's tokens and the
// confirmation of a revocation, and what went wrong.
func TestBrowserLabelledDates(t *testing.T) {
	eachWidth(t, func(b *browserFlow) {
		bg := context.Background()
		a := b.env.p.admin
		_, err := a.AddConnectionCertificate(bg, "conn_okta", manualCert(t, time.Now().Add(48*time.Hour)), "operator:test")
		must(t, err)
		nt, err := a.CreateDirectoryToken(bg, "dir_okta", admin.TokenInput{}, "operator:test")
		must(t, err)
		c, _ := b.env.st.GetConnection(bg, "conn_okta")
		certs, _ := ssokit.ConnectionCertificates(c)
		b.signIn()
		for _, pg := range []struct {
			name, path, ready string
			labels            []string // some labels the page shows
		}{
			{"overview", "/portal/", "home-title", []string{"Verified ", "Last tested "}},
			{"connections", "/portal/sso", "sso-section", []string{"Last tested ", "Certificate expires "}},
			{"connection", "/portal/sso/conn_okta", "certificates", []string{"Last tested ", "Expires "}},
			{"certificate removal", "/portal/sso/conn_okta/certificates/remove?thumbprint=" + certs[0].Thumbprint, "confirm-form", []string{"Expires"}},
			{"domains", "/portal/domains", "domains-section", []string{"Added ", "Verified "}},
			{"directory", "/portal/directory-sync/dir_okta", "dir-activity", []string{"Added ", "Never used"}},
			{"token revocation", "/portal/directory-sync/dir_okta/tokens/" + nt.TokenInfo.ID + "/revoke", "confirm-form", []string{"Added", "Last used"}},
			{"what went wrong", "/portal/problems", "refused-logins", []string{"Refused "}},
		} {
			bt.Do(t, b.ctx, pg.name, chromedp.Navigate(b.env.origin+pg.path), chromedp.WaitVisible(bt.TID(pg.ready)))
			if bt.Eval[int](t, b.ctx, `document.querySelectorAll("time").length`) == 0 {
				t.Errorf("%s: no date shown", pg.name)
			}
			b.check(pg.name)
			text := bt.Eval[string](t, b.ctx, `document.querySelector("main").innerText`)
			for _, want := range pg.labels {
				if !strings.Contains(text, want) {
					t.Errorf("%s does not say %q", pg.name, want)
				}
			}
		}
	})
}

// TestBrowserDomainAddedOnce: the add form double-clicked (after a first
// post whose answer was lost) adds the domain once; reloading posts
// nothing; removed, the domain is added again at once.
func TestBrowserDomainAddedOnce(t *testing.T) {
	eachWidth(t, func(b *browserFlow) {
		bg := context.Background()
		count := func() int {
			doms, _ := b.env.st.ListDomains(bg, b.env.org.ID)
			return countIf(doms, func(d store.Domain) bool { return d.Name == "again.example" })
		}
		add := func(name string, replay bool) {
			t.Helper()
			bt.Do(t, b.ctx, name, chromedp.Navigate(b.env.origin+"/portal/domains"), chromedp.WaitVisible(bt.TID("domain-add-form")),
				chromedp.SetValue(bt.TID("domain-input"), "again.example"))
			runDoubleSubmit(t, b.ctx, `[data-testid="domain-add-form"]`, replay)
			bt.WaitFor(t, b.ctx, name, `document.querySelector('[data-testid="domains-message"]') !== null && document.readyState === "complete"`)
			if msg := bt.Eval[string](t, b.ctx, `document.querySelector('[data-testid="domains-message"]').textContent`); !strings.Contains(msg, "again.example was added") {
				t.Errorf("%s: %q", name, msg)
			}
			b.check(name)
			b.reload(name, `[data-testid="domain"][data-domain="again.example"]`)
			if n := count(); n != 1 {
				t.Errorf("%s: %d domains again.example", name, n)
			}
		}
		b.signIn()
		add("add a domain", true)
		bt.Do(t, b.ctx, "remove: the confirmation", chromedp.Click(chromedp.CSS(`[data-domain="again.example"] [data-testid="domain-remove"]`)),
			chromedp.WaitVisible(bt.TID("confirm-form")))
		b.check("domain removal confirmation")
		runDoubleSubmit(t, b.ctx, `[data-testid="confirm-form"]`, false)
		bt.WaitFor(t, b.ctx, "removed", `document.querySelector('[data-testid="domains-message"]') !== null && document.readyState === "complete"`)
		if n := count(); n != 0 {
			t.Fatalf("%d domains again.example after the removal", n)
		}
		add("add it again at once", false)
	})
}
