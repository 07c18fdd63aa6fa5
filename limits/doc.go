// Package limits keeps one tenant, or one client, from taking every cycle
// of an onboardkit endpoint: token buckets per key (Keyed) for the limits
// that are about load, a fixed-window attempt counter in the Store
// (Shared) for the limits that guard a secret and must hold across app
// instances, and the client address of a request (ClientIP).
//
// The kits use it through their Config: scimkit limits each directory
// (after its token was checked) and each client address sending requests
// that fail authentication (before the token is even looked at, once that
// address has used up its allowance); ssokit limits each connection's ACS,
// OIDC callback and logout endpoints and the refused-logout events one
// connection can write; portal counts link redemption attempts per
// client address in the Store; mgmtapi limits each client address. A
// refused request gets 429 Too Many Requests with a Retry-After header (in
// whole seconds) and the body its protocol expects (a SCIM error for SCIM).
//
// # Client address
//
// ClientIP takes the address from the connection (http.Request.RemoteAddr)
// unless that address is one of the host's trusted proxies; then, and only
// then, it walks X-Forwarded-For from the right, skipping trusted proxies,
// and takes the first address it does not trust. A header sent by the
// client itself is never believed: without TrustedProxies configured,
// X-Forwarded-For is ignored. Behind a load balancer, configure its
// addresses, or every request will seem to come from it and share one
// allowance. IPv6 clients are counted per /64, the block one subscriber
// usually holds.
package limits
