package memstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// CreateOrganization stores o with its events.
func (s *Store) CreateOrganization(ctx context.Context, o *store.Organization, events ...store.Event) error {
	if err := check(ctx, o.Validate(), checkEvents(events)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[o.ID]; ok {
		return exists("organization %q", o.ID)
	}
	if o.ExternalID != "" {
		if _, ok := s.orgByExt[o.ExternalID]; ok {
			return exists("organization external id %q", o.ExternalID)
		}
		s.orgByExt[o.ExternalID] = o.ID
	}
	s.orgs[o.ID] = storeOrg(o)
	s.appendLocked(events)
	return nil
}

// GetOrganization returns the organization with id.
func (s *Store) GetOrganization(ctx context.Context, id string) (*store.Organization, error) {
	if err := check(ctx, requireIDs("organization id", id)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgs[id]
	if !ok {
		return nil, notFound("organization %q", id)
	}
	c := cloneOrg(o)
	return &c, nil
}

// GetOrganizationByExternalID returns the organization with this external id.
func (s *Store) GetOrganizationByExternalID(ctx context.Context, externalID string) (*store.Organization, error) {
	if err := check(ctx, requireIDs("external id", externalID)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.orgByExt[externalID]
	if !ok {
		return nil, notFound("organization with external id %q", externalID)
	}
	c := cloneOrg(s.orgs[id])
	return &c, nil
}

// UpdateOrganization applies fn to a copy of the organization and stores the
// result with fn's events.
func (s *Store) UpdateOrganization(ctx context.Context, id string, fn func(*store.Organization) ([]store.Event, error)) (*store.Organization, error) {
	if err := check(ctx, requireIDs("organization id", id)); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, invalid("nil update function")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.orgs[id]
	if !ok {
		return nil, notFound("organization %q", id)
	}
	o := cloneOrg(old)
	events, err := fn(&o)
	if err != nil {
		return nil, err
	}
	if o.ID != old.ID || !o.CreatedAt.Equal(old.CreatedAt) {
		return nil, invalid("organization: id and creation time cannot change")
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := checkEvents(events); err != nil {
		return nil, err
	}
	if o.ExternalID != "" && o.ExternalID != old.ExternalID {
		if _, taken := s.orgByExt[o.ExternalID]; taken {
			return nil, exists("organization external id %q", o.ExternalID)
		}
	}
	if old.ExternalID != "" {
		delete(s.orgByExt, old.ExternalID)
	}
	if o.ExternalID != "" {
		s.orgByExt[o.ExternalID] = id
	}
	stored := storeOrg(&o)
	s.orgs[id] = stored
	s.appendLocked(events)
	out := cloneOrg(stored)
	return &out, nil
}

// ListOrganizations returns a page of organizations ordered by (CreatedAt, ID).
func (s *Store) ListOrganizations(ctx context.Context, q store.OrganizationQuery) ([]store.Organization, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	search := strings.ToLower(q.Search)
	s.mu.Lock()
	defer s.mu.Unlock()
	var after *store.Organization
	if q.After != "" {
		a, ok := s.orgs[q.After]
		if !ok {
			return nil, false, notFound("organization %q to list after", q.After)
		}
		after = a
	}
	var all []*store.Organization
	for _, o := range s.orgs {
		if after != nil && orgCmp(o, after) <= 0 {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(o.Name), search) &&
			!strings.Contains(strings.ToLower(o.ID), search) &&
			!strings.Contains(strings.ToLower(o.ExternalID), search) {
			continue
		}
		all = append(all, o)
	}
	slices.SortFunc(all, orgCmp)
	more := len(all) > limit
	if more {
		all = all[:limit]
	}
	out := make([]store.Organization, len(all))
	for i, o := range all {
		out[i] = cloneOrg(o)
	}
	return out, more, nil
}

func orgCmp(a, b *store.Organization) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// DeleteOrganization removes the organization and everything that belongs to
// it. Its events are appended only when the organization existed.
func (s *Store) DeleteOrganization(ctx context.Context, id string, events ...store.Event) error {
	if err := check(ctx, requireIDs("organization id", id), checkEvents(events)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgs[id]
	if !ok {
		return nil
	}
	s.endSessionsLocked(func(us *store.Session) bool { return us.OrgID == id },
		store.CauseEnd(store.SessionEndedOrganizationDeleted, events, time.Time{}))
	for sid, us := range s.users.byID {
		if us.OrgID == id {
			s.deleteUserSessionLocked(sid)
		}
	}
	for did, d := range s.domains {
		if d.OrgID == id {
			s.deleteDomainLocked(did)
		}
	}
	for cid, c := range s.conns {
		if c.OrgID == id {
			delete(s.conns, cid)
		}
	}
	for lid, l := range s.links {
		if l.OrgID == id {
			s.deleteLinkLocked(lid)
		}
	}
	for sid, ps := range s.sessions {
		if ps.OrgID == id {
			s.deleteSessionLocked(sid)
		}
	}
	for did, ds := range s.dirs {
		if ds.dir.OrgID == id {
			s.deleteDirectoryLocked(did)
		}
	}
	delete(s.roleMaps, id)
	delete(s.attrMaps, id)
	delete(s.staleRoles, id)
	delete(s.policies, id)
	delete(s.deprovisioned, id)
	for rid, r := range s.logins {
		if r.OrgID == id {
			delete(s.logins, rid)
		}
	}
	delete(s.branding, id)
	if o.ExternalID != "" {
		delete(s.orgByExt, o.ExternalID)
	}
	delete(s.orgs, id)
	s.appendLocked(events)
	return nil
}

// OrganizationSetups counts the connections, directories and domains of
// orgIDs by state.
func (s *Store) OrganizationSetups(ctx context.Context, orgIDs []string) (map[string]store.OrganizationSetup, error) {
	if err := store.ValidateSetupOrganizations(orgIDs); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]store.OrganizationSetup, len(orgIDs))
	for _, id := range orgIDs {
		out[id] = store.OrganizationSetup{}
	}
	for _, c := range s.conns {
		if o, ok := out[c.OrgID]; ok {
			o.Connections = store.AddCount(o.Connections, c.State, 1)
			out[c.OrgID] = o
		}
	}
	for _, d := range s.dirs {
		if o, ok := out[d.dir.OrgID]; ok {
			o.Directories = store.AddCount(o.Directories, d.dir.State, 1)
			out[d.dir.OrgID] = o
		}
	}
	for _, d := range s.domains {
		if o, ok := out[d.OrgID]; ok {
			o.Domains = store.AddCount(o.Domains, d.State, 1)
			out[d.OrgID] = o
		}
	}
	return out, nil
}
