package memstore

import (
	"context"
	"slices"
	"strings"

	"github.com/onboardkit/onboardkit/store"
)

// applyOps applies ops in order to the member set cur of group self and
// returns the new set. Added and replacing ids must be users or groups of ds
// (self included); removing an id that is not a member, or not in the
// directory at all, is not an error.
func (ds *dirState) applyOps(self string, cur map[string]struct{}, ops []store.MemberOp) (map[string]struct{}, error) {
	next := make(map[string]struct{}, len(cur))
	for id := range cur {
		next[id] = struct{}{}
	}
	for _, op := range ops {
		if op.Kind == store.MembersAdd || op.Kind == store.MembersReplace {
			for _, id := range op.IDs {
				if id != self && !ds.hasMember(id) {
					return nil, notFound("member %q is not a user or group of directory %q", id, ds.dir.ID)
				}
			}
		}
		switch op.Kind {
		case store.MembersAdd:
			for _, id := range op.IDs {
				next[id] = struct{}{}
			}
		case store.MembersRemove:
			for _, id := range op.IDs {
				delete(next, id)
			}
		case store.MembersReplace:
			clear(next)
			for _, id := range op.IDs {
				next[id] = struct{}{}
			}
		}
	}
	return next, nil
}

func (ds *dirState) hasMember(id string) bool {
	if _, ok := ds.users[id]; ok {
		return true
	}
	_, ok := ds.groups[id]
	return ok
}

