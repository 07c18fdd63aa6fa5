package main

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
	"github.com/onboardkit/onboardkit/store/storetest"
)

// TestConformance proves the Store with the customers hook with
// onboardkit's conformance suite, and checks after each subtest that every
// organization has its customers row and every customers row its
// organization.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		st := newTestStore(t)
		t.Cleanup(func() {
			var orphans int
			err := st.ReadDB().QueryRowContext(context.Background(), `SELECT
  (SELECT COUNT(*) FROM organizations o WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.org_id = o.id))
+ (SELECT COUNT(*) FROM customers c WHERE NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = c.org_id))`).Scan(&orphans)
			if err != nil || orphans != 0 {
				t.Errorf("organizations and customers rows without each other: %d, %v", orphans, err)
			}
		})
		return st
	})
}

// newTestStore opens the example's Store on a fresh database file; it is
// closed when t ends.
func newTestStore(t *testing.T) *sqlitestore.Store {
	t.Helper()
	st, err := openStore(t.Context(), filepath.Join(t.TempDir(), "customstore.db"), testKeyring)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// customerPlan returns the plan of orgID's customers row, "" if it has
// none.
func customerPlan(t *testing.T, st *sqlitestore.Store, orgID string) string {
	t.Helper()
	var plan string
	err := st.ReadDB().QueryRowContext(t.Context(), `SELECT plan FROM customers WHERE org_id = ?`, orgID).Scan(&plan)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	return plan
}

// TestCustomerAtomic shows that an organization and its customers row are
// written together or not at all: a failing hook leaves no organization,
// a failing Store write after the hook leaves no customers row, and a
// delete removes both.
func TestCustomerAtomic(t *testing.T) {
	ctx := t.Context()
	st := newTestStore(t)
	now := time.Now()
	org := func(id string) *store.Organization {
		return &store.Organization{ID: id, Name: "Org " + id, CreatedAt: now, UpdatedAt: now}
	}
	absent := func(id string) {
		t.Helper()
		if _, err := st.GetOrganization(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("organization %s: %v, want not found", id, err)
		}
		if plan := customerPlan(t, st, id); plan != "" {
			t.Errorf("customers row of %s: plan %q, want none", id, plan)
		}
	}

	// The hook fails (the plan breaks the table's CHECK): the organization
	// it was written with is undone.
	if err := st.CreateOrganization(withPlan(ctx, "gold"), org("org_gold")); err == nil || !strings.Contains(err.Error(), "customer of organization org_gold") {
		t.Fatalf("creating an organization with an unknown plan: %v, want the hook's error", err)
	}
	absent("org_gold")

	// The Store fails after the hook wrote the customers row (a trigger of
	// the test refuses the event): the customers row is undone too.
	err := st.Write(ctx, func(ctx context.Context, tx sqlitestore.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TRIGGER refuse_event BEFORE INSERT ON events WHEN NEW.type = 'test.refused'
BEGIN SELECT RAISE(ABORT, 'event refused'); END`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	refused := store.Event{ID: "evt_refused", Type: "test.refused", OrgID: "org_refused", CreatedAt: now}
	if err := st.CreateOrganization(withPlan(ctx, "team"), org("org_refused"), refused); err == nil || !strings.Contains(err.Error(), "event refused") {
		t.Fatalf("creating an organization whose event is refused: %v, want the trigger's error", err)
	}
	absent("org_refused")

	// Success writes both; a delete removes both.
	if err := st.CreateOrganization(withPlan(ctx, "team"), org("org_team")); err != nil {
		t.Fatal(err)
	}
	if plan := customerPlan(t, st, "org_team"); plan != "team" {
		t.Fatalf("customers row of org_team: plan %q", plan)
	}
	if err := st.DeleteOrganization(ctx, "org_team"); err != nil {
		t.Fatal(err)
	}
	absent("org_team")
}
