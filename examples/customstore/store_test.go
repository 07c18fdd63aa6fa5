package main

import (
	"path/filepath"
	"testing"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/storetest"
)

// TestConformance proves customerStore with onboardkit's conformance suite.
// The customers table is a fresh SQLite file per subtest; the rest is kept
// by a memstore (main uses sqlitestore).
func TestConformance(t *testing.T) {
	storetest.Run(t, newTestStore)
}

func newTestStore(t *testing.T) store.Store {
	t.Helper()
	db, err := openCustomersDB(t.Context(), filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := newCustomerStore(t.Context(), db, memstore.New())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
