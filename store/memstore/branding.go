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
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
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

// DeleteBranding removes the branding of scope.
func (s *Store) DeleteBranding(ctx context.Context, scope string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.branding, scope)
	return nil
}
