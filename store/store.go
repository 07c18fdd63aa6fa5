package store

import (
	"context"
	"time"
)

// Store is everything onboardkit keeps. It is composed of small per-entity
// interfaces; an implementation must satisfy all of them and pass
// storetest.Run.
//
// Common contract, for every method:
//   - ctx is first; a cancelled ctx makes the call fail with ctx.Err()
//     (possibly wrapped) and write nothing. A ctx that ends while a write
//     runs either stops it (ctx.Err(), nothing written) or does not (nil,
//     all written): the answer always says what was kept, so a write is
//     never cut off in its commit.
//   - Empty ids and malformed arguments fail with ErrInvalid before anything
//     is written.
//   - Get methods return ErrNotFound when nothing matches.
//   - Delete methods are idempotent: deleting what is absent returns nil,
//     unless the method says otherwise.
//   - Times are returned in UTC. Expiry is judged against the now argument
//     the caller passes, never against the Store's own wall clock, so that a
//     host or a test controls time.
//   - A method that writes several rows (an entity and its events, a
//     redemption and the session it creates) writes all of them or none.
//   - Returned values are copies: mutating them does not change the Store.
//   - json.RawMessage fields (event Data, user and group Attributes) must be
//     valid JSON when non-empty, else ErrInvalid.
//   - Repeating a revocation keeps the first revocation time and returns nil.
//   - List methods on an unknown organization or directory return an empty
//     list and no error. An empty list may be nil or a non-nil empty slice;
//     callers test len, never nil.
//   - Create methods set the fields the Store assigns on their argument as
//     well as on the stored row: Version (1) of connections, directory users
//     and groups, and OrgID (taken from the directory) of directory users and
//     groups.
//   - Update methods take a function fn that receives a copy of the current
//     row and runs inside the write. fn must not call the Store (on SQLite
//     the write holds the only write connection, so such a call would wait
//     forever) and must be safe to run more than once: a write aborted by a
//     transient conflict (a deadlock or serialization failure between
//     concurrent transactions) is retried as a whole, fn included. fn should
//     only compute the change from its argument and captured values.
//   - Events passed to or returned for a write are appended only when the
//     write succeeds, in the same transaction.
//   - A write that takes a person's access away ends the end-user sessions
//     it concerns in the same transaction, appending one "session.ended"
//     event per session after the write's own events (see SessionStore and
//     CauseEnd): deactivating or deleting a directory user, deleting a
//     directory, deactivating or deleting a connection, unverifying or
//     deleting a verified domain, deleting an organization. Each method
//     says which sessions.
type Store interface {
	OrganizationStore
	DomainStore
	ConnectionStore
	PortalStore
	DirectoryStore
	EventStore
	LoginStore
	BrandingStore
	APIKeyStore
	LeaseStore
	SessionStore
	GoogleDirectoryStore
	RoleStore
	PolicyStore
	AttributeStore
	RateStore
	SecretStore

	// DeleteExpired removes login requests, consumed assertion ids, portal
	// sessions and embedded portal links whose expiry is at or before now,
	// attempt counters whose window ended at or before now,
	// end-user sessions whose idle or absolute expiry is at or before now
	// (ended or not), and shareable links expired for more than 30 days. It
	// returns how many rows it removed. It works in batches of at most
	// CleanupBatch rows, each its own short write, so that it never holds a
	// database's write lock for long; when ctx ends between batches it
	// returns the count so far with ctx's error. Run it from one app
	// instance at a time (the kits' background work takes a lease for it).
	DeleteExpired(ctx context.Context, now time.Time) (int, error)

	// Close releases the Store's resources.
	Close() error
}

// SecretStore moves the secrets a Store keeps sealed (the SP private key
// and OIDC client secret of connections, the ID token of end-user
// sessions, the Google service-account key; see store/seal) to the host's
// current key.
type SecretStore interface {
	// ResealSecrets seals again, under the keyring's primary key, every
	// stored secret sealed under another key or not sealed at all (written
	// before sealing existed). Each record is its own short write that
	// changes nothing else: no Version, UpdatedAt or event. It returns how
	// many records it resealed. A record whose secret does not open (its
	// key was dropped from the keyring) is left as it is and the error,
	// returned after the other records are done, names it. When ctx ends
	// it returns the count so far with ctx's error. Without a keyring it
	// does nothing. Safe to run from several instances at once.
	ResealSecrets(ctx context.Context) (int, error)
}

