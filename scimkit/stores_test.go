package scimkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to create test schemas

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/pgstore"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// pgDSNEnv names the PostgreSQL server the tests also run on when set
// (for example postgres://postgres@127.0.0.1:5432/test?sslmode=disable).
const pgDSNEnv = "ONBOARDKIT_TEST_POSTGRES_DSN"

// envMaker makes a test environment on one Store implementation.
type envMaker func(t *testing.T, mod func(*Config)) *testEnv

// testStores are the Stores the replay, security and benchmark code runs
// on: memstore, SQLite, and PostgreSQL when pgDSNEnv is set.
func testStores() map[string]func(tb testing.TB) store.Store {
	m := map[string]func(tb testing.TB) store.Store{
		"memstore": func(testing.TB) store.Store { return memstore.New() },
		"sqlite": func(tb testing.TB) store.Store {
			st, err := sqlitestore.Open(context.Background(), filepath.Join(tb.TempDir(), "scim.db"))
			if err != nil {
				tb.Fatalf("sqlitestore.Open: %v", err)
			}
			tb.Cleanup(func() { st.Close() })
			return st
		},
	}
	if dsn := os.Getenv(pgDSNEnv); dsn != "" {
		m["postgres"] = func(tb testing.TB) store.Store {
			st, err := pgstore.Open(context.Background(), freshSchema(tb, dsn))
			if err != nil {
				tb.Fatalf("pgstore.Open: %v", err)
			}
			tb.Cleanup(func() { st.Close() })
			return st
		}
	}
	return m
}

// freshSchema creates an empty schema, dropped when the test ends, and
// returns a DSN selecting it.
func freshSchema(tb testing.TB, dsn string) string {
	tb.Helper()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { admin.Close() })
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	schema := "scimkit_" + hex.EncodeToString(b) // hex only: safe to quote
	if _, err := admin.ExecContext(context.Background(), `CREATE SCHEMA "`+schema+`"`); err != nil {
		tb.Fatalf("creating schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA "`+schema+`" CASCADE`); err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("parsing %s: %v", pgDSNEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func forEachStore(t *testing.T, test func(t *testing.T, mk envMaker)) {
	for name, open := range testStores() {
		t.Run(name, func(t *testing.T) {
			test(t, func(t *testing.T, mod func(*Config)) *testEnv {
				return newTestEnvStore(t, open(t), mod)
			})
		})
	}
}
