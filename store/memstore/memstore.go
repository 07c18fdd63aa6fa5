package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/seal"
)

// Store is an in-memory store.Store. The zero value is not usable; call New.
type Store struct {
	mu sync.Mutex

	// sealer seals secrets in the records below (see store/seal).
	sealer atomic.Pointer[seal.Sealer]

	orgs     map[string]*store.Organization
	orgByExt map[string]string // external id -> org id

	domains  map[string]*store.Domain
	verified map[string]string // name -> id of the verified domain

	conns map[string]*store.Connection

	links           map[string]*store.PortalLink
	linkByDigest    map[string]string
	sessions        map[string]*store.PortalSession
	sessionByDigest map[string]string

	dirs          map[string]*dirState
	tokens        map[string]*store.DirectoryToken
	tokenByDigest map[string]string
	userDir       map[string]string // user id -> directory id
	groupDir      map[string]string // group id -> directory id

	events    []store.Event // events[i].Cursor == eventBase+i+1
	eventBase int64         // the cursor of the last event removed by DeleteEvents
	consumers map[string]int64
	produced  *telemetry.Produced // counts the events appended

	logins     map[string]*store.LoginRequest
	assertions map[assertionKey]time.Time // -> expiry

	branding map[string]*store.Branding

	apiKeys        map[string]*store.APIKey
	apiKeyByDigest map[string]string

	leases map[string]lease

	attempts map[string]*attemptWindow // RateStore counters by key

	users      userSessions                        // end-user sessions
	roleMaps   map[string][]store.RoleMapping      // org id -> mappings, sorted
	attrMaps   map[string][]store.AttributeMapping // org id -> mappings, sorted by field
	staleRoles map[string]map[staleKey]struct{}    // org id -> users awaiting RecomputeRoles
	policies   map[string]store.ProvisioningPolicy
	// deprovisioned: org id -> address key -> the record a directory
	// left of a user it deleted.
	deprovisioned map[string]map[string]store.Deprovisioned
}

type assertionKey struct{ conn, id string }

type lease struct {
	holder string
	until  time.Time
}

var _ store.Store = (*Store)(nil)

// Options configure a Store made by NewOptions.
type Options struct {
	// Keyring seals the secrets the Store keeps (see store/seal). Required
	// unless InsecureUnsealed is set.
	Keyring seal.Keyring
	// InsecureUnsealed keeps secrets unsealed in memory when Keyring is
	// nil.
	InsecureUnsealed bool
	// MeterProvider counts the events the Store writes
	// (onboardkit.events.produced, by onboardkit.event.type). Nil: the
	// otel global, a no-op unless the host set one.
	MeterProvider metric.MeterProvider
}

// New returns an empty Store that seals secrets under a random key of its
// own, made here and never written anywhere: the records and the key live
// and die together in this process's memory. Use NewOptions to choose the
// keyring (a test of key rotation does).
func New() *Store {
	st, _ := NewOptions(Options{Keyring: seal.NewEphemeralKeyring()})
	return st
}

// NewOptions returns an empty Store with opts. It fails without a Keyring
// unless InsecureUnsealed is set.
func NewOptions(opts Options) (*Store, error) {
	s := &Store{
		orgs:            map[string]*store.Organization{},
		orgByExt:        map[string]string{},
		domains:         map[string]*store.Domain{},
		verified:        map[string]string{},
		conns:           map[string]*store.Connection{},
		links:           map[string]*store.PortalLink{},
		linkByDigest:    map[string]string{},
		sessions:        map[string]*store.PortalSession{},
		sessionByDigest: map[string]string{},
		dirs:            map[string]*dirState{},
		tokens:          map[string]*store.DirectoryToken{},
		tokenByDigest:   map[string]string{},
		userDir:         map[string]string{},
		groupDir:        map[string]string{},
		consumers:       map[string]int64{},
		logins:          map[string]*store.LoginRequest{},
		assertions:      map[assertionKey]time.Time{},
		branding:        map[string]*store.Branding{},
		apiKeys:         map[string]*store.APIKey{},
		apiKeyByDigest:  map[string]string{},
		leases:          map[string]lease{},
		attempts:        map[string]*attemptWindow{},
		users:           userSessions{byID: map[string]*store.Session{}, byDigest: map[string]string{}},
		roleMaps:        map[string][]store.RoleMapping{},
		attrMaps:        map[string][]store.AttributeMapping{},
		staleRoles:      map[string]map[staleKey]struct{}{},
		policies:        map[string]store.ProvisioningPolicy{},
		deprovisioned:   map[string]map[string]store.Deprovisioned{},
	}
	if err := s.Reconfigure(opts); err != nil {
		return nil, err
	}
	var err error
	if s.produced, err = telemetry.NewProduced(opts.MeterProvider); err != nil {
		return nil, err
	}
	return s, nil
}