// HealthChecker is an optional capability of a Store, found by type
// assertion (package health uses it): CheckHealth reports whether the
// Store can serve now: its database answers a read, and every migration
// this program knows is applied (else an error wrapping
// ErrMigrationsPending).
type HealthChecker interface {
	CheckHealth(ctx context.Context) error
}

// OrganizationStore keeps organizations.
type OrganizationStore interface {
	// CreateOrganization stores o. o.ID and o.Name are required.
	// ErrAlreadyExists when the id, or a non-empty ExternalID, is taken.
	// events are appended in the same write.
	CreateOrganization(ctx context.Context, o *Organization, events ...Event) error

	// GetOrganization returns the organization with id, or ErrNotFound.
	GetOrganization(ctx context.Context, id string) (*Organization, error)

	// GetOrganizationByExternalID returns the organization whose ExternalID
	// equals externalID (case-sensitively), or ErrNotFound.
	GetOrganizationByExternalID(ctx context.Context, externalID string) (*Organization, error)

	// UpdateOrganization loads the organization id, passes a copy to fn and
	// stores fn's changes with the events it returns, atomically. fn must not
	// change ID or CreatedAt. If fn returns an error nothing is written and
	// that error is returned. ErrNotFound when id does not exist;
	// ErrAlreadyExists when the new ExternalID is taken.
	UpdateOrganization(ctx context.Context, id string, fn func(*Organization) ([]Event, error)) (*Organization, error)

	// ListOrganizations returns up to q.Limit organizations ordered by
	// (CreatedAt, ID), and whether more follow.
	ListOrganizations(ctx context.Context, q OrganizationQuery) ([]Organization, bool, error)

	// OrganizationSetups returns how many connections, directories and
	// domains each of orgIDs (at most MaxSetupOrganizations) has, by
	// state, in one read whatever their number: what a list of
	// organizations shows beside each. An organization that has none, or
	// does not exist, has the zero OrganizationSetup.
	OrganizationSetups(ctx context.Context, orgIDs []string) (map[string]OrganizationSetup, error)

	// DeleteOrganization removes the organization and everything that belongs
	// to it (domains, connections, links, sessions, directories with their
	// tokens, users, groups and memberships, login requests, branding, and
	// end-user sessions, each of which first ends with a "session.ended"
	// event of reason SessionEndedOrganizationDeleted). Its events stay in
	// the outbox. Idempotent.
	DeleteOrganization(ctx context.Context, id string, events ...Event) error
}

// DomainStore keeps the email domains of organizations.
type DomainStore interface {
	// CreateDomain stores d. ID, OrgID, Name, a valid State and Method are
	// required. ErrNotFound when the organization does not exist;
	// ErrAlreadyExists when the organization already has this name;
	// ErrConflict when d is verified and another organization holds the name
	// verified.
	CreateDomain(ctx context.Context, d *Domain, events ...Event) error

	// GetDomain returns the domain with id, or ErrNotFound.
	GetDomain(ctx context.Context, id string) (*Domain, error)

	// GetVerifiedDomain returns the verified domain with this exact name, or
	// ErrNotFound. This is the lookup of email routing; it is indexed.
	GetVerifiedDomain(ctx context.Context, name string) (*Domain, error)

	// ListDomains returns the organization's domains ordered by name. An
	// unknown organization has none.
	ListDomains(ctx context.Context, orgID string) ([]Domain, error)

	// ListDomainsByName returns every organization's claim on name, ordered
	// by CreatedAt.
	ListDomainsByName(ctx context.Context, name string) ([]Domain, error)

	// ListDomainsDue returns up to limit domains whose NextCheckAt is non-zero
	// and at or before now, oldest NextCheckAt first.
	ListDomainsDue(ctx context.Context, now time.Time, limit int) ([]Domain, error)

	// UpdateDomain loads the domain id, passes a copy to fn and stores fn's
	// changes and events atomically; no concurrent update is lost. fn must not
	// change ID, OrgID, Name or CreatedAt. ErrNotFound when absent;
	// ErrConflict when the change would make the domain verified while
	// another organization holds the name verified. An error from fn aborts.
	// When the change takes a verified domain out of the verified state,
	// the organization's sessions whose EmailDomain is the domain's name end
	// (SessionEndedDomainUnverified).
	UpdateDomain(ctx context.Context, id string, fn func(*Domain) ([]Event, error)) (*Domain, error)

	// DeleteDomain removes the domain. Idempotent. Deleting a verified
	// domain ends the sessions UpdateDomain ends when it stops being
	// verified.
	DeleteDomain(ctx context.Context, id string, events ...Event) error
}