// diff returns the sorted ids in b and not in a, and in a and not in b.
func diff(a, b map[string]struct{}) (added, removed []string) {
	for id := range b {
		if _, ok := a[id]; !ok {
			added = append(added, id)
		}
	}
	for id := range a {
		if _, ok := b[id]; !ok {
			removed = append(removed, id)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed
}

// setMembers replaces the members of group gid by next, keeping memberOf in
// step.
func (ds *dirState) setMembers(gid string, next map[string]struct{}) {
	for id := range ds.members[gid] {
		if _, keep := next[id]; !keep {
			delete(ds.memberOf[id], gid)
			if len(ds.memberOf[id]) == 0 {
				delete(ds.memberOf, id)
			}
		}
	}
	if len(next) == 0 {
		delete(ds.members, gid)
		return
	}
	ds.members[gid] = next
	for id := range next {
		if ds.memberOf[id] == nil {
			ds.memberOf[id] = map[string]struct{}{}
		}
		ds.memberOf[id][gid] = struct{}{}
	}
}

func checkOps(ops []store.MemberOp) error {
	for _, op := range ops {
		if err := op.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// groupEvents calls events, when set, with a copy of g, and validates what it
// returns.
func groupEvents(events store.GroupEvents, g *store.DirectoryGroup, added, removed []string) ([]store.Event, error) {
	if events == nil {
		return nil, nil
	}
	c := cloneGroup(g)
	evs := events(&c, added, removed)
	if err := checkEvents(evs); err != nil {
		return nil, err
	}
	return evs, nil
}

// CreateDirectoryGroup stores g with Version 1 and the members of ops, and
// appends events(g, added, nil).
func (s *Store) CreateDirectoryGroup(ctx context.Context, g *store.DirectoryGroup, ops []store.MemberOp, events store.GroupEvents) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := g.Validate(); err != nil {
		return err
	}
	if err := validJSON("group attributes", g.Attributes); err != nil {
		return err
	}
	if err := checkOps(ops); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, err := s.dirOf(g.DirectoryID)
	if err != nil {
		return err
	}
	if _, ok := s.groupDir[g.ID]; ok {
		return exists("directory group %q", g.ID)
	}
	name := strings.ToLower(g.DisplayName)
	if err := ds.groupKeys.free(g.DirectoryID, "", name, g.DisplayName, g.ExternalID); err != nil {
		return err
	}
	st := storeGroup(g)
	st.OrgID = ds.dir.OrgID
	st.Version = 1
	next, err := ds.applyOps(st.ID, nil, ops)
	if err != nil {
		return err
	}
	added, _ := diff(nil, next)
	evs, err := groupEvents(events, st, added, nil)
	if err != nil {
		return err
	}
	g.OrgID, g.Version = st.OrgID, 1
	ds.groups[st.ID] = st
	ds.groupKeys.move(st.ID, "", "", name, st.ExternalID)
	s.groupDir[st.ID] = ds.dir.ID
	ds.setMembers(st.ID, next)
	evs = append(evs, s.recomputeForLocked(ds, added, false, evs)...)
	s.appendLocked(evs)
	return nil
}

// GetDirectoryGroup returns the group id of the directory.
func (s *Store) GetDirectoryGroup(ctx context.Context, directoryID, id string) (*store.DirectoryGroup, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := requireIDs("directory id", directoryID, "group id", id); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[directoryID]
	if !ok {
		return nil, notFound("directory group %q", id)
	}
	g, ok := ds.groups[id]
	if !ok {
		return nil, notFound("directory group %q", id)
	}
	out := cloneGroup(g)
	return &out, nil
}

// ListDirectoryGroups returns the page of groups selected by q and the
// number that match. An unknown directory has none.
func (s *Store) ListDirectoryGroups(ctx context.Context, directoryID string, q store.GroupQuery) ([]store.DirectoryGroup, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if err := requireIDs("directory id", directoryID); err != nil {
		return nil, 0, err
	}
	if err := checkPage(q.SortOrder, q.Offset, q.Limit); err != nil {
		return nil, 0, err
	}
	less, err := groupSort(q.SortBy)
	if err != nil {
		return nil, 0, err
	}
	if err := store.ValidateFilterText(q.Filter); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[directoryID]
	if !ok {
		// Validate the filter all the same, so that a bad filter is
		// reported whatever the directory.
		if _, err := compileGroupFilter(newDirState(store.Directory{}), q.Filter); err != nil {
			return nil, 0, err
		}
		return nil, 0, nil
	}
	match, err := compileGroupFilter(ds, q.Filter)
	if err != nil {
		return nil, 0, err
	}
	var rows []*store.DirectoryGroup
	if ids, ok := candidates(q.Filter, ds.groupLookup); ok {
		seen := make(map[string]bool, len(ids))
		for _, id := range ids {
			if g := ds.groups[id]; g != nil && !seen[id] && match(g) {
				seen[id] = true
				rows = append(rows, g)
			}
		}
	} else {
		for _, g := range ds.groups {
			if match(g) {
				rows = append(rows, g)
			}
		}
	}
	total := len(rows)
	if q.Limit == 0 || q.Offset >= total {
		return nil, total, nil
	}
	if q.SortOrder == store.Descending {
		slices.SortFunc(rows, func(a, b *store.DirectoryGroup) int { return less(b, a) })
	} else {
		slices.SortFunc(rows, less)
	}
	rows = page(rows, q.Offset, q.Limit)
	out := make([]store.DirectoryGroup, len(rows))
	for i, g := range rows {
		out[i] = cloneGroup(g)
	}
	return out, total, nil
}

// UpdateDirectoryGroup applies fn to a copy of the group and the membership
// ops fn returns, increments Version and appends events(g, added, removed).
func (s *Store) UpdateDirectoryGroup(ctx context.Context, directoryID, id string, fn func(*store.DirectoryGroup) ([]store.MemberOp, error), events store.GroupEvents) (*store.DirectoryGroup, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := requireIDs("directory id", directoryID, "group id", id); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, invalid("nil update function")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[directoryID]
	if !ok {
		return nil, notFound("directory group %q", id)
	}
	old, ok := ds.groups[id]
	if !ok {
		return nil, notFound("directory group %q", id)
	}
	g := cloneGroup(old)
	ops, err := fn(&g)
	if err != nil {
		return nil, err
	}
	if g.ID != old.ID || g.DirectoryID != old.DirectoryID || g.OrgID != old.OrgID || !g.CreatedAt.Equal(old.CreatedAt) {
		return nil, invalid("directory group: id, directory, organization and creation time cannot change")
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if err := validJSON("group attributes", g.Attributes); err != nil {
		return nil, err
	}
	if err := checkOps(ops); err != nil {
		return nil, err
	}
	name := strings.ToLower(g.DisplayName)
	if err := ds.groupKeys.free(directoryID, id, name, g.DisplayName, g.ExternalID); err != nil {
		return nil, err
	}
	cur := ds.members[id]
	next, err := ds.applyOps(id, cur, ops)
	if err != nil {
		return nil, err
	}
	added, removed := diff(cur, next)
	st := storeGroup(&g)
	st.Version = old.Version + 1
	evs, err := groupEvents(events, st, added, removed)
	if err != nil {
		return nil, err
	}
	ds.groups[id] = st
	ds.groupKeys.move(id, strings.ToLower(old.DisplayName), old.ExternalID, name, st.ExternalID)
	ds.setMembers(id, next)
	evs = append(evs, s.recomputeForLocked(ds, append(added, removed...), false, evs)...)
	s.appendLocked(evs)
	out := cloneGroup(st)
	return &out, nil
}

// DeleteDirectoryGroup removes the group and its memberships, as a group and
// as a member, and appends events(g, nil, members).
func (s *Store) DeleteDirectoryGroup(ctx context.Context, directoryID, id string, events store.GroupEvents) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := requireIDs("directory id", directoryID, "group id", id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[directoryID]
	if !ok {
		return notFound("directory group %q", id)
	}
	g, ok := ds.groups[id]
	if !ok {
		return notFound("directory group %q", id)
	}
	members := sortedKeys(ds.members[id])
	evs, err := groupEvents(events, g, nil, members)
	if err != nil {
		return err
	}
	ds.setMembers(id, nil)
	ds.removeMember(id)
	ds.groupKeys.drop(strings.ToLower(g.DisplayName), g.ExternalID)
	delete(ds.groups, id)
	delete(s.groupDir, id)
	evs = append(evs, s.recomputeForLocked(ds, members, false, evs)...)
	s.appendLocked(evs)
	return nil
}

// ListGroupMembers returns the group's members ordered by id, with their
// display names.
func (s *Store) ListGroupMembers(ctx context.Context, directoryID, groupID string) ([]store.Member, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := requireIDs("directory id", directoryID, "group id", groupID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[directoryID]
	if !ok {
		return nil, notFound("directory group %q", groupID)
	}
	if _, ok := ds.groups[groupID]; !ok {
		return nil, notFound("directory group %q", groupID)
	}
	ids := sortedKeys(ds.members[groupID])
	out := make([]store.Member, 0, len(ids))
	for _, id := range ids {
		if u, ok := ds.users[id]; ok {
			display := u.DisplayName
			if display == "" {
				display = u.UserName
			}
			out = append(out, store.Member{ID: id, Type: store.MemberUser, Display: display})
		} else if g, ok := ds.groups[id]; ok {
			out = append(out, store.Member{ID: id, Type: store.MemberGroup, Display: g.DisplayName})
		}
	}
	return out, nil
}

// ListMemberGroups returns the groups memberID is a direct member of, ordered
// by id.
func (s *Store) ListMemberGroups(ctx context.Context, directoryID, memberID string) ([]store.DirectoryGroup, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := requireIDs("directory id", directoryID, "member id", memberID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[directoryID]
	if !ok {
		return nil, nil
	}
	var out []store.DirectoryGroup
	for _, gid := range sortedKeys(ds.memberOf[memberID]) {
		out = append(out, cloneGroup(ds.groups[gid]))
	}
	return out, nil
}
