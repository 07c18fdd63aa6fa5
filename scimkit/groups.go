package scimkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	scimerrors "github.com/elimity-com/scim/errors"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/onboardkit/onboardkit/store"
)

func (s *Server) respondGroup(w http.ResponseWriter, r *http.Request, d *store.Directory, g *store.DirectoryGroup, status int) {
	p := parseProjection(s.groups, r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes"))
	withMembers := p.wants("members")
	var members []store.Member
	if withMembers {
		var err error
		if members, err = s.st.ListGroupMembers(r.Context(), d.ID, g.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.respond(w, r, status, g.Version, s.groupLocation(d, g.ID), func(b *bytes.Buffer) error {
		return s.writeGroup(b, d, g, members, withMembers, p)
	})
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, d *store.Directory, id string) {
	g, err := s.st.GetDirectoryGroup(r.Context(), d.ID, id)
	if s.fresh(w, r, err, func() int64 { return g.Version }) {
		s.respondGroup(w, r, d, g, http.StatusOK)
	}
}

var errSelfMember = &scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidValue,
	Detail: "A group cannot be a member of itself."}

var errUnknownMember = &scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidValue,
	Detail: "A member is not a user or group of this directory."}

func (s *Server) tooManyMembers(n int) error {
	if n > s.maxMemb {
		return &scimerrors.ScimError{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("Too many members in one request; at most %d.", s.maxMemb)}
	}
	return nil
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, d *store.Directory) {
	_, attrs, ok := s.readResource(w, r, s.groups, s.maxGroupBody)
	if !ok {
		return
	}
	now := s.stamp()
	g := &store.DirectoryGroup{DirectoryID: d.ID, OrgID: d.OrgID, Version: 1, CreatedAt: now, UpdatedAt: now}
	ids, _, err := applyGroupAttrs(attrs, g)
	if err == nil {
		err = s.tooManyMembers(len(ids))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if g.ID, err = s.newID("grp"); err != nil {
		s.fail(w, r, err)
		return
	}
	if slices.Contains(ids, g.ID) {
		s.fail(w, r, errSelfMember)
		return
	}
	var ops []store.MemberOp
	if len(ids) > 0 {
		ops = []store.MemberOp{{Kind: store.MembersAdd, IDs: ids}}
	}
	evIDs, err := s.prepare(r.Context(), &Change{Kind: GroupCreate, Directory: d, Group: cloneGroup(g), MemberOps: ops})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.st.CreateDirectoryGroup(r.Context(), g, ops, func(sg *store.DirectoryGroup, added, _ []string) []store.Event {
		evs := []store.Event{s.event(evIDs, EventGroupCreated, d.OrgID, sg.ID, actorOf(d), groupData(sg))}
		return append(evs, s.membershipEvents(evIDs, d, sg, added, nil)...)
	})
	if errors.Is(err, store.ErrNotFound) {
		err = errUnknownMember
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.respondGroup(w, r, d, g, http.StatusCreated)
}

func (s *Server) replaceGroup(w http.ResponseWriter, r *http.Request, d *store.Directory, id string) {
	m, attrs, ok := s.readResource(w, r, s.groups, s.maxGroupBody)
	if !ok {
		return
	}
	// members:[] empties the group but validation drops empty lists, so
	// look for the attribute in the body as sent (normalised, which drops
	// a null: null counts as absent).
	k := groupKey(m, "members")
	listsMembers := k != "" && m[k] != nil
	g, err := s.updateGroup(r, d, id, func(cur *store.DirectoryGroup) ([]store.MemberOp, error) {
		ids, _, err := applyGroupAttrs(cloneMap(attrs), cur)
		if err != nil {
			return nil, err
		}
		if !listsMembers {
			// A PUT without members leaves the membership as it is:
			// clients send group PUTs to rename, and an absent
			// attribute is not an empty list.
			return nil, nil
		}
		if err := s.tooManyMembers(len(ids)); err != nil {
			return nil, err
		}
		if slices.Contains(ids, cur.ID) {
			return nil, errSelfMember
		}
		// PUT replaces the resource: members not listed are removed.
		return []store.MemberOp{{Kind: store.MembersReplace, IDs: ids}}, nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.respondGroup(w, r, d, g, http.StatusOK)
}

func (s *Server) patchGroup(w http.ResponseWriter, r *http.Request, d *store.Directory, id string) {
	body, ok := s.readBodyMax(w, r, s.maxGroupBody)
	if !ok {
		return
	}
	ops, err := parsePatch(body, s.maxGroupOps)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	mops, rest, err := s.splitMemberOps(ops, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	g, err := s.updateGroup(r, d, id, func(cur *store.DirectoryGroup) ([]store.MemberOp, error) {
		if len(rest) == 0 {
			return mops, nil
		}
		res, err := decodeAttrs(cur.Attributes)
		if err != nil {
			return nil, err
		}
		if err := s.groups.applyPatch(res, rest); err != nil {
			return nil, err
		}
		attrs, err := s.groups.validate(res)
		if err != nil {
			return nil, err
		}
		if _, _, err := applyGroupAttrs(attrs, cur); err != nil {
			return nil, err
		}
		return mops, nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	if q.Get("attributes") != "" || q.Get("excludedAttributes") != "" {
		s.respondGroup(w, r, d, g, http.StatusOK)
		return
	}
	w.Header().Set("ETag", etag(g.Version))
	w.WriteHeader(http.StatusNoContent)
}

// updateGroup is updateUser for groups: optimistic, version-guarded,
// asking BeforeChange first, with the group and membership events in the
// same write.
func (s *Server) updateGroup(r *http.Request, d *store.Directory, id string, change func(*store.DirectoryGroup) ([]store.MemberOp, error)) (*store.DirectoryGroup, error) {
	ctx := r.Context()
	for range maxUpdateAttempts {
		cur, err := matching(r, s.st.GetDirectoryGroup, d, id, groupVersion)
		if err != nil {
			return nil, err
		}
		next := cloneGroup(cur)
		ops, err := change(next)
		if err != nil {
			return nil, err
		}
		attrChanged := !sameGroup(cur, next)
		if !attrChanged {
			noop, err := s.membershipUnchanged(ctx, d, cur.ID, ops)
			if err != nil {
				return nil, err
			}
			if noop {
				return cur, nil // nothing to write, nothing to report
			}
		}
		evIDs, err := s.prepare(ctx, &Change{Kind: GroupUpdate, Directory: d, Group: cloneGroup(next), PreviousGroup: cloneGroup(cur), MemberOps: ops})
		if err != nil {
			return nil, err
		}
		now := s.stamp()
		res, err := s.st.UpdateDirectoryGroup(ctx, d.ID, id, func(g *store.DirectoryGroup) ([]store.MemberOp, error) {
			// Membership operations do not depend on what was read; only
			// an attribute change, or an If-Match precondition (checked
			// again on the retry), needs the version guard.
			if (attrChanged || r.Header.Get("If-Match") != "") && g.Version != cur.Version {
				return nil, errStale
			}
			if !attrChanged {
				g.UpdatedAt = now
				return ops, nil
			}
			g.DisplayName, g.ExternalID, g.Attributes = next.DisplayName, next.ExternalID, next.Attributes
			g.UpdatedAt = now
			return ops, nil
		}, func(g *store.DirectoryGroup, added, removed []string) []store.Event {
			var evs []store.Event
			if attrChanged {
				evs = append(evs, s.event(evIDs, EventGroupUpdated, d.OrgID, g.ID, actorOf(d), groupData(g)))
			}
			return append(evs, s.membershipEvents(evIDs, d, g, added, removed)...)
		})
		switch {
		case errors.Is(err, errStale):
			continue
		case errors.Is(err, store.ErrNotFound):
			if _, gerr := s.st.GetDirectoryGroup(ctx, d.ID, id); gerr == nil {
				return nil, errUnknownMember
			}
		}
		return res, err
	}
	return nil, errStale
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request, d *store.Directory, id string) {
	ctx := r.Context()
	cur, err := matching(r, s.st.GetDirectoryGroup, d, id, groupVersion)
	var evIDs *eventIDs
	if err == nil {
		evIDs, err = s.prepare(ctx, &Change{Kind: GroupDelete, Directory: d, PreviousGroup: cloneGroup(cur)})
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.st.DeleteDirectoryGroup(ctx, d.ID, id, func(g *store.DirectoryGroup, _, removed []string) []store.Event {
		evs := []store.Event{s.event(evIDs, EventGroupDeleted, d.OrgID, g.ID, actorOf(d), groupData(g))}
		return append(evs, s.membershipEvents(evIDs, d, g, nil, removed)...)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func groupVersion(g *store.DirectoryGroup) int64 { return g.Version }

func cloneGroup(g *store.DirectoryGroup) *store.DirectoryGroup {
	if g == nil {
		return nil
	}
	c := *g
	c.Attributes = bytes.Clone(g.Attributes)
	return &c
}

func sameGroup(a, b *store.DirectoryGroup) bool {
	return a.DisplayName == b.DisplayName && a.ExternalID == b.ExternalID && bytes.Equal(a.Attributes, b.Attributes)
}

// splitMemberOps turns the operations on members into Store membership
// operations (so that a group's members are never loaded to be patched)
// and returns the other operations. groupID is the group patched: it
// cannot become a member of itself.
func (s *Server) splitMemberOps(ops []patchOp, groupID string) ([]store.MemberOp, []patchOp, error) {
	var mops []store.MemberOp
	var rest []patchOp
	total := 0
	// push appends a Store operation, merged into the one before when
	// both add or both remove: Entra sends one operation per member, and
	// the Store then applies thousands of ids in a few statements.
	push := func(kind store.MemberOpKind, ids []string) {
		if n := len(mops); n > 0 && kind != store.MembersReplace && mops[n-1].Kind == kind {
			mops[n-1].IDs = append(mops[n-1].IDs, ids...)
			return
		}
		mops = append(mops, store.MemberOp{Kind: kind, IDs: ids})
	}
	add := func(kind store.MemberOpKind, v any) error {
		ids, err := memberIDs(v)
		if err != nil {
			return err
		}
		total += len(ids)
		if kind != store.MembersRemove && slices.Contains(ids, groupID) {
			return errSelfMember
		}
		if kind != store.MembersReplace && len(ids) == 0 {
			return nil
		}
		push(kind, ids)
		return nil
	}
	for _, o := range ops {
		if o.Path == "" {
			obj, ok := o.Value.(map[string]any)
			if !ok {
				return nil, nil, patchError(scimerrors.ScimTypeInvalidValue, "An operation without path needs an object value.")
			}
			k := groupKey(obj, "members")
			if k == "" {
				rest = append(rest, o)
				continue
			}
			kind := store.MembersAdd
			if o.Op == "replace" {
				kind = store.MembersReplace
			}
			if err := add(kind, obj[k]); err != nil {
				return nil, nil, err
			}
			others := make(map[string]any, len(obj))
			for ok, ov := range obj {
				if ok != k {
					others[ok] = ov
				}
			}
			if len(others) > 0 {
				rest = append(rest, patchOp{Op: o.Op, Value: others})
			}
			continue
		}
		if ids, ok, err := memberPathIDs(o.Path); ok {
			if err != nil {
				return nil, nil, err
			}
			if o.Op != "remove" {
				return nil, nil, patchError(scimerrors.ScimTypeInvalidPath, "A member filter is only valid with remove: %q.", o.Path)
			}
			total += len(ids)
			push(store.MembersRemove, ids)
			continue
		}
		if strings.EqualFold(o.Path, "members") || strings.EqualFold(o.Path, GroupSchemaURI+":members") {
			// The path of nearly every member operation: no need for the
			// general parser.
			if err := memberOp(o, add, push); err != nil {
				return nil, nil, err
			}
			continue
		}
		p, err := parsePathSafe(o.Path)
		if err != nil {
			return nil, nil, patchError(scimerrors.ScimTypeInvalidPath, "Invalid path %q.", o.Path)
		}
		uri := p.AttributePath.URI()
		if !strings.EqualFold(p.AttributePath.AttributeName, "members") || (uri != "" && !strings.EqualFold(uri, GroupSchemaURI)) {
			rest = append(rest, o)
			continue
		}
		if p.AttributePath.SubAttribute != nil || p.SubAttribute != nil {
			return nil, nil, patchError(scimerrors.ScimTypeInvalidPath, "Members can only be changed as a whole: %q.", o.Path)
		}
		if p.ValueExpression != nil {
			if o.Op != "remove" {
				return nil, nil, patchError(scimerrors.ScimTypeInvalidPath, "A member filter is only valid with remove: %q.", o.Path)
			}
			ids, err := memberFilterIDs(p.ValueExpression, 0)
			if err != nil {
				return nil, nil, err
			}
			total += len(ids)
			push(store.MembersRemove, ids)
			continue
		}
		if err := memberOp(o, add, push); err != nil {
			return nil, nil, err
		}
	}
	if err := s.tooManyMembers(total); err != nil {
		return nil, nil, err
	}
	return mops, rest, nil
}

// memberOp turns an operation on the path members into Store operations,
// with the add and push functions of splitMemberOps.
func memberOp(o patchOp, add func(store.MemberOpKind, any) error, push func(store.MemberOpKind, []string)) error {
	switch o.Op {
	case "add":
		return add(store.MembersAdd, o.Value)
	case "replace":
		return add(store.MembersReplace, o.Value)
	case "remove":
		if o.Value == nil {
			push(store.MembersReplace, nil)
			return nil
		}
		return add(store.MembersRemove, o.Value)
	}
	return nil
}

// groupKey returns the key of obj naming the Group attribute name, bare
// or prefixed by the Group schema URN
// ("urn:ietf:params:scim:schemas:core:2.0:Group:members"), or "".
func groupKey(obj map[string]any, name string) string {
	if k := findKey(obj, name); k != "" {
		return k
	}
	prefixed := GroupSchemaURI + ":" + name
	for k := range obj {
		if strings.EqualFold(k, prefixed) {
			return k
		}
	}
	return ""
}

// memberPathIDs reads the member ids a members[...] path selects,
// optionally prefixed by the Group schema URN: any number of "value eq"
// terms joined by or. ok is false for any other path.
//
// The form clients send (value eq "id" or value eq "id" ...) is read by
// memberFilterIDsFast in time linear in its length; others go to the
// general filter parser, whose cost grows faster than the length, and are
// held to maxFilterLength bytes.
func memberPathIDs(path string) (ids []string, ok bool, err error) {
	inner, ok := memberFilterOf(path)
	if !ok {
		return nil, false, nil
	}
	if ids, ok := memberFilterIDsFast(inner); ok {
		return ids, true, nil
	}
	if len(inner) > maxFilterLength {
		return nil, true, patchError(scimerrors.ScimTypeInvalidFilter, "Member filter longer than %d bytes; name members as value eq \"id\" terms joined by or.", maxFilterLength)
	}
	e, _, err := memberValuePath(path)
	if err != nil {
		return nil, true, err
	}
	ids, err = memberFilterIDs(e, 0)
	return ids, true, err
}

// memberFilterOf returns the bracket contents of a members[...] path,
// optionally prefixed by the Group schema URN. ok is false for any other
// path.
func memberFilterOf(path string) (inner string, ok bool) {
	p := strings.TrimSpace(path)
	lp := strings.ToLower(p)
	if pre := strings.ToLower(GroupSchemaURI) + ":"; strings.HasPrefix(lp, pre) {
		p, lp = p[len(pre):], lp[len(pre):]
	}
	if !strings.HasPrefix(lp, "members[") || !strings.HasSuffix(p, "]") {
		return "", false
	}
	return p[len("members[") : len(p)-1], true
}

// memberFilterIDsFast reads a member filter of the form
//
//	value eq "a" or value eq "b" ...
//
// (names and operators in any case, one space between tokens, strings
// without escapes or control characters), the one clients send, without
// the general parser. ok is false for anything else, an empty id
// included; the fuzz test checks that the general parser reads whatever
// it accepts the same way.
func memberFilterIDsFast(f string) (ids []string, ok bool) {
	word := func(w string) bool {
		if len(f) < len(w) || !strings.EqualFold(f[:len(w)], w) {
			return false
		}
		f = f[len(w):]
		return true
	}
	for {
		if !word("value ") || !word("eq ") || len(f) < 2 || f[0] != '"' {
			return nil, false
		}
		end := strings.IndexByte(f[1:], '"') + 1
		if end <= 1 {
			return nil, false
		}
		v := f[1:end]
		for i := 0; i < len(v); i++ {
			if c := v[i]; c == '\\' || c < 0x20 || c == 0x7f {
				return nil, false
			}
		}
		if !utf8.ValidString(v) {
			return nil, false
		}
		ids = append(ids, v)
		f = f[end+1:]
		if f == "" {
			return ids, true
		}
		if !word(" or ") {
			return nil, false
		}
	}
}

// memberValuePath recognises a members[...] path, optionally prefixed by
// the Group schema URN, and parses the bracket contents as a filter, so
// that any number of "value eq" terms joined by or is accepted. ok is
// false for any other path.
func memberValuePath(path string) (filter.Expression, bool, error) {
	inner, ok := memberFilterOf(path)
	if !ok {
		return nil, false, nil
	}
	e, err := parseSCIMFilter(inner)
	if err != nil {
		return nil, true, patchError(scimerrors.ScimTypeInvalidPath, "Invalid path %q.", path)
	}
	if n := filterTerms(e); n > maxFilterTerms {
		return nil, true, patchError(scimerrors.ScimTypeInvalidFilter, "Member filter has too many terms.")
	}
	return e, true, nil
}

// membershipUnchanged reports whether ops would leave the group's
// membership as it is, so that the update writes nothing. Add and remove
// operations naming few ids are checked with one filtered count on them;
// otherwise the count on the first memberCheckBatch ids answers when it
// finds a change (the usual case), and the group's member list answers
// when it does not. A replace needs the member list.
func (s *Server) membershipUnchanged(ctx context.Context, d *store.Directory, groupID string, ops []store.MemberOp) (bool, error) {
	if len(ops) == 0 {
		return true, nil
	}
	if !slices.ContainsFunc(ops, func(op store.MemberOp) bool { return op.Kind == store.MembersReplace }) {
		// The last operation naming an id decides whether it ends up a
		// member.
		want := map[string]bool{}
		var order []string
		for _, op := range ops {
			for _, id := range op.IDs {
				if _, seen := want[id]; !seen {
					order = append(order, id)
				}
				want[id] = op.Kind == store.MembersAdd
			}
		}
		first := order[:min(len(order), memberCheckBatch)]
		if len(first) == 0 {
			return true, nil
		}
		// The group matches when some id is not in the state wanted.
		terms := make([]store.Filter, 0, len(first))
		for _, id := range first {
			var f store.Filter = store.Compare{Attr: store.AttrMember, Op: store.OpEq, Value: id}
			if want[id] {
				f = store.Not{F: f}
			}
			terms = append(terms, f)
		}
		q := store.GroupQuery{
			Filter: store.And{Left: store.Compare{Attr: store.AttrID, Op: store.OpEq, Value: groupID}, Right: balancedOr(terms)},
			Limit:  0, // count only
		}
		_, total, err := s.st.ListDirectoryGroups(ctx, d.ID, q)
		if err != nil || total > 0 || len(first) == len(order) {
			return err == nil && total == 0, err
		}
	}
	ms, err := s.st.ListGroupMembers(ctx, d.ID, groupID)
	if err != nil {
		return false, err
	}
	cur := make(map[string]bool, len(ms))
	for _, m := range ms {
		cur[m.ID] = true
	}
	next := maps.Clone(cur)
	for _, op := range ops {
		switch op.Kind {
		case store.MembersReplace:
			clear(next)
			for _, id := range op.IDs {
				next[id] = true
			}
		case store.MembersAdd:
			for _, id := range op.IDs {
				next[id] = true
			}
		case store.MembersRemove:
			for _, id := range op.IDs {
				delete(next, id)
			}
		}
	}
	return maps.Equal(cur, next), nil
}

// memberCheckBatch is the most ids the filtered count of
// membershipUnchanged names: its filter has 3 nodes per id (Or, Not,
// Compare) and 2 more (And, the group id's Compare), and stays within what
// every Store accepts. The balanced Or of so few terms is far shallower
// than store.MaxFilterDepth.
const memberCheckBatch = (store.MaxFilterNodes - 2) / 3

// balancedOr joins fs with or as a balanced tree, so that a long list does
// not become a deeply nested expression in the Stores' queries.
func balancedOr(fs []store.Filter) store.Filter {
	if len(fs) == 1 {
		return fs[0]
	}
	mid := len(fs) / 2
	return store.Or{Left: balancedOr(fs[:mid]), Right: balancedOr(fs[mid:])}
}

func parsePathSafe(path string) (p filter.Path, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("path parser failure")
		}
	}()
	return filter.ParsePath([]byte(path))
}

// memberFilterIDs reads the ids of members[value eq "a" or value eq "b"].
func memberFilterIDs(e filter.Expression, depth int) ([]string, error) {
	if depth > maxFilterDepth {
		return nil, patchError(scimerrors.ScimTypeInvalidFilter, "Member filter nested too deeply.")
	}
	switch e := e.(type) {
	case *filter.AttributeExpression:
		if e.AttributePath.URIPrefix == nil && e.AttributePath.SubAttribute == nil &&
			strings.EqualFold(e.AttributePath.AttributeName, "value") && strings.EqualFold(string(e.Operator), "eq") {
			v, err := stringValue("", e.CompareValue)
			if err == nil && v != "" {
				return []string{v}, nil
			}
		}
	case *filter.LogicalExpression:
		if strings.EqualFold(string(e.Operator), "or") {
			l, err := memberFilterIDs(e.Left, childDepth(e, e.Left, depth))
			if err != nil {
				return nil, err
			}
			r, err := memberFilterIDs(e.Right, childDepth(e, e.Right, depth))
			if err != nil {
				return nil, err
			}
			return append(l, r...), nil
		}
	}
	return nil, patchError(scimerrors.ScimTypeInvalidFilter, "Members can be selected only by value eq.")
}
