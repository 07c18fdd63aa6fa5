// Package migratetest checks, on each SQL backend, that the match_keys
// migration rewrites the keys of rows written under the first schema. It
// is imported by the backends' tests only.
package migratetest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// DB writes rows into a database that has only the first schema.
type DB struct {
	// Exec runs a statement written with '?' placeholders.
	Exec func(ctx context.Context, query string, args ...any) error
	// Time converts a time for a time column.
	Time func(time.Time) any
}

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	jorgNFC = "J\u00f6rg.M\u00fcller@example.com"
	jorgNFD = "Jo\u0308rg.Mu\u0308ller@example.com"
)

// legacyUser is a user as the first schema's code wrote it.
type legacyUser struct {
	id, dir, name string
	emails        []store.Email
	created       int // minutes after t0
}

var legacyUsers = []legacyUser{
	{id: "u1", dir: "dir", name: jorgNFC, created: 1},                                            // key unchanged
	{id: "u2", dir: "dir", name: jorgNFD, created: 2},                                            // now u1's key
	{id: "u3", dir: "dir", name: "\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3", created: 3}, // ΟΔΥΣΣΕΥΣ: unchanged
	{id: "u5", dir: "dir", name: "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c2", created: 4}, // final sigma: u3's key
	{id: "u4", dir: "dir", name: "Stra\u00dfe@Example.com", created: 5, emails: []store.Email{{Value: "Stra\u00dfe@Example.com", Type: "Work", Primary: true}, {Value: jorgNFD, Type: "home"}}},
	{id: "u12", dir: "dir2", name: "\u03c3\u03b1\u03c2", created: 6}, // σας: changes
	{id: "u11", dir: "dir2", name: "\u03c2\u03b1\u03c2", created: 7}, // ςας: changes to the same key, later
}

// WriteLegacyRows writes an organization, two directories and users with
// the keys of the first schema (strings.ToLower), among them look-alikes
// that become equal under store.MatchKey.
func WriteLegacyRows(t testing.TB, db DB) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.Exec(ctx, `INSERT INTO organizations (id, id_lower, name, name_lower, external_id, external_id_lower, created_at, updated_at) VALUES ('org', 'org', 'Org', 'org', '', '', ?, ?)`, db.Time(t0), db.Time(t0)))
	for _, d := range []string{"dir", "dir2"} {
		must(db.Exec(ctx, `INSERT INTO directories (id, org_id, provider, name, state, created_at, updated_at) VALUES (?, 'org', 'okta', 'Okta', 'active', ?, ?)`, d, db.Time(t0), db.Time(t0)))
	}
	for _, u := range legacyUsers {
		var emails []byte
		primary := ""
		if u.emails != nil {
			emails, _ = json.Marshal(u.emails)
			primary = strings.ToLower(u.emails[0].Value)
		}
		at := db.Time(t0.Add(time.Duration(u.created) * time.Minute))
		must(db.Exec(ctx, `INSERT INTO directory_users (id, directory_id, org_id, user_name, user_name_lower, external_id, active,
 display_name, display_name_lower, given_name, given_name_lower, family_name, family_name_lower, primary_email_lower,
 emails, outside_domains, attributes, version, created_at, updated_at)
VALUES (?, ?, 'org', ?, ?, '', ?, '', '', '', '', '', '', ?, ?, ?, NULL, 1, ?, ?)`,
			u.id, u.dir, u.name, strings.ToLower(u.name), true, primary, emails, false, at, at))
		for _, e := range u.emails {
			must(db.Exec(ctx, `INSERT INTO directory_user_emails (directory_id, value_lower, user_id, type_lower) VALUES (?, ?, ?, ?)`,
				u.dir, strings.ToLower(e.Value), u.id, strings.ToLower(e.Type)))
		}
	}
}

