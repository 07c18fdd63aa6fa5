package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
	"github.com/onboardkit/onboardkit/store/storetest"
)

func newStore(tb testing.TB) store.Store {
	s, err := sqlitestore.Open(tb.Context(), filepath.Join(tb.TempDir(), "onboardkit.db"), sqlitestore.Options{Keyring: testKeyring})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}
