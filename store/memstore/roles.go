package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// staleKey names a directory user whose roles await RecomputeRoles.
type staleKey struct{ dir, user string }

// sortMappings orders mappings by (Source, Value, Role).
func sortMappings(ms []store.RoleMapping) {
	slices.SortFunc(ms, func(a, b store.RoleMapping) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Value, b.Value), cmp.Compare(a.Role, b.Role))
	})
}

// SetRoleMappings replaces the organization's mappings and marks stale the
// members of the groups whose mapped roles change.
func (s *Store) SetRoleMappings(ctx context.Context, orgID string, m []store.RoleMapping, events ...store.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := requireIDs("organization id", orgID); err != nil {
		return err
	}
	if err := store.ValidateRoleMappings(orgID, m); err != nil {
		return err
	}
	next := slices.Clone(m)
	sortMappings(next)
	next = slices.Compact(next)
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[orgID]; !ok {
		return notFound("organization %q", orgID)
	}
	affected := store.AffectedGroups(s.roleMaps[orgID], next)
	if s.staleRoles[orgID] == nil {
		s.staleRoles[orgID] = map[staleKey]struct{}{}
	}
	for _, ds := range s.dirs {
		if ds.dir.OrgID != orgID {
			continue
		}
		for _, gid := range affected {
			for uid := range ds.members[gid] {
				if _, ok := ds.users[uid]; ok {
					s.staleRoles[orgID][staleKey{ds.dir.ID, uid}] = struct{}{}
				}
			}
		}
	}
	if len(next) == 0 {
		delete(s.roleMaps, orgID)
	} else {
		s.roleMaps[orgID] = next
	}
	s.appendLocked(events)
	return nil
}

// ListRoleMappings returns the organization's mappings.
func (s *Store) ListRoleMappings(ctx context.Context, orgID string) ([]store.RoleMapping, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.roleMaps[orgID]), nil
}

// RecomputeRoles recomputes the roles of up to limit stale users of the
// organization.
func (s *Store) RecomputeRoles(ctx context.Context, orgID string, limit int, actor string, at time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := requireIDs("organization id", orgID); err != nil {
		return 0, err
	}
	if limit <= 0 {
		return 0, invalid("limit must be positive")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	stale := s.staleRoles[orgID]
	keys := make([]staleKey, 0, len(stale))
	for k := range stale {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b staleKey) int { return cmp.Or(cmp.Compare(a.dir, b.dir), cmp.Compare(a.user, b.user)) })
	keys = keys[:min(limit, len(keys))]
	var evs []store.Event
	for _, k := range keys {
		if ds, ok := s.dirs[k.dir]; ok {
			evs = append(evs, s.recomputeLocked(ds, []string{k.user}, false, actor, at)...)
		}
		delete(stale, k)
	}
	s.appendLocked(evs)
	return len(stale), nil
}

// recomputeLocked recomputes the roles of the users among ids (other ids
// are skipped), clears their stale mark and returns the events of those
// whose effective roles changed. toggled says the write being made
// activated or deactivated them: they were active if they are not now.
func (s *Store) recomputeLocked(ds *dirState, ids []string, toggled bool, actor string, at time.Time) []store.Event {
	maps := s.roleMaps[ds.dir.OrgID]
	def := store.DefaultRole(maps)
	var evs []store.Event
	for _, id := range ids {
		u, ok := ds.users[id]
		if !ok {
			continue
		}
		delete(s.staleRoles[ds.dir.OrgID], staleKey{ds.dir.ID, id})
		var groups []string
		for gid := range ds.memberOf[id] {
			groups = append(groups, gid)
		}
		roles := store.ComputeRoles(u.Active, groups, maps)
		old := u.Roles
		u.Roles = roles
		before := store.EffectiveRoles(u.Active != toggled, old, def)
		if after := store.EffectiveRoles(u.Active, roles, def); !slices.Equal(before, after) {
			evs = append(evs, store.RolesChangedEvent(u, before, after, actor, at))
		}
	}
	return evs
}

// recomputeForLocked is recomputeLocked with the actor and time taken from
// the write's events.
func (s *Store) recomputeForLocked(ds *dirState, ids []string, toggled bool, events []store.Event) []store.Event {
	actor, at := store.RolesCause(events)
	return s.recomputeLocked(ds, ids, toggled, actor, at)
}

// GetProvisioningPolicy returns the organization's policy, the zero one
// when none was stored.
func (s *Store) GetProvisioningPolicy(ctx context.Context, orgID string) (*store.ProvisioningPolicy, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := requireIDs("organization id", orgID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[orgID]; !ok {
		return nil, notFound("organization %q", orgID)
	}
	return s.policyLocked(orgID), nil
}

func (s *Store) policyLocked(orgID string) *store.ProvisioningPolicy {
	if p, ok := s.policies[orgID]; ok {
		return &p
	}
	return &store.ProvisioningPolicy{OrgID: orgID}
}

// PutProvisioningPolicy creates or replaces the organization's policy.
func (s *Store) PutProvisioningPolicy(ctx context.Context, p *store.ProvisioningPolicy, events ...store.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[p.OrgID]; !ok {
		return notFound("organization %q", p.OrgID)
	}
	cp := *p
	cp.UpdatedAt = utc(cp.UpdatedAt)
	s.policies[p.OrgID] = cp
	s.appendLocked(events)
	return nil
}
