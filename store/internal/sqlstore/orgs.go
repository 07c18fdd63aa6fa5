package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

const orgCols = `id, name, external_id, created_at, updated_at`

func scanOrg(r interface{ Scan(...any) error }) (store.Organization, error) {
	var o store.Organization
	err := r.Scan(&o.ID, &o.Name, &o.ExternalID, tc(&o.CreatedAt), tc(&o.UpdatedAt))
	return o, err
}

func scanOrgRows(r *sql.Rows) (store.Organization, error) { return scanOrg(r) }

// CreateOrganization stores o and its events.
func (s *Store) CreateOrganization(ctx context.Context, o *store.Organization, events ...Event) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if _, err := t.exec(`INSERT INTO organizations (id, id_lower, name, name_lower, external_id, external_id_lower, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			o.ID, strings.ToLower(o.ID), o.Name, strings.ToLower(o.Name), o.ExternalID, strings.ToLower(o.ExternalID), s.t(o.CreatedAt), s.t(o.UpdatedAt)); err != nil {
			return s.wrap(err)
		}
		if err := t.orgHook(nil, o); err != nil {
			return err
		}
		_, err := t.appendEvents(events)
		return err
	})
}

// orgHook runs the Store's OrganizationHook, if any, on copies of before
// and after.
func (t *tx) orgHook(before, after *store.Organization) error {
	if t.s.orgHook == nil {
		return nil
	}
	b, a := clone(before), clone(after)
	if a != nil {
		a.CreatedAt, a.UpdatedAt = norm(a.CreatedAt), norm(a.UpdatedAt)
	}
	return t.host(func(ctx context.Context, tx Tx) error { return t.s.orgHook(ctx, tx, b, a) })
}

func clone[T any](v *T) *T {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}

func (s *Store) getOrg(ctx context.Context, q string, arg string) (*store.Organization, error) {
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	o, err := scanOrg(r.queryRow(ctx, q, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("organization")
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	return &o, nil
}

// GetOrganization returns the organization with id.
func (s *Store) GetOrganization(ctx context.Context, id string) (*store.Organization, error) {
	if id == "" {
		return nil, invalid("organization id is required")
	}
	return s.getOrg(ctx, `SELECT `+orgCols+` FROM organizations WHERE id = ?`, id)
}

// GetOrganizationByExternalID returns the organization with externalID.
func (s *Store) GetOrganizationByExternalID(ctx context.Context, externalID string) (*store.Organization, error) {
	if externalID == "" {
		return nil, invalid("external id is required")
	}
	return s.getOrg(ctx, `SELECT `+orgCols+` FROM organizations WHERE external_id = ? AND external_id <> ''`, externalID)
}

// UpdateOrganization changes the organization id with fn.
func (s *Store) UpdateOrganization(ctx context.Context, id string, fn func(*store.Organization) ([]Event, error)) (*store.Organization, error) {
	if err := updateArgs("organization", id, fn); err != nil {
		return nil, err
	}
	var out store.Organization
	err := s.write(ctx, func(t *tx) error {
		cur, err := lockRow(t, "organization", `SELECT `+orgCols+` FROM organizations WHERE id = ?`, id, scanOrg)
		if err != nil {
			return err
		}
		o, events, err := edit(cur, fn, func(cur, o *store.Organization) bool {
			return o.ID == cur.ID && o.CreatedAt.Equal(cur.CreatedAt)
		}, "organization: ID and CreatedAt cannot change")
		if err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE organizations SET name = ?, name_lower = ?, external_id = ?, external_id_lower = ?, updated_at = ? WHERE id = ?`,
			o.Name, strings.ToLower(o.Name), o.ExternalID, strings.ToLower(o.ExternalID), s.t(o.UpdatedAt), id); err != nil {
			return s.wrap(err)
		}
		out = o
		out.CreatedAt = cur.CreatedAt
		out.UpdatedAt = norm(o.UpdatedAt)
		if err := t.orgHook(&cur, &out); err != nil {
			return err
		}
		_, err = t.appendEvents(events)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListOrganizations returns a page of organizations ordered by (CreatedAt, ID).
