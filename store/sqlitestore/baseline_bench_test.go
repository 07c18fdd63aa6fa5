package sqlitestore_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/seal"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// testKeyring seals the secrets of every Store a test of this package
// opens, so that two instances or a reopened file open each other's.
var testKeyring = seal.NewEphemeralKeyring()

// BenchmarkBaselineInsert is the floor the store's writes are measured
// against: one transaction inserting one small row, on a connection set up
// like the store's writer. A store write costs about this per b-tree page
// it changes.
func BenchmarkBaselineInsert(b *testing.B) {
	path := filepath.Join(b.TempDir(), "x.db")
	db, err := sql.Open("sqlite", sqlitestore.DSN(path, sqlitestore.RoleWriter, sqlitestore.Options{}))
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

// BenchmarkBaselineUserWrite is the floor of a SCIM user creation on this
// schema: one transaction inserting a user row, its email row and its
// event, by hand-written statements prepared once, on a bare connection
// set up like the store's writer (no Store code, no validation, no HTTP).
// What the Store adds on top of it is BenchmarkStore/CreateDirectoryUser
// minus this.
func BenchmarkBaselineUserWrite(b *testing.B) {
	ctx := b.Context()
	path := filepath.Join(b.TempDir(), "x.db")
	st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Keyring: testKeyring})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	if err := st.CreateOrganization(ctx, &store.Organization{ID: "org", Name: "Org", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	if err := st.CreateDirectory(ctx, &store.Directory{ID: "dir", OrgID: "org", State: store.DirectoryActive, CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", sqlitestore.DSN(path, sqlitestore.RoleWriter, sqlitestore.Options{}))
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	defer db.Close()
	prep := func(q string) *sql.Stmt {
		s, err := db.Prepare(q)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	user := prep(`INSERT INTO directory_users (id, directory_id, org_id, user_name, user_name_lower, external_id, active,
 display_name, display_name_lower, given_name, given_name_lower, family_name, family_name_lower, primary_email_lower,
 emails, outside_domains, attributes, version, created_at, updated_at)
VALUES (?, 'dir', 'org', ?, ?, ?, 1, 'User', 'user', 'Given', 'given', 'Family', 'family', ?, ?, 0, ?, 1, ?, ?)`)
	email := prep(`INSERT INTO directory_user_emails (directory_id, value_lower, user_id, type_lower) VALUES ('dir', ?, ?, 'work')`)
	event := prep(`INSERT INTO events (cursor, id, type, org_id, subject, actor, data, created_at)
SELECT COALESCE(MAX(cursor), 0) + 1, ?, 'directory.user.created', 'org', ?, 'scim', ?, ? FROM events`)
	attrs := []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"user@example.com","name":{"givenName":"Given","familyName":"Family"},"emails":[{"value":"user@example.com","type":"work","primary":true}]}`)
	emails := []byte(`[{"value":"user@example.com","type":"work","primary":true}]`)
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("usr_%016x", rand.Uint64())
		name := fmt.Sprintf("user%d-%s@example.com", i, id)
		ts := time.Now().UnixMicro()
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		_, err = tx.Stmt(user).Exec(id, name, name, "ext-"+id, name, emails, attrs, ts, ts)
		if err == nil {
			_, err = tx.Stmt(email).Exec(name, id)
		}
		if err == nil {
			_, err = tx.Stmt(event).Exec("evt_"+id, id, attrs, ts)
		}
		if err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
