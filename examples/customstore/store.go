package main

import (
	"context"
	"fmt"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/seal"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// The host keeps its own data about each organization, its customers, in
// its own table of onboardkit's database file: the customers table holds
// the host's columns (its own key, the plan) keyed by onboardkit's
// organization id. onboardkit's organizations table keeps the name and
// external id, which the host reads by joining it.
//
// customersHook, the Store's OrganizationHook, writes the customers row in
// the transaction that writes the organization: an organization is created
// with its customers row or not at all, and deleted with it. There is one
// database and one transaction, so there is nothing to reconcile after a
// crash and no window in which one row exists without the other, whoever
// creates the organization (the host's signup, the admin API, the portal).
const customersSchema = `
CREATE TABLE IF NOT EXISTS customers (
	id     INTEGER PRIMARY KEY AUTOINCREMENT,                -- the host's own key
	org_id TEXT NOT NULL UNIQUE REFERENCES organizations (id), -- onboardkit's organization
	plan   TEXT NOT NULL DEFAULT 'trial' CHECK (plan IN ('trial', 'team', 'enterprise'))
)`

// openStore opens onboardkit's SQLite Store at path with customersHook, and
// creates the customers table if it is missing.
func openStore(ctx context.Context, path string, keys seal.Keyring) (*sqlitestore.Store, error) {
	st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Keyring: keys, OrganizationHook: customersHook})
	if err != nil {
		return nil, err
	}
	err = st.Write(ctx, func(ctx context.Context, tx sqlitestore.Tx) error {
		_, err := tx.ExecContext(ctx, customersSchema)
		return err
	})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("creating the customers table: %w", err)
	}
	return st, nil
}

// customersHook writes the customers row of an organization created or
// deleted, in the organization's transaction. A create takes the plan the
// caller put in its context (withPlan); an organization created elsewhere
// (the admin API, the portal) starts on the trial plan. A rename changes
// nothing of the host's: the name is onboardkit's column.
func customersHook(ctx context.Context, tx sqlitestore.Tx, before, after *store.Organization) error {
	switch {
	case before == nil:
		_, err := tx.ExecContext(ctx, `INSERT INTO customers (org_id, plan) VALUES (?, ?)`, after.ID, planOf(ctx))
		if err != nil {
			return fmt.Errorf("customer of organization %s: %w", after.ID, err)
		}
	case after == nil:
		_, err := tx.ExecContext(ctx, `DELETE FROM customers WHERE org_id = ?`, before.ID)
		if err != nil {
			return fmt.Errorf("customer of organization %s: %w", before.ID, err)
		}
	}
	return nil
}

type planKey struct{}

// withPlan returns ctx carrying the plan of the customer an organization
// created with it gets.
func withPlan(ctx context.Context, plan string) context.Context {
	return context.WithValue(ctx, planKey{}, plan)
}

func planOf(ctx context.Context) string {
	if p, ok := ctx.Value(planKey{}).(string); ok {
		return p
	}
	return "trial"
}
