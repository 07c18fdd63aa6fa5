// Package teststores opens the Stores that the kits' tests and benchmarks
// run on: memstore, SQLite in a temporary file, and PostgreSQL in a
// schema of its own when pgtest.DSNEnv is set (or under CI=true, where its
// absence fails the PostgreSQL runs).
package teststores

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/onboardkit/onboardkit/internal/pgtest"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/pgstore"
	"github.com/onboardkit/onboardkit/store/seal"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// Opener opens a fresh Store, closed when the test ends.
type Opener func(tb testing.TB) store.Store

// SQLite opens a Store in a new file of the test's temporary directory,
// sealing secrets under keys.
func SQLite(tb testing.TB, keys seal.Keyring, opts ...func(*sqlitestore.Options)) *sqlitestore.Store {
	tb.Helper()
	o := sqlitestore.Options{Keyring: keys}
	for _, f := range opts {
		f(&o)
	}
	st, err := sqlitestore.Open(context.Background(), filepath.Join(tb.TempDir(), "onboardkit.db"), o)
	if err != nil {
		tb.Fatalf("sqlitestore.Open: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// Postgres opens a Store in a new schema named after prefix (see
// pgtest.Schema), sealing secrets under keys; without a server the test is
// skipped (failed under CI).
func Postgres(tb testing.TB, keys seal.Keyring, prefix string) *pgstore.Store {
	tb.Helper()
	st, err := pgstore.Open(context.Background(), pgtest.Schema(tb, pgtest.DSN(tb), prefix), pgstore.Options{Keyring: keys})
	if err != nil {
		tb.Fatalf("pgstore.Open: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// All returns the openers of memstore, SQLite and, when pgtest.Enabled,
// PostgreSQL (schemas named after prefix), by name: "memstore", "sqlite",
// "postgres". Every Store seals under keys, so that two Stores on one
// database open each other's secrets.
func All(keys seal.Keyring, prefix string) map[string]Opener {
	m := map[string]Opener{
		"memstore": func(testing.TB) store.Store { return memstore.New() },
		"sqlite":   func(tb testing.TB) store.Store { return SQLite(tb, keys) },
	}
	if pgtest.Enabled() {
		m["postgres"] = func(tb testing.TB) store.Store { return Postgres(tb, keys, prefix) }
	}
	return m
}