// ConnectionStore keeps SSO connections.
type ConnectionStore interface {
	// CreateConnection stores c with Version 1 (set on c too). ID, OrgID, a
	// valid Protocol and State are required, and the config matching
	// Protocol. ErrNotFound when the organization does not exist;
	// ErrAlreadyExists when the id is taken.
	CreateConnection(ctx context.Context, c *Connection, events ...Event) error

	// GetConnection returns the connection with id, or ErrNotFound. This is
	// the lookup of every login; it is by primary key.
	GetConnection(ctx context.Context, id string) (*Connection, error)

	// ListConnections returns the organization's connections ordered by
	// (CreatedAt, ID).
	ListConnections(ctx context.Context, orgID string) ([]Connection, error)

	// ListConnectionsByProtocol returns every connection of the protocol,
	// across organizations, ordered by ID; for background work such as
	// metadata refresh.
	ListConnectionsByProtocol(ctx context.Context, p Protocol) ([]Connection, error)

	// UpdateConnection loads, passes a copy to fn, stores fn's changes with
	// Version incremented and fn's events, atomically. fn must not change
	// ID, OrgID, CreatedAt or Version. ErrNotFound when absent; an error
	// from fn aborts. Callers caching per-connection state key it on
	// (ID, Version). A change that takes the connection out of
	// ConnectionActive ends its sessions (SessionEndedConnectionDeactivated).
	UpdateConnection(ctx context.Context, id string, fn func(*Connection) ([]Event, error)) (*Connection, error)

	// DeleteConnection removes the connection and ends its sessions
	// (SessionEndedConnectionDeleted). Idempotent.
	DeleteConnection(ctx context.Context, id string, events ...Event) error
}

// PortalStore keeps admin-portal links and sessions.
type PortalStore interface {
	// CreatePortalLink stores l. ID, OrgID, a valid Kind, Digest (32 bytes)
	// and ExpiresAt are required. ErrNotFound when the organization does not
	// exist; ErrAlreadyExists when the id or digest is taken.
	CreatePortalLink(ctx context.Context, l *PortalLink, events ...Event) error

	// GetPortalLink returns the link with id, or ErrNotFound.
	GetPortalLink(ctx context.Context, id string) (*PortalLink, error)

	// GetPortalLinkByDigest returns the link whose Digest equals digest, or
	// ErrNotFound. It does not consume or judge it.
	GetPortalLinkByDigest(ctx context.Context, digest []byte) (*PortalLink, error)

	// ListPortalLinks returns the organization's links, newest first.
	ListPortalLinks(ctx context.Context, orgID string) ([]PortalLink, error)

	// RevokePortalLink marks the link revoked at now and deletes every
	// session created from it, in the same write, so that a revoked link's
	// visitors are signed out at their next request. Revoking a revoked link
	// keeps the first time, appends no events and returns nil. ErrNotFound
	// when absent.
	RevokePortalLink(ctx context.Context, id string, now time.Time, events ...Event) error

	// RedeemPortalLink exchanges a link token for a new session, in one
	// guarded write: the link with digest must exist (ErrNotFound), not be
	// revoked (ErrRevoked), not be expired at now (ErrExpired), and, for an
	// embedded link, not have been used (ErrUsed). On success the link's
	// UsedAt is set if it was zero and s is stored with OrgID, LinkID and
	// Features taken from the link. Of any number of concurrent redemptions
	// of one embedded link exactly one succeeds. The stored session is
	// returned.
	RedeemPortalLink(ctx context.Context, digest []byte, now time.Time, s *PortalSession, events ...Event) (*PortalSession, error)

	// GetPortalSession returns the session whose Digest equals digest.
	// ErrNotFound when absent; ErrExpired when its ExpiresAt is at or before
	// now.
	GetPortalSession(ctx context.Context, digest []byte, now time.Time) (*PortalSession, error)

	// DeletePortalSession removes the session with id (a logout), appending
	// events in the same write only when the session existed. Idempotent.
	DeletePortalSession(ctx context.Context, id string, events ...Event) error

	// DeletePortalSessions ends every portal session of the organization
	// (an operator's "sign everyone out") and returns how many it removed.
	// events are appended in the same write, even when there were none to
	// remove. An unknown organization has none.
	DeletePortalSessions(ctx context.Context, orgID string, events ...Event) (int, error)
}

