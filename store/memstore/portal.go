package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// CreatePortalLink stores l with its events.
func (s *Store) CreatePortalLink(ctx context.Context, l *store.PortalLink, events ...store.Event) error {
	if err := check(ctx, l.Validate(), checkEvents(events)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[l.OrgID]; !ok {
		return notFound("organization %q", l.OrgID)
	}
	if _, ok := s.links[l.ID]; ok {
		return exists("portal link %q", l.ID)
	}
	if _, ok := s.linkByDigest[string(l.Digest)]; ok {
		return exists("portal link digest")
	}
	s.links[l.ID] = storeLink(l)
	s.linkByDigest[string(l.Digest)] = l.ID
	s.appendLocked(events)
	return nil
}

// GetPortalLink returns the link with id.
func (s *Store) GetPortalLink(ctx context.Context, id string) (*store.PortalLink, error) {
	if err := check(ctx, requireIDs("portal link id", id)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.links[id]
	if !ok {
		return nil, notFound("portal link %q", id)
	}
	out := cloneLink(l)
	return &out, nil
}

// GetPortalLinkByDigest returns the link with this token digest.
func (s *Store) GetPortalLinkByDigest(ctx context.Context, digest []byte) (*store.PortalLink, error) {
	if err := check(ctx, requireDigest(digest)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return byDigestLocked(s.links, s.linkByDigest, digest, cloneLink, "portal link")
}

// ListPortalLinks returns the organization's links, newest first.
func (s *Store) ListPortalLinks(ctx context.Context, orgID string) ([]store.PortalLink, error) {
	if err := check(ctx, requireIDs("organization id", orgID)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return rows(s.links, func(l *store.PortalLink) bool { return l.OrgID == orgID }, cloneLink,
		newestFirst(func(l *store.PortalLink) (time.Time, string) { return l.CreatedAt, l.ID })), nil
}

// RevokePortalLink marks the link revoked at now, keeping an earlier
// revocation. Its events are appended only when the link was not revoked.
func (s *Store) RevokePortalLink(ctx context.Context, id string, now time.Time, events ...store.Event) error {
	if err := check(ctx, requireIDs("portal link id", id), requireTime("now", now), checkEvents(events)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.links[id]
	if !ok {
		return notFound("portal link %q", id)
	}
	if !l.RevokedAt.IsZero() {
		return nil
	}
	c := cloneLink(l)
	c.RevokedAt = utc(now)
	s.links[id] = &c
	for sid, ps := range s.sessions {
		if ps.LinkID == id {
			s.deleteSessionLocked(sid)
		}
	}
	s.appendLocked(events)
	return nil
}

// RedeemPortalLink exchanges the link with digest for the new session ps.
func (s *Store) RedeemPortalLink(ctx context.Context, digest []byte, now time.Time, ps *store.PortalSession, events ...store.Event) (*store.PortalSession, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(digest) == 0 {
		return nil, invalid("digest is required")
	}
	if err := requireTime("now", now); err != nil {
		return nil, err
	}
	if err := ps.Validate(); err != nil {
		return nil, err
	}
	if err := checkEvents(events); err != nil {
		return nil, err
	}
	now = utc(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.linkByDigest[string(digest)]
	if !ok {
		return nil, notFound("portal link")
	}
	l := s.links[id]
	switch {
	case !l.RevokedAt.IsZero():
		return nil, store.ErrRevoked
	case !l.ExpiresAt.After(now):
		return nil, store.ErrExpired
	case l.Kind == store.LinkEmbedded && !l.UsedAt.IsZero():
		return nil, store.ErrUsed
	}
	if _, ok := s.sessions[ps.ID]; ok {
		return nil, exists("portal session %q", ps.ID)
	}
	if _, ok := s.sessionByDigest[string(ps.Digest)]; ok {
		return nil, exists("portal session digest")
	}
	if l.UsedAt.IsZero() {
		c := cloneLink(l)
		c.UsedAt = now
		s.links[id] = &c
	}
	stored := cloneSession(ps)
	stored.OrgID = l.OrgID
	stored.LinkID = l.ID
	stored.Features = slices.Clone(l.Features)
	stored.CreatedAt, stored.ExpiresAt = utc(stored.CreatedAt), utc(stored.ExpiresAt)
	s.sessions[stored.ID] = &stored
	s.sessionByDigest[string(stored.Digest)] = stored.ID
	s.appendLocked(events)
	out := cloneSession(&stored)
	return &out, nil
}

// GetPortalSession returns the session with digest, or ErrExpired when it
// expired at or before now.
func (s *Store) GetPortalSession(ctx context.Context, digest []byte, now time.Time) (*store.PortalSession, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(digest) == 0 {
		return nil, invalid("digest is required")
	}
	if err := requireTime("now", now); err != nil {
		return nil, err
	}
	now = utc(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.sessionByDigest[string(digest)]
	if !ok {
		return nil, notFound("portal session")
	}
	ps := s.sessions[id]
	if !ps.ExpiresAt.After(now) {
		return nil, store.ErrExpired
	}
	out := cloneSession(ps)
	return &out, nil
}

// DeletePortalSession removes the session with id; its events are appended
// only when the session existed.
func (s *Store) DeletePortalSession(ctx context.Context, id string, events ...store.Event) error {
	if err := check(ctx, requireIDs("portal session id", id), checkEvents(events)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sessions[id]; !ok {
		return nil
	}
	s.deleteSessionLocked(id)
	s.appendLocked(events)
	return nil
}

// DeletePortalSessions removes every session of the organization and
// appends events.
func (s *Store) DeletePortalSessions(ctx context.Context, orgID string, events ...store.Event) (int, error) {
	if err := check(ctx, requireIDs("organization id", orgID), checkEvents(events)); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, ps := range s.sessions {
		if ps.OrgID == orgID {
			s.deleteSessionLocked(id)
			n++
		}
	}
	s.appendLocked(events)
	return n, nil
}

func (s *Store) deleteSessionLocked(id string) {
	if ps, ok := s.sessions[id]; ok {
		delete(s.sessionByDigest, string(ps.Digest))
		delete(s.sessions, id)
	}
}

func (s *Store) deleteLinkLocked(id string) {
	if l, ok := s.links[id]; ok {
		delete(s.linkByDigest, string(l.Digest))
		delete(s.links, id)
	}
}
