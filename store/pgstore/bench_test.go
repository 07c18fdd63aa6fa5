package pgstore_test

import (
	"database/sql"
	"sync"
	"testing"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/pgstore"
	"github.com/onboardkit/onboardkit/store/storetest"
)

func BenchmarkStore(b *testing.B) {
	testDSN(b)
	storetest.Bench(b, func(b *testing.B) store.Store { return newStore(b) })
}

func BenchmarkFields(b *testing.B) {
	testDSN(b)
	storetest.BenchFields(b, func(b *testing.B) store.Store { return newStore(b) })
}

func BenchmarkRoles(b *testing.B) {
	storetest.BenchRoles(b, func(b *testing.B) store.Store { return newStore(b) })
}

// BenchmarkScale: see storetest.BenchScale (-scale.orgs, -scale.users).
// The Store loads with synchronous_commit off (commits do not wait for
// the WAL flush), which changes nothing for the reads measured. After
// loading, VACUUM ANALYZE does at once what autovacuum does in a
// while: statistics for the planner, and the visibility map that lets the
// offset walk of a startIndex jump read the index alone.
func BenchmarkScale(b *testing.B) {
	testDSN(b)
	var mu sync.Mutex
	dsns := map[store.Store]string{}
	storetest.BenchScale(b, func(b *testing.B) store.Store {
		dsn := freshSchema(b)
		s, err := pgstore.Open(b.Context(), dsn+"&synchronous_commit=off", pgstore.Options{Keyring: testKeyring})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		mu.Lock()
		dsns[s] = dsn
		mu.Unlock()
		return s
	}, func(b *testing.B, s store.Store) {
		mu.Lock()
		dsn := dsns[s]
		mu.Unlock()
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(b.Context(), `VACUUM ANALYZE`); err != nil {
			b.Fatal(err)
		}
	})
}
