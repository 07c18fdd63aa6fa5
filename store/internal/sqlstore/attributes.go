package sqlstore

import (
	"context"
	"database/sql"

	"github.com/onboardkit/onboardkit/store"
)

const attributeMappingsSQL = `SELECT org_id, field, saml_attribute, oidc_claim, scim_path FROM attribute_mappings WHERE org_id = ? ORDER BY field`

func scanAttributeMapping(r *sql.Rows) (store.AttributeMapping, error) {
	var m store.AttributeMapping
	return m, r.Scan(&m.OrgID, &m.Field, &m.SAMLAttribute, &m.OIDCClaim, &m.SCIMPath)
}

// SetAttributeMappings replaces the organization's attribute mappings.
func (s *Store) SetAttributeMappings(ctx context.Context, orgID string, m []store.AttributeMapping, events ...Event) error {
	next, err := store.ValidateAttributeMappings(orgID, m)
	if err != nil {
		return err
	}
	return s.orgWrite(ctx, orgID, events, func(t *tx) error {
		if _, err := t.exec(`DELETE FROM attribute_mappings WHERE org_id = ?`, orgID); err != nil {
			return s.wrap(err)
		}
		for _, a := range next {
			if _, err := t.exec(`INSERT INTO attribute_mappings (org_id, field, saml_attribute, oidc_claim, scim_path) VALUES (?, ?, ?, ?, ?)`,
				orgID, a.Field, a.SAMLAttribute, a.OIDCClaim, a.SCIMPath); err != nil {
				return s.wrap(err)
			}
		}
		return nil
	})
}

// orgWrite validates events, then runs fn in a write that first locks the
// organization orgID (ErrNotFound when it is absent) and appends events
// after fn.
func (s *Store) orgWrite(ctx context.Context, orgID string, events []Event, fn func(t *tx) error) error {
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if err := t.exists(`SELECT 1 FROM organizations WHERE id = ?`+s.d.ForUpdate, orgID, "organization"); err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
		_, err := t.appendEvents(events)
		return err
	})
}

func (t *tx) attributeMappings(orgID string) ([]store.AttributeMapping, error) {
	rows, err := t.query(attributeMappingsSQL, orgID)
	out, err := collectRows(rows, err, scanAttributeMapping)
	return out, t.s.wrap(err)
}

// ListAttributeMappings returns the organization's attribute mappings.
func (s *Store) ListAttributeMappings(ctx context.Context, orgID string) ([]store.AttributeMapping, error) {
	if orgID == "" {
		return nil, invalid("organization id is required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.query(ctx, attributeMappingsSQL, orgID)
	out, err := collectRows(rows, err, scanAttributeMapping)
	if err != nil {
		return nil, s.wrap(err)
	}
	return out, nil
}

// UpdateCustomValues visits up to limit users of the directory after the
// key after, in creation order (the directory_users_created index), and
// writes the custom values fn changes.
func (s *Store) UpdateCustomValues(ctx context.Context, directoryID string, after store.UserKey, limit int, fn func(u *store.DirectoryUser) ([]Event, error)) (store.UserKey, int, error) {
	if directoryID == "" {
		return store.UserKey{}, 0, invalid("directory id is required")
	}
	if limit <= 0 {
		return store.UserKey{}, 0, invalid("limit must be positive")
	}
	var last store.UserKey
	var n int
	err := s.write(ctx, func(t *tx) error {
		last, n = store.UserKey{}, 0
		if err := t.exists(`SELECT 1 FROM directories WHERE id = ?`, directoryID, "directory"); err != nil {
			return err
		}
		rows, err := t.query(`SELECT `+userCols+` FROM directory_users WHERE directory_id = ? AND (created_at, id) > (?, ?)
ORDER BY created_at, id LIMIT ?`+s.d.ForUpdate, directoryID, s.t(after.CreatedAt), after.ID, limit)
		users, err := collectRows(rows, err, scanUserRows)
		if err != nil {
			return s.wrap(err)
		}
		var evs []Event
		for i := range users {
			u := users[i]
			u.Version++
			e, err := fn(&u)
			if err != nil {
				return err
			}
			if u.Custom.Equal(users[i].Custom) {
				continue
			}
			custom, err := store.EncodeCustomValues(u.Custom)
			if err != nil {
				return err
			}
			if err := store.ValidateEvents(e); err != nil {
				return err
			}
			if _, err := t.exec(`UPDATE directory_users SET custom = ?, version = ?, updated_at = ? WHERE id = ?`,
				string(custom), u.Version, s.t(u.UpdatedAt), u.ID); err != nil {
				return s.wrap(err)
			}
			evs = append(evs, e...)
		}
		if len(users) > 0 {
			last, n = store.KeyOf(&users[len(users)-1]), len(users)
		}
		_, err = t.appendEvents(evs)
		return err
	})
	if err != nil {
		return store.UserKey{}, 0, err
	}
	return last, n, nil
}
