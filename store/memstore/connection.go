package memstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// CreateConnection stores c with its events.
func (s *Store) CreateConnection(ctx context.Context, c *store.Connection, events ...store.Event) error {
	if err := check(ctx, c.Validate(), checkEvents(events)); err != nil {
		return err
	}
	stored := storeConn(c)
	if err := s.sealer.Load().SealConnection(ctx, stored, nil); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[c.OrgID]; !ok {
		return notFound("organization %q", c.OrgID)
	}
	if _, ok := s.conns[c.ID]; ok {
		return exists("connection %q", c.ID)
	}
	stored.Version = 1
	s.conns[c.ID] = stored
	c.Version = 1
	s.appendLocked(events)
	return nil
}

// GetConnection returns the connection with id.
func (s *Store) GetConnection(ctx context.Context, id string) (*store.Connection, error) {
	if err := check(ctx, requireIDs("connection id", id)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conns[id]
	if !ok {
		return nil, notFound("connection %q", id)
	}
	return s.openConn(ctx, c)
}

// openConn returns a copy of the stored connection c with its secrets
// opened.
func (s *Store) openConn(ctx context.Context, c *store.Connection) (*store.Connection, error) {
	out := cloneConn(c)
	if err := s.sealer.Load().OpenConnection(ctx, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// openConns returns opened copies of the stored connections that keep
// returns true for, ordered by cmp.
func (s *Store) openConns(ctx context.Context, keep func(*store.Connection) bool, cmp func(a, b store.Connection) int) ([]store.Connection, error) {
	var out []store.Connection
	for _, c := range s.conns {
		if keep(c) {
			o, err := s.openConn(ctx, c)
			if err != nil {
				return nil, err
			}
			out = append(out, *o)
		}
	}
	slices.SortFunc(out, cmp)
	return out, nil
}

func connCmp(a, b store.Connection) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// ListConnections returns the organization's connections ordered by
// (CreatedAt, ID).
func (s *Store) ListConnections(ctx context.Context, orgID string) ([]store.Connection, error) {
	if err := check(ctx, requireIDs("organization id", orgID)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.openConns(ctx, func(c *store.Connection) bool { return c.OrgID == orgID }, connCmp)
}

// ListConnectionsByProtocol returns every connection of protocol p ordered by
// ID.
func (s *Store) ListConnectionsByProtocol(ctx context.Context, p store.Protocol) ([]store.Connection, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !p.Valid() {
		return nil, invalid("unknown protocol %q", p)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.openConns(ctx, func(c *store.Connection) bool { return c.Protocol == p },
		func(a, b store.Connection) int { return strings.Compare(a.ID, b.ID) })
}

// UpdateConnection applies fn to a copy of the connection and stores the
// result with fn's events.
func (s *Store) UpdateConnection(ctx context.Context, id string, fn func(*store.Connection) ([]store.Event, error)) (*store.Connection, error) {
	if err := check(ctx, requireIDs("connection id", id)); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, invalid("nil update function")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.conns[id]
	if !ok {
		return nil, notFound("connection %q", id)
	}
	cur, err := s.openConn(ctx, old)
	if err != nil {
		return nil, err
	}
	c := *cur
	events, err := fn(&c)
	if err != nil {
		return nil, err
	}
	if c.ID != old.ID || c.OrgID != old.OrgID || !c.CreatedAt.Equal(old.CreatedAt) || c.Version != old.Version {
		return nil, invalid("connection: id, organization, creation time and version cannot change")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := checkEvents(events); err != nil {
		return nil, err
	}
	stored := storeConn(&c)
	if err := s.sealer.Load().SealConnection(ctx, stored, old); err != nil {
		return nil, err
	}
	stored.Version = old.Version + 1
	s.conns[id] = stored
	s.appendLocked(events)
	if old.State == store.ConnectionActive && stored.State != store.ConnectionActive {
		s.endSessionsLocked(func(us *store.Session) bool { return us.ConnectionID == id },
			store.CauseEnd(store.SessionEndedConnectionDeactivated, events, stored.UpdatedAt))
	}
	return s.openConn(ctx, stored)
}

// DeleteConnection removes the connection; its events are appended only when
// it existed.
func (s *Store) DeleteConnection(ctx context.Context, id string, events ...store.Event) error {
	if err := check(ctx, requireIDs("connection id", id), checkEvents(events)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[id]; !ok {
		return nil
	}
	delete(s.conns, id)
	s.appendLocked(events)
	s.endSessionsLocked(func(us *store.Session) bool { return us.ConnectionID == id },
		store.CauseEnd(store.SessionEndedConnectionDeleted, events, time.Time{}))
	return nil
}
