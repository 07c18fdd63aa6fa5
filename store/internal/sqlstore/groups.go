package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

const groupCols = `id, directory_id, org_id, display_name, external_id, attributes, version, created_at, updated_at`

const groupColsG = `g.id, g.directory_id, g.org_id, g.display_name, g.external_id, g.attributes, g.version, g.created_at, g.updated_at`

func scanGroup(r interface{ Scan(...any) error }) (store.DirectoryGroup, error) {
	var g store.DirectoryGroup
	err := r.Scan(&g.ID, &g.DirectoryID, &g.OrgID, &g.DisplayName, &g.ExternalID, bc((*[]byte)(&g.Attributes)), &g.Version, tc(&g.CreatedAt), tc(&g.UpdatedAt))
	return g, err
}

func scanGroupRows(r *sql.Rows) (store.DirectoryGroup, error) { return scanGroup(r) }

func validateOps(ops []store.MemberOp) error {
	for _, op := range ops {
		if err := op.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// memberDelta tracks the net membership change of a sequence of ops.
type memberDelta struct {
	added, removed map[string]bool
}

func (m *memberDelta) add(id string) {
	if m.removed[id] {
		delete(m.removed, id)
	} else {
		m.added[id] = true
	}
}

func (m *memberDelta) remove(id string) {
	if m.added[id] {
		delete(m.added, id)
	} else {
		m.removed[id] = true
	}
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// applyOps applies membership ops, in order, to the group g and returns the
// net added and removed member ids, sorted.
func (t *tx) applyOps(g *store.DirectoryGroup, ops []store.MemberOp) (added, removed []string, err error) {
	d := memberDelta{added: map[string]bool{}, removed: map[string]bool{}}
	for _, op := range ops {
		switch op.Kind {
		case store.MembersReplace:
			rows, err := t.query(`DELETE FROM group_members WHERE group_id = ? RETURNING member_id`, g.ID)
			if err := eachID(rows, err, d.remove); err != nil {
				return nil, nil, t.s.wrap(err)
			}
			fallthrough
		case store.MembersAdd:
			if err := t.addMembers(g, op.IDs, &d); err != nil {
				return nil, nil, err
			}
		case store.MembersRemove:
			for ids := range memberChunks(op.IDs) {
				rows, err := t.query(removeMembersSQL(len(ids)), append([]any{g.ID}, ids...)...)
				if err := eachID(rows, err, d.remove); err != nil {
					return nil, nil, t.s.wrap(err)
				}
			}
		}
	}
	return sortedKeys(d.added), sortedKeys(d.removed), nil
}

// addMembers adds the users and groups ids of g's directory to g, a chunk
// of ids at a time with two statements: one finds the first id that is
// neither (ErrNotFound), one inserts the others.
func (t *tx) addMembers(g *store.DirectoryGroup, ids []string, d *memberDelta) error {
	for chunk := range memberChunks(ids) {
		args := append(append(append(slices.Clone(chunk), g.DirectoryID), chunk...), g.DirectoryID)
		rows, err := t.query(memberIDsSQL(len(chunk), t.s.d.Unindexed), args...)
		known := map[string]bool{}
		if err := eachID(rows, err, func(id string) { known[id] = true }); err != nil {
			return t.s.wrap(err)
		}
		for _, id := range chunk {
			if !known[id.(string)] {
				return fmt.Errorf("%w: member %q is not a user or group of the directory", store.ErrNotFound, id)
			}
		}
		rows, err = t.query(addMembersSQL(len(chunk), t.s.d.Unindexed), append([]any{g.ID}, args...)...)
		if err := eachID(rows, err, d.add); err != nil {
			return t.s.wrap(err)
		}
	}
	return nil
}

// memberIDsSQL selects which of n ids (given twice, each time followed by
// the directory id) are users or groups of the directory. The directory
// condition is unindexed (see Dialect.Unindexed): an index on it would walk
// the whole directory, where the ids find their rows by primary key.
func memberIDsSQL(n int, unindexed string) string {
	in := placeholders(n)
	return `SELECT id FROM directory_users WHERE id IN (` + in + `) AND ` + unindexed + `directory_id = ?
UNION ALL SELECT id FROM directory_groups WHERE id IN (` + in + `) AND ` + unindexed + `directory_id = ?`
}

// addMembersSQL makes the users and groups of the directory among n ids
// members of a group (arguments: the group id, then memberIDsSQL's), and
// returns the ids it added.
func addMembersSQL(n int, unindexed string) string {
	in := placeholders(n)
	return `INSERT INTO group_members (group_id, member_id, member_type, directory_id)
SELECT ?, m.id, m.type, m.directory_id FROM (
 SELECT id, 'User' AS type, directory_id FROM directory_users WHERE id IN (` + in + `) AND ` + unindexed + `directory_id = ?
 UNION ALL SELECT id, 'Group', directory_id FROM directory_groups WHERE id IN (` + in + `) AND ` + unindexed + `directory_id = ?) m
WHERE true
ON CONFLICT (group_id, member_id) DO NOTHING RETURNING member_id`
}

// removeMembersSQL removes n ids from a group (arguments: the group id,
// then the ids) and returns the ids it removed.
func removeMembersSQL(n int) string {
	return `DELETE FROM group_members WHERE group_id = ? AND member_id IN (` + placeholders(n) + `) RETURNING member_id`
}

// memberBatch is the most member ids one statement of applyOps names.
const memberBatch = 256

// memberChunks yields ids in chunks of memberBatch, as arguments, the last
// chunk padded with repeats of its last id to a power of two so that few
// statement shapes serve every request (a repeated id changes nothing: IN
// is a set, and addMembers skips repeats).
func memberChunks(ids []string) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		for rest := ids; len(rest) > 0; {
			n := min(len(rest), memberBatch)
			size := batchSize(n, memberBatch)
			if size < n {
				size *= 2
			}
			chunk := make([]any, size)
			for i := range chunk {
				chunk[i] = rest[min(i, n-1)]
			}
			if !yield(chunk) {
				return
			}
			rest = rest[n:]
		}
	}
}

// placeholders returns n comma-separated '?'.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// collectIDs returns the single string column of rows.
func collectIDs(rows *sql.Rows, err error) ([]string, error) {
	return collectRows(rows, err, func(r *sql.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
}

// eachID calls fn with the id of each row.
func eachID(rows *sql.Rows, err error, fn func(string)) error {
	ids, err := collectIDs(rows, err)
	for _, id := range ids {
		fn(id)
	}
	return err
}

func groupEvents(events store.GroupEvents, g *store.DirectoryGroup, added, removed []string) ([]Event, error) {
	if events == nil {
		return nil, nil
	}
	cp := *g
	cp.Attributes = cloneBytes(g.Attributes)
	evs := events(&cp, added, removed)
	if err := store.ValidateEvents(evs); err != nil {
		return nil, err
	}
	return evs, nil
}

// CreateDirectoryGroup stores g with Version 1 and the members of ops.
func (s *Store) CreateDirectoryGroup(ctx context.Context, g *store.DirectoryGroup, ops []store.MemberOp, events store.GroupEvents) error {
	if err := g.Validate(); err != nil {
		return err
	}
	if err := validateOps(ops); err != nil {
		return err
	}
	var stored store.DirectoryGroup
	err := s.write(ctx, func(t *tx) error {
		stored = *g
		stored.Attributes = cloneBytes(g.Attributes)
		stored.Version = 1
		stored.CreatedAt, stored.UpdatedAt = norm(g.CreatedAt), norm(g.UpdatedAt)
		err := t.queryRow(`INSERT INTO directory_groups (id, directory_id, org_id, display_name, display_name_lower, external_id, attributes, version, created_at, updated_at)
SELECT ?, d.id, d.org_id, ?, ?, ?, ?, 1, ?, ? FROM directories d WHERE d.id = ?
RETURNING org_id`,
			g.ID, g.DisplayName, strings.ToLower(g.DisplayName), g.ExternalID, nb(g.Attributes), s.t(g.CreatedAt), s.t(g.UpdatedAt), g.DirectoryID).Scan(&stored.OrgID)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("directory")
		}
		if err != nil {
			return s.wrap(err)
		}
		added, _, err := t.applyOps(&stored, ops)
		if err != nil {
			return err
		}
		evs, err := groupEvents(events, &stored, added, nil)
		if err != nil {
			return err
		}
		rolesEvs, err := t.recomputeFor(stored.OrgID, added, false, evs)
		if err != nil {
			return err
		}
		_, err = t.appendEvents(append(evs, rolesEvs...))
		return err
	})
	if err != nil {
		return err
	}
	g.OrgID, g.Version = stored.OrgID, 1
	return nil
}

// GetDirectoryGroup returns the group id of the directory.
func (s *Store) GetDirectoryGroup(ctx context.Context, directoryID, id string) (*store.DirectoryGroup, error) {
	if directoryID == "" || id == "" {
		return nil, invalid("directory id and group id are required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	g, err := scanGroup(r.queryRow(ctx, `SELECT `+groupCols+` FROM directory_groups WHERE id = ? AND directory_id = ?`, id, directoryID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("directory group")
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	return &g, nil
}

var groupSortKeys = map[store.Attr]string{
	"":                     "g.created_at",
	store.AttrDisplayName:  "g.display_name_lower",
	store.AttrExternalID:   "g.external_id",
	store.AttrCreated:      "g.created_at",
	store.AttrLastModified: "g.updated_at",
	store.AttrID:           "g.id",
}

// ListDirectoryGroups returns a page of the directory's groups and the
// total that match q.Filter.
func (s *Store) ListDirectoryGroups(ctx context.Context, directoryID string, q store.GroupQuery) ([]store.DirectoryGroup, int, error) {
	if directoryID == "" {
		return nil, 0, invalid("directory id is required")
	}
	key, ok := groupSortKeys[q.SortBy]
	if !ok {
		return nil, 0, invalid("cannot sort groups by %q", q.SortBy)
	}
	order, err := orderBy(key, "g", q.SortOrder)
	if err != nil {
		return nil, 0, err
	}
	if q.Offset < 0 || q.Limit < 0 {
		return nil, 0, invalid("negative offset or limit")
	}
	if err := store.ValidateFilterText(q.Filter); err != nil {
		return nil, 0, err
	}
	where, args, err := s.groupWhereFields(ctx, directoryID, q.Filter)
	if err != nil {
		return nil, 0, err
	}
	var plain *plainList[store.DirectoryGroup]
	if q.Filter == nil {
		plain = &plainList[store.DirectoryGroup]{dir: directoryID, table: "directory_groups", alias: "g", count: "groups",
			keyed: key == "g.created_at" && q.SortOrder == store.Ascending,
			key:   func(g store.DirectoryGroup) (time.Time, string) { return g.CreatedAt, g.ID }}
	}
	return listPage(ctx, s, `directory_groups g`, groupColsG, where, args, order, q.Offset, q.Limit, uniqueLookup(q.Filter, true), scanGroup, plain)
}

// UpdateDirectoryGroup changes the group with fn, applies the membership
// ops fn returns and increments Version.
func (s *Store) UpdateDirectoryGroup(ctx context.Context, directoryID, id string, fn func(*store.DirectoryGroup) ([]store.MemberOp, error), events store.GroupEvents) (*store.DirectoryGroup, error) {
	if directoryID == "" || id == "" {
		return nil, invalid("directory id and group id are required")
	}
	if fn == nil {
		return nil, invalid("update function is required")
	}
	var out store.DirectoryGroup
	err := s.write(ctx, func(t *tx) error {
		cur, err := scanGroup(t.queryRow(`SELECT `+groupCols+` FROM directory_groups WHERE id = ? AND directory_id = ?`+s.d.ForUpdate, id, directoryID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("directory group")
		}
		if err != nil {
			return s.wrap(err)
		}
		g := cur
		g.Attributes = cloneBytes(cur.Attributes)
		ops, err := fn(&g)
		if err != nil {
			return err
		}
		if g.ID != cur.ID || g.DirectoryID != cur.DirectoryID || g.OrgID != cur.OrgID || !g.CreatedAt.Equal(cur.CreatedAt) {
			return invalid("directory group: ID, DirectoryID, OrgID and CreatedAt cannot change")
		}
		if err := g.Validate(); err != nil {
			return err
		}
		if err := validateOps(ops); err != nil {
			return err
		}
		g.Version = cur.Version + 1
		g.UpdatedAt = norm(g.UpdatedAt)
		if _, err := t.exec(`UPDATE directory_groups SET display_name = ?, display_name_lower = ?, external_id = ?, attributes = ?, version = ?, updated_at = ? WHERE id = ?`,
			g.DisplayName, strings.ToLower(g.DisplayName), g.ExternalID, nb(g.Attributes), g.Version, s.t(g.UpdatedAt), id); err != nil {
			return s.wrap(err)
		}
		added, removed, err := t.applyOps(&g, ops)
		if err != nil {
			return err
		}
		evs, err := groupEvents(events, &g, added, removed)
		if err != nil {
			return err
		}
		rolesEvs, err := t.recomputeFor(g.OrgID, append(slices.Clip(added), removed...), false, evs)
		if err != nil {
			return err
		}
		if _, err := t.appendEvents(append(evs, rolesEvs...)); err != nil {
			return err
		}
		out = g
		out.Attributes = cloneBytes(g.Attributes)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteDirectoryGroup removes the group and its memberships.
func (s *Store) DeleteDirectoryGroup(ctx context.Context, directoryID, id string, events store.GroupEvents) error {
	if directoryID == "" || id == "" {
		return invalid("directory id and group id are required")
	}
	return s.write(ctx, func(t *tx) error {
		g, err := scanGroup(t.queryRow(`SELECT `+groupCols+` FROM directory_groups WHERE id = ? AND directory_id = ?`+s.d.ForUpdate, id, directoryID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("directory group")
		}
		if err != nil {
			return s.wrap(err)
		}
		rows, err := t.query(`DELETE FROM group_members WHERE group_id = ? RETURNING member_id`, id)
		members, err := collectIDs(rows, err)
		if err != nil {
			return s.wrap(err)
		}
		slices.Sort(members)
		if _, err := t.deleteMemberships(directoryID, id, store.MemberGroup); err != nil {
			return err
		}
		if _, err := t.exec(`DELETE FROM directory_groups WHERE id = ?`, id); err != nil {
			return s.wrap(err)
		}
		evs, err := groupEvents(events, &g, nil, members)
		if err != nil {
			return err
		}
		rolesEvs, err := t.recomputeFor(g.OrgID, members, false, evs)
		if err != nil {
			return err
		}
		_, err = t.appendEvents(append(evs, rolesEvs...))
		return err
	})
}

// ListGroupMembers returns the group's members ordered by id.
func (s *Store) ListGroupMembers(ctx context.Context, directoryID, groupID string) ([]store.Member, error) {
	if directoryID == "" || groupID == "" {
		return nil, invalid("directory id and group id are required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	var one int
	err = r.queryRow(ctx, `SELECT 1 FROM directory_groups WHERE id = ? AND directory_id = ?`, groupID, directoryID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("directory group")
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	rows, err := r.query(ctx, `SELECT m.member_id, m.member_type, COALESCE(NULLIF(u.display_name, ''), u.user_name, x.display_name, '')
FROM group_members m
LEFT JOIN directory_users u ON m.member_type = 'User' AND u.id = m.member_id
LEFT JOIN directory_groups x ON m.member_type = 'Group' AND x.id = m.member_id
WHERE m.group_id = ? ORDER BY m.member_id`, groupID)
	out, err := collectRows(rows, err, func(r *sql.Rows) (store.Member, error) {
		var m store.Member
		return m, r.Scan(&m.ID, &m.Type, &m.Display)
	})
	if err != nil {
		return nil, s.wrap(err)
	}
	if out == nil {
		out = []store.Member{}
	}
	return out, nil
}

// ListMemberGroups returns the groups memberID is a direct member of.
func (s *Store) ListMemberGroups(ctx context.Context, directoryID, memberID string) ([]store.DirectoryGroup, error) {
	if directoryID == "" || memberID == "" {
		return nil, invalid("directory id and member id are required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.query(ctx, `SELECT `+groupColsG+` FROM group_members m JOIN directory_groups g ON g.id = m.group_id
WHERE m.member_id = ? AND m.directory_id = ? ORDER BY g.id`, memberID, directoryID)
	out, err := collectRows(rows, err, scanGroupRows)
	if err != nil {
		return nil, s.wrap(err)
	}
	if out == nil {
		out = []store.DirectoryGroup{}
	}
	return out, nil
}
