package sqlitestore_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// BenchmarkBaselineInsert is the floor the store's writes are measured
// against: one transaction inserting one small row, on a connection set up
// like the store's writer. A store write costs about this per b-tree page
// it changes.
func BenchmarkBaselineInsert(b *testing.B) {
	path := filepath.Join(b.TempDir(), "x.db")
	db, err := sql.Open("sqlite", sqlitestore.DSN(path, sqlitestore.RoleWriter))
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)`); err != nil {
		b.Fatal(err)
	}
	st, err := db.Prepare(`INSERT INTO t (x) VALUES (?)`)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Stmt(st).Exec("hello world"); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