// Reconfigure replaces the Store's keyring by opts's, as restarting a
// database-backed Store with a new configuration would: values sealed
// before open only if the new keyring holds their key, and nothing opened
// before stays cached. An in-memory Store has no restart, so this is how
// a test rotates its key (see storetest.RunSealing).
func (s *Store) Reconfigure(opts Options) error {
	if opts.Keyring == nil && !opts.InsecureUnsealed {
		return errors.New("memstore: Options.Keyring is required (or InsecureUnsealed)")
	}
	s.sealer.Store(seal.New(opts.Keyring))
	return nil
}

// Close releases nothing; the Store stays usable.
func (s *Store) Close() error { return nil }

// utc returns t in UTC at microsecond precision, keeping the zero time zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{store.ErrInvalid}, args...)...)
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{store.ErrNotFound}, args...)...)
}

func exists(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{store.ErrAlreadyExists}, args...)...)
}

func conflict(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{store.ErrConflict}, args...)...)
}

// check is the start of every call: the context's error, else the first
// of checks that failed. The checks are plain validations of the
// arguments, evaluated before the call takes the lock.
func check(ctx context.Context, checks ...error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	return nil
}

// rows returns copies (by clone) of the values of m that keep accepts,
// ordered by order.
func rows[V, T any](m map[string]*V, keep func(*V) bool, clone func(*V) T, order func(a, b T) int) []T {
	var out []T
	for _, v := range m {
		if keep(v) {
			out = append(out, clone(v))
		}
	}
	slices.SortFunc(out, order)
	return out
}

// oldestFirst orders rows by the time key gives, oldest first, then by
// the id it gives.
func oldestFirst[T any](key func(*T) (time.Time, string)) func(a, b T) int {
	return func(a, b T) int {
		at, aid := key(&a)
		bt, bid := key(&b)
		if c := at.Compare(bt); c != 0 {
			return c
		}
		return strings.Compare(aid, bid)
	}
}

// newestFirst is the reverse of oldestFirst: the order of lists of keys,
// tokens and links.
func newestFirst[T any](key func(*T) (time.Time, string)) func(a, b T) int {
	asc := oldestFirst(key)
	return func(a, b T) int { return asc(b, a) }
}

// byDigestLocked returns a copy of the row of m that index names for a
// secret's digest (API keys, directory tokens, portal links).
func byDigestLocked[T any](m map[string]*T, index map[string]string, digest []byte, clone func(*T) T, what string) (*T, error) {
	id, ok := index[string(digest)]
	if !ok {
		return nil, notFound("%s", what)
	}
	out := clone(m[id])
	return &out, nil
}

// requireDigest refuses an empty digest.
func requireDigest(digest []byte) error {
	if len(digest) == 0 {
		return invalid("digest is required")
	}
	return nil
}

// revokeLocked sets the revocation time (the field at points to) of the
// row id of m to now, on a copy, keeping an earlier revocation; it reports
// whether the row exists and whether it changed.
func revokeLocked[T any](m map[string]*T, id string, now time.Time, clone func(*T) T, at func(*T) *time.Time) (found, changed bool) {
	v, ok := m[id]
	if !ok {
		return false, false
	}
	if t := *at(v); !t.IsZero() && !t.After(now) {
		return true, false
	}
	c := clone(v)
	*at(&c) = now
	m[id] = &c
	return true, true
}

// touchLocked moves the last-use time (the field at points to) of the row
// id of m, if any, forward to now, on a copy.
func touchLocked[T any](m map[string]*T, id string, now time.Time, clone func(*T) T, at func(*T) *time.Time) {
	if v, ok := m[id]; ok && now.After(*at(v)) {
		c := clone(v)
		*at(&c) = now
		m[id] = &c
	}
}

