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
