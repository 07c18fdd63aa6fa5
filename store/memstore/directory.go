package memstore

import (
	"context"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// dirState is one directory with its users, groups and memberships, and the
// indexes that answer per-request lookups without scanning.
type dirState struct {
	dir store.Directory

	users    map[string]*store.DirectoryUser
	userKeys uniqueKeys // store.MatchKey(userName), externalId

	groups    map[string]*store.DirectoryGroup
	groupKeys uniqueKeys // lower-cased displayName, externalId

	members  map[string]map[string]struct{} // group id -> member ids
	memberOf map[string]map[string]struct{} // member id -> group ids

	google *store.GoogleDirectory // nil unless the directory has one
}

func newDirState(d store.Directory) *dirState {
	return &dirState{
		dir:       d,
		users:     map[string]*store.DirectoryUser{},
		userKeys:  newUniqueKeys("userName", "externalId"),
		groups:    map[string]*store.DirectoryGroup{},
		groupKeys: newUniqueKeys("group displayName", "group externalId"),
		members:   map[string]map[string]struct{}{},
		memberOf:  map[string]map[string]struct{}{},
	}
}

// uniqueKeys indexes a directory's users or its groups by the two values
// that must be unique among them: the folded name and the externalId.
type uniqueKeys struct {
	what, extWhat string            // the two values' names, for errors
	name          map[string]string // folded name -> id
	ext           map[string]string // externalId -> id
}

func newUniqueKeys(what, extWhat string) uniqueKeys {
	return uniqueKeys{what: what, extWhat: extWhat, name: map[string]string{}, ext: map[string]string{}}
}

// free refuses a folded name (key, shown as name) or an externalId that an
// entity other than id holds; a new entity passes id "".
func (k uniqueKeys) free(dirID, id, key, name, ext string) error {
	if other, taken := k.name[key]; taken && other != id {
		return exists("%s %q in directory %q", k.what, name, dirID)
	}
	if other, taken := k.ext[ext]; ext != "" && taken && other != id {
		return exists("%s %q in directory %q", k.extWhat, ext, dirID)
	}
	return nil
}

// move indexes id under key and ext instead of oldKey and oldExt (both
// empty for a new entity).
func (k uniqueKeys) move(id, oldKey, oldExt, key, ext string) {
	k.drop(oldKey, oldExt)
	k.name[key] = id
	if ext != "" {
		k.ext[ext] = id
	}
}

// drop removes an entity's keys.
func (k uniqueKeys) drop(key, ext string) {
	delete(k.name, key)
	if ext != "" {
		delete(k.ext, ext)
	}
}

// CreateDirectory stores d with its events.
func (s *Store) CreateDirectory(ctx context.Context, d *store.Directory, events ...store.Event) error {
	if err := check(ctx, d.Validate(), checkEvents(events)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[d.OrgID]; !ok {
		return notFound("organization %q", d.OrgID)
	}
	if _, ok := s.dirs[d.ID]; ok {
		return exists("directory %q", d.ID)
	}
	s.dirs[d.ID] = newDirState(storeDirectory(d))
	s.appendLocked(events)
	return nil
}

// GetDirectory returns the directory with id.
func (s *Store) GetDirectory(ctx context.Context, id string) (*store.Directory, error) {
	if err := check(ctx, requireIDs("directory id", id)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[id]
	if !ok {
		return nil, notFound("directory %q", id)
	}
	out := cloneDirectory(&ds.dir)
	return &out, nil
}

// ListDirectories returns the organization's directories ordered by
// (CreatedAt, ID).
func (s *Store) ListDirectories(ctx context.Context, orgID string) ([]store.Directory, error) {
	if err := check(ctx, requireIDs("organization id", orgID)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return rows(s.dirs, func(ds *dirState) bool { return ds.dir.OrgID == orgID }, func(ds *dirState) store.Directory { return cloneDirectory(&ds.dir) },
		oldestFirst(func(d *store.Directory) (time.Time, string) { return d.CreatedAt, d.ID })), nil
}

// UpdateDirectory applies fn to a copy of the directory and stores the result
// with fn's events.
func (s *Store) UpdateDirectory(ctx context.Context, id string, fn func(*store.Directory) ([]store.Event, error)) (*store.Directory, error) {
	if err := check(ctx, requireIDs("directory id", id)); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, invalid("nil update function")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[id]
	if !ok {
		return nil, notFound("directory %q", id)
	}
	d := cloneDirectory(&ds.dir)
	events, err := fn(&d)
	if err != nil {
		return nil, err
	}
	if d.ID != ds.dir.ID || d.OrgID != ds.dir.OrgID || !d.CreatedAt.Equal(ds.dir.CreatedAt) {
		return nil, invalid("directory: id, organization and creation time cannot change")
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := checkEvents(events); err != nil {
		return nil, err
	}
	ds.dir = storeDirectory(&d)
	s.appendLocked(events)
	out := cloneDirectory(&ds.dir)
	return &out, nil
}

// DeleteDirectory removes the directory with its tokens, users, groups and
// memberships. Its events are appended only when it existed.
func (s *Store) DeleteDirectory(ctx context.Context, id string, events ...store.Event) error {
	if err := check(ctx, requireIDs("directory id", id), checkEvents(events)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[id]
	if !ok {
		return nil
	}
	s.endSessionsLocked(func(us *store.Session) bool {
		_, in := ds.users[us.UserID]
		return us.OrgID == ds.dir.OrgID && in
	}, store.CauseEnd(store.SessionEndedDirectoryDeleted, events, time.Time{}))
	s.deleteDirectoryLocked(id)
	s.appendLocked(events)
	return nil
}

func (s *Store) deleteDirectoryLocked(id string) {
	ds, ok := s.dirs[id]
	if !ok {
		return
	}
	for tid, t := range s.tokens {
		if t.DirectoryID == id {
			delete(s.tokenByDigest, string(t.Digest))
			delete(s.tokens, tid)
		}
	}
	for uid := range ds.users {
		delete(s.userDir, uid)
	}
	for gid := range ds.groups {
		delete(s.groupDir, gid)
	}
	delete(s.dirs, id)
}

// CreateDirectoryToken stores t with its events.
func (s *Store) CreateDirectoryToken(ctx context.Context, t *store.DirectoryToken, events ...store.Event) error {
	if err := check(ctx, t.Validate(), checkEvents(events)); err != nil {
		return err
	}
	st := storeToken(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.dirs[t.DirectoryID]; !ok {
		return notFound("directory %q", t.DirectoryID)
	}
	if _, ok := s.tokens[t.ID]; ok {
		return exists("directory token %q", t.ID)
	}
	if _, ok := s.tokenByDigest[string(t.Digest)]; ok {
		return exists("directory token digest")
	}
	active := 0
	for _, o := range s.tokens {
		if o.DirectoryID == t.DirectoryID && o.ActiveAt(st.CreatedAt) {
			active++
		}
	}
	if active >= store.MaxActiveDirectoryTokens {
		return conflict("directory %q already has %d active tokens", t.DirectoryID, active)
	}
	s.tokens[t.ID] = st
	s.tokenByDigest[string(t.Digest)] = t.ID
	s.appendLocked(events)
	return nil
}

// GetDirectoryTokenByDigest returns the token with digest, whatever its state.
func (s *Store) GetDirectoryTokenByDigest(ctx context.Context, digest []byte) (*store.DirectoryToken, error) {
	if err := check(ctx, requireDigest(digest)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return byDigestLocked(s.tokens, s.tokenByDigest, digest, cloneToken, "directory token")
}

// AuthenticateDirectoryToken returns the token with digest, whatever its
// state, and its directory.
func (s *Store) AuthenticateDirectoryToken(ctx context.Context, digest []byte) (*store.DirectoryToken, *store.Directory, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if len(digest) == 0 {
		return nil, nil, invalid("digest is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.tokenByDigest[string(digest)]
	if !ok {
		return nil, nil, notFound("directory token")
	}
	t := cloneToken(s.tokens[id])
	ds, ok := s.dirs[t.DirectoryID]
	if !ok {
		return nil, nil, notFound("directory %q", t.DirectoryID)
	}
	d := ds.dir
	return &t, &d, nil
}

// ListDirectoryTokens returns the directory's tokens, newest first.
func (s *Store) ListDirectoryTokens(ctx context.Context, directoryID string) ([]store.DirectoryToken, error) {
	if err := check(ctx, requireIDs("directory id", directoryID)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return rows(s.tokens, func(t *store.DirectoryToken) bool { return t.DirectoryID == directoryID }, cloneToken,
		newestFirst(func(t *store.DirectoryToken) (time.Time, string) { return t.CreatedAt, t.ID })), nil
}

// RevokeDirectoryToken marks the token revoked at now, keeping an earlier
// revocation. Its events are appended only when the revocation time changed.
func (s *Store) RevokeDirectoryToken(ctx context.Context, id string, now time.Time, events ...store.Event) error {
	if err := check(ctx, requireIDs("directory token id", id), requireTime("now", now), checkEvents(events)); err != nil {
		return err
	}
	now = utc(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch found, changed := revokeLocked(s.tokens, id, now, cloneToken, func(t *store.DirectoryToken) *time.Time { return &t.RevokedAt }); {
	case !found:
		return notFound("directory token %q", id)
	case changed:
		s.appendLocked(events)
	}
	return nil
}

// TouchDirectoryToken records that the token was used at now.
func (s *Store) TouchDirectoryToken(ctx context.Context, id string, now time.Time) error {
	if err := check(ctx, requireIDs("directory token id", id), requireTime("now", now)); err != nil {
		return err
	}
	now = utc(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	touchLocked(s.tokens, id, now, cloneToken, func(t *store.DirectoryToken) *time.Time { return &t.LastUsedAt })
	return nil
}
