package sqlitestore_test

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	notADB := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(notADB, []byte(strings.Repeat("not a database ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"empty path", "", "path is required"},
		{"missing directory", filepath.Join(dir, "missing", "sub", "db.sqlite"), "does not exist"},
		{"parent is a file", filepath.Join(file, "db.sqlite"), "not a directory"},
		{"path is a directory", dir, "is a directory"},
		{"memory", ":memory:", "database file"},
		{"not a database", notADB, "garbage.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlitestore.Open(t.Context(), tt.path, sqlitestore.Options{Keyring: testKeyring})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tt.path)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open(%q) = %v, want an error mentioning %q", tt.path, err, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open created the missing directory: %v", err)
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onboardkit.db")
	ctx := t.Context()
	now := time.Date(2030, 1, 2, 3, 4, 5, 123456789, time.UTC)
	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	org := &store.Organization{ID: "org_1", Name: "Acme", CreatedAt: now, UpdatedAt: now}
	ev := store.Event{ID: "evt_1", Type: "organization.created", OrgID: "org_1", CreatedAt: now}
	if err := s.CreateOrganization(ctx, org, ev); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	migrations := func() (n int, applied string) {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRow(`SELECT COUNT(*), group_concat(name) FROM schema_migrations`).Scan(&n, &applied); err != nil {
			t.Fatal(err)
		}
		return n, applied
	}
	n1, names1 := migrations()
	if n1 == 0 {
		t.Fatal("no migration recorded")
	}

	for i := range 2 {
		s, err = sqlitestore.Open(ctx, path, sqlitestore.Options{Keyring: testKeyring})
		if err != nil {
			t.Fatalf("reopening: %v", err)
		}
		got, err := s.GetOrganization(ctx, "org_1")
		if err != nil {
			t.Fatalf("organization lost on reopen: %v", err)
		}
		if got.Name != "Acme" || !got.CreatedAt.Equal(now.Truncate(time.Microsecond)) {
			t.Errorf("reopened organization = %+v", got)
		}
		if c, err := s.LastEventCursor(ctx); err != nil || c != int64(i+1) {
			t.Errorf("LastEventCursor after reopen = %d, %v; want %d", c, err, i+1)
		}
		evs, err := s.AppendEvents(ctx, store.Event{ID: "evt_" + time.Now().Format("150405.000000000"), Type: "x.y", CreatedAt: now})
		if err != nil || len(evs) != 1 {
			t.Fatalf("AppendEvents after reopen: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if n, names := migrations(); n != n1 || names != names1 {
			t.Errorf("reopen changed schema_migrations: %d %q, was %d %q", n, names, n1, names1)
		}
	}
}

// TestConcurrentOpen opens one fresh file from several goroutines at once:
// exactly one applies the migrations, the others wait for it.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onboardkit.db")
	errs := make(chan error, 4)
	stores := make(chan *sqlitestore.Store, 4)
	for range 4 {
		go func() {
			s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{Keyring: testKeyring})
			if err == nil {
				stores <- s
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
	close(stores)
	for s := range stores {
		if _, _, err := s.ListOrganizations(t.Context(), store.OrganizationQuery{}); err != nil {
			t.Error(err)
		}
		s.Close()
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onboardkit.db")
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err = sqlitestore.Open(t.Context(), path, sqlitestore.Options{Keyring: testKeyring})
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a database from a newer version")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open = %v, want an error about a newer schema", err)
	}
}
