// Command quickstart is a small SaaS app with onboardkit mounted: enterprise
// SSO (ssokit), SCIM provisioning (scimkit), the admin portal and the
// operator dashboard (portal), plus the development simulators of an
// identity provider (idpsim) and of a directory (scimsim). Run it with
//
//	go run ./examples/quickstart
//
// and open the printed URLs. Flags: -addr (default 127.0.0.1:8080) and -db
// (default onboardkit-quickstart.db, an SQLite file created on first start).
//
// On first start it creates a demo organization, "Example Corp", with the
// verified domain example.com (verified manually, as an operator would), a
// SAML connection and an OIDC connection to the mounted IdP simulator, and a
// SCIM directory. The connections are created and configured through
// ssokit's management API, then tested with a real login against the
// simulator (as an IT admin does from the portal) and activated. Restarting
// on the same database keeps everything; the simulator's signing key and
// URL may differ from one start to the next, and a changed IdP
// configuration sends a connection back to draft, so the quickstart
// configures, tests and activates it again.
//
// Secrets are shown once and stored only as SHA-256 digests, so a restart
// cannot print the previous SCIM token or portal link again. The quickstart
// therefore rotates them: every start creates a new SCIM bearer token and a
// new shareable portal link, prints them, and revokes the ones the previous
// start created. An IdP configured with an older token must be given the new
// one.
//
// The quickstart is a development tool: the IdP simulator signs any
// identity its visitor types in and the dashboard has no staff login, so it
// refuses to listen anywhere but on a loopback address.
package main
