package devui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"

	"github.com/onboardkit/onboardkit/internal/secret"
)

// CSRFField is the form field that carries the CSRF token.
const CSRFField = "csrf"

// ErrCSRF means a state-changing request failed the CSRF check: a
// cross-site origin, no CSRF cookie, or a token that does not match it.
var ErrCSRF = errors.New("devui: CSRF check failed")

// CSRF protects forms with a signed double-submit token: the browser holds
// a random value in an HttpOnly, SameSite=Strict cookie, and every form
// carries HMAC-SHA256(key, value) under a key that never leaves the
// process. Verify also refuses requests that a browser marks as
// cross-site (Sec-Fetch-Site) or that come from another Origin.
type CSRF struct {
	key    []byte
	cookie string
	rand   io.Reader
}

// NewCSRF returns a CSRF guard whose key is read from r (crypto/rand when
// nil) and whose cookie is named cookieName ("__Host-" is prepended over
// https). r is also used for new cookie values and is read under a lock.
func NewCSRF(r io.Reader, cookieName string) (*CSRF, error) {
	if cookieName == "" {
		return nil, errors.New("devui: CSRF cookie name is required")
	}
	r = LockedReader(r)
	key := make([]byte, 32)
	if _, err := io.ReadFull(r, key); err != nil {
		return nil, fmt.Errorf("devui: reading randomness: %w", err)
	}
	return &CSRF{key: key, cookie: cookieName, rand: r}, nil
}

func (c *CSRF) cookieName(r *http.Request) string {
	if r.TLS != nil {
		return "__Host-" + c.cookie
	}
	return c.cookie
}

func (c *CSRF) sign(v string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Token returns the token to put in the CSRFField of the page's forms,
// setting the cookie on w when the request has none. Call it before the
// response is written.
func (c *CSRF) Token(w http.ResponseWriter, r *http.Request) (string, error) {
	name := c.cookieName(r)
	if ck, err := r.Cookie(name); err == nil && secret.Valid(ck.Value, "") {
		return c.sign(ck.Value), nil
	}
	v, err := secret.New(c.rand, "")
	if err != nil {
		return "", err
	}
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: v, Path: "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	return c.sign(v), nil
}

// Verify checks a state-changing request whose form has been parsed. The
// error wraps ErrCSRF and says why, for the operator's log only.
func (c *CSRF) Verify(r *http.Request) error {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return fmt.Errorf("%w: Sec-Fetch-Site %q", ErrCSRF, r.Header.Get("Sec-Fetch-Site"))
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || u.Host != r.Host {
			return fmt.Errorf("%w: Origin %q is not this host %q", ErrCSRF, o, r.Host)
		}
	}
	ck, err := r.Cookie(c.cookieName(r))
	if err != nil || !secret.Valid(ck.Value, "") {
		return fmt.Errorf("%w: no CSRF cookie", ErrCSRF)
	}
	got := r.PostFormValue(CSRFField)
	if got == "" {
		return fmt.Errorf("%w: no token in the form", ErrCSRF)
	}
	if !hmac.Equal([]byte(got), []byte(c.sign(ck.Value))) {
		return fmt.Errorf("%w: token does not match the cookie", ErrCSRF)
	}
	return nil
}

// LockedReader returns r (crypto/rand when nil) behind a mutex, so that a
// reader that is not safe for concurrent use (a fixed test stream) can be
// shared by handlers.
func LockedReader(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	if lr, ok := r.(*lockedReader); ok {
		return lr
	}
	return &lockedReader{r: r}
}

type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}
