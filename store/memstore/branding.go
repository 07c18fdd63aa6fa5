package memstore

import (
	"context"

	"github.com/onboardkit/onboardkit/store"
)

// GetBranding returns the branding of scope ("" for host-wide).
func (s *Store) GetBranding(ctx context.Context, scope string) (*store.Branding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.branding[scope]
	if !ok {
		return nil, notFound("branding %q", scope)
	}
	out := cloneBranding(b)
	return &out, nil
}

// PutBranding creates or replaces the branding of b.Scope.
func (s *Store) PutBranding(ctx context.Context, b *store.Branding, events ...store.Event) error {
	if err := check(ctx, b.Validate(), checkEvents(events)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.Scope != "" {
		if _, ok := s.orgs[b.Scope]; !ok {
			return notFound("organization %q", b.Scope)
		}
	}
	c := cloneBranding(b)
	c.UpdatedAt = utc(c.UpdatedAt)
	s.branding[b.Scope] = &c
	s.appendLocked(events)
	return nil
}

// UpdateBranding applies fn to a copy of the branding of scope, or to an
// empty Branding of scope when there is none, and stores the result with
// fn's events.
func (s *Store) UpdateBranding(ctx context.Context, scope string, fn func(*store.Branding) ([]store.Event, error)) (*store.Branding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, invalid("nil update function")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if scope != "" {
		if _, ok := s.orgs[scope]; !ok {
			return nil, notFound("organization %q", scope)
		}
	}
	b := store.Branding{Scope: scope}
	if old, ok := s.branding[scope]; ok {
		b = cloneBranding(old)
	}
	events, err := fn(&b)
	if err != nil {
		return nil, err
	}
	if b.Scope != scope {
		return nil, invalid("branding: scope cannot change")
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if err := checkEvents(events); err != nil {
		return nil, err
	}
	c := cloneBranding(&b)
	c.UpdatedAt = utc(c.UpdatedAt)
	s.branding[scope] = &c
	s.appendLocked(events)
	out := cloneBranding(&c)
	return &out, nil
}

// DeleteBranding removes the branding of scope; its events are appended only
// when it existed.
func (s *Store) DeleteBranding(ctx context.Context, scope string, events ...store.Event) error {
	if err := check(ctx, checkEvents(events)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.branding[scope]; !ok {
		return nil
	}
	delete(s.branding, scope)
	s.appendLocked(events)
	return nil
}
