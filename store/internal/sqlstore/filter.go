package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onboardkit/onboardkit/store"
)

// A store.Filter becomes a SQL condition with bound parameters: values only
// ever travel as arguments, and the SQL text is made of fixed fragments
// chosen by the node types, attributes and operators, so a filter cannot
// inject SQL whatever its values.

// Bounds on filter size, so that a hostile filter cannot build a statement
// the database refuses or takes long to plan. They are the bounds every
// Store promises to accept (store.MaxFilterNodes): the statement then has at
// most a few hundred parameters, far below SQLite's and PostgreSQL's limits.
const (
	maxFilterNodes = store.MaxFilterNodes
	maxFilterDepth = store.MaxFilterDepth
)

type attrKind int

const (
	kindString attrKind = iota
	kindBool
	kindTime
	kindEmail  // users: EXISTS over directory_user_emails
	kindMember // groups: EXISTS over group_members
	kindGroup  // users: EXISTS over group_members
)

type attrCol struct {
	col  string
	kind attrKind
}

var userAttrs = map[store.Attr]attrCol{
	store.AttrID:           {"u.id", kindString},
	store.AttrExternalID:   {"u.external_id", kindString},
	store.AttrUserName:     {"u.user_name_lower", kindString},
	store.AttrDisplayName:  {"u.display_name_lower", kindString},
	store.AttrGivenName:    {"u.given_name_lower", kindString},
	store.AttrFamilyName:   {"u.family_name_lower", kindString},
	store.AttrActive:       {"u.active", kindBool},
	store.AttrEmail:        {"", kindEmail},
	store.AttrGroup:        {"", kindGroup},
	store.AttrCreated:      {"u.created_at", kindTime},
	store.AttrLastModified: {"u.updated_at", kindTime},
}

var groupAttrs = map[store.Attr]attrCol{
	store.AttrID:           {"g.id", kindString},
	store.AttrExternalID:   {"g.external_id", kindString},
	store.AttrDisplayName:  {"g.display_name_lower", kindString},
	store.AttrCreated:      {"g.created_at", kindTime},
	store.AttrLastModified: {"g.updated_at", kindTime},
	store.AttrMember:       {"", kindMember},
}

type filterSQL struct {
	s     *Store
	alias string
	attrs map[store.Attr]attrCol
	b     strings.Builder
	args  []any
	nodes int
	dir   string // the directory the rows belong to
	// sets holds, for each Field or Some node in the order node meets
	// them, the ids of the rows that match it (see fieldSets).
	sets   [][]string
	fields int
}

func (s *Store) userWhere(directoryID string, f store.Filter) (string, []any, error) {
	return s.where("u", userAttrs, directoryID, f, nil)
}

func (s *Store) groupWhere(directoryID string, f store.Filter) (string, []any, error) {
	return s.where("g", groupAttrs, directoryID, f, nil)
}

// userWhereFields is userWhere for a filter that may hold Field and Some
// nodes, which it evaluates first in one pass over the directory's users.
func (s *Store) userWhereFields(ctx context.Context, directoryID string, f store.Filter) (string, []any, error) {
	sets, err := s.fieldSets(ctx, "directory_users", "u", userAttrs, directoryID, f)
	if err != nil {
		return "", nil, err
	}
	return s.where("u", userAttrs, directoryID, f, sets)
}

// groupWhereFields is userWhereFields for groups.
func (s *Store) groupWhereFields(ctx context.Context, directoryID string, f store.Filter) (string, []any, error) {
	sets, err := s.fieldSets(ctx, "directory_groups", "g", groupAttrs, directoryID, f)
	if err != nil {
		return "", nil, err
	}
	return s.where("g", groupAttrs, directoryID, f, sets)
}

func (s *Store) where(alias string, attrs map[store.Attr]attrCol, directoryID string, f store.Filter, sets [][]string) (string, []any, error) {
	scope := alias + ".directory_id = ?"
	if f == nil {
		return scope, []any{directoryID}, nil
	}
	w := &filterSQL{s: s, alias: alias, attrs: attrs, args: []any{directoryID}, dir: directoryID, sets: sets}
	if err := w.node(f, 0); err != nil {
		return "", nil, err
	}
	if !uniqueLookup(f, alias == "g") && (childLookup(f) || w.searchLookup(f)) {
		// The rows come from a child-table index (an email value, a
		// member) or a trigram index; written this way the directory condition cannot use
		// the directory's index, which the planner would otherwise walk
		// whole for its order.
		scope = alias + ".directory_id || '' = ?"
	}
	return scope + " AND " + w.b.String(), w.args, nil
}

