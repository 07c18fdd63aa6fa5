package pgstore

import (
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/internal/pgtest"
	"github.com/onboardkit/onboardkit/store/internal/sqlstore"
	"github.com/onboardkit/onboardkit/store/seal"
)

// TestPlanCacheMode: every connection plans each execution with its
// arguments (see openDB), set after connecting rather than as a startup
// parameter; a DSN that names plan_cache_mode keeps its own.
func TestPlanCacheMode(t *testing.T) {
	dsn := pgtest.DSN(t)
	mode := func(dsn string) string {
		t.Helper()
		db, err := openDB(dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var m string
		if err := db.QueryRowContext(t.Context(), `SHOW plan_cache_mode`).Scan(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := mode(dsn); m != "force_custom_plan" {
		t.Fatalf("plan_cache_mode %q, want force_custom_plan", m)
	}
	own := dsn + "&plan_cache_mode=auto"
	if !strings.Contains(dsn, "://") {
		own = dsn + " plan_cache_mode=auto"
	} else if !strings.Contains(dsn, "?") {
		own = dsn + "?plan_cache_mode=auto"
	}
	if m := mode(own); m != "auto" {
		t.Fatalf("plan_cache_mode %q with the DSN's own, want auto", m)
	}
}

// TestScalePlans asks PostgreSQL how it would run the queries that keep
// lists O(page) at scale, with sequential scans disabled (an empty schema
// has no statistics): each must be served by an index, substring
// searches by a trigram index, prefix searches by a btree range, the
// offset of a startIndex jump by an index-only scan from its bucket, and a
// page after a known key by a range of the index.
func TestScalePlans(t *testing.T) {
	dsn := pgtest.Schema(t, pgtest.DSN(t), "okt")
	s, err := Open(t.Context(), dsn, Options{Keyring: seal.NewEphemeralKeyring()})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := openDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Statistics of a directory of 50,000 users among 50,000 organizations,
	// written directly, then sequential scans off for the tables that stay
	// small. The list buckets' trigger is off for the one statement that
	// writes the users (it would try to split the first bucket, in vain,
	// once per 1,024 rows: see migration 0015); their counts are not
	// planned with.
	for _, st := range []string{
		`ALTER TABLE directory_users DISABLE TRIGGER directory_users_list_buckets`,
		`INSERT INTO organizations (id, id_lower, name, name_lower, created_at, updated_at)
SELECT 'org_' || i, 'org_' || i, 'Company ' || i, 'company ' || i, now(), now() FROM generate_series(1, 50000) i`,
		`INSERT INTO directories (id, org_id, state, created_at, updated_at) VALUES ('dir', 'org_1', 'active', now(), now())`,
		`INSERT INTO directory_users (id, directory_id, org_id, user_name, user_name_lower, active, display_name, display_name_lower, version, created_at, updated_at)
SELECT 'usr_' || i, 'dir', 'org_1', 'user' || i || '@example.com', 'user' || i || '@example.com', true, 'Person ' || i, 'person ' || i, 1, now(), now() FROM generate_series(1, 50000) i`,
		`INSERT INTO directory_user_emails (directory_id, value_lower, user_id) SELECT 'dir', 'u' || i || 'x@mail.example', 'usr_' || i FROM generate_series(1, 50000) i`,
		`ALTER TABLE directory_users ENABLE TRIGGER directory_users_list_buckets`,
		`ANALYZE`,
		`SET enable_seqscan = off`,
	} {
		if _, err := conn.ExecContext(t.Context(), st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	for _, q := range sqlstore.ScaleQueries(dialect) {
		rows, err := conn.QueryContext(t.Context(), "EXPLAIN "+sqlstore.Rebind(dialect, q.SQL), q.Args...)
		if err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		all := strings.Join(plan, "\n")
		t.Logf("%s:\n%s", q.Name, all)
		if strings.Contains(all, "Seq Scan") {
			t.Errorf("%s scans a table:\n%s", q.Name, all)
		}
		switch {
		case strings.HasSuffix(q.Name, " sw"):
			if !strings.Contains(all, "Index Cond: ((directory_id = 'dir'::text) AND (display_name_lower >= ") {
				t.Errorf("%s does not search a range of a btree index:\n%s", q.Name, all)
			}
		case strings.Contains(q.Name, "search") || strings.HasSuffix(q.Name, " co"):
			if !strings.Contains(all, "_trgm") {
				t.Errorf("%s does not use a trigram index:\n%s", q.Name, all)
			}
		case strings.Contains(q.Name, "at an offset"):
			if !strings.Contains(all, "Index Only Scan using directory_users_created") {
				t.Errorf("%s does not walk the offset in the index alone:\n%s", q.Name, all)
			}
			// From the bucket holding the offset, found by the buckets'
			// primary key.
			if !strings.Contains(all, "directory_list_buckets_pkey") || !strings.Contains(all, "bucket_at") {
				t.Errorf("%s does not start at the offset's bucket:\n%s", q.Name, all)
			}
		case strings.HasPrefix(q.Name, "events newest first"):
			if !strings.Contains(all, "Index Scan Backward using events_") {
				t.Errorf("%s does not walk an index of cursors backwards:\n%s", q.Name, all)
			}
		case strings.Contains(q.Name, "known key"):
			if !strings.Contains(all, "Index Cond: ((directory_id = ") || !strings.Contains(all, "ROW(created_at, id) >") {
				t.Errorf("%s does not start at the key:\n%s", q.Name, all)
			}
		}
	}
}
