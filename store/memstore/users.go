package memstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

func (s *Store) dirOf(directoryID string) (*dirState, error) {
	ds, ok := s.dirs[directoryID]
	if !ok {
		return nil, notFound("directory %q", directoryID)
	}
	return ds, nil
}

// CreateDirectoryUser stores u with Version 1 and its events.
func (s *Store) CreateDirectoryUser(ctx context.Context, u *store.DirectoryUser, events ...store.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	if err := validJSON("user attributes", u.Attributes); err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, err := s.dirOf(u.DirectoryID)
	if err != nil {
		return err
	}
	if _, ok := s.userDir[u.ID]; ok {
		return exists("directory user %q", u.ID)
	}
	name := store.MatchKey(u.UserName)
	if err := ds.userKeys.free(u.DirectoryID, "", name, u.UserName, u.ExternalID); err != nil {
		return err
	}
	st := storeUser(u)
	st.OrgID = ds.dir.OrgID
	st.Version = 1
	st.Roles = nil // a new user is in no group yet
	u.OrgID, u.Version, u.Roles = st.OrgID, 1, nil
	ds.users[st.ID] = st
	ds.userKeys.move(st.ID, "", "", name, st.ExternalID)
	s.userDir[st.ID] = ds.dir.ID
	s.liftDeprovisionedLocked(st)
	s.appendLocked(events)
	return nil
}

// GetDirectoryUser returns the user id of the directory.
func (s *Store) GetDirectoryUser(ctx context.Context, directoryID, id string) (*store.DirectoryUser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := requireIDs("directory id", directoryID, "user id", id); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[directoryID]
	if !ok {
		return nil, notFound("directory user %q", id)
	}
	u, ok := ds.users[id]
	if !ok {
		return nil, notFound("directory user %q", id)
	}
	out := cloneUser(u)
	return &out, nil
}

// ListDirectoryUsers returns the page of the directory's users selected by q
// and the number of users matching q.Filter. An unknown directory has none.
func (s *Store) ListDirectoryUsers(ctx context.Context, directoryID string, q store.UserQuery) ([]store.DirectoryUser, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if err := requireIDs("directory id", directoryID); err != nil {
		return nil, 0, err
	}
	if err := checkPage(q.SortOrder, q.Offset, q.Limit); err != nil {
		return nil, 0, err
	}
	if err := store.ValidateFilterText(q.Filter); err != nil {
		return nil, 0, err
	}
	var ds *dirState // set under the lock, before match runs
	match, err := compileUserFilter(q.Filter, func(id string) map[string]struct{} { return ds.memberOf[id] })
	if err != nil {
		return nil, 0, err
	}
	less, err := userSort(q.SortBy)
	if err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[directoryID]
	if !ok {
		return nil, 0, nil
	}
	var rows []*store.DirectoryUser
	if ids, ok := candidates(q.Filter, ds.userLookup); ok {
		seen := make(map[string]bool, len(ids))
		for _, id := range ids {
			if u := ds.users[id]; u != nil && !seen[id] && match(u) {
				seen[id] = true
				rows = append(rows, u)
			}
		}
	} else {
		for _, u := range ds.users {
			if match(u) {
				rows = append(rows, u)
			}
		}
	}
	total := len(rows)
	if q.Limit == 0 || q.Offset >= total {
		return nil, total, nil
	}
	if q.SortOrder == store.Descending {
		slices.SortFunc(rows, func(a, b *store.DirectoryUser) int { return less(b, a) })
	} else {
		slices.SortFunc(rows, less)
	}
	rows = page(rows, q.Offset, q.Limit)
	out := make([]store.DirectoryUser, len(rows))
	for i, u := range rows {
		out[i] = cloneUser(u)
	}
	return out, total, nil
}

// FindDirectoryUsersByEmail returns the users of the organization's
// directories whose userName or one of whose emails has the store.MatchKey
// of email, ordered by (DirectoryID, ID).
func (s *Store) FindDirectoryUsersByEmail(ctx context.Context, orgID, email string) ([]store.DirectoryUser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := requireIDs("organization id", orgID, "email", email); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usersByEmailLocked(orgID, email), nil
}

