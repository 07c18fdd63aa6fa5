package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/internal/sqlstore/hooktest"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
	"github.com/onboardkit/onboardkit/store/storetest"
)

func newStore(tb testing.TB) store.Store { return openHooked(tb, nil) }

// openHooked opens an empty Store with hook as its OrganizationHook.
func openHooked(tb testing.TB, hook sqlitestore.OrganizationHook) *sqlitestore.Store {
	s, err := sqlitestore.Open(tb.Context(), filepath.Join(tb.TempDir(), "onboardkit.db"), sqlitestore.Options{Keyring: testKeyring, OrganizationHook: hook})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestOrganizationHook runs the hook's checks shared with pgstore.
func TestOrganizationHook(t *testing.T) {
	hooktest.Run(t, func(t *testing.T, hook hooktest.Hook) hooktest.Store { return openHooked(t, hook) })
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}