func (s *Store) ListOrganizations(ctx context.Context, q store.OrganizationQuery) ([]store.Organization, bool, error) {
	r, err := s.read(ctx)
	if err != nil {
		return nil, false, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	query, args := s.orgListSQL(q.Search, q.After, limit)
	rows, err := r.query(ctx, query, args...)
	out, err := collectRows(rows, err, scanOrgRows)
	if err != nil {
		return nil, false, s.wrap(err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	if out == nil {
		out = []store.Organization{}
	}
	return out, more, nil
}

// DeleteOrganization removes the organization and everything it owns.
func (s *Store) DeleteOrganization(ctx context.Context, id string, events ...Event) error {
	if id == "" {
		return invalid("organization id is required")
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if s.orgHook != nil {
			cur, err := lockRow(t, "organization", `SELECT `+orgCols+` FROM organizations WHERE id = ?`, id, scanOrg)
			if errors.Is(err, store.ErrNotFound) {
				return nil // absent: nothing changes, the hook does not run
			}
			if err != nil {
				return err
			}
			if err := t.orgHook(&cur, nil); err != nil {
				return err
			}
		}
		// Every end-user session ends with its event before the rows go.
		if _, err := t.endSessions(store.SessionSelector{OrgID: id},
			store.CauseEnd(store.SessionEndedOrganizationDeleted, events, time.Time{})); err != nil {
			return err
		}
		// Foreign keys cascade to domains, connections, links, sessions,
		// directories (and from them tokens, users, emails, groups and
		// memberships). Login requests and branding carry no foreign key.
		n, err := t.execN(`DELETE FROM organizations WHERE id = ?`, id)
		if err != nil || n == 0 {
			// Deleting what is absent changes nothing and tells nothing.
			return s.wrap(err)
		}
		for _, q := range []string{
			`DELETE FROM login_requests WHERE org_id = ?`,
			`DELETE FROM brandings WHERE scope = ?`,
		} {
			if _, err := t.exec(q, id); err != nil {
				return s.wrap(err)
			}
		}
		_, err = t.appendEvents(events)
		return err
	})
}

// trigramMatch returns the FTS5 query that finds, through a trigram index,
// a superset of the rows in which s is a substring: the phrase s. Only
// where the dialect keeps such indexes (Dialect.FTSTrigram), and only for s
// of at least three characters, all ASCII: a trigram index needs three
// characters, and for ASCII its case folding and the Store's lower-casing
// agree. Otherwise ok is false and the LIKE condition alone decides.
func (s *Store) trigramMatch(v string) (match string, ok bool) {
	if !s.d.FTSTrigram || len(v) < 3 {
		return "", false
	}
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 || v[i] < 0x20 {
			return "", false
		}
	}
	return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`, true
}

// OrganizationSetups counts the connections, directories and domains of
// orgIDs by state: one statement, each part answered by the org_id index
// of its table.
func (s *Store) OrganizationSetups(ctx context.Context, orgIDs []string) (map[string]store.OrganizationSetup, error) {
	if err := store.ValidateSetupOrganizations(orgIDs); err != nil {
		return nil, err
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]store.OrganizationSetup, len(orgIDs))
	for _, id := range orgIDs {
		out[id] = store.OrganizationSetup{}
	}
	if len(orgIDs) == 0 {
		return out, nil
	}
	ids, err := json.Marshal(orgIDs)
	if err != nil {
		return nil, err
	}
	rows, err := r.query(ctx, orgSetupsSQL(s.d.IDsIn), string(ids), string(ids), string(ids))
	type count struct {
		org, kind, state string
		n                int
	}
	counts, err := collectRows(rows, err, func(r *sql.Rows) (count, error) {
		var c count
		err := r.Scan(&c.org, &c.kind, &c.state, &c.n)
		return c, err
	})
	if err != nil {
		return nil, s.wrap(err)
	}
	for _, c := range counts {
		o, ok := out[c.org]
		if !ok {
			continue
		}
		switch c.kind {
		case "c":
			o.Connections = store.AddCount(o.Connections, store.ConnectionState(c.state), c.n)
		case "d":
			o.Directories = store.AddCount(o.Directories, store.DirectoryState(c.state), c.n)
		case "m":
			o.Domains = store.AddCount(o.Domains, store.DomainState(c.state), c.n)
		}
		out[c.org] = o
	}
	return out, nil
}

func addCount[S ~string](m map[S]int, state S, n int) map[S]int {
	if m == nil {
		m = map[S]int{}
	}
	m[state] += n
	return m
}

// orgSetupsSQL counts connections ("c"), directories ("d") and domains
// ("m") of the organizations in a JSON array (three arguments, the same
// array) by state; idsIn is Dialect.IDsIn.
func orgSetupsSQL(idsIn string) string {
	part := func(kind, table string) string {
		return `SELECT org_id, '` + kind + `', state, COUNT(*) FROM ` + table + ` WHERE org_id IN ` + idsIn + ` GROUP BY org_id, state`
	}
	return part("c", "connections") + "\nUNION ALL " + part("d", "directories") + "\nUNION ALL " + part("m", "domains")
}

// orgListSQL is the statement of ListOrganizations: up to limit + 1
// organizations (one more tells whether more follow).
func (s *Store) orgListSQL(search, after string, limit int) (string, []any) {
	var b strings.Builder
	var args []any
	indexed := false
	b.WriteString(`SELECT ` + orgCols + ` FROM organizations o WHERE 1 = 1`)
	if after != "" {
		// The page continues after the organization after, a range of the
		// (created_at, id) index; if it has been deleted meanwhile, the
		// row comparison is NULL, nothing sorts after it and the page is
		// empty, which a caller sees as the end.
		b.WriteString(` AND (o.created_at, o.id) > (SELECT a.created_at, a.id FROM organizations a WHERE a.id = ?)`)
		args = append(args, after)
	}
	if search != "" {
		search := strings.ToLower(search)
		if m, ok := s.trigramMatch(search); ok {
			// The candidates come from the trigram index (SQLite FTS5);
			// the LIKE below keeps exactly the substring matches.
			b.WriteString(` AND o.id IN (SELECT x.id FROM organizations_search_ids x WHERE x.n IN (SELECT rowid FROM organizations_search WHERE organizations_search MATCH ?))`)
			args = append(args, m)
			indexed = true
		}
		// On PostgreSQL, trigram GIN indexes on the three columns serve
		// this condition (a bitmap OR).
		p := "%" + escapeLike(search) + "%"
		b.WriteString(` AND (o.name_lower LIKE ? ESCAPE '\' OR o.id_lower LIKE ? ESCAPE '\' OR o.external_id_lower LIKE ? ESCAPE '\')`)
		args = append(args, p, p, p)
	}
	if indexed {
		// Sorting the matches beats walking every organization in order
		// for them (Dialect.Unindexed keeps SQLite's planner from it).
		b.WriteString(` ORDER BY ` + s.d.Unindexed + `o.created_at, ` + s.d.Unindexed + `o.id LIMIT ?`)
	} else {
		b.WriteString(` ORDER BY o.created_at, o.id LIMIT ?`)
	}
	args = append(args, limit+1)
	return b.String(), args
}