// DirectoryStore keeps SCIM directories, their tokens, users, groups and
// memberships. Every change of a user, group or membership is written
// together with its events.
type DirectoryStore interface {
	// CreateDirectory stores d. ErrNotFound for an unknown organization;
	// ErrAlreadyExists when the id is taken.
	CreateDirectory(ctx context.Context, d *Directory, events ...Event) error

	// GetDirectory returns the directory with id, or ErrNotFound.
	GetDirectory(ctx context.Context, id string) (*Directory, error)

	// ListDirectories returns the organization's directories ordered by
	// (CreatedAt, ID).
	ListDirectories(ctx context.Context, orgID string) ([]Directory, error)

	// UpdateDirectory loads, passes a copy to fn, stores fn's changes and
	// events atomically. fn must not change ID, OrgID or CreatedAt.
	UpdateDirectory(ctx context.Context, id string, fn func(*Directory) ([]Event, error)) (*Directory, error)

	// DeleteDirectory removes the directory with its tokens, users, groups
	// and memberships, and ends its users' sessions
	// (SessionEndedDirectoryDeleted). Idempotent.
	DeleteDirectory(ctx context.Context, id string, events ...Event) error

	// CreateDirectoryToken stores t. ErrNotFound for an unknown directory;
	// ErrAlreadyExists when the id or digest is taken; ErrConflict when the
	// directory already has MaxActiveDirectoryTokens tokens active at
	// t.CreatedAt.
	CreateDirectoryToken(ctx context.Context, t *DirectoryToken, events ...Event) error

	// GetDirectoryTokenByDigest returns the token whose Digest equals digest,
	// whatever its state, or ErrNotFound. The caller judges expiry,
	// revocation and that the token belongs to the directory addressed.
	GetDirectoryTokenByDigest(ctx context.Context, digest []byte) (*DirectoryToken, error)

	// AuthenticateDirectoryToken returns the token whose Digest equals
	// digest, whatever its state, and its directory, in one indexed read:
	// the lookup of every SCIM request. ErrNotFound when no token has the
	// digest. As with GetDirectoryTokenByDigest, the caller judges expiry,
	// revocation, the directory's state and that the directory is the one
	// addressed.
	AuthenticateDirectoryToken(ctx context.Context, digest []byte) (*DirectoryToken, *Directory, error)

	// ListDirectoryTokens returns the directory's tokens, newest first.
	ListDirectoryTokens(ctx context.Context, directoryID string) ([]DirectoryToken, error)

	// RevokeDirectoryToken marks the token revoked at now (keeping an earlier
	// revocation time). ErrNotFound when absent.
	RevokeDirectoryToken(ctx context.Context, id string, now time.Time, events ...Event) error

	// TouchDirectoryToken records that the token was used at now. It may be
	// coalesced or skipped under load; ErrNotFound is not reported.
	TouchDirectoryToken(ctx context.Context, id string, now time.Time) error

	// CreateDirectoryUser stores u with Version 1. ID, DirectoryID and
	// UserName are required; OrgID is taken from the directory. Version and
	// OrgID are set on u too.
	// ErrNotFound for an unknown directory; ErrAlreadyExists when the id is
	// taken, or the userName (case-insensitively) or a non-empty externalId
	// exists in the same directory. An active user lifts the Deprovisioned
	// records of its addresses in the organization.
	CreateDirectoryUser(ctx context.Context, u *DirectoryUser, events ...Event) error

	// GetDirectoryUser returns the user id of the directory, or ErrNotFound
	// (also when the user exists in another directory).
	GetDirectoryUser(ctx context.Context, directoryID, id string) (*DirectoryUser, error)

	// ListDirectoryUsers returns the page of the directory's users selected
	// by q, and the total number that match q.Filter.
	ListDirectoryUsers(ctx context.Context, directoryID string, q UserQuery) ([]DirectoryUser, int, error)

	// FindDirectoryUsersByEmail returns the users of the organization's
	// directories that have email as userName or as one of their emails,
	// compared by MatchKey (so in any case and normalization form), ordered
	// by (DirectoryID, ID). An email that is not valid UTF-8 or holds a NUL
	// matches no user.
	FindDirectoryUsersByEmail(ctx context.Context, orgID, email string) ([]DirectoryUser, error)

	// UpdateDirectoryUser loads the user, passes a copy to fn, and stores
	// fn's changes with Version incremented and the events fn returns,
	// atomically. fn must not change ID, DirectoryID, OrgID or CreatedAt.
	// ErrNotFound when absent; ErrAlreadyExists on a userName or externalId
	// collision; an error from fn aborts. A change of Active from true to
	// false ends the user's sessions (SessionEndedUserDeactivated). A user
	// left active lifts the Deprovisioned records of its addresses.
	UpdateDirectoryUser(ctx context.Context, directoryID, id string, fn func(*DirectoryUser) ([]Event, error)) (*DirectoryUser, error)

	// DeleteDirectoryUser removes the user and its memberships. events is
	// called inside the write with the user as it was and the ids of the
	// groups it was a member of, and its events are appended. ErrNotFound
	// when absent (SCIM answers 404). The user's sessions end
	// (SessionEndedUserDeleted), and a Deprovisioned record of each of its
	// addresses is kept, dated by the first event (see RolesCause).
	DeleteDirectoryUser(ctx context.Context, directoryID, id string, events func(u *DirectoryUser, groupIDs []string) []Event) error

	// CreateDirectoryGroup stores g with Version 1 (OrgID taken from the
	// directory; both set on g too) and the members of ops
	// (applied in order to an empty set), then appends
	// events(g, added, nil). ErrNotFound for an unknown directory or a member
	// id that is not a user or group of that directory; ErrAlreadyExists when
	// the id, the displayName (case-insensitively) or a non-empty externalId
	// exists in the directory.
	CreateDirectoryGroup(ctx context.Context, g *DirectoryGroup, ops []MemberOp, events GroupEvents) error

	// GetDirectoryGroup returns the group id of the directory, or
	// ErrNotFound.
	GetDirectoryGroup(ctx context.Context, directoryID, id string) (*DirectoryGroup, error)

	// ListDirectoryGroups returns the page of groups selected by q and the
	// total number that match.
	ListDirectoryGroups(ctx context.Context, directoryID string, q GroupQuery) ([]DirectoryGroup, int, error)

	// UpdateDirectoryGroup loads the group, passes a copy to fn, applies fn's
	// changes and the membership ops it returns in order, increments Version
	// and appends events(g, added, removed) where added and removed are the
	// net membership changes, atomically. ErrNotFound when the group or a
	// member id is absent from the directory; an error from fn aborts.
	UpdateDirectoryGroup(ctx context.Context, directoryID, id string, fn func(*DirectoryGroup) ([]MemberOp, error), events GroupEvents) (*DirectoryGroup, error)

	// DeleteDirectoryGroup removes the group and its memberships (as a group
	// and as a member of other groups), appending events(g, nil, members).
	// ErrNotFound when absent.
	DeleteDirectoryGroup(ctx context.Context, directoryID, id string, events GroupEvents) error

	// ListGroupMembers returns the group's members ordered by member id, with
	// Display joined from the user's or group's displayName (or the user's
	// userName when it has none). ErrNotFound for an unknown group.
	ListGroupMembers(ctx context.Context, directoryID, groupID string) ([]Member, error)

	// ListMemberGroups returns the groups the user or group memberID is a
	// direct member of, ordered by id.
	ListMemberGroups(ctx context.Context, directoryID, memberID string) ([]DirectoryGroup, error)
}

