package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// norm is how a time reads back from the store: UTC, microseconds.
func norm(t time.Time) time.Time { return store.UTC(t).Truncate(time.Microsecond) }

const domainCols = `id, org_id, name, state, method, challenge, verified_at, verified_by, checked_at, next_check_at, failure, failure_kind, check_failures, created_at, updated_at`

func scanDomain(r interface{ Scan(...any) error }) (store.Domain, error) {
	var d store.Domain
	err := r.Scan(&d.ID, &d.OrgID, &d.Name, &d.State, &d.Method, &d.Challenge, tc(&d.VerifiedAt), &d.VerifiedBy,
		tc(&d.CheckedAt), tc(&d.NextCheckAt), &d.Failure, &d.FailureKind, &d.CheckFailures, tc(&d.CreatedAt), tc(&d.UpdatedAt))
	return d, err
}

func scanDomainRows(r *sql.Rows) (store.Domain, error) { return scanDomain(r) }

// verifiedElsewhere reports ErrConflict when another organization holds
// name verified. Within the write transaction this settles the question on
// SQLite; on PostgreSQL a concurrent writer can still slip in, and the
// partial unique index domains_verified_name catches it (see
// domainConflict).
func (t *tx) verifiedElsewhere(orgID, name, exceptID string) error {
	var id string
	err := t.queryRow(`SELECT id FROM domains WHERE name = ? AND state = 'verified' AND org_id <> ? AND id <> ?`, name, orgID, exceptID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return t.s.wrap(err)
	}
	return fmt.Errorf("%w: domain %q is verified by another organization", store.ErrConflict, name)
}

// domainConflict maps the violation of the verified-name index to
// ErrConflict and anything else to the usual errors.
func (s *Store) domainConflict(err error) error {
	if kind, c := s.d.Classify(err); kind == UniqueViolation && isVerifiedNameIndex(c) {
		return fmt.Errorf("%w: the domain is verified by another organization", store.ErrConflict)
	}
	return s.wrap(err)
}

// isVerifiedNameIndex recognises the partial unique index on verified
// domain names, by its name (PostgreSQL) or its column (SQLite).
func isVerifiedNameIndex(c string) bool {
	return c == "domains_verified_name" || c == "domains.name"
}

// CreateDomain stores d and its events.
func (s *Store) CreateDomain(ctx context.Context, d *store.Domain, events ...Event) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if d.State == store.DomainVerified {
			var id string
			err := t.queryRow(`SELECT id FROM domains WHERE org_id = ? AND name = ?`, d.OrgID, d.Name).Scan(&id)
			if err == nil {
				return fmt.Errorf("%w: the organization already has domain %q", store.ErrAlreadyExists, d.Name)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return s.wrap(err)
			}
			if err := t.verifiedElsewhere(d.OrgID, d.Name, ""); err != nil {
				return err
			}
		}
		if _, err := t.exec(`INSERT INTO domains (`+domainCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, d.OrgID, d.Name, string(d.State), string(d.Method), d.Challenge, s.nt(d.VerifiedAt), d.VerifiedBy,
			s.nt(d.CheckedAt), s.nt(d.NextCheckAt), d.Failure, d.FailureKind, d.CheckFailures, s.t(d.CreatedAt), s.t(d.UpdatedAt)); err != nil {
			return s.domainConflict(err)
		}
		_, err := t.appendEvents(events)
		return err
	})
}

