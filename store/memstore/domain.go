package memstore

import (
	"context"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// CreateDomain stores d with its events.
func (s *Store) CreateDomain(ctx context.Context, d *store.Domain, events ...store.Event) error {
	if err := check(ctx, d.Validate(), checkEvents(events)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[d.OrgID]; !ok {
		return notFound("organization %q", d.OrgID)
	}
	if _, ok := s.domains[d.ID]; ok {
		return exists("domain %q", d.ID)
	}
	for _, o := range s.domains {
		if o.OrgID == d.OrgID && o.Name == d.Name {
			return exists("organization %q already has domain %q", d.OrgID, d.Name)
		}
	}
	if d.State == store.DomainVerified {
		if _, ok := s.verified[d.Name]; ok {
			return conflict("domain %q is verified by another organization", d.Name)
		}
		s.verified[d.Name] = d.ID
	}
	s.domains[d.ID] = storeDomain(d)
	s.appendLocked(events)
	return nil
}

// GetDomain returns the domain with id.
func (s *Store) GetDomain(ctx context.Context, id string) (*store.Domain, error) {
	if err := check(ctx, requireIDs("domain id", id)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.domains[id]
	if !ok {
		return nil, notFound("domain %q", id)
	}
	c := cloneDomain(d)
	return &c, nil
}

// GetVerifiedDomain returns the verified domain with this exact name.
func (s *Store) GetVerifiedDomain(ctx context.Context, name string) (*store.Domain, error) {
	if err := check(ctx, requireIDs("domain name", name)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.verified[name]
	if !ok {
		return nil, notFound("verified domain %q", name)
	}
	c := cloneDomain(s.domains[id])
	return &c, nil
}

// ListDomains returns the organization's domains ordered by name.
func (s *Store) ListDomains(ctx context.Context, orgID string) ([]store.Domain, error) {
	if err := check(ctx, requireIDs("organization id", orgID)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return rows(s.domains, func(d *store.Domain) bool { return d.OrgID == orgID }, cloneDomain,
		func(a, b store.Domain) int { return strings.Compare(a.Name, b.Name) }), nil
}

// ListDomainsByName returns every organization's claim on name, ordered by
// CreatedAt (then id).
func (s *Store) ListDomainsByName(ctx context.Context, name string) ([]store.Domain, error) {
	if err := check(ctx, requireIDs("domain name", name)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return rows(s.domains, func(d *store.Domain) bool { return d.Name == name }, cloneDomain,
		oldestFirst(func(d *store.Domain) (time.Time, string) { return d.CreatedAt, d.ID })), nil
}

// ListDomainsDue returns up to limit domains whose NextCheckAt is set and at
// or before now, oldest first. A limit <= 0 means 100.
func (s *Store) ListDomainsDue(ctx context.Context, now time.Time, limit int) ([]store.Domain, error) {
	if err := check(ctx, requireTime("now", now)); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	now = utc(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := rows(s.domains, func(d *store.Domain) bool { return !d.NextCheckAt.IsZero() && !d.NextCheckAt.After(now) }, cloneDomain,
		oldestFirst(func(d *store.Domain) (time.Time, string) { return d.NextCheckAt, d.ID }))
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// UpdateDomain applies fn to a copy of the domain and stores the result with
// fn's events.
func (s *Store) UpdateDomain(ctx context.Context, id string, fn func(*store.Domain) ([]store.Event, error)) (*store.Domain, error) {
	if err := check(ctx, requireIDs("domain id", id)); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, invalid("nil update function")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.domains[id]
	if !ok {
		return nil, notFound("domain %q", id)
	}
	d := cloneDomain(old)
	events, err := fn(&d)
	if err != nil {
		return nil, err
	}
	if d.ID != old.ID || d.OrgID != old.OrgID || d.Name != old.Name || !d.CreatedAt.Equal(old.CreatedAt) {
		return nil, invalid("domain: id, organization, name and creation time cannot change")
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := checkEvents(events); err != nil {
		return nil, err
	}
	if d.State == store.DomainVerified {
		if holder, taken := s.verified[d.Name]; taken && holder != id {
			return nil, conflict("domain %q is verified by another organization", d.Name)
		}
		s.verified[d.Name] = id
	} else if s.verified[d.Name] == id {
		delete(s.verified, d.Name)
	}
	stored := storeDomain(&d)
	s.domains[id] = stored
	s.appendLocked(events)
	if old.State == store.DomainVerified && stored.State != store.DomainVerified {
		s.endDomainSessionsLocked(stored, events, stored.UpdatedAt)
	}
	out := cloneDomain(stored)
	return &out, nil
}

// DeleteDomain removes the domain; its events are appended only when it
// existed.
func (s *Store) DeleteDomain(ctx context.Context, id string, events ...store.Event) error {
	if err := check(ctx, requireIDs("domain id", id), checkEvents(events)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.domains[id]
	if !ok {
		return nil
	}
	s.deleteDomainLocked(id)
	s.appendLocked(events)
	if d.State == store.DomainVerified {
		s.endDomainSessionsLocked(d, events, time.Time{})
	}
	return nil
}

// endDomainSessionsLocked ends the sessions of d's organization whose email
// domain is d, which has stopped being verified.
func (s *Store) endDomainSessionsLocked(d *store.Domain, events []store.Event, now time.Time) {
	name := strings.ToLower(d.Name)
	s.endSessionsLocked(func(us *store.Session) bool { return us.OrgID == d.OrgID && us.EmailDomain == name },
		store.CauseEnd(store.SessionEndedDomainUnverified, events, now))
}

func (s *Store) deleteDomainLocked(id string) {
	d := s.domains[id]
	if d == nil {
		return
	}
	if s.verified[d.Name] == id {
		delete(s.verified, d.Name)
	}
	delete(s.domains, id)
}
