package ssokit

import (
	"net/http"

	"github.com/onboardkit/onboardkit/internal/secret"
)

// The browser-binding cookie ties a started login to the browser that
// started it: its SHA-256 digest is stored as LoginRequest.Binding and the
// ACS or callback must present the same cookie. One cookie serves every
// concurrent flow of a browser (several tabs), so it is reused while valid.
const (
	bindingCookie = "okit_sso_binding"
	bindingPrefix = "sb_"
)

// browserBinding returns the browser's binding secret, setting a new cookie
// when the browser has none.
func (s *SSO) browserBinding(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(bindingCookie); err == nil && secret.Valid(c.Value, bindingPrefix) {
		s.setBindingCookie(w, c.Value)
		return c.Value, nil
	}
	v, err := secret.New(s.rand, bindingPrefix)
	if err != nil {
		return "", err
	}
	s.setBindingCookie(w, v)
	return v, nil
}

func (s *SSO) setBindingCookie(w http.ResponseWriter, v string) {
	secure := s.base.Scheme == "https"
	// The SAML ACS receives a cross-site POST from the IdP: the cookie must
	// be SameSite=None to be sent, which browsers accept only when Secure.
	// Plain-http development falls back to Lax (OIDC works, SAML POST
	// needs https).
	same := http.SameSiteNoneMode
	if !secure {
		same = http.SameSiteLaxMode
	}
	path := s.base.Path
	if path == "" {
		path = "/"
	}
	http.SetCookie(w, &http.Cookie{
		Name:     bindingCookie,
		Value:    v,
		Path:     path,
		MaxAge:   int(s.cfg.RequestTTL.Seconds()) + 60,
		HttpOnly: true,
		Secure:   secure,
		SameSite: same,
	})
}

// presentedBinding returns the digest of the browser-binding cookie r
// presents, to match against a pending request's Binding; nil when r has
// none.
func presentedBinding(r *http.Request) []byte {
	c, err := r.Cookie(bindingCookie)
	if err != nil || !secret.Valid(c.Value, bindingPrefix) {
		return nil
	}
	return secret.Digest(c.Value)
}
