package pgstore_test

import (
	"testing"

	"github.com/onboardkit/onboardkit/internal/pgtest"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/internal/sqlstore/hooktest"
	"github.com/onboardkit/onboardkit/store/pgstore"
	"github.com/onboardkit/onboardkit/store/storetest"
)

// testDSN returns the DSN of the test server, skipping the test when none is
// configured, unless running in CI where a missing database is a failure.
func testDSN(tb testing.TB) string {
	tb.Helper()
	return pgtest.DSN(tb)
}

// freshSchema creates an empty schema, dropped when the test ends, and
// returns a DSN whose search_path selects it.
func freshSchema(tb testing.TB) string {
	tb.Helper()
	return pgtest.Schema(tb, testDSN(tb), "okt")
}

func newStore(tb testing.TB) store.Store { return openHooked(tb, nil) }

// openHooked opens a Store on a fresh schema with hook as its
// OrganizationHook.
func openHooked(tb testing.TB, hook pgstore.OrganizationHook) *pgstore.Store {
	s, err := pgstore.Open(tb.Context(), freshSchema(tb), pgstore.Options{Keyring: testKeyring, OrganizationHook: hook})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestOrganizationHook runs the hook's checks shared with sqlitestore.
func TestOrganizationHook(t *testing.T) {
	hooktest.Run(t, func(t *testing.T, hook hooktest.Hook) hooktest.Store { return openHooked(t, hook) })
}

func TestConformance(t *testing.T) {
	testDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}
