package pgstore

import (
	"context"
	"database/sql"

	"github.com/onboardkit/onboardkit/store/internal/sqlstore"
)

// MigrateTo applies the migrations up to version to db.
func MigrateTo(ctx context.Context, db *sql.DB, version int) error {
	return sqlstore.MigrateTo(ctx, db, dialect, migrationFiles, "migrations", version)
}

// Raw returns every value the Store's schema keeps, as text.
func Raw(ctx context.Context, s *Store) (string, error) {
	return sqlstore.Dump(ctx, s.Store, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
}
