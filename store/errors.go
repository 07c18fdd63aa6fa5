package store

import "errors"

// Sentinel errors returned by every Store implementation. Callers test them with
// errors.Is; implementations may wrap them with more context.
var (
	// ErrNotFound: the entity (or the entity a write refers to, such as the
	// organization of a new domain) does not exist.
	ErrNotFound = errors.New("store: not found")

	// ErrAlreadyExists: a create or update would duplicate a unique key: an id,
	// an organization's external id, a userName or externalId within a
	// directory, a group displayName within a directory, an assertion id, a
	// token digest.
	ErrAlreadyExists = errors.New("store: already exists")

	// ErrConflict: the write is refused because of the state of another entity:
	// a domain verified by another organization, a third active directory token,
	// a state transition that is not allowed.
	ErrConflict = errors.New("store: conflict")

	// ErrMigrationsPending: the database lacks a migration this program
	// knows (see HealthChecker).
	ErrMigrationsPending = errors.New("store: migrations pending")

	// ErrInvalid: the argument is malformed (empty id, unknown enum value, zero
	// time where one is required, text a Store does not hold, reported as a
	// *TextError). Nothing is written.
	ErrInvalid = errors.New("store: invalid argument")

	// ErrExpired: a single-use or time-limited secret (portal link, portal
	// session, login request) exists but its expiry, compared with the clock
	// argument of the call, has passed.
	ErrExpired = errors.New("store: expired")

	// ErrUsed: a single-use secret has already been consumed.
	ErrUsed = errors.New("store: already used")

	// ErrMismatch: a conditional consume found the row but it belongs to
	// another party than the one named: a login request of another
	// connection or started in another browser. The row is left as it was.
	ErrMismatch = errors.New("store: belongs to another party")

	// ErrRevoked: a secret (portal link, directory token, API key) was revoked.
	ErrRevoked = errors.New("store: revoked")
)
