package main

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/onboardkit/onboardkit/events"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/ssokit/session"
	"github.com/onboardkit/onboardkit/store"
)

// onLogin is ssokit's OnLogin: it starts the user's session and sends the
// browser on (session.Manager.OnLogin does the same, to p.ReturnTo).
func (a *app) onLogin(w http.ResponseWriter, r *http.Request, p *ssokit.Profile) {
	if _, err := a.sessions.Start(w, r, p); err != nil {
		a.logger.ErrorContext(r.Context(), "quickstart: setting the session", "err", err)
		http.Error(w, "sign-in failed", http.StatusInternalServerError)
		return
	}
	to := p.ReturnTo
	if to == "" || to == "/" {
		to = "/me"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// homeView is what the home page shows.
type homeView struct {
	User    *ssokit.Profile
	Demo    *demo
	Email   string
	Message string
	Choices []store.Connection // when an email's organization has several connections
}

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	d, err := a.currentDemo()
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "home", homeView{User: a.user(r), Demo: d})
}

// login starts an SSO login by email (routed through verified domains) or
// with a chosen connection.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	d, err := a.currentDemo()
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	email, connID := r.FormValue("email"), r.FormValue("connection")
	err = a.sso.StartLogin(w, r, ssokit.StartOptions{Email: email, ConnectionID: connID, ReturnTo: "/me"})
	v := homeView{User: a.user(r), Demo: d, Email: email}
	var choose *ssokit.ChooseConnectionError
	switch {
	case err == nil:
		return // redirected to the identity provider
	case errors.As(err, &choose):
		// The error carries the organization's active connections.
		v.Message, v.Choices = "Your organization has several sign-in methods: choose one.", choose.Connections
		a.render(w, r, http.StatusOK, "home", v)
	case errors.Is(err, ssokit.ErrNoSSO):
		v.Message = "There is no single sign-on for this email address. (Try an address @" + demoDomain + ".)"
		a.render(w, r, http.StatusNotFound, "home", v)
	case errors.Is(err, ssokit.ErrInvalidEmail):
		v.Message = "That is not a valid email address."
		a.render(w, r, http.StatusBadRequest, "home", v)
	default:
		a.logger.ErrorContext(r.Context(), "quickstart: starting a login", "err", err)
		v.Message = "Single sign-on is unavailable right now."
		a.render(w, r, ssokit.StatusCode(err), "home", v)
	}
}

// testConnection starts a "test connection" flow: the result page shows
// the claims received or the diagnosis, and a successful test lets a draft
// connection be activated. The portal offers the same to IT admins.
func (a *app) testConnection(w http.ResponseWriter, r *http.Request) {
	err := a.sso.StartTest(w, r, r.FormValue("connection"), "/")
	if err != nil {
		a.logger.InfoContext(r.Context(), "quickstart: test refused", "err", err)
		http.Error(w, "This connection cannot be tested.", ssokit.StatusCode(err))
	}
}

// onTestResult is ssokit's OnTestResult. It also ends the tests the portal
// starts, in the popup the portal opened: the portal page shows the result
// by itself.
func (a *app) onTestResult(w http.ResponseWriter, r *http.Request, res *ssokit.TestResult) {
	a.render(w, r, http.StatusOK, "testresult", res)
}

// user returns the signed-in user of a page open to everyone, or nil.
func (a *app) user(r *http.Request) *ssokit.Profile {
	p, _ := a.sessions.Current(r)
	return p
}

// meView is the profile page: the profile and the logout form's token.
type meView struct {
	*ssokit.Profile
	CSRF string
}

// me is behind RequireLogin: the profile is in the request's context.
func (a *app) me(w http.ResponseWriter, r *http.Request) {
	p, _ := session.ProfileFromContext(r.Context())
	a.render(w, r, http.StatusOK, "me", meView{Profile: p, CSRF: a.sessions.CSRFToken(r)})
}

// eventsPage shows the latest events of the outbox, newest first, through
// the pull API's Go form. The page refreshes itself.
func (a *app) eventsPage(w http.ResponseWriter, r *http.Request) {
	const shown = 100
	last, err := a.store.LastEventCursor(r.Context())
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	page, err := events.Pull(r.Context(), a.store, events.PullQuery{After: max(0, last-shown), Limit: shown})
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	list := page.Events
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	a.render(w, r, http.StatusOK, "events", list)
}

