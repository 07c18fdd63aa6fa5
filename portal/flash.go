package portal

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/onboardkit/onboardkit/internal/web"
)

// Every POST of the portal answers with a redirect to a GET page (303),
// so that a reload or Back never sends it again. What the page after the
// redirect shows of the change (a confirmation, a token shown once, a
// simulated sync's report, or the problems of a refused form with the
// values entered) travels in a flash: a cookie sealed under the session's
// own secret, bound to the page's path, read and deleted by that page
// (web.Flash). A secret shown once is never in a URL nor readable in a
// cookie, and a reload shows the page without it.

// flash is what a POST hands to the page it redirects to. Its texts are
// the server's own (never echoed from a URL).
type flash struct {
	Notice string `json:"n,omitempty"`
	// Alert is a problem of the page that no field is named for.
	Alert string `json:"a,omitempty"`
	// Errors are the problems of the refused form ErrForm, by input name;
	// Form the values entered (never a secret).
	ErrForm string            `json:"ef,omitempty"`
	Errors  map[string]string `json:"e,omitempty"`
	Form    map[string]string `json:"f,omitempty"`
	// Token is a secret shown once.
	Token    string     `json:"t,omitempty"`
	Created  bool       `json:"c,omitempty"`
	Replayed bool       `json:"r,omitempty"`
	Events   []UIEvent  `json:"ev,omitempty"`
	Sim      *simResult `json:"s,omitempty"`
	// Checked is the domain just checked, with the DNS diagnosis.
	Checked   string `json:"k,omitempty"`
	CheckKind string `json:"kk,omitempty"`
	CheckMsg  string `json:"km,omitempty"`
}

// failed reports whether the flash carries the problems of a refused form.
func (f *flash) failed() bool { return f.Alert != "" || len(f.Errors) > 0 }

// flashCookie is the flash kind of session s: with the session cookie's
// attributes, so that it reaches the page wherever the session does.
func (p *Portal) flashCookie(s *session) web.Flash {
	c := p.sessionCookie("x", s.s.Embedded, s.s.ExpiresAt)
	name := "onboardkit_portal_flash"
	if c.Secure {
		name = "__Secure-" + name
	}
	return web.Flash{Name: name, Secure: c.Secure, SameSite: c.SameSite, Partitioned: c.Partitioned}
}

// redirect answers a POST with a 303 to target (a path under the mount,
// with an optional query and fragment), handing f to that page.
func (p *Portal) redirect(w http.ResponseWriter, r *http.Request, s *session, target string, f *flash) {
	if f != nil {
		u, _ := url.Parse(target)
		fc := p.flashCookie(s)
		err := fc.Put(w, p.rand, []byte(s.token), u.Path, p.now(), f)
		if errors.Is(err, web.ErrFlashTooLarge) {
			// Values too long for a cookie (a pasted metadata document) are
			// not given back; the problems and the rest still are.
			f.Form = nil
			if f.Sim != nil {
				f.Sim.Requests = f.Sim.Requests[:min(len(f.Sim.Requests), 10)]
			}
			err = fc.Put(w, p.rand, []byte(s.token), u.Path, p.now(), f)
		}
		if err != nil {
			p.log.ErrorContext(r.Context(), "portal: sealing a flash", "path", logPath(r), "error", err)
		}
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// takeFlash returns what the POST before the request handed to its page,
// deleting it; the zero flash when none.
func (p *Portal) takeFlash(w http.ResponseWriter, r *http.Request, s *session) flash {
	var f flash
	if !p.flashCookie(s).Take(w, r, []byte(s.token), p.path(r.URL.Path), p.now(), &f) {
		return flash{}
	}
	return f
}

// summary is the error summary of flash f: its alert, then each field's
// problem in the order of fields (input names), linking to the input
// whose id is idOf(name).
func (f *flash) summary(fields []string, idOf func(string) string) []web.FieldError {
	var out []web.FieldError
	if f.Alert != "" {
		out = append(out, web.FieldError{Message: f.Alert})
	}
	seen := map[string]bool{}
	for _, name := range fields {
		if msg := f.Errors[name]; msg != "" && !seen[name] {
			seen[name] = true
			out = append(out, web.FieldError{Field: idOf(name), Message: msg})
		}
	}
	for name, msg := range f.Errors {
		if !seen[name] && msg != "" {
			out = append(out, web.FieldError{Message: msg})
		}
	}
	return out
}

// confirm shows the page that asks before a destructive action.
func (p *Portal) confirm(w http.ResponseWriter, r *http.Request, s *session, current string, d confirmData) {
	p.render(w, r, http.StatusOK, confirmPage(p.sessionView(r, s, d.Title, current), d))
}

// idempotencyKey is the creation key of the request's form: "" without a
// valid token. The session is part of it: a token copied into another
// session's form creates there.
func idempotencyKey(r *http.Request, s *session) string {
	return web.FormIdempotencyKey("portal:"+s.s.ID, r.PostForm)
}

// errorOf is the error summary's message for the input id, "" when none.
func (v *view) errorOf(id string) string {
	for _, e := range v.Errors {
		if e.Field == id {
			return e.Message
		}
	}
	return ""
}

// goneOr wraps the handler of a removal: when gone reports that what it
// removes no longer exists (the same form posted twice: the first post
// removed it), the answer is the first post's, a redirect to page with
// done, instead of "not found".
func (p *Portal) goneOr(h sessionHandler, gone func(*http.Request, *session) bool, page, done string) sessionHandler {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		if gone(r, s) {
			p.redirect(w, r, s, p.path(page), &flash{Notice: done})
			return
		}
		h(w, r, s)
	}
}
