package dashboard

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
)

// A page that shows something once (a new API key, portal link, SCIM token
// or test link) follows its POST with a redirect like every other change:
// the POST hands what to show to the GET in a reveal cookie, which the GET
// reads and deletes. The cookie is HttpOnly, SameSite=Strict, Secure over
// https, scoped to the page's path, and lives two minutes at most: the
// secret is never in a URL, and a reload of the page shows it no more.

// revealMaxAge bounds how long a reveal waits for its page, in seconds.
const revealMaxAge = 120

func (d *Dashboard) revealCookieName() string {
	if d.secure {
		return "__Secure-onboardkit_dashboard_reveal"
	}
	return "onboardkit_dashboard_reveal"
}

// reveal hands v to the next GET of page (a path under the mount) and
// redirects there with the notice done.
func (d *Dashboard) reveal(w http.ResponseWriter, r *http.Request, page string, v map[string]string, done string) {
	raw, err := json.Marshal(v)
	if err == nil {
		u, _ := url.Parse(page)
		http.SetCookie(w, &http.Cookie{
			Name: d.revealCookieName(), Value: base64.RawURLEncoding.EncodeToString(raw), Path: u.Path,
			MaxAge: revealMaxAge, HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteStrictMode,
		})
	}
	d.redirect(w, r, page, done)
}

// takeReveal returns what the POST before the request handed to it (nil
// when nothing), and deletes it.
func (d *Dashboard) takeReveal(w http.ResponseWriter, r *http.Request) map[string]string {
	c, err := r.Cookie(d.revealCookieName())
	if err != nil {
		return nil
	}
	// The dashboard is mounted with http.StripPrefix: the cookie's path is
	// the page's full path.
	http.SetCookie(w, &http.Cookie{Name: c.Name, Value: "", Path: d.path(r.URL.Path), MaxAge: -1, HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteStrictMode})
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	var v map[string]string
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	return v
}

// formToken is a fresh per-form token: a form that creates something
// carries it as "idem", and the service takes it as the creation's
// idempotency key, so a double click or a re-sent POST creates nothing
// more.
func (d *Dashboard) formToken() string {
	var b [16]byte
	if _, err := io.ReadFull(d.rand, b[:]); err != nil {
		return ""
	}
	return hex.EncodeToString(b[:])
}

// idempotencyKey is the creation key of a form: "" without its token.
func idempotencyKey(form url.Values) string {
	t := form.Get("idem")
	if t == "" || len(t) > 64 {
		return ""
	}
	return "dashboard:" + t
}
