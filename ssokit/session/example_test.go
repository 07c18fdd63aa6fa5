package session_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/onboardkit/onboardkit/ssokit/session"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// A host guards its pages with RequireLogin: a browser without a session
// is sent to the SSO start with return_to, an API client gets 401.
func ExampleManager_RequireLogin() {
	sess, err := session.New(session.Config{Store: memstore.New(), LoginURL: "/sso/start"})
	if err != nil {
		log.Fatal(err)
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := session.ProfileFromContext(r.Context())
		fmt.Fprintf(w, "Hello %s", p.Email)
	})
	mux := http.NewServeMux()
	mux.Handle("POST /logout", sess.Logout())
	mux.Handle("/app/", sess.RequireLogin(app))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "https://app.example.com/app/reports?q=1", nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"))

	api := httptest.NewRequest("GET", "https://app.example.com/app/data", nil)
	api.Header.Set("Accept", "application/json")
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, api)
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// 303 /sso/start?return_to=%2Fapp%2Freports%3Fq%3D1
	// 401 {"error":"login_required","login_url":"/sso/start?return_to=%2Fapp%2Fdata"}
}
