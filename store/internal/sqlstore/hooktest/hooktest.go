// Package hooktest checks, on each SQL backend, the OrganizationHook and
// Write through which a host keeps its own rows in the Store's database.
// It is imported by the backends' tests only.
package hooktest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/internal/sqlstore"
)

// Store is a backend's Store as the host sees it.
type Store interface {
	store.Store
	Write(ctx context.Context, fn func(ctx context.Context, tx sqlstore.Tx) error) error
	ReadDB() *sql.DB
}

// Hook is the backend's OrganizationHook, as a plain function.
type Hook = func(ctx context.Context, tx sqlstore.Tx, before, after *store.Organization) error

// Open opens an empty Store with hook.
type Open func(t *testing.T, hook Hook) Store

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// Schema is the host's table: one row per organization, with a copy of
// its name to show what the hook was given.
const Schema = `CREATE TABLE host_orgs (org_id TEXT PRIMARY KEY REFERENCES organizations (id), name TEXT NOT NULL)`

// HostHook is the host's hook on Schema: it inserts, renames and deletes
// the organization's row, then, after its own statement ran, fails if the
// organization is named "fail create" (created), "fail rename" (renamed
// to) or "fail delete" (deleted). calls counts its runs.
func HostHook(calls *int) Hook {
	return func(ctx context.Context, tx sqlstore.Tx, before, after *store.Organization) error {
		*calls++
		var err error
		o, op := after, "rename"
		switch {
		case before == nil:
			op = "create"
			_, err = tx.ExecContext(ctx, `INSERT INTO host_orgs (org_id, name) VALUES ($1, $2)`, after.ID, after.Name)
		case after == nil:
			o, op = before, "delete"
			_, err = tx.ExecContext(ctx, `DELETE FROM host_orgs WHERE org_id = $1`, before.ID)
		default:
			if before.ID != after.ID || !before.CreatedAt.Equal(after.CreatedAt) {
				return fmt.Errorf("update hook given %+v then %+v", before, after)
			}
			_, err = tx.ExecContext(ctx, `UPDATE host_orgs SET name = $1 WHERE org_id = $2`, after.Name, after.ID)
		}
		if err == nil && o.Name == "fail "+op {
			err = fmt.Errorf("host refuses %s", o.Name)
		}
		return err
	}
}

