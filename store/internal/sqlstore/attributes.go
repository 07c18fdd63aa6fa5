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
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if err := t.exists(`SELECT 1 FROM organizations WHERE id = ?`+s.d.ForUpdate, orgID, "organization"); err != nil {
			return err
		}
		if _, err := t.exec(`DELETE FROM attribute_mappings WHERE org_id = ?`, orgID); err != nil {
			return s.wrap(err)
		}
		for _, a := range next {
			if _, err := t.exec(`INSERT INTO attribute_mappings (org_id, field, saml_attribute, oidc_claim, scim_path) VALUES (?, ?, ?, ?, ?)`,
				orgID, a.Field, a.SAMLAttribute, a.OIDCClaim, a.SCIMPath); err != nil {
				return s.wrap(err)
			}
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
