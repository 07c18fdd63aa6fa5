package sqlitestore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/onboardkit/onboardkit/store/internal/sqlstore"
	"github.com/onboardkit/onboardkit/store/internal/sqlstore/migratetest"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// TestMigrateMatchKeys writes rows as the first schema did and checks that
// opening the database gives them store.MatchKey keys.
func TestMigrateMatchKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onboardkit.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlitestore.MigrateTo(t.Context(), db, 1); err != nil {
		t.Fatal(err)
	}
	migratetest.WriteLegacyRows(t, migratetest.DB{
		Exec: func(ctx context.Context, q string, args ...any) error {
			_, err := db.ExecContext(ctx, q, args...)
			return err
		},
		Time: sqlstore.Micros,
	})
	db.Close()
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	migratetest.CheckMigrated(t, s)
}
