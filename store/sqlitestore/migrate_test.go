package sqlitestore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/internal/sqlstore"
	"github.com/onboardkit/onboardkit/store/internal/sqlstore/migratetest"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// TestMigrateMatchKeys writes rows as the first schema did and checks that
// opening the database gives them store.MatchKey keys.
func TestMigrateMatchKeys(t *testing.T) {
	path, db := legacyDatabase(t)
	db.Close()
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	migratetest.CheckMigrated(t, s)
}

// TestMigrateUsersSearchColumns: the migration that drops the trigram
// index's unused emails column rebuilds the index of the users already
// there, and its triggers keep it up to date afterwards.
func TestMigrateUsersSearchColumns(t *testing.T) {
	path, db := legacyDatabase(t)
	if err := sqlitestore.MigrateTo(t.Context(), db, 13); err != nil {
		t.Fatal(err)
	}
	columns := func() []string {
		t.Helper()
		rows, err := db.QueryContext(t.Context(), `SELECT name FROM pragma_table_info('directory_users_search')`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			out = append(out, n)
		}
		return out
	}
	if c := columns(); !slices.Contains(c, "emails") {
		t.Fatalf("before: columns %q", c)
	}
	if err := sqlitestore.MigrateTo(t.Context(), db, 14); err != nil {
		t.Fatal(err)
	}
	if c := columns(); !slices.Equal(c, []string{"user_name_lower", "display_name_lower"}) {
		t.Fatalf("after: columns %q", c)
	}
	db.Close()
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	// The index answers co on userName as a scan of every user does.
	check := func(dir, needle string) {
		t.Helper()
		all, _, err := s.ListDirectoryUsers(ctx, dir, store.UserQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, u := range all {
			if strings.Contains(strings.ToLower(u.UserName), needle) {
				want = append(want, u.ID)
			}
		}
		got, _, err := s.ListDirectoryUsers(ctx, dir, store.UserQuery{Limit: 100, Filter: store.Compare{Attr: store.AttrUserName, Op: store.OpCo, Value: needle}})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, u := range got {
			ids = append(ids, u.ID)
		}
		slices.Sort(ids)
		slices.Sort(want)
		if len(want) == 0 || !slices.Equal(ids, want) {
			t.Fatalf("userName co %q: %q, want %q", needle, ids, want)
		}
	}
	check("dir", "xample")
	u, err := s.GetDirectoryUser(ctx, "dir", "u1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateDirectoryUser(ctx, "dir", u.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
		u.UserName = "renamed-zq@example.org"
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	check("dir", "renamed-zq")
	check("dir", "xample")
}

// legacyDatabase makes a database at the first schema version, in a new
// file, with the rows migratetest writes as that schema did.
// TestMigrateListBuckets: migration 0015 counts the users and groups of
// the directories already there, so that jumps into them give the
// LIMIT/OFFSET page, and the triggers take over from its buckets.
func TestMigrateListBuckets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onboardkit.db")
	// Without a sync per row written.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=synchronous(0)")
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlitestore.MigrateTo(t.Context(), db, 14); err != nil {
		t.Fatal(err)
	}
	migratetest.WriteListRows(t, migratetest.DB{
		Exec: func(ctx context.Context, q string, args ...any) error {
			_, err := db.ExecContext(ctx, q, args...)
			return err
		},
		Time: sqlstore.Micros,
	})
	db.Close()
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	migratetest.CheckListJumps(t, s)
}

// TestMigrateEmailSearch: migration 0016 indexes the folded email values
// already stored, so that co and ew find them through the index.
func TestMigrateEmailSearch(t *testing.T) {
	path, db := legacyDatabase(t)
	if err := sqlitestore.MigrateTo(t.Context(), db, 15); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		op   store.Op
		v    string
		want int
	}{
		{store.OpCo, "RASSE@EXAM", 1}, // Straße@Example.com, folded
		{store.OpEw, "ÖRG.MÜLLER@EXAMPLE.COM", 1},
		{store.OpCo, "nobody", 0},
	} {
		got, total, err := s.ListDirectoryUsers(t.Context(), "dir", store.UserQuery{Limit: 10, Filter: store.Compare{Attr: store.AttrEmail, Op: tc.op, Value: tc.v}})
		if err != nil || total != tc.want || len(got) != tc.want || (tc.want == 1 && got[0].ID != "u4") {
			t.Fatalf("emails %s %q: %d users (total %d, %v), want %d (u4)", tc.op, tc.v, len(got), total, err, tc.want)
		}
	}
}

func legacyDatabase(t *testing.T) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "onboardkit.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlitestore.MigrateTo(t.Context(), db, 1); err != nil {
		t.Fatal(err)
	}
	migratetest.WriteLegacyRows(t, migratetest.DB{
		Exec: func(ctx context.Context, q string, args ...any) error {
			_, err := db.ExecContext(ctx, q, args...)
			return err
		},
		Time: sqlstore.Micros,
	})
	return path, db
}
