package memstore_test

import (
	"testing"

	"github.com/onboardkit/onboardkit/internal/telemetry/telemetrytest"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/seal"
	"github.com/onboardkit/onboardkit/store/storetest"
)

func TestEventCounting(t *testing.T) {
	storetest.RunEventCounting(t, func(t *testing.T) (store.Store, func(testing.TB, string) int64) {
		rec := telemetrytest.New(t)
		s, err := memstore.NewOptions(memstore.Options{Keyring: seal.NewEphemeralKeyring(), MeterProvider: rec.MeterProvider})
		if err != nil {
			t.Fatal(err)
		}
		return s, rec.Produced
	})
}
