package sqlitestore_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/seal"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
	"github.com/onboardkit/onboardkit/store/storetest"
)

func TestSealing(t *testing.T) {
	paths := map[string]string{}
	storetest.RunSealing(t, func(t *testing.T, kr seal.Keyring) storetest.SealedStore {
		// One database file per subtest, reopened with each new keyring.
		path, ok := paths[t.Name()]
		if !ok {
			path = filepath.Join(t.TempDir(), "onboardkit.db")
			paths[t.Name()] = path
		}
		s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{Keyring: kr, InsecureUnsealed: kr == nil})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return storetest.SealedStore{Store: s, Raw: func(t *testing.T) string {
			raw, err := sqlitestore.Raw(t.Context(), s)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}}
	})
}

func TestOpenRefusesWithoutKeyring(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onboardkit.db")
	_, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
	if err == nil || !strings.Contains(err.Error(), "Keyring") || !strings.Contains(err.Error(), "InsecureUnsealed") {
		t.Fatalf("Open without a keyring: %v", err)
	}
	if _, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{InsecureUnsealed: true}); err != nil {
		t.Fatalf("Open with InsecureUnsealed: %v", err)
	}
}

func BenchmarkSealing(b *testing.B) {
	storetest.BenchSealing(b, func(b *testing.B, kr seal.Keyring) store.Store {
		s, err := sqlitestore.Open(b.Context(), filepath.Join(b.TempDir(), "onboardkit.db"), sqlitestore.Options{Keyring: kr, InsecureUnsealed: kr == nil})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}
