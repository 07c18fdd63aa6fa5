package pgstore_test

import (
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/pgstore"
	"github.com/onboardkit/onboardkit/store/seal"
	"github.com/onboardkit/onboardkit/store/storetest"
)

func TestSealing(t *testing.T) {
	testDSN(t)
	storetest.RunSealing(t, func(t *testing.T, kr seal.Keyring) storetest.SealedStore {
		// One schema per subtest, reopened with each new keyring.
		dsn, ok := schemas[t.Name()]
		if !ok {
			dsn = freshSchema(t)
			schemas[t.Name()] = dsn
		}
		s, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Keyring: kr, InsecureUnsealed: kr == nil})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return storetest.SealedStore{Store: s, Raw: func(t *testing.T) string {
			raw, err := pgstore.Raw(t.Context(), s)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}}
	})
}

// schemas keeps the schema of each sealing subtest (they run one at a
// time).
var schemas = map[string]string{}

func TestOpenRefusesWithoutKeyring(t *testing.T) {
	_, err := pgstore.Open(t.Context(), "postgres://127.0.0.1:1/none", pgstore.Options{})
	if err == nil || !strings.Contains(err.Error(), "Keyring") || !strings.Contains(err.Error(), "InsecureUnsealed") {
		t.Fatalf("Open without a keyring: %v", err)
	}
}

func BenchmarkSealing(b *testing.B) {
	testDSN(b)
	storetest.BenchSealing(b, func(b *testing.B, kr seal.Keyring) store.Store {
		s, err := pgstore.Open(b.Context(), freshSchema(b), pgstore.Options{Keyring: kr, InsecureUnsealed: kr == nil})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}
