package pgstore_test

import (
	"database/sql"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/onboardkit/onboardkit/store/internal/soak"
	"github.com/onboardkit/onboardkit/store/pgstore"
)

// TestSoakCleanup runs the soak of package soak: 2,000 logins and portal
// visits, or 200,000 with ONBOARDKIT_SOAK=1 (go test -run TestSoakCleanup
// -v -timeout 60m ./store/pgstore/). It logs row counts and the size of
// the soak's tables with their indexes (pg_total_relation_size) before and
// after the cleanup; PostgreSQL's autovacuum makes the freed space
// reusable, as SQLite's free list does.
func TestSoakCleanup(t *testing.T) {
	dsn := freshSchema(t)
	st, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	soak.Run(t, soak.Backend{
		Store:   st,
		Workers: 8,
		Count: func(table string) int64 {
			var n int64
			if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
		Size: func() string {
			var size string
			q := `SELECT pg_size_pretty(SUM(pg_total_relation_size(c.oid))) FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'`
			if err := db.QueryRow(q).Scan(&size); err != nil {
				t.Fatal(err)
			}
			return "tables and indexes " + size
		},
	})
}
