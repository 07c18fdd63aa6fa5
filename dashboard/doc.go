// Package dashboard is the operator dashboard: the host's staff view of
// every organization, over the admin service (package admin). It lists
// organizations with search and each one's SSO, directory and domain
// status at a glance; an organization's page has "Generate link" (the
// link, its expiry and a copy button, shown once), its links with
// revocation, its domains (add, check DNS now, verify manually, remove),
// its connections and directories (enable, disable), editing and
// deletion; then branding (accent colour with a live preview, logo,
// favicon; host-wide or per organization), the audit log with filters by
// organization, type prefix and cursor, and the management API keys.
//
// The dashboard has no login of its own. Mount it behind the host's staff
// authentication, and say who the operator is for the audit log:
//
//	dash, err := dashboard.New(dashboard.Config{
//		Admin:    svc,
//		BaseURL:  "https://app.example.com/dashboard",
//		Operator: func(r *http.Request) string { return staffFrom(r.Context()).Email },
//	})
//	if err != nil {
//		return err
//	}
//	mux.Handle("/dashboard/", requireStaff(http.StripPrefix("/dashboard", dash)))
//
// # Security model
//
// Its forms are protected like the portal's: a change must come from
// BaseURL's origin (Sec-Fetch-Site, else Origin) and carry a CSRF token
// matching a double-submit cookie (__Host- prefixed over https, SameSite
// Strict), compared in constant time. Responses are no-store, with
// Referrer-Policy strict-origin, and carry a strict CSP with frame-ancestors 'none' and
// script-src <BaseURL>/assets/, the dashboard's own assets; the pages have
// no inline script or style. Refused changes show the service's message;
// other failures are logged and shown as a generic page.
package dashboard

//go:generate go tool templ generate -include-version=false
