package memstore_test

import (
	"github.com/onboardkit/onboardkit/store"
	"testing"

	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/seal"
	"github.com/onboardkit/onboardkit/store/storetest"
)

func TestSealing(t *testing.T) {
	stores := map[string]*memstore.Store{}
	storetest.RunSealing(t, func(t *testing.T, kr seal.Keyring) storetest.SealedStore {
		// One Store per subtest, reconfigured with each new keyring.
		opts := memstore.Options{Keyring: kr, InsecureUnsealed: kr == nil}
		s, ok := stores[t.Name()]
		if !ok {
			var err error
			if s, err = memstore.NewOptions(opts); err != nil {
				t.Fatal(err)
			}
			stores[t.Name()] = s
		} else if err := s.Reconfigure(opts); err != nil {
			t.Fatal(err)
		}
		return storetest.SealedStore{Store: s, Raw: func(*testing.T) string { return memstore.Raw(s) }}
	})
}

func TestNewOptionsRefusesWithoutKeyring(t *testing.T) {
	if _, err := memstore.NewOptions(memstore.Options{}); err == nil {
		t.Fatal("NewOptions without a keyring succeeded")
	}
}

func BenchmarkSealing(b *testing.B) {
	storetest.BenchSealing(b, func(b *testing.B, kr seal.Keyring) store.Store {
		s, err := memstore.NewOptions(memstore.Options{Keyring: kr, InsecureUnsealed: kr == nil})
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
