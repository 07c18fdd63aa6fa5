package ssokit_test

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store/memstore"
)

func ExampleNew() {
	st := memstore.New() // sqlitestore.Open or pgstore.Open in an application
	sso, err := ssokit.New(ssokit.Config{
		Store:   st,
		BaseURL: "https://app.example.com/sso",
		OnLogin: func(w http.ResponseWriter, r *http.Request, p *ssokit.Profile) {
			// Sign the user in, keyed by p.ID, then go where they were going.
			http.Redirect(w, r, p.ReturnTo, http.StatusSeeOther)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/sso/", http.StripPrefix("/sso", sso))

	// The IdP of connection "conn_123" is configured with these URLs.
	fmt.Println(sso.SAMLEntityID("conn_123"))
	fmt.Println(sso.SAMLACSURL("conn_123"))

	// An email whose domain no organization has verified has no SSO.
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/sso/start?email=jane@unknown.example", nil))
	fmt.Println(w.Code)
	// Output:
	// https://app.example.com/sso/saml/conn_123/metadata
	// https://app.example.com/sso/saml/conn_123/acs
	// 404
}

func ExampleSSO_StartLogin() {
	sso, err := ssokit.New(ssokit.Config{
		Store:   memstore.New(),
		BaseURL: "https://app.example.com/sso",
		OnLogin: func(w http.ResponseWriter, r *http.Request, p *ssokit.Profile) {},
	})
	if err != nil {
		log.Fatal(err)
	}
	// The host's own login form posts the email here.
	login := func(w http.ResponseWriter, r *http.Request) {
		err := sso.StartLogin(w, r, ssokit.StartOptions{Email: r.FormValue("email"), ReturnTo: r.FormValue("return_to")})
		switch {
		case err == nil: // redirected to the IdP
		case errors.Is(err, ssokit.ErrNoSSO), errors.Is(err, ssokit.ErrInvalidEmail):
			fmt.Fprintln(w, "password login")
		default:
			http.Error(w, "sign-in unavailable", ssokit.StatusCode(err))
		}
	}
	w := httptest.NewRecorder()
	login(w, httptest.NewRequest(http.MethodGet, "/login?email=bob@gmail.com", nil))
	fmt.Print(w.Body.String())
	// Output: password login
}

func ExampleSanitizeReturnTo() {
	allow := []string{"https://admin.example.com"}
	for _, s := range []string{"/reports?q=1", "https://admin.example.com/x", "//evil.example", "/\\evil.example", "javascript:alert(1)", "/%2F%2Fevil.example"} {
		fmt.Println(ssokit.SanitizeReturnTo(s, allow))
	}
	// Output:
	// /reports?q=1
	// https://admin.example.com/x
	// /
	// /
	// /
	// /
}

func ExampleProfileID() {
	// The same NameID at two connections is two different users.
	fmt.Println(ssokit.ProfileID("conn_a", "jane@example.com") != ssokit.ProfileID("conn_b", "jane@example.com"))
	// Output: true
}

// A host that keeps its own sessions ends the IdP session too when the
// user signs out: it ends its session first, then hands the browser to
// StartLogout, which comes back to ReturnTo once the IdP answered.
func ExampleSSO_StartLogout() {
	sso, err := ssokit.New(ssokit.Config{
		Store:   memstore.New(),
		BaseURL: "https://app.example.com/sso",
		OnLogin: func(w http.ResponseWriter, r *http.Request, p *ssokit.Profile) {
			// Keep p.ConnectionID, p.Subject, p.SubjectFormat,
			// p.SessionIndex and p.IDToken with the session.
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	logout := func(w http.ResponseWriter, r *http.Request) {
		// (Check CSRF, then end the application's session here.)
		err := sso.StartLogout(w, r, ssokit.LogoutOptions{
			ConnectionID: "conn_123", NameID: "jane@example.com", SessionIndex: "_idx1", ReturnTo: "/",
		})
		if err != nil { // ssokit.ErrNoIdPLogout: the IdP has no logout endpoint
			http.Redirect(w, r, "/", http.StatusSeeOther)
		}
	}
	w := httptest.NewRecorder()
	logout(w, httptest.NewRequest(http.MethodPost, "/logout", nil))
	fmt.Println(w.Code, w.Header().Get("Location"))

	// The IdP is given these URLs.
	fmt.Println(sso.SAMLSLOURL("conn_123"))
	fmt.Println(sso.OIDCPostLogoutRedirectURL("conn_456"))
	fmt.Println(sso.OIDCBackChannelLogoutURL("conn_456"))
	// Output:
	// 303 /
	// https://app.example.com/sso/saml/conn_123/slo
	// https://app.example.com/sso/oidc/conn_456/logout
	// https://app.example.com/sso/oidc/conn_456/backchannel-logout
}
