// Package pgtest gives tests and benchmarks a PostgreSQL schema of their
// own, as net/http/httptest gives them an HTTP server.
//
// The server is named by the environment variable DSNEnv, in either form
// pgx accepts (a postgres:// URL or key=value pairs). Without it the tests
// that need PostgreSQL are skipped, except under CI=true where they fail:
// CI must run them.
//
//	dsn := pgtest.Schema(t, pgtest.DSN(t), "mypkg")
//	st, err := pgstore.Open(ctx, dsn, pgstore.Options{Keyring: keyring}) // works in a fresh, empty schema
//
// Each schema is named after the caller's prefix and a random suffix, so
// tests can run in parallel, and several packages at once, on one database;
// it is dropped with everything in it when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// DSNEnv names the environment variable holding the DSN of the PostgreSQL
// server tests run on, for example
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const DSNEnv = "ONBOARDKIT_TEST_POSTGRES_DSN"

// exampleDSN is shown when DSNEnv is not set.
const exampleDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// timeout bounds creating and dropping a schema, so that an unresponsive
// server fails the test instead of hanging it.
const timeout = time.Minute

// Enabled reports whether tests should run on PostgreSQL: when DSNEnv is
// set, or under CI=true, where DSN then fails the test. Code that runs on
// PostgreSQL beside other stores uses it to leave PostgreSQL out quietly
// otherwise; a test that only makes sense on PostgreSQL calls DSN instead.
func Enabled() bool {
	return os.Getenv(DSNEnv) != "" || ciRun()
}

// DSN returns the DSN of the test server, from DSNEnv. Without it, tb is
// skipped with a message naming DSNEnv and an example value, or fails when
// CI=true: CI must run the PostgreSQL tests.
func DSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(DSNEnv)
	if dsn == "" {
		if ciRun() {
			tb.Fatalf("%s is not set; CI=true must run the PostgreSQL tests (example: %s)", DSNEnv, exampleDSN)
		}
		tb.Skipf("%s is not set: skipping the PostgreSQL tests (example: %s)", DSNEnv, exampleDSN)
	}
	return dsn
}

func ciRun() bool { return os.Getenv("CI") == "true" }

// Schema creates an empty schema on the server of dsn, named prefix_
// followed by 16 random hex digits, which is dropped (CASCADE) when tb
// ends, and returns dsn with search_path selecting it, in dsn's form (URL
// or key=value). prefix is made of lower-case letters, digits and
// underscores.
//
// Cleanups run last registered first, so a Store opened on the returned
// DSN and closed with tb.Cleanup is closed before the schema is dropped.
func Schema(tb testing.TB, dsn, prefix string) string {
	tb.Helper()
	if !validPrefix(prefix) {
		tb.Fatalf("pgtest.Schema: prefix %q is not made of a-z, 0-9 and _", prefix)
	}
	b := make([]byte, 8)
	rand.Read(b) // never fails
	schema := prefix + "_" + hex.EncodeToString(b)
	withPath, err := withSearchPath(dsn, schema)
	if err != nil {
		tb.Fatalf("parsing %s: %v", DSNEnv, err)
	}

	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatalf("opening %s: %v", DSNEnv, err)
	}
	ctx, cancel := context.WithTimeout(tb.Context(), timeout)
	defer cancel()
	// The store's migrations create the pg_trgm extension where a database
	// lacks it, in the schema they go to; a test schema is dropped with
	// everything in it, indexes of other test schemas that use the
	// extension included. So the extension lives in public, as an operator
	// would install it. Tests starting at once may race to create it: the
	// losers' errors are ignored, and a missing extension shows when a
	// migration fails.
	_, _ = admin.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`)
	// The name is checked above, so quoting it is enough.
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA "`+schema+`"`); err != nil {
		admin.Close()
		tb.Fatalf("creating schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		// tb's context is cancelled by the time cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA "`+schema+`" CASCADE`); err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return withPath
}

// validPrefix reports whether prefix is a non-empty run of lower-case
// letters, digits and underscores, which PostgreSQL leaves as is in
// search_path and which needs no escaping once quoted.
func validPrefix(prefix string) bool {
	if prefix == "" {
		return false
	}
	for _, c := range prefix {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// withSearchPath returns dsn with search_path set to schema: a query
// parameter of a postgres:// or postgresql:// URL (replacing any
// search_path there), or a key=value pair appended otherwise (a later
// pair overrides an earlier one).
func withSearchPath(dsn, schema string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return "", err
		}
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " search_path=" + schema, nil
}
