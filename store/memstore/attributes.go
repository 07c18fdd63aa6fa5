package memstore

import (
	"cmp"
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

// UpdateCustomValues visits up to limit users of the directory after the
// key after, in creation order, and writes the custom values fn changes.
func (s *Store) UpdateCustomValues(ctx context.Context, directoryID string, after store.UserKey, limit int, fn func(u *store.DirectoryUser) ([]store.Event, error)) (store.UserKey, int, error) {
	if err := ctx.Err(); err != nil {
		return store.UserKey{}, 0, err
	}
	if err := requireIDs("directory id", directoryID); err != nil {
		return store.UserKey{}, 0, err
	}
	if limit <= 0 {
		return store.UserKey{}, 0, invalid("limit must be positive")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[directoryID]
	if !ok {
		return store.UserKey{}, 0, notFound("directory %q", directoryID)
	}
	var page []*store.DirectoryUser
	for _, u := range ds.users {
		if after == (store.UserKey{}) || store.KeyOf(u).After(after) {
			page = append(page, u)
		}
	}
	slices.SortFunc(page, func(a, b *store.DirectoryUser) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	page = page[:min(limit, len(page))]
	// fn sees copies; the changes are applied once every call succeeded.
	changed := make([]store.DirectoryUser, 0, len(page))
	var evs []store.Event
	for _, u := range page {
		cp := cloneUser(u)
		cp.Version++
		e, err := fn(&cp)
		if err != nil {
			return store.UserKey{}, 0, err
		}
		if cp.Custom.Equal(u.Custom) {
			continue
		}
		if err := cp.Custom.Validate(); err != nil {
			return store.UserKey{}, 0, err
		}
		if err := checkEvents(e); err != nil {
			return store.UserKey{}, 0, err
		}
		changed = append(changed, cp)
		evs = append(evs, e...)
	}
	for _, cp := range changed {
		u := ds.users[cp.ID]
		u.Custom = cp.Custom.Clone()
		u.Version = cp.Version
		u.UpdatedAt = utc(cp.UpdatedAt)
	}
	s.appendLocked(evs)
	if len(page) == 0 {
		return store.UserKey{}, 0, nil
	}
	return store.KeyOf(page[len(page)-1]), len(page), nil
}
