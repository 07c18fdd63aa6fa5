// Package storetest is the conformance suite of store.Store: every Store,
// those shipped with onboardkit and those a host writes on its own tables,
// must pass it.
//
// A Store proves itself with one small test file:
//
//	package mystore_test
//
//	import (
//		"testing"
//
//		"github.com/onboardkit/onboardkit/store"
//		"github.com/onboardkit/onboardkit/store/storetest"
//		"example.com/app/mystore"
//	)
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s := mystore.Open(t.Context(), newEmptyTestDatabase(t))
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
//	func BenchmarkLookups(b *testing.B) {
//		storetest.Bench(b, func(b *testing.B) store.Store {
//			s := mystore.Open(b.Context(), newEmptyTestDatabase(b))
//			b.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Run calls newStore once per subtest and expects an empty Store each time
// (a fresh database or schema; the suite's ids repeat across subtests). The
// subtests are grouped per entity (Organizations, Domains, Connections,
// PortalLinks, PortalSessions, Directories, DirectoryTokens, DirectoryUsers,
// UserFilters, FieldFilters, MatchKeys, Text, DirectoryGroups, Memberships,
// Events, LoginRequests, AssertionIDs, Branding, APIKeys, Leases, Attempts,
// DeleteExpired, Retention, Context, Concurrency), so that one failing area
// can be run alone with -run 'TestConformance/UserFilters'.
//
// The suite checks each method's documented contract: sentinel errors
// (ErrNotFound, ErrInvalid for empty ids and unknown enum values,
// ErrAlreadyExists, ErrConflict, ErrExpired, ErrUsed, ErrRevoked), ordering,
// times returned in UTC, returned values being copies, atomic writes that
// leave neither row nor event behind when they fail, expiry judged against
// the clock argument, every filter operator on every attribute, sorting and
// pagination totals. All times derive from a fixed instant in 2030; nothing
// depends on the wall clock, and values compare after normalisation (times
// in UTC, empty and nil slices alike, JSON documents by value), so a Store
// may keep JSON as jsonb and times at microsecond precision.
//
// RunConcurrency, which Run includes, races 50 goroutines on the guarded
// writes (redeeming one embedded link, consuming one assertion id or login
// request, taking one lease, creating one userName or verified domain,
// incrementing through UpdateDomain) and checks event cursors as a polling
// reader sees them while writers append: gap-free and strictly increasing.
//
// Bench seeds a 100-user and a 100,000-user directory through the Store
// interface and measures the lookups made on every request; an indexed
// Store shows both sizes within noise of each other.
//
// # Readings of the contract
//
// Where the Store documentation leaves room, the suite fixes one reading:
//   - An idempotent delete or a repeated revocation that finds nothing to
//     change appends none of its events.
//   - A List method given an unknown parent (organization, directory)
//     returns nothing and no error; Get, Update and Delete of an unknown
//     entity return ErrNotFound as documented.
//   - For single-valued string attributes, ne is the negation of eq: a user
//     without a displayName matches displayName ne "x". An empty string is
//     an absent value for pr.
//   - A membership Add or Replace naming an id that is no user or group of
//     the directory fails with ErrNotFound; a Remove of such an id is a
//     no-op (removing an absent member).
//   - A Compare with OpPr carries a nil Value; anything else is ErrInvalid.
//   - Sorting on a string attribute that is not case-exact ignores case;
//     ties are broken by id, so that pages are stable.
package storetest