// GroupEvents builds the events of a group change from the group as stored
// and the net membership change. A nil GroupEvents appends nothing.
type GroupEvents func(g *DirectoryGroup, added, removed []string) []Event

// EventStore is the append-only outbox and the durable cursors of its
// consumers.
type EventStore interface {
	// AppendEvents appends events, assigning cursors, and returns them with
	// Cursor set.
	AppendEvents(ctx context.Context, events ...Event) ([]Event, error)

	// ListEvents returns up to q.Limit events with Cursor > q.After (and
	// < q.Before when set) matching q, in cursor order, or newest first
	// with q.Descending. Cursors as seen by readers are gap-free and
	// strictly increasing: once a reader has seen cursor n, every event
	// appended later has a cursor > n, so paging by cursor in either
	// direction neither skips nor repeats an event while events are
	// appended. ErrInvalid for a negative After or Before.
	ListEvents(ctx context.Context, q EventQuery) ([]Event, error)

	// LastEventCursor returns the highest cursor, 0 when the outbox is empty.
	LastEventCursor(ctx context.Context) (int64, error)

	// GetConsumerCursor returns the cursor a named consumer has processed up
	// to, 0 when it has none.
	GetConsumerCursor(ctx context.Context, consumer string) (int64, error)

	// SetConsumerCursor records that consumer has processed every event up
	// to cursor. The stored cursor only moves forward: a lower value is
	// ignored. A consumer's cursor, once recorded (0 included), holds back
	// DeleteEvents until it has passed the events.
	SetConsumerCursor(ctx context.Context, consumer string, cursor int64) error

	// DeleteConsumerCursor forgets a consumer that was retired for good, so
	// that its cursor no longer holds DeleteEvents back. A Subscriber that
	// runs again under that name starts over from the oldest event left.
	// Idempotent.
	DeleteConsumerCursor(ctx context.Context, consumer string) error

	// DeleteEvents removes the events created before before that every
	// consumer with a recorded cursor has processed (Cursor at or below the
	// lowest consumer cursor), oldest first, and returns how many it
	// removed. The event with the highest cursor is never removed, so that
	// cursors are never assigned twice, and the events left keep their
	// cursors: ListEvents simply starts at the oldest one left. Events are
	// removed from the oldest cursor on, and removal stops at the first
	// event created at or after before, so an event appended with an
	// out-of-order CreatedAt may keep older ones a little longer. It works
	// in batches of at most CleanupBatch events, each its own short write;
	// when ctx ends between batches it returns the count so far with ctx's
	// error.
	DeleteEvents(ctx context.Context, before time.Time) (int, error)
}