func (s *Store) getDomain(ctx context.Context, q string, arg string) (*store.Domain, error) {
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	d, err := scanDomain(r.queryRow(ctx, q, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("domain")
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	return &d, nil
}

// GetDomain returns the domain with id.
func (s *Store) GetDomain(ctx context.Context, id string) (*store.Domain, error) {
	if id == "" {
		return nil, invalid("domain id is required")
	}
	return s.getDomain(ctx, `SELECT `+domainCols+` FROM domains WHERE id = ?`, id)
}

// GetVerifiedDomain returns the verified domain named name.
func (s *Store) GetVerifiedDomain(ctx context.Context, name string) (*store.Domain, error) {
	if name == "" {
		return nil, invalid("domain name is required")
	}
	return s.getDomain(ctx, verifiedDomainSQL, name)
}

// verifiedDomainSQL selects the verified domain named by its argument.
const verifiedDomainSQL = `SELECT ` + domainCols + ` FROM domains WHERE name = ? AND state = 'verified'`

func (s *Store) listDomains(ctx context.Context, q string, args ...any) ([]store.Domain, error) {
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.query(ctx, q, args...)
	out, err := collectRows(rows, err, scanDomainRows)
	if err != nil {
		return nil, s.wrap(err)
	}
	if out == nil {
		out = []store.Domain{}
	}
	return out, nil
}

// ListDomains returns the organization's domains ordered by name.
func (s *Store) ListDomains(ctx context.Context, orgID string) ([]store.Domain, error) {
	if orgID == "" {
		return nil, invalid("organization id is required")
	}
	return s.listDomains(ctx, `SELECT `+domainCols+` FROM domains WHERE org_id = ? ORDER BY name, id`, orgID)
}

// ListDomainsByName returns every claim on name ordered by CreatedAt.
func (s *Store) ListDomainsByName(ctx context.Context, name string) ([]store.Domain, error) {
	if name == "" {
		return nil, invalid("domain name is required")
	}
	return s.listDomains(ctx, `SELECT `+domainCols+` FROM domains WHERE name = ? ORDER BY created_at, id`, name)
}

// ListDomainsDue returns domains whose next check is due at now.
func (s *Store) ListDomainsDue(ctx context.Context, now time.Time, limit int) ([]store.Domain, error) {
	if now.IsZero() {
		return nil, invalid("now is required")
	}
	if limit <= 0 {
		limit = 100
	}
	return s.listDomains(ctx, `SELECT `+domainCols+` FROM domains WHERE next_check_at IS NOT NULL AND next_check_at <= ? ORDER BY next_check_at, id LIMIT ?`, s.t(now), limit)
}

// UpdateDomain changes the domain id with fn.
func (s *Store) UpdateDomain(ctx context.Context, id string, fn func(*store.Domain) ([]Event, error)) (*store.Domain, error) {
	if err := updateArgs("domain", id, fn); err != nil {
		return nil, err
	}
	var out store.Domain
	err := s.write(ctx, func(t *tx) error {
		cur, err := lockRow(t, "domain", `SELECT `+domainCols+` FROM domains WHERE id = ?`, id, scanDomain)
		if err != nil {
			return err
		}
		d, events, err := edit(cur, fn, func(cur, d *store.Domain) bool {
			return d.ID == cur.ID && d.OrgID == cur.OrgID && d.Name == cur.Name && d.CreatedAt.Equal(cur.CreatedAt)
		}, "domain: ID, OrgID, Name and CreatedAt cannot change")
		if err != nil {
			return err
		}
		if d.State == store.DomainVerified && cur.State != store.DomainVerified {
			if err := t.verifiedElsewhere(d.OrgID, d.Name, d.ID); err != nil {
				return err
			}
		}
		if _, err := t.exec(`UPDATE domains SET state = ?, method = ?, challenge = ?, verified_at = ?, verified_by = ?, checked_at = ?, next_check_at = ?, failure = ?, failure_kind = ?, check_failures = ?, updated_at = ? WHERE id = ?`,
			string(d.State), string(d.Method), d.Challenge, s.nt(d.VerifiedAt), d.VerifiedBy, s.nt(d.CheckedAt), s.nt(d.NextCheckAt), d.Failure, d.FailureKind, d.CheckFailures, s.t(d.UpdatedAt), id); err != nil {
			return s.domainConflict(err)
		}
		if _, err := t.appendEvents(events); err != nil {
			return err
		}
		if cur.State == store.DomainVerified && d.State != store.DomainVerified {
			if err := t.endDomainSessions(d.OrgID, d.Name, events, d.UpdatedAt); err != nil {
				return err
			}
		}
		out = d
		out.VerifiedAt, out.CheckedAt, out.NextCheckAt, out.UpdatedAt = norm(d.VerifiedAt), norm(d.CheckedAt), norm(d.NextCheckAt), norm(d.UpdatedAt)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteDomain removes the domain.
func (s *Store) DeleteDomain(ctx context.Context, id string, events ...Event) error {
	if id == "" {
		return invalid("domain id is required")
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		var org, name, state string
		err := t.queryRow(`DELETE FROM domains WHERE id = ? RETURNING org_id, name, state`, id).Scan(&org, &name, &state)
		if errors.Is(err, sql.ErrNoRows) {
			// Deleting what is absent changes nothing and tells nothing.
			return nil
		}
		if err != nil {
			return s.wrap(err)
		}
		if _, err = t.appendEvents(events); err != nil {
			return err
		}
		if state == string(store.DomainVerified) {
			return t.endDomainSessions(org, name, events, time.Time{})
		}
		return nil
	})
}

// endDomainSessions ends the organization's sessions whose email domain is
// name, which has stopped being verified.
func (t *tx) endDomainSessions(orgID, name string, events []Event, now time.Time) error {
	_, err := t.endSessionsWhere(`ended_at IS NULL AND org_id = ? AND email_domain = ?`, []any{orgID, strings.ToLower(name)},
		store.CauseEnd(store.SessionEndedDomainUnverified, events, now))
	return err
}
