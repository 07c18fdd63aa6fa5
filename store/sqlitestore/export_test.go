package sqlitestore

import (
	"context"
	"database/sql"

	"github.com/onboardkit/onboardkit/store/internal/sqlstore"
)

// Test hooks.
var (
	DSN        = dsn
	RoleWriter = writer
	RoleReader = reader
)

// Pragma reads PRAGMA name on the Store's write connection, or on one of
// its read connections when read.
func Pragma(ctx context.Context, s *Store, read bool, name string) (string, error) {
	db := s.w
	if read {
		db = s.r
	}
	var v string
	err := db.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}

// MigrateTo applies the migrations up to version to db.
func MigrateTo(ctx context.Context, db *sql.DB, version int) error {
	return sqlstore.MigrateTo(ctx, db, dialect, migrationFiles, "migrations", version)
}

// Raw returns every value the database file keeps, as text.
func Raw(ctx context.Context, s *Store) (string, error) {
	return sqlstore.Dump(ctx, s.Store, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
}

// Exec runs stmts in order as one write.
func Exec(ctx context.Context, s *Store, stmts ...string) error {
	return sqlstore.Exec(ctx, s.Store, stmts...)
}

// GroupStats reports the writes waiting for the write connection, and the
// batches and writes committed so far.
func GroupStats(s *Store) (waiting int, batches, writes int64) {
	return sqlstore.GroupStats(s.Store)
}
