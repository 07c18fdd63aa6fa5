package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/onboardkit/onboardkit/store"
)

// customerStore is a store.Store whose organizations are the host's own
// customers: rows of the "customers" table the application already had,
// with its own columns (plan) beside the ones onboardkit needs. Every other
// entity (domains, connections, directories, events...) is delegated to an
// embedded store.Store: sqlitestore in main, memstore in the tests.
//
// The embedded store still has to know which organizations exist, because
// its entities reference them and DeleteOrganization cascades through them.
// So each organization method writes the customers row and a shadow
// organization in the embedded store (id and name only) in one operation:
// the customers transaction commits only after the embedded write
// succeeded, and the embedded write carries the events. The customers
// table is the only one read. If the customers commit itself fails after
// the embedded write, the shadow is removed again; its events stay in the
// outbox (the one non-atomic window of this composition, which a single
// database for both would close). newCustomerStore restores missing
// shadows, so the two agree after a crash.
type customerStore struct {
	store.Store // everything but organizations
	db          *sql.DB
}

var _ store.Store = (*customerStore)(nil)

const customersSchema = `
CREATE TABLE IF NOT EXISTS customers (
	id          INTEGER PRIMARY KEY AUTOINCREMENT, -- the host's own key
	org_id      TEXT NOT NULL UNIQUE,              -- onboardkit's organization id
	name        TEXT NOT NULL,
	external_id TEXT UNIQUE,                       -- NULL when unset
	plan        TEXT NOT NULL DEFAULT 'trial',     -- the host's own data
	created_at  INTEGER NOT NULL,                  -- Unix microseconds, UTC
	updated_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS customers_created ON customers (created_at, org_id);`

// openCustomersDB opens the host's SQLite database. One connection: SQLite
// has one writer anyway, and it serializes the organization writes.
func openCustomersDB(ctx context.Context, path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, customersSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("creating the customers table: %w", err)
	}
	return db, nil
}

// newCustomerStore composes the host's customers table with inner, which
// keeps everything else, and restores any shadow organization inner lacks.
func newCustomerStore(ctx context.Context, db *sql.DB, inner store.Store) (*customerStore, error) {
	s := &customerStore{Store: inner, db: db}
	rows, err := db.QueryContext(ctx, `SELECT org_id, name, created_at, updated_at FROM customers`)
	if err != nil {
		return nil, err
	}
	var missing []store.Organization
	for rows.Next() {
		var o store.Organization
		var created, updated int64
		if err := rows.Scan(&o.ID, &o.Name, &created, &updated); err != nil {
			rows.Close()
			return nil, err
		}
		if _, err := inner.GetOrganization(ctx, o.ID); errors.Is(err, store.ErrNotFound) {
			o.CreatedAt, o.UpdatedAt = fromMicros(created), fromMicros(updated)
			missing = append(missing, o)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range missing {
		if err := inner.CreateOrganization(ctx, shadow(&missing[i])); err != nil {
			return nil, fmt.Errorf("restoring organization %s: %w", missing[i].ID, err)
		}
	}
	return s, nil
}

// Close closes the embedded store and the customers database.
func (s *customerStore) Close() error {
	return errors.Join(s.Store.Close(), s.db.Close())
}

// shadow is the organization the embedded store keeps: enough for its
// references and cascades.
func shadow(o *store.Organization) *store.Organization {
	return &store.Organization{ID: o.ID, Name: o.Name, CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC()}
}

func (s *customerStore) CreateOrganization(ctx context.Context, o *store.Organization, events ...store.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO customers (org_id, name, external_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			o.ID, o.Name, nullable(o.ExternalID), micros(o.CreatedAt), micros(o.UpdatedAt))
		if err != nil {
			return classify(err, "organization "+o.ID)
		}
		return s.Store.CreateOrganization(ctx, shadow(o), events...)
	}, func() { s.Store.DeleteOrganization(context.WithoutCancel(ctx), o.ID) })
}

func (s *customerStore) GetOrganization(ctx context.Context, id string) (*store.Organization, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if id == "" {
		return nil, fmt.Errorf("%w: empty organization id", store.ErrInvalid)
	}
	return scanOrganization(s.db.QueryRowContext(ctx, selectCustomer+` WHERE org_id = ?`, id))
}