func (a *app) serverError(w http.ResponseWriter, r *http.Request, err error) {
	a.logger.ErrorContext(r.Context(), "quickstart: request failed", "path", r.URL.Path, "err", err)
	http.Error(w, "Something went wrong; the cause is in the log.", http.StatusInternalServerError)
}

// render executes the page template name into a buffer first, so that a
// template error does not leave half a page.
func (a *app) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := a.pages.ExecuteTemplate(&buf, name, data); err != nil {
		a.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

func parsePages() (*template.Template, error) {
	return template.New("pages").Funcs(template.FuncMap{
		"since": func(t time.Time) string { return time.Since(t).Round(time.Second).String() },
	}).Parse(pagesHTML)
}

const pagesHTML = `
{{define "top"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Quickstart SaaS</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1f2937}
nav a{margin-right:1rem}header{border-bottom:1px solid #e5e7eb;margin-bottom:1rem}
.card{border:1px solid #e5e7eb;border-radius:.5rem;padding:1rem;margin:1rem 0}
button,.button{background:#0f766e;color:#fff;border:0;border-radius:.3rem;padding:.4rem .8rem;text-decoration:none;display:inline-block;cursor:pointer}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e5e7eb;padding:.25rem .5rem;text-align:left;vertical-align:top}
code,pre{font-size:.85em}pre{white-space:pre-wrap;word-break:break-all;background:#f9fafb;padding:.5rem}
.msg{background:#fef3c7;padding:.5rem 1rem;border-radius:.3rem}.muted{color:#6b7280}
</style></head><body>
<header><nav><strong>Quickstart SaaS</strong> ·
<a href="/">Home</a><a href="/me">Profile</a><a href="/events">Events</a><a href="/dashboard/">Dashboard</a>
<a href="/idp/">IdP simulator</a><a href="/dirsim/">Directory simulator</a></nav></header>
{{end}}
{{define "bottom"}}</body></html>{{end}}

{{define "home"}}{{template "top"}}
<h1>Welcome to Quickstart SaaS</h1>
{{with .User}}<p>Signed in as <strong>{{.Email}}</strong> — <a href="/me">your profile</a>.</p>{{end}}
{{with .Message}}<p class="msg" data-testid="message">{{.}}</p>{{end}}
{{if .Choices}}<div class="card"><h2>Choose how to sign in</h2>
{{range .Choices}}<a class="button" href="/login?connection={{.ID}}">{{.Name}}</a> {{end}}</div>{{end}}
<div class="card"><h2>Sign in with SSO</h2>
<form method="get" action="/login" data-testid="sso-form">
<label>Work email <input type="email" name="email" value="{{.Email}}" placeholder="alice@example.com" required></label>
<button type="submit">Sign in with SSO</button></form>
<p>Or use a connection of {{.Demo.OrgName}} directly:
<a class="button" href="/login?connection={{.Demo.SAMLConnectionID}}" data-testid="saml">Sign in with SAML</a>
<a class="button" href="/login?connection={{.Demo.OIDCConnectionID}}" data-testid="oidc">Sign in with OIDC</a></p>
<p>IdP-initiated: open the <a href="/idp/saml/idp-initiated">simulator's launcher</a> and send a response to "Quickstart SaaS (SAML)".</p>
<p>Test a connection as an IT admin would (the result page shows the claims or the diagnosis; try a fault on the simulator's page):
<a href="/connections/test?connection={{.Demo.SAMLConnectionID}}">test SAML</a> ·
<a href="/connections/test?connection={{.Demo.OIDCConnectionID}}">test OIDC</a></p>
</div>
<div class="card"><h2>For the customer's IT admin</h2>
<p>The portal link was printed in the terminal when the app started. Operators generate new links in the <a href="/dashboard/orgs/{{.Demo.OrgID}}">dashboard</a>.</p>
<p>SCIM base URL: <code>{{.Demo.SCIMBaseURL}}</code> (the bearer token was printed at start). Push users with the <a href="/dirsim/">directory simulator</a> (Okta and Entra ID dialects).</p>
<p>Everything that happens lands in the <a href="/events">event feed</a>. The management API is mounted at <code>/api/onboardkit/</code>; create a key on the dashboard's <a href="/dashboard/api-keys">API keys</a> page.</p></div>
{{template "bottom"}}{{end}}

{{define "me"}}{{template "top"}}
<h1>Signed in</h1>
<p>This is the <code>ssokit.Profile</code> OnLogin received, kept with the session in the Store (the cookie holds only a random id).
Deactivate this user in the <a href="/dirsim/">directory simulator</a> and reload: you are signed out.
Add the user to a group there, map the group to a role on the portal's "Roles and access" page, and reload: the roles follow, without signing in again.</p>
<table data-testid="profile">
<tr><th>Profile ID</th><td data-testid="profile-id">{{.ID}}</td></tr>
<tr><th>Email</th><td data-testid="email">{{.Email}}</td></tr>
<tr><th>Name</th><td>{{.FirstName}} {{.LastName}} ({{.DisplayName}})</td></tr>
<tr><th>Subject</th><td>{{.Subject}}</td></tr>
<tr><th>Groups</th><td>{{range .Groups}}{{.}} {{end}}</td></tr>
<tr><th>Roles</th><td data-testid="roles">{{range $i, $r := .Roles}}{{if $i}} {{end}}{{$r}}{{end}}</td></tr>
{{range $k, $v := .Custom}}<tr><th>{{$k}}</th><td data-testid="custom-{{$k}}">{{$v}}</td></tr>
{{end}}<tr><th>Organization</th><td data-testid="org">{{.OrgID}}</td></tr>
<tr><th>Connection</th><td>{{.ConnectionID}} ({{.Provider}})</td></tr>
<tr><th>Protocol</th><td data-testid="protocol">{{.Protocol}}</td></tr>
<tr><th>IdP-initiated</th><td data-testid="idp-initiated">{{.IdPInitiated}}</td></tr>
</table>
<h2>Attributes</h2>
<table>{{range $k, $v := .Attributes}}<tr><th><code>{{$k}}</code></th><td>{{range $v}}{{.}} {{end}}</td></tr>{{end}}</table>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{{.CSRF}}"><button type="submit" data-testid="sign-out">Sign out</button></form>
{{template "bottom"}}{{end}}

{{define "testresult"}}{{template "top"}}
<h1>Connection test</h1>
{{with .Profile}}<p class="msg" data-testid="test-ok">The test succeeded: the connection is <strong>{{$.State}}</strong>.</p>
<table><tr><th>Subject</th><td>{{.Subject}}</td></tr><tr><th>Email</th><td>{{.Email}}</td></tr>
{{range $k, $v := .Attributes}}<tr><th><code>{{$k}}</code></th><td>{{range $v}}{{.}} {{end}}</td></tr>{{end}}</table>{{end}}
{{with .Err}}<p class="msg" data-testid="test-failed">The test failed: <strong>{{.Reason}}</strong>. {{.Detail}}</p>
{{with .ExpectedAudience}}<p>Expected audience <code>{{.}}</code>, received {{range $.Err.Audiences}}<code>{{.}}</code> {{end}}</p>{{end}}
{{with .ExpectedIssuer}}<p>Expected issuer <code>{{.}}</code>, received <code>{{$.Err.Issuer}}</code></p>{{end}}
{{with .TrustedThumbprints}}<p>Trusted certificates {{range .}}<code>{{.}}</code> {{end}}; the message was signed by {{range $.Err.CertificateThumbprints}}<code>{{.}}</code> {{end}}</p>{{end}}{{end}}
<p>{{if and .Profile (ne .Profile.ReturnTo "/")}}Started from the admin portal: close this window, the portal shows the result.{{else}}<a href="/">Back</a>{{end}}</p>
{{template "bottom"}}{{end}}

{{define "events"}}{{template "top"}}
<h1>Events</h1>
<p class="muted">The latest events of the outbox, newest first (the JSON pull API is at <a href="/api/events">/api/events</a>). <a href="/events">Refresh</a>.</p>
<table data-testid="events"><tr><th>#</th><th>Type</th><th>Actor</th><th>Subject</th><th>Age</th><th>Data</th></tr>
{{range .}}<tr><td>{{.Cursor}}</td><td>{{.Type}}</td><td>{{.Actor}}</td><td><code>{{.Subject}}</code></td><td>{{since .CreatedAt}}</td><td><code>{{printf "%s" .Data}}</code></td></tr>
{{else}}<tr><td colspan="6">No events yet.</td></tr>{{end}}</table>
{{template "bottom"}}{{end}}

`
