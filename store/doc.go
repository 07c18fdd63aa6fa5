// Package store defines onboardkit's data model and the Store interface that
// keeps it: organizations, their email domains, SSO connections, admin-portal
// links and sessions, SCIM directories with their tokens, users, groups and
// memberships, the event outbox, login flow state and branding.
//
// Three implementations ship with onboardkit: store/memstore (in memory, for
// tests), store/sqlitestore (the embedded default) and store/pgstore
// (PostgreSQL, for several app instances sharing one database). A host may
// write its own, for example on its existing tables, and prove it with the
// conformance suite in store/storetest:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			return mystore.New(openTestDB(t))
//		})
//	}
//
// # Contract
//
// Every method takes a context first and documents its not-found behaviour,
// ordering and idempotency. Outcomes are sentinel errors (ErrNotFound,
// ErrAlreadyExists, ErrConflict, ErrInvalid, ErrExpired, ErrUsed,
// ErrRevoked), tested with errors.Is.
//
// Changes that must be atomic are single Store methods, never read-then-write
// sequences in callers: a directory user change and its events
// (UpdateDirectoryUser), consuming a single-use portal link and creating the
// session (RedeemPortalLink), recording an assertion id only if absent
// (ConsumeAssertionID). Update methods take a function that receives a copy
// of the current row and returns the events to append; the Store runs it
// inside the write so that no concurrent update is lost; it must not call
// the Store and may run more than once (a write aborted by a transient
// conflict is retried). UpdateBranding does the same for branding, creating
// it when absent.
//
// Writes that a flow makes anyway carry that flow's events: a login's
// success event rides on the write that accepts it (CompleteLogin: consume
// the request if it is the connection's and the browser's, record the
// assertion id, check the connection's Version, and read the domain and
// directory facts the login is judged on, at once) and
// a logout's on DeletePortalSession, so a successful SAML login is one
// write.
//
// Revoking a portal link (RevokePortalLink) deletes the sessions created
// from it in the same write, so a session lookup alone tells whether a
// visitor may continue. A SCIM request is authenticated with one read
// (AuthenticateDirectoryToken: the token and its directory).
//
// Secrets (portal link tokens, portal session ids, SCIM bearer tokens, API
// keys) are never stored: only their SHA-256 digests, looked up by digest.
// Secrets that must be read back (connection SP keys and OIDC client
// secrets, session ID tokens, Google service-account keys) are sealed at
// rest by every Store under the host's keyring and returned opened; see
// store/seal and SecretStore.
//
// Time is always an argument: expiry is judged against the now the caller
// passes, so hosts and tests control the clock.
//
// # Text and people's identifiers
//
// Every string a Store keeps is valid UTF-8 without control characters:
// the Validate methods, which every Store calls before it writes, refuse
// anything else with a *TextError (wrapping ErrInvalid) that names the
// field, so that every Store gives the same answer to text that one of
// them could not hold (PostgreSQL refuses a NUL and bytes that are not
// UTF-8). ValidateLine is the rule for names and identifiers, ValidateText
// for free text inside a SCIM resource.
//
// userNames and email addresses are compared, indexed and kept unique by
// MatchKey (Unicode NFC normalization and full case folding), while the
// value as given is what reads return. The SQL Stores keep the key in a
// column beside the value; their migration 0002 recomputed it for rows
// written before (see store/sqlitestore's doc).
//
// # Retention
//
// Every kind of row has a bound. Flow state and the outbox are removed by
// Cleanup, which ssokit's Run calls every hour (a host without ssokit calls
// it on its own schedule): one app instance at a time, under the lease
// CleanupLease, in batches of CleanupBatch rows, each its own short write.
//
//	login requests        consumed by the login, else removed by DeleteExpired once
//	                      expired (ssokit.Config.RequestTTL, 10 minutes)
//	assertion ids         the replay cache: removed by DeleteExpired after the
//	                      assertion's NotOnOrAfter (minutes)
//	portal sessions       removed at logout, with their link's revocation, and by
//	                      DeleteExpired once expired (6 hours for embedded ones)
//	end-user sessions     ended (logout, revocation) but kept until their idle or
//	                      absolute expiry, then removed by DeleteExpired (package
//	                      ssokit/session: 1 hour idle, 12 hours absolute); removed
//	                      with their organization
//	portal links          embedded: removed by DeleteExpired once expired (1
//	                      minute); shareable: 30 days after expiry, so that their
//	                      holder is told the link expired rather than unknown
//	events                removed by DeleteEvents once older than the retention
//	                      (ssokit.Config.EventRetention, 90 days) and processed
//	                      by every consumer with a recorded cursor; the newest
//	                      event always stays
//	consumer cursors      one row per durable consumer name (events.Subscriber);
//	                      each holds event retention back to its cursor until
//	                      DeleteConsumerCursor forgets a retired consumer
//	leases                one row per named job, removed when released
//	event counter         one row
//	organizations,        the host's and the IdPs' data: kept until deleted through
//	domains, connections, the kits (SCIM DELETE, the portal, the Admin API);
//	directories, users,   deleting an organization deletes everything it owns
//	groups, memberships,
//	branding, role
//	mappings, provisioning
//	policies, attribute
//	mappings
//	stale roles           one row per directory user a role mapping change left
//	                      to recompute, removed by RecomputeRoles and with the user
//	deprovisioned users   one row per address of a user a directory deleted
//	                      (Deprovisioned), kept so that the person cannot sign
//	                      in again by just-in-time provisioning: removed when a
//	                      directory of the organization provisions an active
//	                      user with the address again, and with the organization;
//	                      a few dozen bytes per address, they grow only with the
//	                      organization's leavers
//	directory tokens,     kept with their owner, revoked and expired ones included,
//	API keys              as the record of who had access; they grow only with
//	                      rotations and new keys
package store