// HostRows returns the host's rows, org_id=name, in org_id order.
func HostRows(t *testing.T, s Store) string {
	t.Helper()
	rows, err := s.ReadDB().QueryContext(t.Context(), `SELECT org_id, name FROM host_orgs ORDER BY org_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		out = append(out, id+"="+name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

// CreateSchema creates the host's table with Write.
func CreateSchema(t *testing.T, s Store) {
	t.Helper()
	err := s.Write(t.Context(), func(ctx context.Context, tx sqlstore.Tx) error {
		_, err := tx.ExecContext(ctx, Schema)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Org returns an organization named name.
func Org(id, name string) *store.Organization {
	return &store.Organization{ID: id, Name: name, CreatedAt: t0, UpdatedAt: t0}
}

// Run checks that the hook runs in the transaction of each organization
// write, all or nothing with it, and that Write commits or undoes the
// host's statements as one write.
func Run(t *testing.T, open Open) {
	var calls int
	s := open(t, HostHook(&calls))
	ctx := t.Context()
	CreateSchema(t, s)
	ev := func(id string) store.Event {
		return store.Event{ID: "evt_" + id, Type: "test.hook", OrgID: id, CreatedAt: t0}
	}
	want := func(rows string, events int) {
		t.Helper()
		if got := HostRows(t, s); got != rows {
			t.Errorf("host rows %q, want %q", got, rows)
		}
		evs, err := s.ListEvents(ctx, store.EventQuery{Types: []string{"test.hook"}, Limit: 100})
		if err != nil || len(evs) != events {
			t.Errorf("%d events, %v; want %d", len(evs), err, events)
		}
	}

	// Create: both rows, or neither.
	if err := s.CreateOrganization(ctx, Org("org_a", "A"), ev("org_a")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOrganization(ctx, Org("org_f", "fail create"), ev("org_f")); err == nil || !strings.Contains(err.Error(), "host refuses") {
		t.Fatalf("create refused by the hook: %v, want its error", err)
	}
	if _, err := s.GetOrganization(ctx, "org_f"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("organization refused by the hook: %v, want ErrNotFound", err)
	}
	// A Store failure before the hook runs it not.
	calls = 0
	if err := s.CreateOrganization(ctx, Org("org_a", "again")); !errors.Is(err, store.ErrAlreadyExists) || calls != 0 {
		t.Errorf("duplicate create: %v after %d hook runs; want ErrAlreadyExists and none", err, calls)
	}
	want("org_a=A", 1)

	// Update: the hook sees before and after; a refusal keeps both rows
	// as they were.
	if _, err := s.UpdateOrganization(ctx, "org_a", func(o *store.Organization) ([]store.Event, error) {
		o.Name, o.UpdatedAt = "A2", t0.Add(time.Minute)
		return []store.Event{ev("org_a")}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateOrganization(ctx, "org_a", func(o *store.Organization) ([]store.Event, error) {
		o.Name = "fail rename"
		return []store.Event{ev("org_a")}, nil
	}); err == nil || !strings.Contains(err.Error(), "host refuses") {
		t.Fatalf("update refused by the hook: %v, want its error", err)
	}
	if o, err := s.GetOrganization(ctx, "org_a"); err != nil || o.Name != "A2" {
		t.Errorf("organization after the refused update: %+v, %v; want A2", o, err)
	}
	want("org_a=A2", 2)

	// Delete: the hook runs before the organization's row goes, and not
	// for an absent organization; a refusal keeps both.
	if err := s.CreateOrganization(ctx, Org("org_b", "B")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOrganization(ctx, "org_a", ev("org_a")); err != nil {
		t.Fatal(err)
	}
	calls = 0
	if err := s.DeleteOrganization(ctx, "org_a"); err != nil || calls != 0 {
		t.Errorf("deleting an absent organization: %v after %d hook runs; want nil and none", err, calls)
	}
	if _, err := s.UpdateOrganization(ctx, "org_b", func(o *store.Organization) ([]store.Event, error) {
		o.Name = "fail delete"
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOrganization(ctx, "org_b", ev("org_b")); err == nil || !strings.Contains(err.Error(), "host refuses") {
		t.Fatalf("delete refused by the hook: %v, want its error", err)
	}
	if _, err := s.GetOrganization(ctx, "org_b"); err != nil {
		t.Errorf("organization whose delete was refused: %v", err)
	}
	want("org_b=fail delete", 3)

	// Write: the host's statements commit together, or none does.
	err := s.Write(ctx, func(ctx context.Context, tx sqlstore.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE host_orgs SET name = 'B2' WHERE org_id = 'org_b'`); err != nil {
			return err
		}
		return errors.New("host gives up")
	})
	if err == nil || err.Error() != "host gives up" {
		t.Errorf("Write: %v, want the function's error", err)
	}
	err = s.Write(ctx, func(ctx context.Context, tx sqlstore.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE host_orgs SET name = 'B3' WHERE org_id = 'org_b'`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want("org_b=B3", 3)
	if err := s.Write(ctx, nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Write(nil): %v, want ErrInvalid", err)
	}

	// The host's code cannot end the Store's transaction, nor write
	// through the Store from inside it (that write would wait for itself).
	err = s.Write(ctx, func(ctx context.Context, tx sqlstore.Tx) error {
		if _, ok := tx.(interface{ Commit() error }); ok {
			t.Error("the Tx given to Write can be committed by the host")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE host_orgs SET name = 'B4' WHERE org_id = 'org_b'`); err != nil {
			return err
		}
		return s.CreateOrganization(ctx, Org("org_c", "C"))
	})
	if !errors.Is(err, sqlstore.ErrReentered) {
		t.Errorf("a Store write from inside Write: %v, want ErrReentered", err)
	}
	if _, err := s.GetOrganization(ctx, "org_c"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("organization created from inside Write: %v, want ErrNotFound", err)
	}
	want("org_b=B3", 3)
}
