package pgstore_test

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store/internal/sqlstore/migratetest"
	"github.com/onboardkit/onboardkit/store/pgstore"
	"github.com/onboardkit/onboardkit/store/seal"
)

// testKeyring seals the secrets of every Store a test of this package
// opens, so that two instances or a reopened file open each other's.
var testKeyring = seal.NewEphemeralKeyring()

// TestMigrateMatchKeys writes rows as the first schema did and checks that
// opening the database gives them store.MatchKey keys.
func TestMigrateMatchKeys(t *testing.T) {
	dsn := freshSchema(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := pgstore.MigrateTo(t.Context(), db, 1); err != nil {
		t.Fatal(err)
	}
	migratetest.WriteLegacyRows(t, migratetest.DB{Exec: rebound(db), Time: func(t time.Time) any { return t }})
	s, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	migratetest.CheckMigrated(t, s)
}

// TestMigrateListBuckets: migration 0015 counts the users and groups of
// the directories already there, so that jumps into them give the
// LIMIT/OFFSET page, and the trigger takes over from its buckets.
func TestMigrateListBuckets(t *testing.T) {
	dsn := freshSchema(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := pgstore.MigrateTo(t.Context(), db, 14); err != nil {
		t.Fatal(err)
	}
	migratetest.WriteListRows(t, migratetest.DB{Exec: rebound(db), Time: func(t time.Time) any { return t }})
	s, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	migratetest.CheckListJumps(t, s)
}

// rebound runs a statement written with '?' placeholders on db.
func rebound(db *sql.DB) func(ctx context.Context, q string, args ...any) error {
	return func(ctx context.Context, q string, args ...any) error {
		var b strings.Builder
		n := 0
		for _, c := range q {
			if c == '?' {
				n++
				b.WriteString("$" + strconv.Itoa(n))
				continue
			}
			b.WriteRune(c)
		}
		_, err := db.ExecContext(ctx, b.String(), args...)
		return err
	}
}