// CheckMigrated checks, on a Store opened on the database WriteLegacyRows
// wrote to, that every user is kept as it was, that lookups by key find
// the users that hold their key, and that the look-alikes that lost it
// stay readable and can be renamed.
func CheckMigrated(t testing.TB, st store.Store) {
	t.Helper()
	ctx := context.Background()
	for _, u := range legacyUsers {
		got, err := st.GetDirectoryUser(ctx, u.dir, u.id)
		if err != nil {
			t.Fatalf("GetDirectoryUser %s: %v", u.id, err)
		}
		if got.UserName != u.name {
			t.Errorf("user %s: userName %q, want %q as written", u.id, got.UserName, u.name)
		}
	}
	find := func(dir string, f store.Filter) []string {
		t.Helper()
		us, _, err := st.ListDirectoryUsers(ctx, dir, store.UserQuery{Filter: f, Limit: 10})
		if err != nil {
			t.Fatalf("ListDirectoryUsers %v: %v", f, err)
		}
		var ids []string
		for _, u := range us {
			ids = append(ids, u.ID)
		}
		return ids
	}
	eq := func(a store.Attr, v string) store.Filter { return store.Compare{Attr: a, Op: store.OpEq, Value: v} }
	for _, tc := range []struct {
		dir, name, want string
	}{
		{"dir", jorgNFD, "u1"},
		{"dir", strings.ToUpper(jorgNFC), "u1"},
		{"dir", "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c2", "u3"},
		{"dir", "STRASSE@example.com", "u4"},
		{"dir2", "\u03a3\u0391\u03a3", "u12"},
	} {
		if got := find(tc.dir, eq(store.AttrUserName, tc.name)); len(got) != 1 || got[0] != tc.want {
			t.Errorf("userName eq %q in %s = %v, want [%s]", tc.name, tc.dir, got, tc.want)
		}
	}
	if got := find("dir", eq(store.AttrEmail, "strasse@EXAMPLE.com")); len(got) != 1 || got[0] != "u4" {
		t.Errorf("emails eq strasse@EXAMPLE.com = %v, want [u4]", got)
	}
	if got := find("dir", eq(store.AttrEmail, jorgNFC)); len(got) != 1 || got[0] != "u4" {
		t.Errorf("emails eq %q = %v, want [u4]", jorgNFC, got)
	}
	found, err := st.FindDirectoryUsersByEmail(ctx, "org", "STRASSE@example.com")
	if err != nil || len(found) != 1 || found[0].ID != "u4" {
		t.Errorf("FindDirectoryUsersByEmail(STRASSE@example.com) = %v, %v; want u4", found, err)
	}
	// The key is taken: a new look-alike is refused.
	err = st.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: "u9", DirectoryID: "dir", UserName: strings.ToLower(jorgNFD), CreatedAt: t0})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("CreateDirectoryUser of a look-alike after the migration = %v, want ErrAlreadyExists", err)
	}
	// The users that lost their key are still found by id and can be
	// renamed, which gives them a key of their own.
	for _, id := range []string{"u2", "u5"} {
		if got := find("dir", eq(store.AttrID, id)); len(got) != 1 {
			t.Errorf("id eq %s = %v", id, got)
		}
	}
	if got := find("dir2", eq(store.AttrID, "u11")); len(got) != 1 {
		t.Errorf("id eq u11 = %v", got)
	}
	if _, err := st.UpdateDirectoryUser(ctx, "dir", "u2", func(u *store.DirectoryUser) ([]store.Event, error) {
		u.UserName = "joerg.mueller@example.com"
		return nil, nil
	}); err != nil {
		t.Fatalf("renaming a user that lost its key: %v", err)
	}
	if got := find("dir", eq(store.AttrUserName, "JOERG.MUELLER@example.com")); len(got) != 1 || got[0] != "u2" {
		t.Errorf("userName eq the new name = %v, want [u2]", got)
	}
	if err := st.DeleteDirectoryUser(ctx, "dir", "u5", nil); err != nil {
		t.Errorf("deleting a user that lost its key: %v", err)
	}
}
