package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/onboardkit/onboardkit/store"
)

// A user's emails are kept twice: whole, as JSON in directory_users.emails,
// which is what reads return, and one row per distinct (address, type) in
// directory_user_emails, which is what filters and FindDirectoryUsersByEmail
// query. That table is its own index: its key (directory, value's store.MatchKey,
// user, lower-cased type) serves every lookup, so a user's creation writes
// one b-tree for its emails, not a table and an index. Its rows are deleted
// with the directory (foreign key) or explicitly, from the user's stored
// emails, when the user changes or goes.

const userCols = `id, directory_id, org_id, user_name, external_id, active, display_name, given_name, family_name, emails, outside_domains, attributes, version, created_at, updated_at, roles, custom`

// userColsU is userCols qualified with the alias u.
const userColsU = `u.id, u.directory_id, u.org_id, u.user_name, u.external_id, u.active, u.display_name, u.given_name, u.family_name, u.emails, u.outside_domains, u.attributes, u.version, u.created_at, u.updated_at, u.roles, u.custom`

func scanUser(r interface{ Scan(...any) error }) (store.DirectoryUser, error) {
	var u store.DirectoryUser
	var emails, roles, custom []byte
	if err := r.Scan(&u.ID, &u.DirectoryID, &u.OrgID, &u.UserName, &u.ExternalID, &u.Active, &u.DisplayName, &u.GivenName, &u.FamilyName,
		bc(&emails), &u.OutsideDomains, bc((*[]byte)(&u.Attributes)), &u.Version, tc(&u.CreatedAt), tc(&u.UpdatedAt), bc(&roles), bc(&custom)); err != nil {
		return u, err
	}
	var err error
	if u.Roles, err = decodeRoles(u.ID, roles); err != nil {
		return u, err
	}
	if u.Custom, err = store.DecodeCustomValues(custom); err != nil {
		return u, fmt.Errorf("sqlstore: user %s: decoding custom values: %w", u.ID, err)
	}
	if emails != nil {
		if err := json.Unmarshal(emails, &u.Emails); err != nil {
			return u, fmt.Errorf("sqlstore: user %s: decoding emails: %w", u.ID, err)
		}
	}
	return u, nil
}

func scanUserRows(r *sql.Rows) (store.DirectoryUser, error) { return scanUser(r) }

func encodeEmails(emails []store.Email) ([]byte, error) {
	if emails == nil {
		return nil, nil
	}
	b, err := json.Marshal(emails)
	if err != nil {
		return nil, invalid("directory user: encoding emails: %v", err)
	}
	return b, nil
}

// primaryEmailLower is the sort key of AttrEmail.
func primaryEmailLower(u *store.DirectoryUser) string { return store.MatchKey(u.PrimaryEmail()) }

// deleteEmails removes the email rows of u, as stored.
func (t *tx) deleteEmails(u *store.DirectoryUser) error {
	for i, e := range u.Emails {
		v := store.MatchKey(e.Value)
		if slices.ContainsFunc(u.Emails[:i], func(p store.Email) bool { return store.MatchKey(p.Value) == v }) {
			continue
		}
		if _, err := t.exec(`DELETE FROM directory_user_emails WHERE directory_id = ? AND value_lower = ? AND user_id = ?`, u.DirectoryID, v, u.ID); err != nil {
			return t.s.wrap(err)
		}
	}
	return nil
}

