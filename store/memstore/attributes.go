package memstore

import (
	"context"
	"slices"

	"github.com/onboardkit/onboardkit/store"
)

// SetAttributeMappings replaces the organization's attribute mappings.
func (s *Store) SetAttributeMappings(ctx context.Context, orgID string, m []store.AttributeMapping, events ...store.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	next, err := store.ValidateAttributeMappings(orgID, m)
	if err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[orgID]; !ok {
		return notFound("organization %q", orgID)
	}
	if len(next) == 0 {
		delete(s.attrMaps, orgID)
	} else {
		s.attrMaps[orgID] = next
	}
	s.appendLocked(events)
	return nil
}

// ListAttributeMappings returns the organization's attribute mappings.
func (s *Store) ListAttributeMappings(ctx context.Context, orgID string) ([]store.AttributeMapping, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.attrMaps[orgID]), nil
}