func (s *customerStore) GetOrganizationByExternalID(ctx context.Context, externalID string) (*store.Organization, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if externalID == "" {
		return nil, fmt.Errorf("%w: empty external id", store.ErrInvalid)
	}
	return scanOrganization(s.db.QueryRowContext(ctx, selectCustomer+` WHERE external_id = ?`, externalID))
}

func (s *customerStore) UpdateOrganization(ctx context.Context, id string, fn func(*store.Organization) ([]store.Event, error)) (*store.Organization, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if id == "" || fn == nil {
		return nil, fmt.Errorf("%w: UpdateOrganization needs an id and a function", store.ErrInvalid)
	}
	var updated *store.Organization
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := scanOrganization(tx.QueryRowContext(ctx, selectCustomer+` WHERE org_id = ?`, id))
		if err != nil {
			return err
		}
		next := *cur
		events, err := fn(&next)
		if err != nil {
			return err
		}
		if next.ID != cur.ID || !next.CreatedAt.Equal(cur.CreatedAt) {
			return fmt.Errorf("%w: UpdateOrganization may not change the id or creation time", store.ErrInvalid)
		}
		if err := next.Validate(); err != nil {
			return err
		}
		if err := store.ValidateEvents(events); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE customers SET name = ?, external_id = ?, updated_at = ? WHERE org_id = ?`,
			next.Name, nullable(next.ExternalID), micros(next.UpdatedAt), id)
		if err != nil {
			return classify(err, "organization "+id)
		}
		_, err = s.Store.UpdateOrganization(ctx, id, func(o *store.Organization) ([]store.Event, error) {
			o.Name, o.UpdatedAt = next.Name, next.UpdatedAt.UTC()
			return events, nil
		})
		next.UpdatedAt = next.UpdatedAt.UTC()
		updated = &next
		return err
	}, nil)
	if err != nil {
		return nil, err
	}
	return updated, nil
}

func (s *customerStore) ListOrganizations(ctx context.Context, q store.OrganizationQuery) ([]store.Organization, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	query, args := selectCustomer+` WHERE 1 = 1`, []any{}
	if q.Search != "" {
		// lower() folds ASCII letters only: enough for the names this app
		// has; a host with other scripts registers a Unicode-aware function.
		query += ` AND (instr(lower(name), lower(?)) > 0 OR instr(lower(org_id), lower(?)) > 0 OR instr(lower(coalesce(external_id, '')), lower(?)) > 0)`
		args = append(args, q.Search, q.Search, q.Search)
	}
	if q.After != "" {
		query += ` AND (created_at, org_id) > (SELECT created_at, org_id FROM customers WHERE org_id = ?)`
		args = append(args, q.After)
	}
	query += ` ORDER BY created_at, org_id LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var orgs []store.Organization
	for rows.Next() {
		o, err := scanOrganization(rows)
		if err != nil {
			return nil, false, err
		}
		orgs = append(orgs, *o)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(orgs) > limit {
		return orgs[:limit], true, nil
	}
	return orgs, false, nil
}

func (s *customerStore) DeleteOrganization(ctx context.Context, id string, events ...store.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if id == "" {
		return fmt.Errorf("%w: empty organization id", store.ErrInvalid)
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM customers WHERE org_id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // absent: nothing to delete, no events
		}
		return s.Store.DeleteOrganization(ctx, id, events...)
	}, nil)
}

// inTx runs fn in a transaction of the customers database and commits if
// fn succeeded. undo runs if the commit fails after fn's embedded-store
// write.
func (s *customerStore) inTx(ctx context.Context, fn func(*sql.Tx) error, undo func()) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		if undo != nil {
			undo()
		}
		return err
	}
	return nil
}

const selectCustomer = `SELECT org_id, name, coalesce(external_id, ''), created_at, updated_at FROM customers`

func scanOrganization(row interface{ Scan(...any) error }) (*store.Organization, error) {
	var o store.Organization
	var created, updated int64
	err := row.Scan(&o.ID, &o.Name, &o.ExternalID, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &o, nil
}

// classify turns a unique violation into store.ErrAlreadyExists.
func classify(err error, what string) error {
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		field := "id"
		if strings.Contains(se.Error(), "external_id") {
			field = "external id"
		}
		return fmt.Errorf("%w: %s: %s taken", store.ErrAlreadyExists, what, field)
	}
	return err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
