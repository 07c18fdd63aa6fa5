package scimkit

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/store"
)

const maxUpdateAttempts = 10

func (s *Server) respondUser(w http.ResponseWriter, r *http.Request, d *store.Directory, u *store.DirectoryUser, status int) {
	p := parseProjection(s.users, r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes"))
	s.respond(w, r, status, u.Version, s.userLocation(d, u.ID), func(b *bytes.Buffer) error { return s.writeUser(b, d, u, p) })
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, d *store.Directory, id string) {
	u, err := s.st.GetDirectoryUser(r.Context(), d.ID, id)
	if s.fresh(w, r, err, func() int64 { return u.Version }) {
		s.respondUser(w, r, d, u, http.StatusOK)
	}
}

// readUser reads the User resource of a POST or PUT (see readResource)
// and the custom attribute mappings of d's organization; on failure it
// has answered.
func (s *Server) readUser(w http.ResponseWriter, r *http.Request, d *store.Directory) (map[string]any, []store.AttributeMapping, bool) {
	_, attrs, ok := s.readResource(w, r, s.users, s.maxBody)
	if !ok {
		return nil, nil, false
	}
	ms, err := s.customMappings(r.Context(), d)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	return attrs, ms, true
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, d *store.Directory) {
	attrs, ms, ok := s.readUser(w, r, d)
	if !ok {
		return
	}
	now := s.stamp()
	u := &store.DirectoryUser{DirectoryID: d.ID, OrgID: d.OrgID, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.applyUser(r.Context(), ms, attrs, u, true); err != nil {
		s.fail(w, r, err)
		return
	}
	var err error
	if u.ID, err = s.newID("usr"); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.judgeDomains(r.Context(), d, u, nil); err != nil {
		s.fail(w, r, err)
		return
	}
	ids, err := s.prepare(r.Context(), &Change{Kind: UserCreate, Directory: d, User: cloneUser(u)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ev := s.event(ids, EventUserCreated, d.OrgID, u.ID, actorOf(d), userData(u))
	if err := s.st.CreateDirectoryUser(r.Context(), u, ev); err != nil {
		s.fail(w, r, err)
		return
	}
	s.respondUser(w, r, d, u, http.StatusCreated)
}

func (s *Server) replaceUser(w http.ResponseWriter, r *http.Request, d *store.Directory, id string) {
	attrs, ms, ok := s.readUser(w, r, d)
	if !ok {
		return
	}
	u, err := s.updateUser(r, d, id, func(cur *store.DirectoryUser) error {
		a := cloneMap(attrs)
		return s.applyUser(r.Context(), ms, a, cur, false)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.respondUser(w, r, d, u, http.StatusOK)
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request, d *store.Directory, id string) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	ops, err := parsePatch(body, s.maxOps)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ms, err := s.customMappings(r.Context(), d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.updateUser(r, d, id, func(cur *store.DirectoryUser) error {
		if len(ops) == 0 {
			return nil
		}
		res, err := decodeAttrs(cur.Attributes)
		if err != nil {
			return err
		}
		if err := s.users.applyPatch(res, ops); err != nil {
			return err
		}
		attrs, err := s.users.validate(res)
		if err != nil {
			return err
		}
		return s.applyUser(r.Context(), ms, attrs, cur, false)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.respondUser(w, r, d, u, http.StatusOK)
}

// updateUser loads the user, lets change compute the new state on a
// copy, and, when something changed, asks BeforeChange and writes it with
// its event, retrying when another request changed the user meanwhile
// (the write is guarded by the version read).
func (s *Server) updateUser(r *http.Request, d *store.Directory, id string, change func(*store.DirectoryUser) error) (*store.DirectoryUser, error) {
	ctx := r.Context()
	for range maxUpdateAttempts {
		cur, err := matching(r, s.st.GetDirectoryUser, d, id, userVersion)
		if err != nil {
			return nil, err
		}
		next := cloneUser(cur)
		if err := change(next); err != nil {
			return nil, err
		}
		if sameUser(cur, next) {
			return cur, nil // nothing to write, nothing to report
		}
		if cur.Active && !next.Active {
			del, err := s.deletesDeactivated(ctx, d)
			if err != nil {
				return nil, err
			}
			if del {
				// The organization deletes the users its IdP deactivates:
				// answer with the user as deactivated, gone from now on.
				if err := s.removeUser(ctx, d, cur); err != nil {
					return nil, err
				}
				next.Version, next.UpdatedAt, next.Roles = cur.Version+1, s.stamp(), nil
				return next, nil
			}
		}
		if err := s.judgeDomains(ctx, d, next, cur); err != nil {
			return nil, err
		}
		ids, err := s.prepare(ctx, &Change{Kind: UserUpdate, Directory: d, User: cloneUser(next), PreviousUser: cloneUser(cur)})
		if err != nil {
			return nil, err
		}
		now := s.stamp()
		res, err := s.st.UpdateDirectoryUser(ctx, d.ID, id, func(u *store.DirectoryUser) ([]store.Event, error) {
			if u.Version != cur.Version {
				return nil, errStale
			}
			u.UserName, u.ExternalID, u.Active = next.UserName, next.ExternalID, next.Active
			u.DisplayName, u.GivenName, u.FamilyName = next.DisplayName, next.GivenName, next.FamilyName
			u.Emails, u.OutsideDomains, u.Attributes = next.Emails, next.OutsideDomains, next.Attributes
			u.Custom = next.Custom
			u.UpdatedAt = now
			after := cloneUser(u)
			after.Version = u.Version + 1
			return []store.Event{s.event(ids, userChangeType(cur, after), d.OrgID, u.ID, actorOf(d), userData(after))}, nil
		})
		if errors.Is(err, errStale) {
			continue
		}
		return res, err
	}
	return nil, errStale
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, d *store.Directory, id string) {
	cur, err := matching(r, s.st.GetDirectoryUser, d, id, userVersion)
	if err == nil {
		err = s.removeUser(r.Context(), d, cur)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// removeUser deletes cur, the user as last read, with the user.deleted
// event and one membership.removed event per group it was in, once
// BeforeChange agrees. The Store keeps a record of the user's addresses,
// so that it cannot sign in again by just-in-time provisioning.
func (s *Server) removeUser(ctx context.Context, d *store.Directory, cur *store.DirectoryUser) error {
	ids, err := s.prepare(ctx, &Change{Kind: UserDelete, Directory: d, PreviousUser: cloneUser(cur)})
	if err != nil {
		return err
	}
	err = s.st.DeleteDirectoryUser(ctx, d.ID, cur.ID, func(u *store.DirectoryUser, groupIDs []string) []store.Event {
		evs := []store.Event{s.event(ids, EventUserDeleted, d.OrgID, u.ID, actorOf(d), userData(u))}
		for _, g := range groupIDs {
			evs = append(evs, s.event(ids, EventMembershipRemoved, d.OrgID, g, actorOf(d), MembershipData{
				DirectoryID: d.ID, OrganizationID: d.OrgID, GroupID: g, MemberID: u.ID, MemberType: string(store.MemberUser),
			}))
		}
		return evs
	})
	return err
}

// deletesDeactivated reports whether the organization of d deletes the
// users its identity provider deactivates (store.DeprovisionDelete).
func (s *Server) deletesDeactivated(ctx context.Context, d *store.Directory) (bool, error) {
	p, err := s.st.GetProvisioningPolicy(ctx, d.OrgID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return p.Deprovision == store.DeprovisionDelete, nil
}

// stamp returns the current time as the Stores keep it (UTC, whole
// microseconds), so that a resource answered from memory shows the same
// meta.created and meta.lastModified as later reads.
func (s *Server) stamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

func userVersion(u *store.DirectoryUser) int64 { return u.Version }

func cloneUser(u *store.DirectoryUser) *store.DirectoryUser {
	if u == nil {
		return nil
	}
	c := *u
	c.Emails = slices.Clone(u.Emails)
	c.Attributes = bytes.Clone(u.Attributes)
	c.Custom = u.Custom.Clone()
	return &c
}

func sameUser(a, b *store.DirectoryUser) bool {
	return a.UserName == b.UserName && a.ExternalID == b.ExternalID && a.Active == b.Active &&
		a.DisplayName == b.DisplayName && a.GivenName == b.GivenName && a.FamilyName == b.FamilyName &&
		slices.Equal(a.Emails, b.Emails) && a.OutsideDomains == b.OutsideDomains &&
		bytes.Equal(a.Attributes, b.Attributes) && a.Custom.Equal(b.Custom)
}

// applyUser sets u's fields from attrs, a validated User resource (see
// applyUserAttrs), and its custom values through the organization's
// attribute mappings ms.
func (s *Server) applyUser(ctx context.Context, ms []store.AttributeMapping, attrs map[string]any, u *store.DirectoryUser, create bool) error {
	custom, err := s.customValues(ctx, ms, attrs)
	if err != nil {
		return err
	}
	if err := applyUserAttrs(attrs, u, create); err != nil {
		return err
	}
	u.Custom = custom
	return nil
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneMap(x)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = cloneValue(x[i])
		}
		return out
	}
	return v
}

// judgeDomains applies the outside-domains policy to u. The addresses
// judged are the user's emails and its userName when it is an email
// address; a user with none is not outside. prev, when set, lets an
// update skip the lookups if the addresses did not change.
func (s *Server) judgeDomains(ctx context.Context, d *store.Directory, u, prev *store.DirectoryUser) error {
	if prev != nil && prev.UserName == u.UserName && slices.Equal(prev.Emails, u.Emails) {
		u.OutsideDomains = prev.OutsideDomains
		return nil
	}
	// Each address is parsed once: the userName, when it is one, is
	// judged first, and an email that repeats it (as most IdPs send it)
	// has nothing more to tell.
	name, nameErr := domains.ParseEmail(u.UserName)
	addrs := make([]string, 0, len(u.Emails)+1)
	if nameErr == nil {
		addrs = append(addrs, u.UserName)
	}
	for _, e := range u.Emails {
		if nameErr != nil || e.Value != u.UserName {
			addrs = append(addrs, e.Value)
		}
	}
	outside := false
	seen := map[string]bool{}
	for i, a := range addrs {
		e, err := name, nameErr
		if i > 0 || nameErr != nil {
			e, err = domains.ParseEmail(a)
		}
		if err != nil {
			// An email attribute that is not an address cannot be in a
			// verified domain.
			outside = true
			break
		}
		if ok, done := seen[e.Domain]; done {
			if !ok {
				outside = true
				break
			}
			continue
		}
		owner, err := s.domainOwner(ctx, e.Domain)
		if err != nil {
			return err
		}
		seen[e.Domain] = owner == d.OrgID
		if !seen[e.Domain] {
			outside = true
			break
		}
	}
	if !outside {
		u.OutsideDomains = false
		return nil
	}
	// The organization's policy, when it sets one, overrides the
	// Server's.
	action := store.OutsideDomainsMark
	if s.outside == OutsideDomainsRefuse {
		action = store.OutsideDomainsRefuse
	}
	p, err := s.st.GetProvisioningPolicy(ctx, d.OrgID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if p != nil && p.OutsideDomains != store.OutsideDomainsDefault {
		action = p.OutsideDomains
	}
	switch action {
	case store.OutsideDomainsRefuse:
		return &scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidValue,
			Detail: "The user's email address is not in a verified domain of this organization."}
	case store.OutsideDomainsAccept:
		u.OutsideDomains = false
	default:
		u.OutsideDomains = true
	}
	return nil
}

// domainOwner returns the organization that verified domain, "" for none,
// from the cache or the Store.
func (s *Server) domainOwner(ctx context.Context, domain string) (string, error) {
	now := s.now()
	if owner, ok := s.owners.get(domain, now); ok {
		return owner, nil
	}
	owner, gen := "", s.owners.generation()
	dom, err := s.st.GetVerifiedDomain(ctx, domain)
	switch {
	case err == nil:
		owner = dom.OrgID
	case !errors.Is(err, store.ErrNotFound):
		return "", err
	}
	s.owners.put(domain, owner, now, gen)
	return owner, nil
}
