package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/onboardkit/onboardkit/store"
)

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string
	// Statements are executed in order, each on its own.
	Statements []string
}

// LoadMigrations reads the files NNNN_name.sql of dir in fsys, ordered by
// version. Statements in a file are separated by a line that ends with ';'.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: reading migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlstore: migration %q: name must be NNNN_name.sql", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("sqlstore: reading migration %q: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: name, Statements: splitStatements(string(b))})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("sqlstore: two migrations with version %d", ms[i].Version)
		}
	}
	return ms, nil
}

// splitStatements splits a migration file at lines ending with ';',
// dropping "--" comment lines. Two kinds of statement hold lines ending
// with ';' of their own: a body between "$$" quotes (a PostgreSQL
// function) ends at the line that closes the quote, and a CREATE TRIGGER
// with a BEGIN ... END body (SQLite) at the line that ends with "END;".
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for line := range strings.Lines(src) {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		if strings.Count(line, "$$")%2 == 1 {
			quoted = !quoted
		}
		st := strings.ToUpper(cur.String())
		trigger := strings.HasPrefix(strings.TrimSpace(st), "CREATE TRIGGER") && strings.Contains(st, " BEGIN") &&
			!strings.HasSuffix(strings.ToUpper(trimmed), "END;")
		if !quoted && !trigger && strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// Migrate applies the migrations not yet recorded in schema_migrations, in
// one transaction on db, and returns the versions it applied. A migration
// whose file has a step written in Go (see goSteps) runs it after its
// statements. With
// d.MigrationLock set, that statement runs first in the transaction so that
// several processes opening one fresh database apply each migration once.
func Migrate(ctx context.Context, db *sql.DB, d Dialect, ms []Migration) ([]int, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer tx.Rollback()
	if d.MigrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.MigrationLock); err != nil {
			return nil, fmt.Errorf("sqlstore: migrate: taking the migration lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	name TEXT NOT NULL
)`); err != nil {
		return nil, fmt.Errorf("sqlstore: migrate: creating schema_migrations: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	applied, err := collectRows(rows, err, func(r *sql.Rows) (int, error) {
		var v int
		return v, r.Scan(&v)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrate: reading schema_migrations: %w", err)
	}
	if len(ms) > 0 {
		latest := ms[len(ms)-1].Version
		for _, v := range applied {
			if v > latest {
				return nil, fmt.Errorf("sqlstore: the database schema is at version %d, newer than this program knows (%d): upgrade the program", v, latest)
			}
		}
	}
	var done []int
	for _, m := range ms {
		if slices.Contains(applied, m.Version) {
			continue
		}
		for i, st := range m.Statements {
			if _, err := tx.ExecContext(ctx, st); err != nil {
				return nil, fmt.Errorf("sqlstore: migration %s, statement %d: %w", m.Name, i+1, err)
			}
		}
		if step := goStep(m.Name); step != nil {
			if err := step(ctx, tx, &d); err != nil {
				return nil, fmt.Errorf("sqlstore: migration %s: %w", m.Name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, rebind(&d, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`), m.Version, m.Name); err != nil {
			return nil, fmt.Errorf("sqlstore: migration %s: recording it: %w", m.Name, err)
		}
		done = append(done, m.Version)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlstore: migrate: %w", err)
	}
	return done, nil
}

// Latest returns the version of the last of ms, 0 for none.
func Latest(ms []Migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// CheckHealth reads the applied migrations through the read pool: the
// database answers, and its schema is at the version this program knows
// (or a later one another instance applied).
func (s *Store) CheckHealth(ctx context.Context) error {
	r, err := s.read(ctx)
	if err != nil {
		return err
	}
	var v int
	if err := r.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("sqlstore: reading the schema version: %w", err)
	}
	if v < s.schema {
		return fmt.Errorf("%w: the schema is at version %d, this program needs %d", store.ErrMigrationsPending, v, s.schema)
	}
	return nil
}

// MigrateTo applies to db the migrations of dir in fsys up to version, for
// tests that need a database of an older schema.
func MigrateTo(ctx context.Context, db *sql.DB, d Dialect, fsys fs.FS, dir string, version int) error {
	ms, err := LoadMigrations(fsys, dir)
	if err != nil {
		return err
	}
	n := 0
	for n < len(ms) && ms[n].Version <= version {
		n++
	}
	_, err = Migrate(ctx, db, d, ms[:n])
	return err
}
