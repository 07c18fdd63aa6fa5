package pgstore_test

import (
	"testing"

	"github.com/onboardkit/onboardkit/internal/telemetry/telemetrytest"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/pgstore"
	"github.com/onboardkit/onboardkit/store/storetest"
)

func TestEventCounting(t *testing.T) {
	storetest.RunEventCounting(t, func(t *testing.T) (store.Store, func(testing.TB, string) int64) {
		rec := telemetrytest.New(t)
		s, err := pgstore.Open(t.Context(), freshSchema(t), pgstore.Options{Keyring: testKeyring, MeterProvider: rec.MeterProvider})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, rec.Produced
	})
}
