package memstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// userSessions keeps end-user sessions by id, with an index by digest.
type userSessions struct {
	byID     map[string]*store.Session
	byDigest map[string]string
}

func cloneUserSession(s *store.Session) store.Session {
	out := *s
	out.Digest = cloneBytes(s.Digest)
	out.Profile = cloneBytes(s.Profile)
	return out
}

// CreateSession stores the end-user session us with its events.
func (s *Store) CreateSession(ctx context.Context, us *store.Session, events ...store.Event) error {
	if err := check(ctx, us.Validate(), checkEvents(events)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[us.OrgID]; !ok {
		return notFound("organization %q", us.OrgID)
	}
	if _, ok := s.users.byID[us.ID]; ok {
		return exists("session %q", us.ID)
	}
	if _, ok := s.users.byDigest[string(us.Digest)]; ok {
		return exists("session digest")
	}
	if c := s.conns[us.ConnectionID]; c == nil || c.OrgID != us.OrgID || c.State != store.ConnectionActive {
		return conflict("connection %q is not an active connection of the organization", us.ConnectionID)
	}
	if us.UserID != "" {
		ds := s.dirs[s.userDir[us.UserID]]
		if ds == nil || ds.dir.OrgID != us.OrgID || ds.users[us.UserID] == nil || !ds.users[us.UserID].Active {
			return conflict("directory user %q is not an active user of the organization", us.UserID)
		}
	}
	if us.EmailDomain != "" {
		d := s.domains[s.verified[us.EmailDomain]]
		if d == nil || d.OrgID != us.OrgID {
			return conflict("domain %q is not verified for the organization", us.EmailDomain)
		}
	}
	c := cloneUserSession(us)
	if err := s.sealer.Load().SealSession(ctx, &c); err != nil {
		return err
	}
	c.CreatedAt, c.LastSeenAt = utc(c.CreatedAt), utc(c.LastSeenAt)
	c.IdleExpiresAt, c.ExpiresAt = utc(c.IdleExpiresAt), utc(c.ExpiresAt)
	if c.IdleExpiresAt.After(c.ExpiresAt) {
		c.IdleExpiresAt = c.ExpiresAt
	}
	if len(c.Profile) == 0 {
		c.Profile = nil
	}
	s.users.byID[c.ID] = &c
	s.users.byDigest[string(c.Digest)] = c.ID
	s.appendLocked(events)
	return nil
}

// GetSession returns the end-user session with this digest.
func (s *Store) GetSession(ctx context.Context, digest []byte, now time.Time) (*store.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(digest) == 0 {
		return nil, invalid("digest is required")
	}
	if err := requireTime("now", now); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.users.byDigest[string(digest)]
	if !ok {
		return nil, notFound("session")
	}
	out := cloneUserSession(s.users.byID[id])
	out.UserRoles = nil
	if out.UserID != "" {
		if ds := s.dirs[s.userDir[out.UserID]]; ds != nil {
			if u := ds.users[out.UserID]; u != nil && u.OrgID == out.OrgID {
				out.UserRoles = slices.Clone(u.Roles)
			}
		}
	}
	if err := s.sealer.Load().OpenSession(ctx, &out); err != nil {
		return nil, err
	}
	switch {
	case !out.EndedAt.IsZero():
		return &out, store.ErrRevoked
	case !out.Active(now):
		return &out, store.ErrExpired
	}
	return &out, nil
}

// TouchSession records a use of the session and moves its idle expiry.
func (s *Store) TouchSession(ctx context.Context, id string, now, idleExpiresAt time.Time) error {
	if err := check(ctx, requireIDs("session id", id), requireTime("now", now), requireTime("idle expiry", idleExpiresAt)); err != nil {
		return err
	}
	now, idleExpiresAt = utc(now), utc(idleExpiresAt)
	s.mu.Lock()
	defer s.mu.Unlock()
	us, ok := s.users.byID[id]
	if !ok || !us.Active(now) {
		return nil
	}
	if now.After(us.LastSeenAt) {
		us.LastSeenAt = now
	}
	if idleExpiresAt.After(us.ExpiresAt) {
		idleExpiresAt = us.ExpiresAt
	}
	if idleExpiresAt.After(us.IdleExpiresAt) {
		us.IdleExpiresAt = idleExpiresAt
	}
	return nil
}

// EndSessions ends the active sessions sel selects.
func (s *Store) EndSessions(ctx context.Context, sel store.SessionSelector, end store.SessionEnd) (int, error) {
	if err := check(ctx, sel.Validate(), end.Validate()); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endSessionsLocked(sel.Match, end), nil
}

// endSessionsLocked ends the active sessions match selects, appending their
// events, in id order.
func (s *Store) endSessionsLocked(match func(*store.Session) bool, end store.SessionEnd) int {
	end.At = utc(end.At)
	var ids []string
	for id, us := range s.users.byID {
		if us.EndedAt.IsZero() && match(us) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		us := s.users.byID[id]
		us.EndedAt, us.EndReason = end.At, end.Reason
		e := store.SessionEndedEvent(us, end)
		s.appendLocked([]store.Event{e})
	}
	return len(ids)
}

// ListSessions returns the sessions sel selects that have not ended.
func (s *Store) ListSessions(ctx context.Context, sel store.SessionSelector) ([]store.Session, error) {
	if err := check(ctx, sel.Validate()); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sealer := s.sealer.Load()
	var out []store.Session
	for _, us := range s.users.byID {
		if us.EndedAt.IsZero() && sel.Match(us) {
			c := cloneUserSession(us)
			if err := sealer.OpenSession(ctx, &c); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b store.Session) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// deleteUserSessionLocked removes one end-user session.
func (s *Store) deleteUserSessionLocked(id string) {
	if us, ok := s.users.byID[id]; ok {
		delete(s.users.byDigest, string(us.Digest))
		delete(s.users.byID, id)
	}
}
