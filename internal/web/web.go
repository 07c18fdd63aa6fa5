package web

import (
	"bytes"
	"errors"
	"github.com/onboardkit/onboardkit/admin"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

// MaxFormBytes bounds the body of every form post.
const MaxFormBytes = 64 << 10

// CSRFField is the form field that carries the CSRF token on
// state-changing requests.
const CSRFField = "csrf"

// Origin is scheme://host[:port] of u.
func Origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// ContentSecurityPolicy is the strict CSP of the pages mounted at
// origin + mount, framed only by ancestors (none when empty). Scripts come
// only from the mount's assets (origin + mount + "/assets/"): mounted on
// the host's origin, 'self' would let every script of the host application
// run in the pages. When the mount path cannot be written in a CSP, the
// script source is 'self'.
func ContentSecurityPolicy(origin, mount string, ancestors []string) string {
	src := origin + (&url.URL{Path: mount + "/assets/"}).EscapedPath()
	if strings.ContainsAny(src, ";,'\" \t\r\n") {
		src = "'self'"
	}
	fa := "'none'"
	if len(ancestors) > 0 {
		fa = strings.Join(ancestors, " ")
	}
	return "default-src 'self'; script-src " + src + "; style-src 'self'; img-src 'self' data:; " +
		"frame-ancestors " + fa + "; form-action 'self'; base-uri 'none'; object-src 'none'"
}

// SetSecureHeaders sets the headers every portal and dashboard response
// carries; denyFraming adds X-Frame-Options: DENY for browsers that ignore
// the CSP's frame-ancestors.
func SetSecureHeaders(h http.Header, csp string, denyFraming bool) {
	h.Set("Cache-Control", "no-store")
	// strict-origin: no path (a link token) ever leaves in Referer, and
	// form posts keep their Origin header (no-referrer makes it "null").
	h.Set("Referrer-Policy", "strict-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", csp)
	if denyFraming {
		h.Set("X-Frame-Options", "DENY")
	}
}

// IsSafeMethod reports whether m changes nothing: GET, HEAD or OPTIONS.
func IsSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// FromOrigin reports whether a state-changing request comes from a page of
// origin. Sec-Fetch-Site decides when present. Without it the Origin
// header must be origin; "Origin: null" (sent by some browsers and
// privacy settings) is accepted only when nullOK (requests that also carry
// a CSRF token).
// Requests with neither header are not from a browser and pass: they cannot
// carry a victim's cookies against the victim's will.
func FromOrigin(r *http.Request, origin string, nullOK bool) bool {
	got := r.Header.Get("Origin")
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin":
		return got == "" || got == "null" || got == origin
	case "":
	default:
		return false
	}
	return got == "" || got == origin || (nullOK && got == "null")
}

// Render writes a component with status, buffered so that a rendering error
// becomes a clean 500 rather than half a page. It returns the rendering
// error, for the caller to log.
func Render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("Something went wrong.\n"))
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
	return nil
}

// DescribeError returns the HTTP status, the machine code and the
// operator-facing message of an error of the admin service; ok is false
// for an unexpected error, which callers log and answer generically.
func DescribeError(err error) (status int, code, msg string, ok bool) {
	var ae *admin.AdminError
	if !errors.As(err, &ae) {
		return http.StatusInternalServerError, "internal", "something went wrong; the server log has the cause", false
	}
	switch ae.Kind {
	case admin.ErrInvalidInput:
		return http.StatusBadRequest, "invalid_input", ae.Message, true
	case admin.ErrNotFound:
		return http.StatusNotFound, "not_found", ae.Message, true
	case admin.ErrConflict:
		return http.StatusConflict, "conflict", ae.Message, true
	case admin.ErrNotConfigured:
		return http.StatusNotImplemented, "not_configured", ae.Message, true
	}
	return http.StatusInternalServerError, "internal", "something went wrong; the server log has the cause", false
}