// requireIDs fails with ErrInvalid when one of the named values is empty.
func requireIDs(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return invalid("%s is required", pairs[i])
		}
	}
	return nil
}

func requireTime(what string, t time.Time) error {
	if t.IsZero() {
		return invalid("%s is required", what)
	}
	return nil
}

func validJSON(what string, m json.RawMessage) error {
	if len(m) > 0 && !json.Valid(m) {
		return invalid("%s is not valid JSON", what)
	}
	return nil
}

// checkEvents validates events before a write.
func checkEvents(events []store.Event) error {
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	for i := range events {
		if err := validJSON("event data", events[i].Data); err != nil {
			return err
		}
	}
	return nil
}

// appendLocked appends validated events, assigning cursors, and returns the
// stored copies. A write calls it once nothing can fail any more: the
// events are counted as produced here.
func (s *Store) appendLocked(events []store.Event) []store.Event {
	if len(events) == 0 {
		return nil
	}
	s.produced.Add(context.Background(), len(events), func(i int) string { return events[i].Type })
	out := make([]store.Event, len(events))
	for i := range events {
		e := cloneEvent(&events[i])
		e.CreatedAt = utc(e.CreatedAt)
		e.Cursor = s.eventBase + int64(len(s.events)) + 1
		s.events = append(s.events, e)
		out[i] = cloneEvent(&e)
	}
	return out
}

// DeleteExpired removes login requests, consumed assertion ids, portal
// sessions and embedded portal links whose expiry is at or before now,
// end-user sessions whose idle or absolute expiry is at or before now, and
// shareable links expired for more than 30 days.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := requireTime("now", now); err != nil {
		return 0, err
	}
	now = utc(now)
	shareableCutoff := now.Add(-30 * 24 * time.Hour)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, r := range s.logins {
		if !r.ExpiresAt.After(now) {
			delete(s.logins, id)
			n++
		}
	}
	for k, exp := range s.assertions {
		if !exp.After(now) {
			delete(s.assertions, k)
			n++
		}
	}
	for id, ps := range s.sessions {
		if !ps.ExpiresAt.After(now) {
			s.deleteSessionLocked(id)
			n++
		}
	}
	for id, us := range s.users.byID {
		if !us.ExpiresAt.After(now) || !us.IdleExpiresAt.After(now) {
			s.deleteUserSessionLocked(id)
			n++
		}
	}
	for k, a := range s.attempts {
		if !a.end.After(now) {
			delete(s.attempts, k)
			n++
		}
	}
	for id, l := range s.links {
		if l.Kind == store.LinkEmbedded && !l.ExpiresAt.After(now) ||
			l.Kind == store.LinkShareable && l.ExpiresAt.Before(shareableCutoff) {
			s.deleteLinkLocked(id)
			n++
		}
	}
	return n, nil
}

// attemptWindow is the counter of one RateStore key.
type attemptWindow struct {
	start, end time.Time
	count      int64
}

// CountAttempt adds one to the counter of key for the window [start, end)
// and returns the window's count.
func (s *Store) CountAttempt(ctx context.Context, key string, start, end time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := store.ValidateAttempt(key, start, end); err != nil {
		return 0, err
	}
	start, end = utc(start), utc(end)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.attempts[key]
	if a == nil || start.After(a.start) {
		a = &attemptWindow{start: start, end: end}
		s.attempts[key] = a
	}
	a.count++
	return a.count, nil
}

// AcquireLease takes the lease name for holder until until if it is free,
// expired at now, or already held by holder.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := store.ValidateLease(name, holder, now, until); err != nil {
		return false, err
	}
	now, until = utc(now), utc(until)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.leases[name]
	if ok && l.holder != holder && l.until.After(now) {
		return false, nil
	}
	s.leases[name] = lease{holder: holder, until: until}
	return true, nil
}

// ReleaseLease frees the lease if holder holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := requireIDs("lease name", name, "lease holder", holder); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.leases[name]; ok && l.holder == holder {
		delete(s.leases, name)
	}
	return nil
}
