package domains

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/internal/pgtest"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/pgstore"
	"github.com/onboardkit/onboardkit/store/seal"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// testKeyring seals the secrets of every Store a test of this package
// opens, so that two instances or a reopened file open each other's.
var testKeyring = seal.NewEphemeralKeyring()

// storeCase opens two handles on one fresh database, as two app instances
// would (for memstore, the same Store twice).
type storeCase struct {
	name string
	open func(t *testing.T) (store.Store, store.Store)
}

func storeCases() []storeCase {
	return []storeCase{
		{"memstore", func(t *testing.T) (store.Store, store.Store) {
			st := memstore.New()
			t.Cleanup(func() { st.Close() })
			return st, st
		}},
		{"sqlite", func(t *testing.T) (store.Store, store.Store) {
			path := filepath.Join(t.TempDir(), "onboardkit.db")
			return openSQLite(t, path), openSQLite(t, path)
		}},
		{"postgres", func(t *testing.T) (store.Store, store.Store) {
			dsn := pgtest.Schema(t, pgtest.DSN(t), "domains_test")
			return openPG(t, dsn), openPG(t, dsn)
		}},
	}
}

func openSQLite(t *testing.T, path string) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func openPG(t *testing.T, dsn string) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := pgstore.Open(ctx, dsn, pgstore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// forEachStore runs fn against every Store implementation, with a test
// environment on the first handle and a second handle for another instance.
func forEachStore(t *testing.T, edit func(*Config), fn func(t *testing.T, e *testEnv, other store.Store)) {
	for _, sc := range storeCases() {
		t.Run(sc.name, func(t *testing.T) {
			st1, st2 := sc.open(t)
			e := newTestEnvOn(t, st1, edit)
			fn(t, e, st2)
		})
	}
}
