package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// trigramIndexes is the Go step of migration 0009 on a database with
// Dialect.TrigramGIN (PostgreSQL): it creates the pg_trgm extension if the
// database lacks it, then the trigram GIN indexes that serve substring
// search of organizations and SCIM co, sw and ew filters on userName,
// displayName and emails. The operator class is named with the schema the
// extension is in, which need not be on the search_path (a DSN may set
// search_path to onboardkit's own schema only).
func trigramIndexes(ctx context.Context, tx *sql.Tx, d *Dialect) error {
	if !d.TrigramGIN {
		return nil
	}
	schema, err := trigramSchema(ctx, tx)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_trgm`); err != nil {
			return fmt.Errorf("creating the pg_trgm extension, which substring search needs (it ships with PostgreSQL, in the contrib package of some distributions; a superuser can run CREATE EXTENSION pg_trgm in this database beforehand): %w", err)
		}
		schema, err = trigramSchema(ctx, tx)
	}
	if err != nil {
		return fmt.Errorf("finding the pg_trgm extension: %w", err)
	}
	ops := `"` + strings.ReplaceAll(schema, `"`, `""`) + `".gin_trgm_ops`
	for _, ix := range [][3]string{
		{"organizations_name_trgm", "organizations", "name_lower"},
		{"organizations_id_trgm", "organizations", "id_lower"},
		{"organizations_external_id_trgm", "organizations", "external_id_lower"},
		{"directory_users_user_name_trgm", "directory_users", "user_name_lower"},
		{"directory_users_display_name_trgm", "directory_users", "display_name_lower"},
		{"directory_user_emails_value_trgm", "directory_user_emails", "value_lower"},
	} {
		if _, err := tx.ExecContext(ctx, `CREATE INDEX `+ix[0]+` ON `+ix[1]+` USING gin (`+ix[2]+` `+ops+`)`); err != nil {
			return fmt.Errorf("creating index %s: %w", ix[0], err)
		}
	}
	return nil
}

func trigramSchema(ctx context.Context, tx *sql.Tx) (string, error) {
	var schema string
	err := tx.QueryRowContext(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`).Scan(&schema)
	return schema, err
}