func (w *filterSQL) node(f store.Filter, depth int) error {
	w.nodes++
	if w.nodes > maxFilterNodes || depth > maxFilterDepth {
		return invalid("filter too large")
	}
	switch n := f.(type) {
	case store.And:
		return w.binary(n.Left, " AND ", n.Right, depth)
	case *store.And:
		if n == nil {
			return invalid("nil filter")
		}
		return w.binary(n.Left, " AND ", n.Right, depth)
	case store.Or:
		return w.binary(n.Left, " OR ", n.Right, depth)
	case *store.Or:
		if n == nil {
			return invalid("nil filter")
		}
		return w.binary(n.Left, " OR ", n.Right, depth)
	case store.Not:
		return w.not(n.F, depth)
	case *store.Not:
		if n == nil {
			return invalid("nil filter")
		}
		return w.not(n.F, depth)
	case store.Compare:
		return w.compare(n)
	case *store.Compare:
		if n == nil {
			return invalid("nil filter")
		}
		return w.compare(*n)
	case store.Field, *store.Field, store.Some, *store.Some:
		return w.field()
	case nil:
		return invalid("empty filter operand")
	}
	return invalid("unknown filter node %T", f)
}

// field writes the condition of the next Field or Some node: the row is
// one of those fieldSets found to match it, passed as one JSON array.
func (w *filterSQL) field() error {
	if w.fields >= len(w.sets) {
		return invalid("filter: a field condition needs a pass over the directory")
	}
	ids := w.sets[w.fields]
	w.fields++
	if ids == nil {
		ids = []string{}
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	w.b.WriteString(w.alias + ".id IN " + w.s.d.IDsIn)
	w.args = append(w.args, string(b))
	return nil
}

// Bounds on the pass over a directory that evaluates Field and Some nodes.
const maxFieldNodes = 64

// fieldSets evaluates the Field and Some nodes of f, in the order
// filterSQL.node meets them, and returns for each the ids of the rows of
// the directory that match it. The raw documents are read in one pass and
// decoded once per row; conditions on indexed attributes that f requires
// of every row (the conjuncts of a top-level And without a Field) narrow
// the pass. It returns nil when f has no Field or Some node.
//
// The pass and the query that uses its ids are two statements: a user
// changed between them is judged on the document the pass read, as if the
// filter had run a moment earlier.
func (s *Store) fieldSets(ctx context.Context, table, alias string, attrs map[store.Attr]attrCol, directoryID string, f store.Filter) ([][]string, error) {
	var leaves []store.Filter
	if err := collectFields(f, &leaves, 0); err != nil {
		return nil, err
	}
	if len(leaves) == 0 {
		return nil, nil
	}
	if len(leaves) > maxFieldNodes {
		return nil, invalid("filter: more than %d field conditions", maxFieldNodes)
	}
	preds := make([]*store.FieldMatcher, len(leaves))
	for i, l := range leaves {
		p, err := store.CompileField(l)
		if err != nil {
			return nil, err
		}
		preds[i] = p
	}
	var narrow store.Filter
	for _, c := range conjuncts(f, nil) {
		var sub []store.Filter
		if err := collectFields(c, &sub, 0); err != nil || len(sub) > 0 {
			continue
		}
		if narrow == nil {
			narrow = c
		} else {
			narrow = store.And{Left: narrow, Right: c}
		}
	}
	where, args, err := s.where(alias, attrs, directoryID, narrow, nil)
	if err != nil {
		return nil, err
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.query(ctx, `SELECT `+alias+`.id, `+alias+`.attributes FROM `+table+` `+alias+` WHERE `+where, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	sets := make([][]string, len(leaves))
	var id string
	var raw sql.RawBytes
	for n := 0; rows.Next(); n++ {
		if n%1024 == 1023 {
			// A Local database runs the statement to its end whatever
			// ctx says; the pass stops here instead.
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, s.wrap(err)
		}
		var doc map[string]any
		for i, p := range preds {
			if !p.MayMatch(raw) {
				continue
			}
			if doc == nil {
				if doc, err = store.DecodeAttributes(raw); err != nil {
					// Stored documents are checked on write; an
					// unreadable one matches no Field, as in memstore.
					doc = map[string]any{}
				}
			}
			if p.Match(doc) {
				sets[i] = append(sets[i], id)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err)
	}
	return sets, nil
}

// collectFields appends the Field and Some nodes of f to out, in the
// order filterSQL.node meets them.
func collectFields(f store.Filter, out *[]store.Filter, depth int) error {
	if depth > maxFilterDepth {
		return invalid("filter too large")
	}
	switch n := f.(type) {
	case store.And:
		if err := collectFields(n.Left, out, depth+1); err != nil {
			return err
		}
		return collectFields(n.Right, out, depth+1)
	case *store.And:
		if n != nil {
			return collectFields(*n, out, depth)
		}
	case store.Or:
		if err := collectFields(n.Left, out, depth+1); err != nil {
			return err
		}
		return collectFields(n.Right, out, depth+1)
	case *store.Or:
		if n != nil {
			return collectFields(*n, out, depth)
		}
	case store.Not:
		return collectFields(n.F, out, depth+1)
	case *store.Not:
		if n != nil {
			return collectFields(n.F, out, depth+1)
		}
	case store.Field, *store.Field, store.Some, *store.Some:
		*out = append(*out, f)
	}
	return nil
}

// conjuncts appends the operands of the top-level And chain of f.
func conjuncts(f store.Filter, out []store.Filter) []store.Filter {
	switch n := f.(type) {
	case store.And:
		return conjuncts(n.Right, conjuncts(n.Left, out))
	case *store.And:
		if n != nil {
			return conjuncts(*n, out)
		}
	}
	return append(out, f)
}

func (w *filterSQL) binary(l Filter, op string, r Filter, depth int) error {
	w.b.WriteString("(")
	if err := w.node(l, depth+1); err != nil {
		return err
	}
	w.b.WriteString(op)
	if err := w.node(r, depth+1); err != nil {
		return err
	}
	w.b.WriteString(")")
	return nil
}

func (w *filterSQL) not(f Filter, depth int) error {
	w.b.WriteString("NOT (")
	if err := w.node(f, depth+1); err != nil {
		return err
	}
	w.b.WriteString(")")
	return nil
}

// Filter is store.Filter.
type Filter = store.Filter

var comparisons = map[store.Op]string{
	store.OpEq: " = ?",
	store.OpNe: " <> ?",
	store.OpGt: " > ?",
	store.OpGe: " >= ?",
	store.OpLt: " < ?",
	store.OpLe: " <= ?",
}

func (w *filterSQL) compare(c store.Compare) error {
	a, ok := w.attrs[c.Attr]
	if !ok {
		return invalid("filter: attribute %q cannot be filtered here", c.Attr)
	}
	if c.EmailType != "" && a.kind != kindEmail {
		return invalid("filter: an email type applies only to emails")
	}
	if c.Op == store.OpPr {
		if c.Value != nil {
			return invalid("filter: pr takes no value")
		}
		switch a.kind {
		case kindString:
			w.b.WriteString(a.col + " <> ''")
		case kindEmail:
			w.emailsOfDirectory()
			w.emailType(c.EmailType)
			w.b.WriteString(")")
		case kindMember:
			w.b.WriteString("EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id)")
		case kindGroup:
			w.b.WriteString("EXISTS (SELECT 1 FROM group_members m WHERE m.member_id = u.id AND m.directory_id = ?)")
			w.args = append(w.args, w.dir)
		case kindTime:
			// A zero time is stored as itself: present means not zero.
			w.b.WriteString(a.col + " <> ?")
			w.args = append(w.args, w.s.t(time.Time{}))
		default:
			// A boolean is always present.
			w.b.WriteString("1 = 1")
		}
		return nil
	}
	switch a.kind {
	case kindBool:
		v, ok := c.Value.(bool)
		if !ok {
			return invalid("filter: %s needs a boolean value", c.Attr)
		}
		if c.Op != store.OpEq && c.Op != store.OpNe {
			return invalid("filter: %s supports eq and ne only", c.Attr)
		}
		w.b.WriteString(a.col + comparisons[c.Op])
		w.args = append(w.args, v)
		return nil
	case kindTime:
		v, ok := c.Value.(time.Time)
		if !ok {
			return invalid("filter: %s needs a time value", c.Attr)
		}
		cmp, ok := comparisons[c.Op]
		if !ok {
			return invalid("filter: operator %q does not apply to %s", c.Op, c.Attr)
		}
		w.b.WriteString(a.col + cmp)
		w.args = append(w.args, w.s.t(v))
		return nil
	case kindMember:
		v, ok := c.Value.(string)
		if !ok {
			return invalid("filter: member needs a string value")
		}
		if c.Op != store.OpEq {
			// Some member of the group compares: the members of each
			// group of the directory, by the primary key.
			cond, arg, err := stringCond(c.Op, v)
			if err != nil {
				return fmt.Errorf("filter on %s: %w", c.Attr, err)
			}
			w.b.WriteString("EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.member_id" + cond + ")")
			w.args = append(w.args, arg)
			return nil
		}
		// Driven by the member index: the groups of one member.
		w.b.WriteString("g.id IN (SELECT m.group_id FROM group_members m WHERE m.member_id = ?)")
		w.args = append(w.args, v)
		return nil
	case kindGroup:
		v, ok := c.Value.(string)
		if !ok {
			return invalid("filter: group needs a string value")
		}
		if c.Op == store.OpEq {
			// Driven by the primary key: the members of one group.
			w.b.WriteString("u.id IN (SELECT m.member_id FROM group_members m WHERE m.group_id = ?)")
			w.args = append(w.args, v)
			return nil
		}
		// Some group of the user compares: the user's memberships, by
		// the member index.
		cond, arg, err := stringCond(c.Op, v)
		if err != nil {
			return fmt.Errorf("filter on %s: %w", c.Attr, err)
		}
		w.b.WriteString("EXISTS (SELECT 1 FROM group_members m WHERE m.member_id = u.id AND m.directory_id = ? AND m.group_id" + cond + ")")
		w.args = append(w.args, w.dir, arg)
		return nil
	}
	v, ok := c.Value.(string)
	if !ok {
		return invalid("filter: %s needs a string value", c.Attr)
	}
	v = c.Attr.CompareKey(v)
	cond, arg, err := stringCond(c.Op, v)
	if err != nil {
		return fmt.Errorf("filter on %s: %w", c.Attr, err)
	}
	if c.Op == store.OpEq && c.Attr == store.AttrExternalID && v != "" {
		// The externalId index is partial (non-empty values only); the
		// extra term lets the planner prove that it applies, since it
		// cannot see through the parameter.
		w.b.WriteString("(" + a.col + cond + " AND " + a.col + " <> '')")
		w.args = append(w.args, arg)
		return nil
	}
	if m, ok := w.userSearch(a, c.Op, v); ok {
		// The candidates come from the trigram index; the condition
		// below keeps exactly the matches.
		w.b.WriteString("(u.id IN (SELECT x.id FROM directory_users_search_ids x WHERE x.n IN (SELECT rowid FROM directory_users_search WHERE directory_users_search MATCH ?)) AND ")
		w.args = append(w.args, m)
		defer w.b.WriteString(")")
	}
	if a.kind == kindEmail {
		if c.Op == store.OpEq || c.Op == store.OpSw {
			// An equality or prefix match is a range of the email table's
			// key (directory, value): the users having such an email.
			w.emailsOfDirectory()
			w.b.WriteString(" AND e.value_lower" + cond)
			w.args = append(w.args, arg)
			w.emailType(c.EmailType)
			w.b.WriteString(")")
			return nil
		}
		if m, ok := w.emailSearch(c.Op, v); ok {
			// The candidates come from the trigram index of the folded
			// values; the condition keeps exactly the matches. The
			// directory condition must not lead the planner to walk the
			// directory's emails (Dialect.Unindexed).
			w.b.WriteString("u.id IN (SELECT e.user_id FROM directory_user_emails_search_ids e WHERE e.n IN (SELECT rowid FROM directory_user_emails_search WHERE directory_user_emails_search MATCH ?) AND " + w.s.d.Unindexed + "e.directory_id = ?")
			w.args = append(w.args, m, w.dir)
			w.emailType(c.EmailType)
			w.b.WriteString(" AND e.value_lower" + cond + ")")
			w.args = append(w.args, arg)
			return nil
		}
		// Other comparisons test every email of the directory, once.
		w.emailsOfDirectory()
		w.emailType(c.EmailType)
		w.b.WriteString(" AND e.value_lower" + cond + ")")
	} else {
		w.b.WriteString(a.col + cond)
	}
	w.args = append(w.args, arg)
	return nil
}

// userSearch returns the FTS5 query that finds, through the trigram index
// of users (Dialect.FTSTrigram), a superset of the users whose userName
// or displayName compares with op to v: for co and ew on the two, and sw
// on displayName; the other comparisons have a btree
// index of their own.
func (w *filterSQL) userSearch(a attrCol, op store.Op, v string) (string, bool) {
	if w.alias != "u" || !(op == store.OpCo || op == store.OpEw || op == store.OpSw) {
		return "", false
	}
	// Emails are served by emailSearch; sw on userName and displayName by
	// a range of their btree indexes.
	col := ""
	switch {
	case op == store.OpSw:
		return "", false
	case a.col == "u.user_name_lower":
		col = "user_name_lower"
	case a.col == "u.display_name_lower":
		col = "display_name_lower"
	default:
		return "", false
	}
	m, ok := w.s.trigramMatch(v)
	if !ok {
		return "", false
	}
	return col + " : " + m, true
}

// emailSearch returns the FTS5 query that finds, through the trigram index
// of the directory's folded email values (Dialect.FTSTrigram, migration
// 0016), a superset of the email rows whose value contains (co) or ends
// with (ew) v, itself folded (store.AttrEmail's CompareKey). Unlike
// trigramMatch, v may be any text of three characters or more: both the
// values and v are folded by the Store, and the index's own case folding
// maps each character to one character, the same for both, so a substring
// stays a substring. Shorter needles compare every email of the directory.
func (w *filterSQL) emailSearch(op store.Op, v string) (string, bool) {
	if !w.s.d.FTSTrigram || w.alias != "u" || !(op == store.OpCo || op == store.OpEw) || utf8.RuneCountInString(v) < 3 {
		return "", false
	}
	return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`, true
}

// searchLookup reports whether f, alone or as a conjunct of an And, takes
// its candidates from the trigram index of users (see userSearch).
func (w *filterSQL) searchLookup(f store.Filter) bool {
	switch n := f.(type) {
	case *store.And:
		return n != nil && (w.searchLookup(n.Left) || w.searchLookup(n.Right))
	case store.And:
		return w.searchLookup(n.Left) || w.searchLookup(n.Right)
	case *store.Compare:
		return n != nil && w.searchLookup(*n)
	case store.Compare:
		v, ok := n.Value.(string)
		a, known := w.attrs[n.Attr]
		if !ok || !known {
			return false
		}
		if _, ok := w.userSearch(a, n.Op, n.Attr.CompareKey(v)); ok {
			return true
		}
		_, ok = w.emailSearch(n.Op, n.Attr.CompareKey(v))
		return ok && a.kind == kindEmail
	}
	return false
}

// emailsOfDirectory opens "the users having an email of the directory such
// that": the caller adds conditions on e and the closing parenthesis.
func (w *filterSQL) emailsOfDirectory() {
	w.b.WriteString("u.id IN (SELECT e.user_id FROM directory_user_emails e WHERE e.directory_id = ?")
	w.args = append(w.args, w.dir)
}

func (w *filterSQL) emailType(t string) {
	if t != "" {
		w.b.WriteString(" AND e.type_lower = ?")
		w.args = append(w.args, strings.ToLower(t))
	}
}

// stringCond returns the SQL condition (to follow a column) and its
// argument for a string comparison.
func stringCond(op store.Op, v string) (string, any, error) {
	if cmp, ok := comparisons[op]; ok {
		return cmp, v, nil
	}
	const like = ` LIKE ? ESCAPE '\'`
	switch op {
	case store.OpCo:
		return like, "%" + escapeLike(v) + "%", nil
	case store.OpSw:
		return like, escapeLike(v) + "%", nil
	case store.OpEw:
		return like, "%" + escapeLike(v), nil
	}
	return "", nil, invalid("unknown operator %q", op)
}

// uniqueLookup reports whether f selects at most one row through a unique
// index: an eq on id, userName, externalId or, for groups, displayName,
// alone or as a conjunct of an And.
func uniqueLookup(f store.Filter, groups bool) bool {
	switch n := f.(type) {
	case *store.And:
		return n != nil && (uniqueLookup(n.Left, groups) || uniqueLookup(n.Right, groups))
	case store.And:
		return uniqueLookup(n.Left, groups) || uniqueLookup(n.Right, groups)
	case *store.Compare:
		return n != nil && uniqueLookup(*n, groups)
	case store.Compare:
		v, ok := n.Value.(string)
		if n.Op != store.OpEq || !ok || v == "" {
			return false
		}
		switch n.Attr {
		case store.AttrID, store.AttrExternalID:
			return true
		case store.AttrUserName:
			return !groups
		case store.AttrDisplayName:
			return groups
		}
	}
	return false
}

// childLookup reports whether f, alone or as a conjunct of an And, is an
// equality or prefix match on an email value, or an equality on a member:
// conditions answered from a child table's index.
func childLookup(f store.Filter) bool {
	switch n := f.(type) {
	case *store.And:
		return n != nil && (childLookup(n.Left) || childLookup(n.Right))
	case store.And:
		return childLookup(n.Left) || childLookup(n.Right)
	case *store.Compare:
		return n != nil && childLookup(*n)
	case store.Compare:
		v, ok := n.Value.(string)
		if !ok || v == "" {
			return false
		}
		return n.Attr == store.AttrEmail && (n.Op == store.OpEq || n.Op == store.OpSw) ||
			(n.Attr == store.AttrMember || n.Attr == store.AttrGroup) && n.Op == store.OpEq
	}
	return false
}
