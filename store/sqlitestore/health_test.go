package sqlitestore_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/seal"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

func TestCheckHealth(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onboardkit.db")
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{Keyring: seal.NewEphemeralKeyring()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var hc store.HealthChecker = s
	if err := hc.CheckHealth(t.Context()); err != nil {
		t.Fatalf("CheckHealth: %v", err)
	}
	// The schema loses its last migration (as a database restored from an
	// older backup would): not ready.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	if err := hc.CheckHealth(t.Context()); !errors.Is(err, store.ErrMigrationsPending) {
		t.Fatalf("CheckHealth with a migration missing: %v", err)
	}
	s.Close()
	if err := hc.CheckHealth(t.Context()); err == nil {
		t.Fatal("CheckHealth of a closed store")
	}
}
