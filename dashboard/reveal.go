package dashboard

import (
	"net/http"
	"net/url"

	"github.com/onboardkit/onboardkit/internal/web"
)

// A page that shows something once (a new API key, portal link, SCIM token
// or test link) follows its POST with a redirect like every other change:
// the POST hands what to show to the GET in a flash cookie (web.Flash),
// sealed under the browser's CSRF cookie, scoped to the page's path, and
// read and deleted by the GET: the secret is never in a URL nor readable
// in a cookie, and a reload of the page shows it no more.

func (d *Dashboard) revealFlash() web.Flash {
	name := "onboardkit_dashboard_reveal"
	if d.secure {
		name = "__Secure-" + name
	}
	return web.Flash{Name: name, Secure: d.secure, SameSite: http.SameSiteStrictMode}
}

// reveal hands v to the next GET of page (a path under the mount) and
// redirects there with the notice done.
func (d *Dashboard) reveal(w http.ResponseWriter, r *http.Request, page string, v map[string]string, done string) {
	u, _ := url.Parse(page)
	if c, err := r.Cookie(d.csrfCookieName()); err == nil {
		if err := d.revealFlash().Put(w, d.rand, []byte(c.Value), u.Path, d.now(), v); err != nil {
			d.log.ErrorContext(r.Context(), "dashboard: sealing a reveal", "error", err)
		}
	}
	d.redirect(w, r, page, done)
}

// takeReveal returns what the POST before the request handed to it (nil
// when nothing), and deletes it.
func (d *Dashboard) takeReveal(w http.ResponseWriter, r *http.Request) map[string]string {
	c, err := r.Cookie(d.csrfCookieName())
	if err != nil {
		return nil
	}
	// The dashboard is mounted with http.StripPrefix: the cookie's path is
	// the page's full path.
	var v map[string]string
	if !d.revealFlash().Take(w, r, []byte(c.Value), d.path(r.URL.Path), d.now(), &v) {
		return nil
	}
	return v
}

// idempotencyKey is the creation key of a form: "" without a valid token.
func idempotencyKey(form url.Values) string {
	return web.FormIdempotencyKey("dashboard", form)
}
