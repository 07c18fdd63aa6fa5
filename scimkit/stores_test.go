package scimkit

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/onboardkit/onboardkit/internal/pgtest"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/pgstore"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// envMaker makes a test environment on one Store implementation.
type envMaker func(t *testing.T, mod func(*Config)) *testEnv

// testStores are the Stores the replay, security and benchmark code runs
// on: memstore, SQLite, and PostgreSQL when pgtest.DSNEnv is set (or under
// CI=true, where its absence fails the PostgreSQL runs).
func testStores() map[string]func(tb testing.TB) store.Store {
	m := map[string]func(tb testing.TB) store.Store{
		"memstore": func(testing.TB) store.Store { return memstore.New() },
		"sqlite": func(tb testing.TB) store.Store {
			st, err := sqlitestore.Open(context.Background(), filepath.Join(tb.TempDir(), "scim.db"), sqlitestore.Options{Keyring: testKeyring})
			if err != nil {
				tb.Fatalf("sqlitestore.Open: %v", err)
			}
			tb.Cleanup(func() { st.Close() })
			return st
		},
	}
	if pgtest.Enabled() {
		m["postgres"] = func(tb testing.TB) store.Store {
			st, err := pgstore.Open(context.Background(), pgtest.Schema(tb, pgtest.DSN(tb), "scimkit"), pgstore.Options{Keyring: testKeyring})
			if err != nil {
				tb.Fatalf("pgstore.Open: %v", err)
			}
			tb.Cleanup(func() { st.Close() })
			return st
		}
	}
	return m
}

func forEachStore(t *testing.T, test func(t *testing.T, mk envMaker)) {
	for name, open := range testStores() {
		t.Run(name, func(t *testing.T) {
			test(t, func(t *testing.T, mod func(*Config)) *testEnv {
				return newTestEnvStore(t, open(t), mod)
			})
		})
	}
}
