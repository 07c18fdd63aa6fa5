package session_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzRequireLoginCookie: no cookie value other than the one a login set
// opens the protected page, and none makes RequireLogin fail otherwise.
func FuzzRequireLoginCookie(f *testing.F) {
	st := backends[0].open(f)
	w := newWorld(f, st, "acme")
	a := newApp(f, st, &clock{t: t0}, w, nil)
	b := newBrowser()
	rec := b.do(f, a, "GET", "/test/login", "", nil)
	if rec.Code != http.StatusSeeOther {
		f.Fatal(rec.Code)
	}
	good := b.jar["__Host-onboardkit_session"].Value
	f.Add(good[:42] + "B")
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add(good + "=")
	f.Fuzz(func(t *testing.T, v string) {
		if v == good {
			return
		}
		r := httptest.NewRequest("GET", "https://app.example.com/app/home", nil)
		r.Header.Set("Cookie", "__Host-onboardkit_session="+v)
		rec := httptest.NewRecorder()
		a.h.ServeHTTP(rec, r)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("cookie %q: %d", v, rec.Code)
		}
	})
}
