package memstore

import (
	"cmp"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// deref turns the pointer forms of the filter nodes into their values, so
// that &store.And{...} is accepted like store.And{...}.
func deref(f store.Filter) store.Filter {
	switch v := f.(type) {
	case *store.And:
		return value(v)
	case *store.Or:
		return value(v)
	case *store.Not:
		return value(v)
	case *store.Compare:
		return value(v)
	case *store.Field:
		return value(v)
	case *store.Some:
		return value(v)
	}
	return f
}

// value is *p as a filter, or nil (no filter) for a nil pointer.
func value[T store.Filter](p *T) store.Filter {
	if p == nil {
		return nil
	}
	return *p
}

// docCache returns the decoded raw document of a row, decoding each row's
// document once however many Field nodes a filter has: rows are tested
// one after the other.
func docCache[T any](raw func(T) []byte) func(T) map[string]any {
	var last *byte
	var doc map[string]any
	return func(x T) map[string]any {
		b := raw(x)
		if len(b) > 0 && &b[0] == last && doc != nil {
			return doc
		}
		d, err := store.DecodeAttributes(b)
		if err != nil {
			// Stored documents are checked on write; an unreadable one
			// matches no Field.
			d = map[string]any{}
		}
		last, doc = nil, d
		if len(b) > 0 {
			last = &b[0]
		}
		return doc
	}
}

// compileFilter validates f and turns it into a predicate, with leaf
// compiling the Compare nodes and doc returning the decoded raw document
// of a row for the Field and Some nodes.
func compileFilter[T any](f store.Filter, leaf func(store.Compare) (func(T) bool, error), raw func(T) []byte) (func(T) bool, error) {
	return compileNode(f, leaf, raw, docCache(raw))
}

func compileNode[T any](f store.Filter, leaf func(store.Compare) (func(T) bool, error), raw func(T) []byte, doc func(T) map[string]any) (func(T) bool, error) {
	switch v := deref(f).(type) {
	case nil:
		return nil, invalid("filter: empty node")
	case store.And:
		l, err := compileNode(v.Left, leaf, raw, doc)
		if err != nil {
			return nil, err
		}
		r, err := compileNode(v.Right, leaf, raw, doc)
		if err != nil {
			return nil, err
		}
		return func(x T) bool { return l(x) && r(x) }, nil
	case store.Or:
		l, err := compileNode(v.Left, leaf, raw, doc)
		if err != nil {
			return nil, err
		}
		r, err := compileNode(v.Right, leaf, raw, doc)
		if err != nil {
			return nil, err
		}
		return func(x T) bool { return l(x) || r(x) }, nil
	case store.Not:
		inner, err := compileNode(v.F, leaf, raw, doc)
		if err != nil {
			return nil, err
		}
		return func(x T) bool { return !inner(x) }, nil
	case store.Compare:
		return leaf(v)
	case store.Field, store.Some:
		m, err := store.CompileField(v)
		if err != nil {
			return nil, err
		}
		return func(x T) bool { return m.MayMatch(raw(x)) && m.Match(doc(x)) }, nil
	default:
		return nil, invalid("filter: unknown node %T", f)
	}
}

// stringPred compiles a comparison on a string attribute.
func stringPred(c store.Compare) (func(string) bool, error) {
	if c.Op == store.OpPr {
		if c.Value != nil {
			return nil, invalid("filter: %s pr takes no value", c.Attr)
		}
		return func(s string) bool { return s != "" }, nil
	}
	v, ok := c.Value.(string)
	if !ok {
		return nil, invalid("filter: %s %s needs a string, got %T", c.Attr, c.Op, c.Value)
	}
	fold := !c.Attr.CaseExact()
	v = c.Attr.CompareKey(v)
	var p func(string) bool
	switch c.Op {
	case store.OpEq:
		p = func(s string) bool { return s == v }
	case store.OpNe:
		p = func(s string) bool { return s != v }
	case store.OpCo:
		p = func(s string) bool { return strings.Contains(s, v) }
	case store.OpSw:
		p = func(s string) bool { return strings.HasPrefix(s, v) }
	case store.OpEw:
		p = func(s string) bool { return strings.HasSuffix(s, v) }
	case store.OpGt:
		p = func(s string) bool { return s > v }
	case store.OpGe:
		p = func(s string) bool { return s >= v }
	case store.OpLt:
		p = func(s string) bool { return s < v }
	case store.OpLe:
		p = func(s string) bool { return s <= v }
	default:
		return nil, invalid("filter: unknown operator %q", c.Op)
	}
	if fold {
		return func(s string) bool { return p(c.Attr.CompareKey(s)) }, nil
	}
	return p, nil
}

// timePred compiles a comparison on a time attribute.
func timePred(c store.Compare) (func(time.Time) bool, error) {
	if c.Op == store.OpPr {
		if c.Value != nil {
			return nil, invalid("filter: %s pr takes no value", c.Attr)
		}
		return func(t time.Time) bool { return !t.IsZero() }, nil
	}
	v, ok := c.Value.(time.Time)
	if !ok {
		return nil, invalid("filter: %s %s needs a time, got %T", c.Attr, c.Op, c.Value)
	}
	v = utc(v)
	switch c.Op {
	case store.OpEq:
		return func(t time.Time) bool { return t.Equal(v) }, nil
	case store.OpNe:
		return func(t time.Time) bool { return !t.Equal(v) }, nil
	case store.OpGt:
		return func(t time.Time) bool { return t.After(v) }, nil
	case store.OpGe:
		return func(t time.Time) bool { return !t.Before(v) }, nil
	case store.OpLt:
		return func(t time.Time) bool { return t.Before(v) }, nil
	case store.OpLe:
		return func(t time.Time) bool { return !t.After(v) }, nil
	}
	return nil, invalid("filter: operator %q does not apply to %s", c.Op, c.Attr)
}

// boolPred compiles a comparison on a boolean attribute.
func boolPred(c store.Compare) (func(bool) bool, error) {
	if c.Op == store.OpPr {
		if c.Value != nil {
			return nil, invalid("filter: %s pr takes no value", c.Attr)
		}
		return func(bool) bool { return true }, nil
	}
	v, ok := c.Value.(bool)
	if !ok {
		return nil, invalid("filter: %s %s needs a bool, got %T", c.Attr, c.Op, c.Value)
	}
	switch c.Op {
	case store.OpEq:
		return func(b bool) bool { return b == v }, nil
	case store.OpNe:
		return func(b bool) bool { return b != v }, nil
	}
	return nil, invalid("filter: operator %q does not apply to %s", c.Op, c.Attr)
}

func userString(get func(*store.DirectoryUser) string) func(store.Compare) (func(*store.DirectoryUser) bool, error) {
	return func(c store.Compare) (func(*store.DirectoryUser) bool, error) {
		p, err := stringPred(c)
		if err != nil {
			return nil, err
		}
		return func(u *store.DirectoryUser) bool { return p(get(u)) }, nil
	}
}

func userTime(get func(*store.DirectoryUser) time.Time) func(store.Compare) (func(*store.DirectoryUser) bool, error) {
	return func(c store.Compare) (func(*store.DirectoryUser) bool, error) {
		p, err := timePred(c)
		if err != nil {
			return nil, err
		}
		return func(u *store.DirectoryUser) bool { return p(get(u)) }, nil
	}
}

var userAttrs = map[store.Attr]func(store.Compare) (func(*store.DirectoryUser) bool, error){
	store.AttrID:           userString(func(u *store.DirectoryUser) string { return u.ID }),
	store.AttrExternalID:   userString(func(u *store.DirectoryUser) string { return u.ExternalID }),
	store.AttrUserName:     userString(func(u *store.DirectoryUser) string { return u.UserName }),
	store.AttrDisplayName:  userString(func(u *store.DirectoryUser) string { return u.DisplayName }),
	store.AttrGivenName:    userString(func(u *store.DirectoryUser) string { return u.GivenName }),
	store.AttrFamilyName:   userString(func(u *store.DirectoryUser) string { return u.FamilyName }),
	store.AttrCreated:      userTime(func(u *store.DirectoryUser) time.Time { return u.CreatedAt }),
	store.AttrLastModified: userTime(func(u *store.DirectoryUser) time.Time { return u.UpdatedAt }),
	store.AttrActive: func(c store.Compare) (func(*store.DirectoryUser) bool, error) {
		p, err := boolPred(c)
		if err != nil {
			return nil, err
		}
		return func(u *store.DirectoryUser) bool { return p(u.Active) }, nil
	},
	store.AttrEmail: func(c store.Compare) (func(*store.DirectoryUser) bool, error) {
		typ := strings.ToLower(c.EmailType)
		typeOK := func(e store.Email) bool { return typ == "" || strings.ToLower(e.Type) == typ }
		if c.Op == store.OpPr {
			if c.Value != nil {
				return nil, invalid("filter: email pr takes no value")
			}
			return func(u *store.DirectoryUser) bool {
				for _, e := range u.Emails {
					if typeOK(e) {
						return true
					}
				}
				return false
			}, nil
		}
		p, err := stringPred(c)
		if err != nil {
			return nil, err
		}
		return func(u *store.DirectoryUser) bool {
			for _, e := range u.Emails {
				if typeOK(e) && p(e.Value) {
					return true
				}
			}
			return false
		}, nil
	},
}

// compileUserFilter validates f and returns its predicate; a nil filter
// matches every user.
// groupsOf returns the ids of the groups a user is a direct member of; it
// is called only while the predicate runs.
func compileUserFilter(f store.Filter, groupsOf func(userID string) map[string]struct{}) (func(*store.DirectoryUser) bool, error) {
	if deref(f) == nil {
		if f != nil {
			return nil, invalid("filter: nil node")
		}
		return func(*store.DirectoryUser) bool { return true }, nil
	}
	raw := func(u *store.DirectoryUser) []byte { return u.Attributes }
	return compileFilter(f, func(c store.Compare) (func(*store.DirectoryUser) bool, error) {
		if c.Attr == store.AttrGroup && c.EmailType == "" {
			return groupOfUserPred(c, groupsOf)
		}
		build, ok := userAttrs[c.Attr]
		if !ok {
			return nil, invalid("filter: unknown user attribute %q", c.Attr)
		}
		if c.EmailType != "" && c.Attr != store.AttrEmail {
			return nil, invalid("filter: email type on %s", c.Attr)
		}
		return build(c)
	}, raw)
}

// groupOfUserPred compiles a comparison on AttrGroup: some group of the
// user compares.
func groupOfUserPred(c store.Compare, groupsOf func(string) map[string]struct{}) (func(*store.DirectoryUser) bool, error) {
	if c.Op == store.OpPr {
		if c.Value != nil {
			return nil, invalid("filter: group pr takes no value")
		}
		return func(u *store.DirectoryUser) bool { return len(groupsOf(u.ID)) > 0 }, nil
	}
	p, err := stringPred(c)
	if err != nil {
		return nil, err
	}
	return func(u *store.DirectoryUser) bool {
		for gid := range groupsOf(u.ID) {
			if p(gid) {
				return true
			}
		}
		return false
	}, nil
}

// compileGroupFilter validates f and returns its predicate over the groups of
// ds; a nil filter matches every group.
func compileGroupFilter(ds *dirState, f store.Filter) (func(*store.DirectoryGroup) bool, error) {
	if deref(f) == nil {
		if f != nil {
			return nil, invalid("filter: nil node")
		}
		return func(*store.DirectoryGroup) bool { return true }, nil
	}
	str := func(c store.Compare, get func(*store.DirectoryGroup) string) (func(*store.DirectoryGroup) bool, error) {
		p, err := stringPred(c)
		if err != nil {
			return nil, err
		}
		return func(g *store.DirectoryGroup) bool { return p(get(g)) }, nil
	}
	tm := func(c store.Compare, get func(*store.DirectoryGroup) time.Time) (func(*store.DirectoryGroup) bool, error) {
		p, err := timePred(c)
		if err != nil {
			return nil, err
		}
		return func(g *store.DirectoryGroup) bool { return p(get(g)) }, nil
	}
	raw := func(g *store.DirectoryGroup) []byte { return g.Attributes }
	return compileFilter(f, func(c store.Compare) (func(*store.DirectoryGroup) bool, error) {
		if c.EmailType != "" {
			return nil, invalid("filter: email type on %s", c.Attr)
		}
		switch c.Attr {
		case store.AttrID:
			return str(c, func(g *store.DirectoryGroup) string { return g.ID })
		case store.AttrExternalID:
			return str(c, func(g *store.DirectoryGroup) string { return g.ExternalID })
		case store.AttrDisplayName:
			return str(c, func(g *store.DirectoryGroup) string { return g.DisplayName })
		case store.AttrCreated:
			return tm(c, func(g *store.DirectoryGroup) time.Time { return g.CreatedAt })
		case store.AttrLastModified:
			return tm(c, func(g *store.DirectoryGroup) time.Time { return g.UpdatedAt })
		case store.AttrMember:
			if c.Op == store.OpPr {
				if c.Value != nil {
					return nil, invalid("filter: member pr takes no value")
				}
				return func(g *store.DirectoryGroup) bool { return len(ds.members[g.ID]) > 0 }, nil
			}
			v, ok := c.Value.(string)
			if !ok {
				return nil, invalid("filter: member needs a string")
			}
			if c.Op == store.OpEq {
				return func(g *store.DirectoryGroup) bool {
					_, ok := ds.members[g.ID][v]
					return ok
				}, nil
			}
			p, err := stringPred(c)
			if err != nil {
				return nil, err
			}
			return func(g *store.DirectoryGroup) bool {
				for id := range ds.members[g.ID] {
					if p(id) {
						return true
					}
				}
				return false
			}, nil
		}
		return nil, invalid("filter: unknown group attribute %q", c.Attr)
	}, raw)
}

// candidates narrows a validated filter to the ids an index yields, when it
// can: eq on an indexed attribute, And of which one side is indexed, Or of
// two indexed sides. ok is false when the whole set must be scanned.
func candidates(f store.Filter, lookup func(store.Compare) ([]string, bool)) (ids []string, ok bool) {
	switch v := deref(f).(type) {
	case store.Compare:
		if v.Op != store.OpEq {
			return nil, false
		}
		return lookup(v)
	case store.And:
		l, lok := candidates(v.Left, lookup)
		r, rok := candidates(v.Right, lookup)
		switch {
		case lok && rok:
			if len(r) < len(l) {
				return r, true
			}
			return l, true
		case lok:
			return l, true
		case rok:
			return r, true
		}
	case store.Or:
		l, lok := candidates(v.Left, lookup)
		r, rok := candidates(v.Right, lookup)
		if lok && rok {
			return append(l, r...), true
		}
	}
	return nil, false
}

func one(id string, ok bool) ([]string, bool) {
	if !ok {
		return []string{}, true
	}
	return []string{id}, true
}

func (ds *dirState) userLookup(c store.Compare) ([]string, bool) {
	v, isString := c.Value.(string)
	if !isString || c.EmailType != "" {
		return nil, false
	}
	switch c.Attr {
	case store.AttrID:
		_, ok := ds.users[v]
		return one(v, ok)
	case store.AttrUserName:
		return one(mapGet(ds.userKeys.name, store.MatchKey(v)))
	case store.AttrExternalID:
		return one(mapGet(ds.userKeys.ext, v))
	case store.AttrGroup:
		ids := make([]string, 0, len(ds.members[v]))
		for id := range ds.members[v] {
			ids = append(ids, id)
		}
		return ids, true
	}
	return nil, false
}

func (ds *dirState) groupLookup(c store.Compare) ([]string, bool) {
	v, isString := c.Value.(string)
	if !isString {
		return nil, false
	}
	switch c.Attr {
	case store.AttrID:
		_, ok := ds.groups[v]
		return one(v, ok)
	case store.AttrDisplayName:
		return one(mapGet(ds.groupKeys.name, strings.ToLower(v)))
	case store.AttrExternalID:
		return one(mapGet(ds.groupKeys.ext, v))
	case store.AttrMember:
		ids := make([]string, 0, len(ds.memberOf[v]))
		for gid := range ds.memberOf[v] {
			ids = append(ids, gid)
		}
		return ids, true
	}
	return nil, false
}

func mapGet(m map[string]string, k string) (string, bool) {
	v, ok := m[k]
	return v, ok
}

// userSort returns the comparison of two users by an attribute, ties broken
// by id, or ErrInvalid for an attribute that cannot sort.
func userSort(by store.Attr) (func(a, b *store.DirectoryUser) int, error) {
	var key func(a, b *store.DirectoryUser) int
	lower := func(get func(*store.DirectoryUser) string) func(a, b *store.DirectoryUser) int {
		return func(a, b *store.DirectoryUser) int {
			return strings.Compare(strings.ToLower(get(a)), strings.ToLower(get(b)))
		}
	}
	matchKey := func(get func(*store.DirectoryUser) string) func(a, b *store.DirectoryUser) int {
		return func(a, b *store.DirectoryUser) int {
			return strings.Compare(store.MatchKey(get(a)), store.MatchKey(get(b)))
		}
	}
	switch by {
	case "", store.AttrCreated:
		key = func(a, b *store.DirectoryUser) int { return a.CreatedAt.Compare(b.CreatedAt) }
	case store.AttrLastModified:
		key = func(a, b *store.DirectoryUser) int { return a.UpdatedAt.Compare(b.UpdatedAt) }
	case store.AttrID:
		key = func(a, b *store.DirectoryUser) int { return 0 }
	case store.AttrExternalID:
		key = func(a, b *store.DirectoryUser) int { return strings.Compare(a.ExternalID, b.ExternalID) }
	case store.AttrUserName:
		key = matchKey(func(u *store.DirectoryUser) string { return u.UserName })
	case store.AttrDisplayName:
		key = lower(func(u *store.DirectoryUser) string { return u.DisplayName })
	case store.AttrGivenName:
		key = lower(func(u *store.DirectoryUser) string { return u.GivenName })
	case store.AttrFamilyName:
		key = lower(func(u *store.DirectoryUser) string { return u.FamilyName })
	case store.AttrEmail:
		key = matchKey(func(u *store.DirectoryUser) string { return u.PrimaryEmail() })
	default:
		return nil, invalid("cannot sort users by %q", by)
	}
	return func(a, b *store.DirectoryUser) int {
		if c := key(a, b); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	}, nil
}

// groupSort is userSort for groups.
func groupSort(by store.Attr) (func(a, b *store.DirectoryGroup) int, error) {
	var key func(a, b *store.DirectoryGroup) int
	switch by {
	case "", store.AttrCreated:
		key = func(a, b *store.DirectoryGroup) int { return a.CreatedAt.Compare(b.CreatedAt) }
	case store.AttrLastModified:
		key = func(a, b *store.DirectoryGroup) int { return a.UpdatedAt.Compare(b.UpdatedAt) }
	case store.AttrID:
		key = func(a, b *store.DirectoryGroup) int { return 0 }
	case store.AttrExternalID:
		key = func(a, b *store.DirectoryGroup) int { return strings.Compare(a.ExternalID, b.ExternalID) }
	case store.AttrDisplayName:
		key = func(a, b *store.DirectoryGroup) int {
			return strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName))
		}
	default:
		return nil, invalid("cannot sort groups by %q", by)
	}
	return func(a, b *store.DirectoryGroup) int {
		if c := key(a, b); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	}, nil
}

func checkPage(order store.SortOrder, offset, limit int) error {
	if order != store.Ascending && order != store.Descending {
		return invalid("unknown sort order %d", order)
	}
	if offset < 0 || limit < 0 {
		return invalid("offset and limit must not be negative")
	}
	return nil
}

// page returns rows[offset:offset+limit], bounded.
func page[T any](rows []T, offset, limit int) []T {
	if offset >= len(rows) || limit == 0 {
		return nil
	}
	end := len(rows)
	if limit < end-offset {
		end = offset + limit
	}
	return rows[offset:end]
}