// CleanupBatch is the most rows one write of DeleteExpired or DeleteEvents
// removes.
const CleanupBatch = 1000

// LoginStore keeps login flow state: pending requests and the replay cache.
type LoginStore interface {
	// CreateLoginRequest stores r. ID, ConnectionID and ExpiresAt are
	// required. ErrAlreadyExists when the id is taken.
	CreateLoginRequest(ctx context.Context, r *LoginRequest) error

	// ConsumeLoginRequest removes and returns the request id, in one guarded
	// write: of concurrent calls exactly one gets it. With a match that names
	// a connection the consume is conditional: a request of another
	// connection, or bound to another browser, is left pending and returned
	// with ErrMismatch (so that the caller can tell which). ErrNotFound when
	// absent or already consumed; ErrExpired when it matched and expired at
	// or before now (it is removed all the same). events are appended in the
	// same write only when the call succeeds.
	ConsumeLoginRequest(ctx context.Context, id string, match LoginRequestMatch, now time.Time, events ...Event) (*LoginRequest, error)

	// ConsumeAssertionID records that the assertion id of the connection has
	// been used, keeping it until expiresAt. ErrAlreadyExists when it is
	// already recorded and not expired at now: a replay. Of concurrent calls
	// with one id exactly one succeeds. events (typically the login's
	// success event) are appended in the same write only when the call
	// succeeds.
	ConsumeAssertionID(ctx context.Context, connectionID, assertionID string, expiresAt, now time.Time, events ...Event) error

	// CompleteLogin is the one write that accepts a verified login, all or
	// nothing: when c.ConnectionVersion is not 0 it checks that the
	// connection still has that Version (ErrConflict when it changed or is
	// gone); it consumes the pending request c.RequestID when set, if it is
	// of c.ConnectionID and bound to c.Binding (ErrNotFound when absent or
	// already consumed; ErrMismatch, with the request left pending and
	// returned, when it is another connection's or browser's; ErrExpired when
	// it expired at or before c.Now); it records c.AssertionID when set, as
	// ConsumeAssertionID does (ErrAlreadyExists for a replay). Once those
	// checks pass it reads the facts c names (the verified domain
	// c.EmailDomain, the directory users of c.Email in c.OrgID), calls accept
	// with them and the request, and appends the events accept returns; an
	// error from accept aborts the write and is returned as is. accept is the
	// caller's judgement of the login, which the Store does not interpret: it
	// runs inside the write, may run more than once (a retried transaction),
	// and must not call the Store. On any error nothing is written: the
	// request stays pending and the assertion id unrecorded. Of concurrent
	// calls naming one request, or one assertion id of a connection, at most
	// one succeeds. It returns the consumed request.
	CompleteLogin(ctx context.Context, c LoginCompletion, accept func(*LoginFacts) ([]Event, error)) (*LoginRequest, error)
}

