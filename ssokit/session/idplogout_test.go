package session_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/ssokit/session"
)

// TestLogoutIdPLogout: once the session has ended, Logout hands the
// browser to Config.IdPLogout with the session's connection, subject and
// sid; ssokit.ErrNoIdPLogout falls back to LogoutRedirect.
func TestLogoutIdPLogout(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		code int
		loc  string
	}{
		{"IdP logout", nil, http.StatusFound, "https://idp.example.com/logout"},
		{"no IdP logout endpoint", ssokit.ErrNoIdPLogout, http.StatusSeeOther, "/"},
		{"IdP logout fails", errors.New("boom"), http.StatusSeeOther, "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := backends[0].open(t)
			w := newWorld(t, st, "acme")
			var got []ssokit.LogoutOptions
			a := newApp(t, st, &clock{t: t0}, w, func(c *session.Config) {
				c.IdPLogout = func(rw http.ResponseWriter, r *http.Request, o ssokit.LogoutOptions) error {
					got = append(got, o)
					if tc.err == nil {
						http.Redirect(rw, r, "https://idp.example.com/logout", http.StatusFound)
					}
					return tc.err
				}
			})
			b := newBrowser()
			signedIn(t, a, b)
			_, body := b.get(t, a, "/app/home")
			token := body[strings.Index(body, "csrf=")+5:]
			rec := b.do(t, a, "POST", "/logout", "csrf_token="+token, map[string]string{"Sec-Fetch-Site": "same-origin"})
			if rec.Code != tc.code || rec.Header().Get("Location") != tc.loc {
				t.Fatalf("logout: %d to %q", rec.Code, rec.Header().Get("Location"))
			}
			if len(got) != 1 || got[0].ConnectionID != w.conn.ID || got[0].ReturnTo != "/" {
				t.Fatalf("IdPLogout got %+v", got)
			}
			refused(t, a, b, "after logout")
			// Without a session there is nothing to end at the IdP.
			b.do(t, a, "POST", "/logout", "x=1", map[string]string{"Sec-Fetch-Site": "same-origin"})
			if len(got) != 1 {
				t.Fatalf("IdPLogout called without a session")
			}
		})
	}
}
