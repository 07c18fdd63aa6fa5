package sqlitestore_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// TestPragmas checks that the connections run with the settings Open
// promises.
func TestPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onboardkit.db")
	s, err := sqlitestore.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, readOnly := range []bool{false, true} {
		role := sqlitestore.RoleWriter
		if readOnly {
			role = sqlitestore.RoleReader
		}
		db, err := sql.Open("sqlite", sqlitestore.DSN(path, role))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct{ pragma, want string }{
			{"journal_mode", "wal"},
			{"synchronous", "1"},
			{"foreign_keys", "1"},
			{"busy_timeout", "10000"},
		} {
			var got string
			if err := db.QueryRow("PRAGMA " + p.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != p.want {
				t.Errorf("readOnly=%v: PRAGMA %s = %s, want %s", readOnly, p.pragma, got, p.want)
			}
		}
		_, err = db.Exec(`DELETE FROM organizations`)
		if readOnly && err == nil {
			t.Error("a read-only connection could write")
		}
		if !readOnly && err != nil {
			t.Errorf("the write connection cannot write: %v", err)
		}
		db.Close()
	}
}
