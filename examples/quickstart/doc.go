// Command quickstart is a small SaaS app with onboardkit mounted: enterprise
// SSO (ssokit), SCIM provisioning (scimkit), the admin portal (portal), the
// operator dashboard (dashboard) and the management API (mgmtapi), plus the
// development simulators of an identity provider (idpsim) and of a directory
// (scimsim). Run it with
//
//	go run ./examples/quickstart
//
// and open the printed URLs. Flags: -addr (default 127.0.0.1:8080), -db
// (default onboardkit-quickstart.db, an SQLite file created on first start)
// and -scim-unlimited (lifts SCIM's per-directory rate limit, for a load
// test such as TestMemory).
//
// On first start it creates a demo organization, "Example Corp", with the
// verified domain example.com (verified manually, as an operator would), a
// SAML connection and an OIDC connection to the mounted IdP simulator, and a
// SCIM directory. The connections are created and configured through
// ssokit's management API, then tested with a real login against the
// simulator (as an IT admin does from the portal) and activated.
//
// Restarting on the same database keeps the data and prints the same URLs,
// portal link and SCIM token. onboardkit shows a secret once and stores only
// its SHA-256 digest, so it cannot print them again by itself: the
// quickstart keeps a demo-only secrets file beside the database,
// <db>.demo-secrets.json (mode 0600, with a "DEVELOPMENT ONLY: plaintext
// demo secrets" warning inside), holding the shareable portal link's token,
// the demo SCIM token and the IdP simulator's signing key and certificate
// (PEM). On a restart it reuses the link while the Store still accepts it
// (found by its digest, neither revoked nor expired, else a new link is
// generated and the older demo links revoked), the token while it is still
// active for the directory (else the directory's tokens are revoked and a
// new one created), and the simulator's key, so that the SAML connection,
// which trusts the simulator's certificate, stays active without a new
// test. A connection is configured, tested and activated again only when
// the simulator's URL (the -addr port) or key changed. Deleting the secrets
// file rotates everything on the next start: a new link and token (the old
// ones revoked) and a new simulator key.
//
// The trade-off: the secrets file is a plaintext copy of credentials that
// open the organization's portal and write its directory, readable by
// anyone who can read the file. That is acceptable for a demo on a
// developer's machine and nowhere else. A production host shows a token or
// link once, lets its customer copy it, and issues a new one when it is
// lost; onboardkit's own storage never holds a plaintext secret.
//
// The quickstart is a development tool: the IdP simulator signs any
// identity its visitor types in and the dashboard has no staff login, so it
// refuses to listen anywhere but on a loopback address.
package main
