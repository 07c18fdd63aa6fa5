package pgstore

import (
	"context"
	"database/sql"

	"github.com/onboardkit/onboardkit/store/internal/sqlstore"
)

// MigrateTo applies the migrations up to version to db.
func MigrateTo(ctx context.Context, db *sql.DB, version int) error {
	ms, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	n := 0
	for n < len(ms) && ms[n].Version <= version {
		n++
	}
	_, err = sqlstore.Migrate(ctx, db, dialect, ms[:n])
	return err
}

// Raw returns every value the Store's schema keeps, as text.
func Raw(ctx context.Context, s *Store) (string, error) {
	return sqlstore.Dump(ctx, s.Store, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
}
