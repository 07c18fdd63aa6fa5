package sqlitestore_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/onboardkit/onboardkit/store/internal/soak"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// TestSoakCleanup runs the soak of package soak: 2,000 logins and portal
// visits, or 200,000 with ONBOARDKIT_SOAK=1 (go test -run TestSoakCleanup
// -v -timeout 30m ./store/sqlitestore/). It logs row counts and the
// database's size (file, WAL, pages in use and free) before and after the
// cleanup. SQLite does not shrink the file when rows are deleted: the freed
// pages go to its free list and the next writes reuse them, so the file
// stays at its high-water mark while the pages in use go back down.
func TestSoakCleanup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onboardkit.db")
	st, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	soak.Run(t, soak.Backend{
		Store: st,
		Count: func(table string) int64 {
			var n int64
			if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
		Size: func() string {
			var pages, free, size int64
			for q, v := range map[string]*int64{"page_count": &pages, "freelist_count": &free, "page_size": &size} {
				if err := db.QueryRow(`PRAGMA ` + q).Scan(v); err != nil {
					t.Fatal(err)
				}
			}
			return fmt.Sprintf("file %s, WAL %s, pages in use %s, free %s",
				fileSize(path), fileSize(path+"-wal"), mib((pages-free)*size), mib(free*size))
		},
	})
}

func fileSize(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "-"
	}
	return mib(fi.Size())
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
