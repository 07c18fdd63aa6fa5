package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
	"github.com/onboardkit/onboardkit/store/storetest"
)

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return newStore(b) })
}

func BenchmarkFields(b *testing.B) {
	storetest.BenchFields(b, func(b *testing.B) store.Store { return newStore(b) })
}

func BenchmarkRoles(b *testing.B) {
	storetest.BenchRoles(b, func(b *testing.B) store.Store { return newStore(b) })
}

// BenchmarkScale: see storetest.BenchScale (-scale.orgs, -scale.users).
// The Store loads with synchronous=NORMAL (one fsync fewer a write), which
// changes nothing for the reads measured.
func BenchmarkScale(b *testing.B) {
	storetest.BenchScale(b, func(b *testing.B) store.Store {
		s, err := sqlitestore.Open(b.Context(), filepath.Join(b.TempDir(), "onboardkit.db"), sqlitestore.Options{SynchronousNormal: true, Keyring: testKeyring})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}, nil)
}
