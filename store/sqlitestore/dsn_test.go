package sqlitestore_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"modernc.org/sqlite"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// TestPragmas checks that the connections run with the settings Open
// promises.
func TestPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onboardkit.db")
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, readOnly := range []bool{false, true} {
		role, cache := sqlitestore.RoleWriter, "-8192"
		if readOnly {
			role, cache = sqlitestore.RoleReader, "-1024"
		}
		db, err := sql.Open("sqlite", sqlitestore.DSN(path, role, sqlitestore.Options{}))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct{ pragma, want string }{
			{"journal_mode", "wal"},
			{"synchronous", "2"}, // FULL
			{"foreign_keys", "1"},
			{"busy_timeout", "10000"},
			// Bounded page caches and no memory map: see TestMemory in
			// examples/quickstart.
			{"mmap_size", "0"},
			{"cache_size", cache},
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

// TestSynchronous checks the synchronous setting in effect on the Store's
// own connections: FULL (2) by default, so that an acknowledged write
// survives a power loss, and NORMAL (1) only when asked for.
func TestSynchronous(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(path string) (*sqlitestore.Store, error)
		want string
	}{
		{"Open", func(p string) (*sqlitestore.Store, error) {
			return sqlitestore.Open(t.Context(), p, sqlitestore.Options{Keyring: testKeyring})
		}, "2"},
		{"zero Options", func(p string) (*sqlitestore.Store, error) {
			return sqlitestore.Open(t.Context(), p, sqlitestore.Options{Keyring: testKeyring})
		}, "2"},
		{"SynchronousNormal", func(p string) (*sqlitestore.Store, error) {
			return sqlitestore.Open(t.Context(), p, sqlitestore.Options{Keyring: testKeyring, SynchronousNormal: true})
		}, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.open(filepath.Join(t.TempDir(), "onboardkit.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, read := range []bool{false, true} {
				got, err := sqlitestore.Pragma(t.Context(), s, read, "synchronous")
				if err != nil {
					t.Fatal(err)
				}
				if got != tc.want {
					t.Errorf("%s connection: PRAGMA synchronous = %s, want %s", map[bool]string{false: "write", true: "read"}[read], got, tc.want)
				}
			}
		})
	}
}

// TestFdatasync checks that Open makes SQLite sync with fdatasync where
// the system has it, that Options.Fsync keeps fsync while its Store is
// open, whatever is opened meanwhile, and that a commit succeeds with
// either.
func TestFdatasync(t *testing.T) {
	if _, err := sqlite.Fdatasync(sqlite.FdatasyncEnabled()); errors.Is(err, sqlite.ErrFdatasyncUnavailable) {
		t.Skipf("%s has no fdatasync", runtime.GOOS)
	}
	t.Cleanup(func() { sqlite.Fdatasync(true) })
	n := 0
	open := func(fsync, want bool) *sqlitestore.Store {
		t.Helper()
		n++
		s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "onboardkit.db"), sqlitestore.Options{Keyring: testKeyring, Fsync: fsync})
		if err != nil {
			t.Fatal(err)
		}
		if got := sqlite.FdatasyncEnabled(); got != want {
			t.Errorf("open %d (Fsync %v): fdatasync enabled = %v, want %v", n, fsync, got, want)
		}
		now := time.Now()
		if err := s.CreateOrganization(t.Context(), &store.Organization{ID: "org_sync", Name: "Sync", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	open(false, true).Close()
	a := open(true, false)
	b := open(false, false) // a still wants fsync
	a.Close()
	if !sqlite.FdatasyncEnabled() {
		t.Error("fdatasync still off after the Store that chose fsync closed")
	}
	a.Close() // twice: releases once
	c := open(true, false)
	d := open(true, false)
	c.Close()
	if sqlite.FdatasyncEnabled() {
		t.Error("fdatasync on while a Store that chose fsync is open")
	}
	d.Close()
	b.Close()
	open(false, true).Close()
}
