package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// decodeRoles decodes the roles column: a JSON array, or ” for none.
func decodeRoles(id string, b []byte) ([]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var roles []string
	if err := json.Unmarshal(b, &roles); err != nil {
		return nil, fmt.Errorf("sqlstore: user %s: decoding roles: %w", id, err)
	}
	return roles, nil
}

// encodeRoles is the roles column of roles.
func encodeRoles(roles []string) string {
	if len(roles) == 0 {
		return ""
	}
	b, _ := json.Marshal(roles)
	return string(b)
}

// SetRoleMappings replaces the organization's mappings and marks stale the
// members of the groups whose mapped roles change.
func (s *Store) SetRoleMappings(ctx context.Context, orgID string, m []store.RoleMapping, events ...Event) error {
	if err := store.ValidateRoleMappings(orgID, m); err != nil {
		return err
	}
	return s.orgWrite(ctx, orgID, events, func(t *tx) error {
		old, err := t.roleMappings(orgID)
		if err != nil {
			return err
		}
		if _, err := t.exec(`DELETE FROM role_mappings WHERE org_id = ?`, orgID); err != nil {
			return s.wrap(err)
		}
		for _, r := range m {
			if _, err := t.exec(`INSERT INTO role_mappings (org_id, source, value, role) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				orgID, string(r.Source), r.Value, r.Role); err != nil {
				return s.wrap(err)
			}
		}
		for _, gid := range store.AffectedGroups(old, m) {
			if _, err := t.exec(`INSERT INTO stale_roles (org_id, user_id)
SELECT ?, m.member_id FROM group_members m JOIN directory_groups g ON g.id = m.group_id
WHERE m.group_id = ? AND m.member_type = 'User' AND g.org_id = ?
ON CONFLICT DO NOTHING`, orgID, gid, orgID); err != nil {
				return s.wrap(err)
			}
		}
		return nil
	})
}

func (t *tx) roleMappings(orgID string) ([]store.RoleMapping, error) {
	rows, err := t.query(`SELECT org_id, source, value, role FROM role_mappings WHERE org_id = ? ORDER BY source, value, role`, orgID)
	out, err := collectRows(rows, err, scanRoleMapping)
	return out, t.s.wrap(err)
}

func scanRoleMapping(r *sql.Rows) (store.RoleMapping, error) {
	var m store.RoleMapping
	return m, r.Scan(&m.OrgID, &m.Source, &m.Value, &m.Role)
}

// ListRoleMappings returns the organization's mappings.
func (s *Store) ListRoleMappings(ctx context.Context, orgID string) ([]store.RoleMapping, error) {
	if orgID == "" {
		return nil, invalid("organization id is required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.query(ctx, `SELECT org_id, source, value, role FROM role_mappings WHERE org_id = ? ORDER BY source, value, role`, orgID)
	out, err := collectRows(rows, err, scanRoleMapping)
	if err != nil {
		return nil, s.wrap(err)
	}
	return out, nil
}

// RecomputeRoles recomputes the roles of up to limit stale users of the
// organization.
func (s *Store) RecomputeRoles(ctx context.Context, orgID string, limit int, actor string, at time.Time) (int, error) {
	if orgID == "" {
		return 0, invalid("organization id is required")
	}
	if limit <= 0 {
		return 0, invalid("limit must be positive")
	}
	var remaining int
	err := s.write(ctx, func(t *tx) error {
		rows, err := t.query(`SELECT user_id FROM stale_roles WHERE org_id = ? ORDER BY user_id LIMIT ?`, orgID, limit)
		ids, err := collectIDs(rows, err)
		if err != nil {
			return s.wrap(err)
		}
		evs, err := t.recomputeRoles(orgID, ids, false, actor, at)
		if err != nil {
			return err
		}
		if _, err := t.appendEvents(evs); err != nil {
			return err
		}
		return t.queryRow(`SELECT COUNT(*) FROM stale_roles WHERE org_id = ?`, orgID).Scan(&remaining)
	})
	return remaining, err
}

// recomputeFor is recomputeRoles with the actor and time taken from the
// write's events.
func (t *tx) recomputeFor(orgID string, ids []string, toggled bool, events []Event) ([]Event, error) {
	actor, at := store.RolesCause(events)
	return t.recomputeRoles(orgID, ids, toggled, actor, at)
}

// recomputeRoles recomputes the roles of the users of the organization
// orgID among ids (other ids are skipped), a chunk at a time, clears their
// stale mark, and returns the events of those whose effective roles
// changed. toggled says the write being made activated or deactivated the
// users: they were active if they are not now. The users' rows are locked
// first, in id order, so that concurrent writes changing one user's
// memberships recompute one after the other, each seeing the other's
// memberships.
func (t *tx) recomputeRoles(orgID string, ids []string, toggled bool, actor string, at time.Time) ([]Event, error) {
	ids = slices.Sorted(slices.Values(ids))
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	// A mapping change locks the organization for update: a recomputation
	// takes it for share before it locks users, so that one waits for the
	// other to commit and neither misses the other's rows.
	var one int
	err := t.queryRow(`SELECT 1 FROM organizations WHERE id = ?`+t.s.d.ForShare, orgID).Scan(&one)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, t.s.wrap(err)
	}
	var def string
	err = t.queryRow(`SELECT role FROM role_mappings WHERE org_id = ? AND source = ?`, orgID, string(store.RoleDefault)).Scan(&def)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, t.s.wrap(err)
	}
	var evs []Event
	for chunk := range memberChunks(ids) {
		in := placeholders(len(chunk))
		rows, err := t.query(`SELECT id, directory_id, org_id, active, roles FROM directory_users WHERE id IN (`+in+`) AND org_id = ? ORDER BY id`+t.s.d.ForUpdate, append(chunk, orgID)...)
		users, err := collectRows(rows, err, func(r *sql.Rows) (store.DirectoryUser, error) {
			var u store.DirectoryUser
			var roles []byte
			if err := r.Scan(&u.ID, &u.DirectoryID, &u.OrgID, &u.Active, bc(&roles)); err != nil {
				return u, err
			}
			var err error
			u.Roles, err = decodeRoles(u.ID, roles)
			return u, err
		})
		if err != nil {
			return nil, t.s.wrap(err)
		}
		if len(users) == 0 {
			continue
		}
		rows, err = t.query(`SELECT m.member_id, r.role FROM group_members m
JOIN directory_groups g ON g.id = m.group_id
JOIN role_mappings r ON r.org_id = g.org_id AND r.source = 'directory_group' AND r.value = m.group_id
WHERE m.member_id IN (`+in+`) AND m.member_type = 'User'`, chunk...)
		mapped := map[string][]string{}
		_, err = collectRows(rows, err, func(r *sql.Rows) (struct{}, error) {
			var id, role string
			err := r.Scan(&id, &role)
			mapped[id] = append(mapped[id], role)
			return struct{}{}, err
		})
		if err != nil {
			return nil, t.s.wrap(err)
		}
		// Users given the same roles are updated by one statement: after a
		// mapping change that is most of them.
		changed := map[string][]string{}
		var order []string
		for i := range users {
			u := &users[i]
			var roles []string
			if u.Active {
				roles = slices.Sorted(slices.Values(mapped[u.ID]))
				roles = slices.Compact(roles)
			}
			before := store.EffectiveRoles(u.Active != toggled, u.Roles, def)
			if after := store.EffectiveRoles(u.Active, roles, def); !slices.Equal(before, after) {
				evs = append(evs, store.RolesChangedEvent(u, before, after, actor, at))
			}
			if slices.Equal(roles, u.Roles) {
				continue
			}
			u.Roles = roles
			enc := encodeRoles(roles)
			if _, ok := changed[enc]; !ok {
				order = append(order, enc)
			}
			changed[enc] = append(changed[enc], u.ID)
		}
		for _, enc := range order {
			for ids := range memberChunks(changed[enc]) {
				if _, err := t.exec(`UPDATE directory_users SET roles = ? WHERE id IN (`+placeholders(len(ids))+`)`, append([]any{enc}, ids...)...); err != nil {
					return nil, t.s.wrap(err)
				}
			}
		}
		if _, err := t.exec(`DELETE FROM stale_roles WHERE user_id IN (`+in+`)`, chunk...); err != nil {
			return nil, t.s.wrap(err)
		}
	}
	return evs, nil
}

// GetProvisioningPolicy returns the organization's policy, the zero one
// when none was stored.
func (s *Store) GetProvisioningPolicy(ctx context.Context, orgID string) (*store.ProvisioningPolicy, error) {
	if orgID == "" {
		return nil, invalid("organization id is required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	p := store.ProvisioningPolicy{OrgID: orgID}
	err = r.queryRow(ctx, `SELECT p.sign_in, p.outside_domains, p.deprovision, p.updated_at FROM organizations o LEFT JOIN provisioning_policies p ON p.org_id = o.id WHERE o.id = ?`, orgID).Scan(nsc(&p.SignIn), nsc(&p.OutsideDomains), nsc(&p.Deprovision), tc(&p.UpdatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("organization")
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	return &p, nil
}

// PutProvisioningPolicy creates or replaces the organization's policy.
func (s *Store) PutProvisioningPolicy(ctx context.Context, p *store.ProvisioningPolicy, events ...Event) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if err := t.exists(`SELECT 1 FROM organizations WHERE id = ?`, p.OrgID, "organization"); err != nil {
			return err
		}
		if _, err := t.exec(`INSERT INTO provisioning_policies (org_id, sign_in, outside_domains, deprovision, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (org_id) DO UPDATE SET sign_in = excluded.sign_in, outside_domains = excluded.outside_domains, deprovision = excluded.deprovision, updated_at = excluded.updated_at`,
			p.OrgID, string(p.SignIn), string(p.OutsideDomains), string(p.Deprovision), s.nt(p.UpdatedAt)); err != nil {
			return s.wrap(err)
		}
		_, err := t.appendEvents(events)
		return err
	})
}

// policyOf reads the organization's policy inside a write.
func (t *tx) policyOf(orgID string) (*store.ProvisioningPolicy, error) {
	p := store.ProvisioningPolicy{OrgID: orgID}
	err := t.queryRow(`SELECT sign_in, outside_domains, deprovision, updated_at FROM provisioning_policies WHERE org_id = ?`, orgID).Scan(&p.SignIn, &p.OutsideDomains, &p.Deprovision, tc(&p.UpdatedAt))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, t.s.wrap(err)
	}
	return &p, nil
}

// nullString scans a nullable text column into a string type, NULL as "".
type nullString[T ~string] struct{ p *T }

func nsc[T ~string](p *T) nullString[T] { return nullString[T]{p} }

func (c nullString[T]) Scan(src any) error {
	var ns sql.NullString
	if err := ns.Scan(src); err != nil {
		return err
	}
	*c.p = T(ns.String)
	return nil
}

// deprovision records, for each address of u, that a directory deleted
// the user at at.
func (t *tx) deprovision(u *store.DirectoryUser, at time.Time) error {
	for _, k := range store.AddressKeys(u) {
		if _, err := t.exec(`INSERT INTO deprovisioned_users (org_id, address_key, directory_id, user_id, deprovisioned_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (org_id, address_key) DO UPDATE SET directory_id = excluded.directory_id, user_id = excluded.user_id, deprovisioned_at = excluded.deprovisioned_at`,
			u.OrgID, k, u.DirectoryID, u.ID, t.s.t(at)); err != nil {
			return t.s.wrap(err)
		}
	}
	return nil
}

// liftDeprovisioned removes the records of the addresses of u, an active
// user a directory provisioned.
func (t *tx) liftDeprovisioned(u *store.DirectoryUser) error {
	if !u.Active {
		return nil
	}
	for _, k := range store.AddressKeys(u) {
		if _, err := t.exec(`DELETE FROM deprovisioned_users WHERE org_id = ? AND address_key = ?`, u.OrgID, k); err != nil {
			return t.s.wrap(err)
		}
	}
	return nil
}

// deprovisioned returns the record of the address email in the
// organization, nil when there is none.
func (t *tx) deprovisioned(orgID, email string) (*store.Deprovisioned, error) {
	d := store.Deprovisioned{OrgID: orgID}
	err := t.queryRow(`SELECT directory_id, user_id, deprovisioned_at FROM deprovisioned_users WHERE org_id = ? AND address_key = ?`,
		orgID, store.MatchKey(email)).Scan(&d.DirectoryID, &d.UserID, tc(&d.At))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, t.s.wrap(err)
	}
	return &d, nil
}
