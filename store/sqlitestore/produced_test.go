package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/onboardkit/onboardkit/internal/telemetry/telemetrytest"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
	"github.com/onboardkit/onboardkit/store/storetest"
)

func TestEventCounting(t *testing.T) {
	storetest.RunEventCounting(t, func(t *testing.T) (store.Store, func(testing.TB, string) int64) {
		rec := telemetrytest.New(t)
		s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "onboardkit.db"), sqlitestore.Options{Keyring: testKeyring, MeterProvider: rec.MeterProvider})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, rec.Produced
	})
}