// BrandingStore keeps portal branding.
type BrandingStore interface {
	// GetBranding returns the branding of scope ("" for host-wide), or
	// ErrNotFound when none was set.
	GetBranding(ctx context.Context, scope string) (*Branding, error)

	// PutBranding creates or replaces the branding of b.Scope. A non-empty
	// scope must be an existing organization (ErrNotFound).
	PutBranding(ctx context.Context, b *Branding, events ...Event) error

	// UpdateBranding loads the branding of scope, passes a copy to fn and
	// stores fn's changes with the events it returns, atomically: no
	// concurrent update is lost. When scope has no branding fn receives
	// &Branding{Scope: scope} and the branding is created. fn must not
	// change Scope. A non-empty scope must be an existing organization
	// (ErrNotFound); an error from fn aborts. The stored branding is
	// returned.
	UpdateBranding(ctx context.Context, scope string, fn func(b *Branding) ([]Event, error)) (*Branding, error)

	// DeleteBranding removes the branding of scope, appending events in the
	// same write only when it existed. Idempotent.
	DeleteBranding(ctx context.Context, scope string, events ...Event) error
}

// APIKeyStore keeps management API keys.
type APIKeyStore interface {
	// CreateAPIKey stores k. ErrAlreadyExists when the id or digest is taken.
	CreateAPIKey(ctx context.Context, k *APIKey, events ...Event) error

	// GetAPIKeyByDigest returns the key whose Digest equals digest, whatever
	// its state, or ErrNotFound.
	GetAPIKeyByDigest(ctx context.Context, digest []byte) (*APIKey, error)

	// ListAPIKeys returns every key, newest first.
	ListAPIKeys(ctx context.Context) ([]APIKey, error)

	// RevokeAPIKey marks the key revoked at now (keeping an earlier
	// revocation time). ErrNotFound when absent.
	RevokeAPIKey(ctx context.Context, id string, now time.Time, events ...Event) error

	// TouchAPIKey records that the key was used at now; may be coalesced.
	TouchAPIKey(ctx context.Context, id string, now time.Time) error
}

// RateStore counts attempts across app instances, for the limits that
// guard a secret rather than a machine (portal link redemption, see the
// limits package): a counter per key and fixed window, so that every
// instance of the app sees the same count.
type RateStore interface {
	// CountAttempt adds one to the counter of key for the window that
	// starts at start and ends at end, and returns the window's count,
	// this attempt included. A counter of an earlier window starts again
	// at 1; an attempt dated in an earlier window than the stored one (a
	// slower clock on another instance) counts in the stored window.
	// Concurrent calls for one key each get a different count. key is
	// required and at most MaxRateKeyLength bytes; end must be after
	// start. DeleteExpired removes a counter once its window ended.
	CountAttempt(ctx context.Context, key string, start, end time.Time) (int64, error)
}

// MaxRateKeyLength is the longest key RateStore.CountAttempt accepts.
const MaxRateKeyLength = 200

// LeaseStore coordinates background work across app instances: event
// delivery, domain verification, metadata refresh. A lease is a named lock
// with an expiry.
type LeaseStore interface {
	// AcquireLease takes the lease name for holder until until, if it is free,
	// expired at now, or already held by holder (a renewal). A holder may
	// renew its own lease even after it expired, as long as nobody else took
	// it meanwhile. It reports whether holder holds the lease after the
	// call.
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)

	// ReleaseLease frees the lease if holder holds it, else does nothing.
	ReleaseLease(ctx context.Context, name, holder string) error
}