func (t *tx) insertEmails(u *store.DirectoryUser) error {
	for _, e := range u.Emails {
		if _, err := t.exec(`INSERT INTO directory_user_emails (directory_id, value_lower, user_id, type_lower) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			u.DirectoryID, store.MatchKey(e.Value), u.ID, strings.ToLower(e.Type)); err != nil {
			return t.s.wrap(err)
		}
	}
	return nil
}

// CreateDirectoryUser stores u with Version 1 and OrgID taken from its
// directory, and sets both on u.
func (s *Store) CreateDirectoryUser(ctx context.Context, u *store.DirectoryUser, events ...Event) error {
	if err := u.Validate(); err != nil {
		return err
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	emails, err := encodeEmails(u.Emails)
	if err != nil {
		return err
	}
	custom, err := store.EncodeCustomValues(u.Custom)
	if err != nil {
		return err
	}
	var orgID string
	err = s.write(ctx, func(t *tx) error {
		// The directory lookup and the insert are one statement: no row
		// inserted means no such directory.
		err := t.queryRow(`INSERT INTO directory_users (id, directory_id, org_id, user_name, user_name_lower, external_id, active,
 display_name, display_name_lower, given_name, given_name_lower, family_name, family_name_lower, primary_email_lower,
 emails, outside_domains, attributes, custom, version, created_at, updated_at)
SELECT ?, d.id, d.org_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ? FROM directories d WHERE d.id = ?
RETURNING org_id`,
			u.ID, u.UserName, store.MatchKey(u.UserName), u.ExternalID, u.Active,
			u.DisplayName, strings.ToLower(u.DisplayName), u.GivenName, strings.ToLower(u.GivenName), u.FamilyName, strings.ToLower(u.FamilyName), primaryEmailLower(u),
			nb(emails), u.OutsideDomains, nb(u.Attributes), string(custom), s.t(u.CreatedAt), s.t(u.UpdatedAt), u.DirectoryID).Scan(&orgID)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("directory")
		}
		if err != nil {
			return s.wrap(err)
		}
		if err := t.insertEmails(u); err != nil {
			return err
		}
		created := *u
		created.OrgID = orgID
		if err := t.liftDeprovisioned(&created); err != nil {
			return err
		}
		_, err = t.appendEvents(events)
		return err
	})
	if err != nil {
		return err
	}
	u.OrgID, u.Version = orgID, 1
	return nil
}

// GetDirectoryUser returns the user id of the directory.
func (s *Store) GetDirectoryUser(ctx context.Context, directoryID, id string) (*store.DirectoryUser, error) {
	if directoryID == "" || id == "" {
		return nil, invalid("directory id and user id are required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	u, err := scanUser(r.queryRow(ctx, `SELECT `+userCols+` FROM directory_users WHERE id = ? AND directory_id = ?`, id, directoryID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("directory user")
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	return &u, nil
}

// userSortKeys maps UserQuery.SortBy to columns.
var userSortKeys = map[store.Attr]string{
	"":                     "u.created_at",
	store.AttrUserName:     "u.user_name_lower",
	store.AttrExternalID:   "u.external_id",
	store.AttrDisplayName:  "u.display_name_lower",
	store.AttrGivenName:    "u.given_name_lower",
	store.AttrFamilyName:   "u.family_name_lower",
	store.AttrEmail:        "u.primary_email_lower",
	store.AttrCreated:      "u.created_at",
	store.AttrLastModified: "u.updated_at",
	store.AttrID:           "u.id",
}

// orderBy returns the ORDER BY clause of a listing: the key, then the id
// as a tiebreak, both in the requested direction.
func orderBy(key, alias string, o store.SortOrder) (string, error) {
	dir := " ASC"
	switch o {
	case store.Ascending:
	case store.Descending:
		dir = " DESC"
	default:
		return "", invalid("unknown sort order %d", o)
	}
	if key == alias+".id" {
		return " ORDER BY " + key + dir, nil
	}
	return " ORDER BY " + key + dir + ", " + alias + ".id" + dir, nil
}

// ListDirectoryUsers returns a page of the directory's users and the total
// that match q.Filter.
func (s *Store) ListDirectoryUsers(ctx context.Context, directoryID string, q store.UserQuery) ([]store.DirectoryUser, int, error) {
	if directoryID == "" {
		return nil, 0, invalid("directory id is required")
	}
	key, ok := userSortKeys[q.SortBy]
	if !ok {
		return nil, 0, invalid("cannot sort users by %q", q.SortBy)
	}
	order, err := orderBy(key, "u", q.SortOrder)
	if err != nil {
		return nil, 0, err
	}
	if q.Offset < 0 || q.Limit < 0 {
		return nil, 0, invalid("negative offset or limit")
	}
	if err := store.ValidateFilterText(q.Filter); err != nil {
		return nil, 0, err
	}
	where, args, err := s.userWhereFields(ctx, directoryID, q.Filter)
	if err != nil {
		return nil, 0, err
	}
	var plain *plainList[store.DirectoryUser]
	if q.Filter == nil {
		plain = &plainList[store.DirectoryUser]{dir: directoryID, table: "directory_users", alias: "u", count: "users",
			keyed: key == "u.created_at" && q.SortOrder == store.Ascending,
			key:   func(u store.DirectoryUser) (time.Time, string) { return u.CreatedAt, u.ID }}
	}
	return listPage(ctx, s, `directory_users u`, userColsU, where, args, order, q.Offset, q.Limit, uniqueLookup(q.Filter, false), scanUser, plain)
}

// listPage counts the rows of from matching where and returns the page
// selected by order, offset and limit.
//
// A lookup by a unique key (single is true) matches at most one row, so one
// plain statement answers it: the rows found are the total, and the page is
// that row unless offset skips it; no count, window or sort. (Should two
// rows come back after all, the general path answers.) Any other listing
// counts first and then reads the page in index order, stopping at the
// limit, rather than sorting every matching row to get a window count.
//
// An unfiltered listing (plain is set) takes its total from the
// directory's counts instead of counting the directory, and in the default
// order finds its page by key (see keyedPage).
func listPage[T any](ctx context.Context, s *Store, from, cols, where string, args []any, order string, offset, limit int, single bool, scan func(interface{ Scan(...any) error }) (T, error), plain *plainList[T]) ([]T, int, error) {
	r, err := s.read(ctx)
	if err != nil {
		return nil, 0, err
	}
	var changes int64
	count := func() (int, error) {
		var total int
		if plain != nil {
			if err := r.queryRow(ctx, directoryCountsSQL(plain.count), plain.dir).Scan(&total, &changes); err != nil {
				return 0, s.wrap(err)
			}
			return total, nil
		}
		if err := r.queryRow(ctx, `SELECT COUNT(*) FROM `+from+` WHERE `+where, args...).Scan(&total); err != nil {
			return 0, s.wrap(err)
		}
		return total, nil
	}
	out := []T{}
	if limit == 0 {
		total, err := count()
		return out, total, err
	}
	if single {
		rows, err := r.query(ctx, uniqueSQL(from, cols, where), args...)
		found, err := collectRows(rows, err, func(r *sql.Rows) (T, error) { return scan(r) })
		if err != nil {
			return nil, 0, s.wrap(err)
		}
		if len(found) <= 1 {
			if offset < len(found) {
				out = found
			}
			return out, len(found), nil
		}
	}
	total, err := count()
	if err != nil || total == 0 || offset >= total {
		return out, total, err
	}
	var page []T
	if plain != nil && plain.keyed {
		page, err = keyedPage(ctx, s, r, plain, cols, order, offset, limit, changes, scan)
	} else {
		rows, qerr := r.query(ctx, `SELECT `+cols+` FROM `+from+` WHERE `+where+order+` LIMIT ? OFFSET ?`, append(slices.Clip(args), limit, offset)...)
		page, err = collectRows(rows, qerr, func(r *sql.Rows) (T, error) { return scan(r) })
	}
	if err != nil {
		return nil, 0, s.wrap(err)
	}
	if page != nil {
		out = page
	}
	return out, total, nil
}

// plainList describes an unfiltered listing of one directory's users or
// groups for listPage.
type plainList[T any] struct {
	dir   string
	table string // directory_users or directory_groups
	alias string // u or g
	count string // the column of directory_counts with its total
	// keyed is true in the default order, (created_at, id) ascending,
	// the order of the table's (directory_id, created_at, id) index.
	keyed bool
	key   func(T) (time.Time, string) // created_at and id of a row
}

// keyedPage reads the page of limit rows after the first offset of
// plain's listing, in index order, without walking the offset rows'
// table rows:
//
//   - offset 0: the first rows of the directory in the index;
//   - an offset at which an earlier page of the same listing ended, while
//     the directory's count of inserts and deletes (changes) is what it was
//     then: the rows after that page's last key, a range of the index.
//     This is the walk SCIM clients make (startIndex 1, 101, 201, ...), in
//     O(page) a request. The keys are remembered by the Store (pageBounds),
//     so any instance serves the next page of its own walk; another
//     instance, or a write in between, falls back to the next case;
//   - any other offset: the key of the offset-th row, found from the
//     directory's list buckets (migration 0015): their counts, read in
//     order, name the bucket holding the row, and a walk of at most one
//     bucket's index entries (1,024; an index-only scan on PostgreSQL, a
//     covering index on SQLite) inside it finds the key, then a range from
//     it. O(n/512 + 1,024) small rows, no table row skipped, nothing sorted.
//
// The answer is the same in the three cases: the key of the row at an
// offset changes only when a row is inserted or deleted.
func keyedPage[T any](ctx context.Context, s *Store, r *stmtCache, plain *plainList[T], cols, order string, offset, limit int, changes int64, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	at := pageKey{table: plain.table, dir: plain.dir, offset: offset, changes: changes}
	var bound *pageBound
	if b, ok := s.pages.get(at); ok && offset > 0 {
		bound = &b
	}
	q, args := s.keyedPageSQL(plain.table, plain.alias, cols, order, plain.dir, offset, limit, bound)
	rows, err := r.query(ctx, q, args...)
	page, err := collectRows(rows, err, func(r *sql.Rows) (T, error) { return scan(r) })
	if err != nil {
		return nil, err
	}
	if len(page) > 0 {
		created, id := plain.key(page[len(page)-1])
		next := at
		next.offset += len(page)
		s.pages.put(next, pageBound{created: created, id: id})
	}
	return page, nil
}

// keyedPageSQL is the statement of keyedPage: the limit rows of table
// (alias a) in directory dir after bound, or after the first offset rows
// when bound is nil.
func (s *Store) keyedPageSQL(table, a, cols, order, dir string, offset, limit int, bound *pageBound) (string, []any) {
	q := `SELECT ` + cols + ` FROM ` + table + ` ` + a + ` WHERE ` + a + `.directory_id = ?`
	args := []any{dir}
	switch {
	case bound != nil:
		q += ` AND (` + a + `.created_at, ` + a + `.id) > (?, ?)`
		args = append(args, s.t(bound.created), bound.id)
	case offset > 0:
		q = bucketSQL + q + ` AND (` + a + `.created_at, ` + a + `.id) >= (SELECT k.created_at, k.id FROM ` + table +
			` k WHERE k.directory_id = ? AND (k.created_at, k.id) >= (SELECT lo_created, lo_id FROM bucket_at)` +
			` ORDER BY k.created_at, k.id LIMIT 1 OFFSET COALESCE((SELECT ? - before FROM bucket_at), 0))`
		list := "g"
		if table == "directory_users" {
			list = "u"
		}
		args = append([]any{dir, list, offset, offset}, append(args, dir, offset)...)
	}
	return q + order + ` LIMIT ?`, append(args, limit)
}

// bucketSQL names bucket_at, the list bucket (directory_id, list) holding
// the row at an offset: its lower bound (lo_created, lo_id) and the rows
// before it, from the counts read in the order of the buckets' primary
// key (bucket_counts). A bucket's count is the sum of its rows
// (PostgreSQL spreads it over shards); an empty bucket holds no offset. No
// row when the offset is past the end. Arguments: directory, list,
// offset, offset.
const bucketSQL = `WITH bucket_counts AS (SELECT lo_created, lo_id, CAST(SUM(n) AS BIGINT) AS n,
 CAST(SUM(SUM(n)) OVER (ORDER BY lo_created, lo_id) - SUM(n) AS BIGINT) AS before
 FROM directory_list_buckets WHERE directory_id = ? AND list = ? GROUP BY lo_created, lo_id),
bucket_at AS (SELECT lo_created, lo_id, before FROM bucket_counts WHERE before <= ? AND before + n > ?)
`

// directoryCountsSQL reads a directory's total of users or groups (col)
// and its count of inserts and deletes.
func directoryCountsSQL(col string) string {
	return `SELECT COALESCE(SUM(` + col + `), 0), COALESCE(SUM(changes), 0) FROM directory_counts WHERE directory_id = ?`
}

// pageKey names the position after the first offset rows of an unfiltered
// listing in the default order, as of a count of inserts and deletes.
type pageKey struct {
	table, dir string
	offset     int
	changes    int64
}

// pageBound is the key of the row at a pageKey's position.
type pageBound struct {
	created time.Time
	id      string
}

// pageBounds remembers where the pages of SCIM walks ended, for the next
// page (see keyedPage). It holds at most maxPageBounds keys and forgets
// them all when full: a walk then costs one index-only step, no wrong
// answer.
type pageBounds struct {
	mu sync.Mutex
	m  map[pageKey]pageBound
}

// maxPageBounds bounds pageBounds: about 100 bytes a key.
const maxPageBounds = 4096

func (p *pageBounds) get(k pageKey) (pageBound, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.m[k]
	return b, ok
}

func (p *pageBounds) put(k pageKey, b pageBound) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil || len(p.m) >= maxPageBounds {
		p.m = map[pageKey]pageBound{}
	}
	p.m[k] = b
}

// uniqueSQL is the statement of listPage for a lookup by a unique key: two
// rows at most, to notice a key that is not unique after all.
func uniqueSQL(from, cols, where string) string {
	return `SELECT ` + cols + ` FROM ` + from + ` WHERE ` + where + ` LIMIT 2`
}

// FindDirectoryUsersByEmail returns the organization's users that have
// email as userName or as one of their emails.
func (s *Store) FindDirectoryUsersByEmail(ctx context.Context, orgID, email string) ([]store.DirectoryUser, error) {
	if orgID == "" || email == "" {
		return nil, invalid("organization id and email are required")
	}
	if !matchable(email) {
		return []store.DirectoryUser{}, nil
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.query(ctx, usersByEmailSQL, usersByEmailArgs(orgID, email)...)
	return s.usersByEmail(rows, err)
}

// usersByEmailSQL selects the organization's users that have an address as
// userName or as one of their emails (arguments: usersByEmailArgs). Both
// branches are index lookups: (directory_id, user_name_lower) per directory
// of the organization, and the email value index.
const usersByEmailSQL = `SELECT ` + userColsU + ` FROM directory_users u WHERE u.org_id = ? AND u.id IN (
 SELECT x.id FROM directories d JOIN directory_users x ON x.directory_id = d.id WHERE d.org_id = ? AND x.user_name_lower = ?
 UNION SELECT m.user_id FROM directories d JOIN directory_user_emails m ON m.directory_id = d.id WHERE d.org_id = ? AND m.value_lower = ?)
ORDER BY u.directory_id, u.id`

// matchable reports whether a stored key can equal s: not if s holds a NUL
// or bytes that are not UTF-8, which no Store keeps (and PostgreSQL refuses
// as a parameter).
func matchable(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

func usersByEmailArgs(orgID, email string) []any {
	e := store.MatchKey(email)
	return []any{orgID, orgID, e, orgID, e}
}

// usersByEmail collects the rows of usersByEmailSQL.
func (s *Store) usersByEmail(rows *sql.Rows, err error) ([]store.DirectoryUser, error) {
	out, err := collectRows(rows, err, scanUserRows)
	if err != nil {
		return nil, s.wrap(err)
	}
	if out == nil {
		out = []store.DirectoryUser{}
	}
	return out, nil
}

// UpdateDirectoryUser changes the user with fn and increments its Version.
func (s *Store) UpdateDirectoryUser(ctx context.Context, directoryID, id string, fn func(*store.DirectoryUser) ([]Event, error)) (*store.DirectoryUser, error) {
	if directoryID == "" || id == "" {
		return nil, invalid("directory id and user id are required")
	}
	if fn == nil {
		return nil, invalid("update function is required")
	}
	var out store.DirectoryUser
	err := s.write(ctx, func(t *tx) error {
		cur, err := scanUser(t.queryRow(`SELECT `+userCols+` FROM directory_users WHERE id = ? AND directory_id = ?`+s.d.ForUpdate, id, directoryID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("directory user")
		}
		if err != nil {
			return s.wrap(err)
		}
		// cur was decoded from the row: fn gets its own slices.
		u := cur
		u.Emails = slices.Clone(cur.Emails)
		u.Attributes = cloneBytes(cur.Attributes)
		u.Custom = cur.Custom.Clone()
		events, err := fn(&u)
		if err != nil {
			return err
		}
		if u.ID != cur.ID || u.DirectoryID != cur.DirectoryID || u.OrgID != cur.OrgID || !u.CreatedAt.Equal(cur.CreatedAt) {
			return invalid("directory user: ID, DirectoryID, OrgID and CreatedAt cannot change")
		}
		if err := u.Validate(); err != nil {
			return err
		}
		if err := store.ValidateEvents(events); err != nil {
			return err
		}
		emails, err := encodeEmails(u.Emails)
		if err != nil {
			return err
		}
		custom, err := store.EncodeCustomValues(u.Custom)
		if err != nil {
			return err
		}
		u.Version = cur.Version + 1
		if _, err := t.exec(`UPDATE directory_users SET user_name = ?, user_name_lower = ?, external_id = ?, active = ?,
 display_name = ?, display_name_lower = ?, given_name = ?, given_name_lower = ?, family_name = ?, family_name_lower = ?, primary_email_lower = ?,
 emails = ?, outside_domains = ?, attributes = ?, custom = ?, version = ?, updated_at = ? WHERE id = ?`,
			u.UserName, store.MatchKey(u.UserName), u.ExternalID, u.Active,
			u.DisplayName, strings.ToLower(u.DisplayName), u.GivenName, strings.ToLower(u.GivenName), u.FamilyName, strings.ToLower(u.FamilyName), primaryEmailLower(&u),
			nb(emails), u.OutsideDomains, nb(u.Attributes), string(custom), u.Version, s.t(u.UpdatedAt), id); err != nil {
			return s.wrap(err)
		}
		if !emailsIndexEqual(cur.Emails, u.Emails) {
			if err := t.deleteEmails(&cur); err != nil {
				return err
			}
			if err := t.insertEmails(&u); err != nil {
				return err
			}
		}
		u.Roles = cur.Roles
		if u.Active != cur.Active {
			evs, err := t.recomputeFor(u.OrgID, []string{u.ID}, true, events)
			if err != nil {
				return err
			}
			var roles []byte
			if err := t.queryRow(`SELECT roles FROM directory_users WHERE id = ?`, u.ID).Scan(bc(&roles)); err != nil {
				return s.wrap(err)
			}
			if u.Roles, err = decodeRoles(u.ID, roles); err != nil {
				return err
			}
			events = append(slices.Clip(events), evs...)
		}
		if err := t.liftDeprovisioned(&u); err != nil {
			return err
		}
		if _, err := t.appendEvents(events); err != nil {
			return err
		}
		if cur.Active && !u.Active {
			if _, err := t.endSessions(store.SessionSelector{OrgID: u.OrgID, UserID: id},
				store.CauseEnd(store.SessionEndedUserDeactivated, events, u.UpdatedAt)); err != nil {
				return err
			}
		}
		out = u
		out.UpdatedAt = norm(u.UpdatedAt)
		out.Emails = slices.Clone(u.Emails)
		out.Attributes = cloneBytes(u.Attributes)
		out.Custom = u.Custom.Clone()
		if len(out.Custom) == 0 {
			out.Custom = nil
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// emailsIndexEqual reports whether two email lists index the same rows.
func emailsIndexEqual(a, b []store.Email) bool {
	return slices.EqualFunc(a, b, func(x, y store.Email) bool {
		return store.MatchKey(x.Value) == store.MatchKey(y.Value) && strings.ToLower(x.Type) == strings.ToLower(y.Type)
	})
}

// DeleteDirectoryUser removes the user and its memberships.
func (s *Store) DeleteDirectoryUser(ctx context.Context, directoryID, id string, events func(u *store.DirectoryUser, groupIDs []string) []Event) error {
	if directoryID == "" || id == "" {
		return invalid("directory id and user id are required")
	}
	return s.write(ctx, func(t *tx) error {
		u, err := scanUser(t.queryRow(`SELECT `+userCols+` FROM directory_users WHERE id = ? AND directory_id = ?`+s.d.ForUpdate, id, directoryID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("directory user")
		}
		if err != nil {
			return s.wrap(err)
		}
		groupIDs, err := t.deleteMemberships(directoryID, id, store.MemberUser)
		if err != nil {
			return err
		}
		if err := t.deleteEmails(&u); err != nil {
			return err
		}
		if _, err := t.exec(`DELETE FROM directory_users WHERE id = ?`, id); err != nil {
			return s.wrap(err)
		}
		var evs []Event
		if events != nil {
			evs = events(&u, groupIDs)
		}
		if err := store.ValidateEvents(evs); err != nil {
			return err
		}
		if _, err = t.appendEvents(evs); err != nil {
			return err
		}
		_, at := store.RolesCause(evs)
		if err := t.deprovision(&u, at); err != nil {
			return err
		}
		_, err = t.endSessions(store.SessionSelector{OrgID: u.OrgID, UserID: id},
			store.CauseEnd(store.SessionEndedUserDeleted, evs, time.Time{}))
		return err
	})
}

// deleteMemberships removes member id from every group of the directory and
// returns those groups' ids, sorted.
func (t *tx) deleteMemberships(directoryID, id string, typ store.MemberType) ([]string, error) {
	rows, err := t.query(`DELETE FROM group_members WHERE member_id = ? AND member_type = ? AND directory_id = ? RETURNING group_id`, id, string(typ), directoryID)
	groupIDs, err := collectRows(rows, err, func(r *sql.Rows) (string, error) {
		var g string
		return g, r.Scan(&g)
	})
	if err != nil {
		return nil, t.s.wrap(err)
	}
	slices.Sort(groupIDs)
	return groupIDs, nil
}