// usersByEmailLocked returns the organization's users that have email as
// userName or as one of their emails; s.mu is held.
func (s *Store) usersByEmailLocked(orgID, email string) []store.DirectoryUser {
	email = store.MatchKey(email)
	var out []store.DirectoryUser
	for _, ds := range s.dirs {
		if ds.dir.OrgID != orgID {
			continue
		}
		for _, u := range ds.users {
			found := store.MatchKey(u.UserName) == email
			for _, e := range u.Emails {
				found = found || store.MatchKey(e.Value) == email
			}
			if found {
				out = append(out, cloneUser(u))
			}
		}
	}
	slices.SortFunc(out, func(a, b store.DirectoryUser) int {
		if c := strings.Compare(a.DirectoryID, b.DirectoryID); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// UpdateDirectoryUser applies fn to a copy of the user and stores the result,
// with Version incremented, and fn's events.
func (s *Store) UpdateDirectoryUser(ctx context.Context, directoryID, id string, fn func(*store.DirectoryUser) ([]store.Event, error)) (*store.DirectoryUser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := requireIDs("directory id", directoryID, "user id", id); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, invalid("nil update function")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[directoryID]
	if !ok {
		return nil, notFound("directory user %q", id)
	}
	old, ok := ds.users[id]
	if !ok {
		return nil, notFound("directory user %q", id)
	}
	u := cloneUser(old)
	events, err := fn(&u)
	if err != nil {
		return nil, err
	}
	if u.ID != old.ID || u.DirectoryID != old.DirectoryID || u.OrgID != old.OrgID || !u.CreatedAt.Equal(old.CreatedAt) {
		return nil, invalid("directory user: id, directory, organization and creation time cannot change")
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if err := validJSON("user attributes", u.Attributes); err != nil {
		return nil, err
	}
	if err := checkEvents(events); err != nil {
		return nil, err
	}
	name := store.MatchKey(u.UserName)
	if err := ds.userKeys.free(directoryID, id, name, u.UserName, u.ExternalID); err != nil {
		return nil, err
	}
	st := storeUser(&u)
	st.Version = old.Version + 1
	st.Roles = old.Roles
	ds.users[id] = st
	ds.userKeys.move(id, store.MatchKey(old.UserName), old.ExternalID, name, st.ExternalID)
	if st.Active != old.Active {
		events = append(slices.Clip(events), s.recomputeForLocked(ds, []string{id}, true, events)...)
	}
	s.liftDeprovisionedLocked(st)
	s.appendLocked(events)
	if old.Active && !st.Active {
		s.endSessionsLocked(func(us *store.Session) bool { return us.OrgID == st.OrgID && us.UserID == id },
			store.CauseEnd(store.SessionEndedUserDeactivated, events, st.UpdatedAt))
	}
	out := cloneUser(st)
	return &out, nil
}

// DeleteDirectoryUser removes the user and its memberships, with the events
// built from the user and the groups it was a member of.
func (s *Store) DeleteDirectoryUser(ctx context.Context, directoryID, id string, events func(u *store.DirectoryUser, groupIDs []string) []store.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := requireIDs("directory id", directoryID, "user id", id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[directoryID]
	if !ok {
		return notFound("directory user %q", id)
	}
	u, ok := ds.users[id]
	if !ok {
		return notFound("directory user %q", id)
	}
	groupIDs := sortedKeys(ds.memberOf[id])
	var evs []store.Event
	if events != nil {
		c := cloneUser(u)
		evs = events(&c, slices.Clone(groupIDs))
		if err := checkEvents(evs); err != nil {
			return err
		}
	}
	ds.removeMember(id)
	ds.userKeys.drop(store.MatchKey(u.UserName), u.ExternalID)
	delete(ds.users, id)
	delete(s.userDir, id)
	_, at := store.RolesCause(evs)
	tomb := store.Deprovisioned{OrgID: u.OrgID, DirectoryID: directoryID, UserID: id, At: utc(at)}
	if s.deprovisioned[u.OrgID] == nil {
		s.deprovisioned[u.OrgID] = map[string]store.Deprovisioned{}
	}
	for _, k := range store.AddressKeys(u) {
		s.deprovisioned[u.OrgID][k] = tomb
	}
	s.appendLocked(evs)
	s.endSessionsLocked(func(us *store.Session) bool { return us.OrgID == u.OrgID && us.UserID == id },
		store.CauseEnd(store.SessionEndedUserDeleted, evs, time.Time{}))
	return nil
}

// removeMember removes id from every group it is a member of.
func (ds *dirState) removeMember(id string) {
	for gid := range ds.memberOf[id] {
		delete(ds.members[gid], id)
		if len(ds.members[gid]) == 0 {
			delete(ds.members, gid)
		}
	}
	delete(ds.memberOf, id)
}

func sortedKeys(m map[string]struct{}) []string {
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

// liftDeprovisionedLocked removes the records of the addresses of u, an
// active user the directory provisioned.
func (s *Store) liftDeprovisionedLocked(u *store.DirectoryUser) {
	if !u.Active || len(s.deprovisioned[u.OrgID]) == 0 {
		return
	}
	for _, k := range store.AddressKeys(u) {
		delete(s.deprovisioned[u.OrgID], k)
	}
}
