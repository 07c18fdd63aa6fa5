// Command multiinstance runs two instances of an app on one PostgreSQL
// database, behind a small round-robin reverse proxy, to show that
// onboardkit keeps nothing in an instance's memory that a login, a SCIM
// request or a session needs: a SAML login started on one instance
// finishes on the other, the user's session (package ssokit/session) is
// honoured by both, a user created through one is found through the
// other, a portal link redeemed on one gives a session the other honours,
// and a SCIM deactivation received by one instance signs the user out of
// both within a second.
//
//	go run ./examples/multiinstance -dsn 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//
// Flags: -addr, where the proxy listens (default 127.0.0.1:8090; browsers
// and the IdP only ever see this address), and -dsn (default $DATABASE_URL).
// Every response says which instance served it in the X-Instance header, and
// the app's pages show it.
//
// The two instances run in one process here for convenience, but share
// nothing in memory: each opens its own pgstore pool and builds its own
// ssokit, scimkit and portal. Only the configuration is shared, as it would
// be between two deployments: the public URL. The
// IdP simulator (idpsim) keeps its own state in memory and runs once, beside
// them, as an outside identity provider would.
package main
