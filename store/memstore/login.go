package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// CreateLoginRequest stores r.
func (s *Store) CreateLoginRequest(ctx context.Context, r *store.LoginRequest) error {
	if err := check(ctx, r.Validate()); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.logins[r.ID]; ok {
		return exists("login request %q", r.ID)
	}
	c := cloneLogin(r)
	c.CreatedAt, c.ExpiresAt = utc(c.CreatedAt), utc(c.ExpiresAt)
	s.logins[r.ID] = &c
	return nil
}

// ConsumeLoginRequest removes and returns the request id if it matches;
// ErrExpired when it expired at or before now (it is removed all the same).
func (s *Store) ConsumeLoginRequest(ctx context.Context, id string, match store.LoginRequestMatch, now time.Time, events ...store.Event) (*store.LoginRequest, error) {
	if err := check(ctx, requireIDs("login request id", id), requireTime("now", now), checkEvents(events)); err != nil {
		return nil, err
	}
	now = utc(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.logins[id]
	if !ok {
		return nil, notFound("login request %q", id)
	}
	if !match.Matches(r) {
		out := cloneLogin(r)
		return &out, mismatch(id)
	}
	delete(s.logins, id)
	if !r.ExpiresAt.After(now) {
		return nil, store.ErrExpired
	}
	s.appendLocked(events)
	out := cloneLogin(r)
	return &out, nil
}

// ConsumeAssertionID records the assertion id of the connection until
// expiresAt; ErrAlreadyExists when it is recorded and not expired at now.
func (s *Store) ConsumeAssertionID(ctx context.Context, connectionID, assertionID string, expiresAt, now time.Time, events ...store.Event) error {
	if err := check(ctx, requireIDs("connection id", connectionID, "assertion id", assertionID), requireTime("expiry", expiresAt), requireTime("now", now), checkEvents(events)); err != nil {
		return err
	}
	now = utc(now)
	k := assertionKey{connectionID, assertionID}
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.assertions[k]; ok && exp.After(now) {
		return exists("assertion id %q of connection %q", assertionID, connectionID)
	}
	s.assertions[k] = utc(expiresAt)
	s.appendLocked(events)
	return nil
}

// CompleteLogin checks the connection's version, consumes the request,
// records the assertion id and appends accept's events, all or nothing.
// accept runs under the Store's lock and must not call the Store.
func (s *Store) CompleteLogin(ctx context.Context, c store.LoginCompletion, accept func(*store.LoginFacts) ([]store.Event, error)) (*store.LoginRequest, error) {
	if err := check(ctx, c.Validate()); err != nil {
		return nil, err
	}
	if accept == nil {
		return nil, invalid("accept function is required")
	}
	now := utc(c.Now)
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ConnectionVersion != 0 {
		if conn, ok := s.conns[c.ConnectionID]; !ok || conn.Version != c.ConnectionVersion {
			return nil, conflict("connection %q is no longer at version %d", c.ConnectionID, c.ConnectionVersion)
		}
	}
	var req *store.LoginRequest
	if c.RequestID != "" {
		r, ok := s.logins[c.RequestID]
		if !ok {
			return nil, notFound("login request %q", c.RequestID)
		}
		if !(store.LoginRequestMatch{ConnectionID: c.ConnectionID, Binding: c.Binding}).Matches(r) {
			out := cloneLogin(r)
			return &out, mismatch(c.RequestID)
		}
		if !r.ExpiresAt.After(now) {
			return nil, store.ErrExpired
		}
		out := cloneLogin(r)
		req = &out
	}
	k := assertionKey{c.ConnectionID, c.AssertionID}
	if c.AssertionID != "" {
		if exp, ok := s.assertions[k]; ok && exp.After(now) {
			return nil, exists("assertion id %q of connection %q", c.AssertionID, c.ConnectionID)
		}
	}
	facts := &store.LoginFacts{}
	if req != nil {
		cp := cloneLogin(req)
		facts.Request = &cp
	}
	if c.EmailDomain != "" {
		if id, ok := s.verified[c.EmailDomain]; ok {
			d := cloneDomain(s.domains[id])
			facts.Domain = &d
		}
	}
	if c.Email != "" {
		facts.DirectoryUsers = s.usersByEmailLocked(c.OrgID, c.Email)
		if d, ok := s.deprovisioned[c.OrgID][store.MatchKey(c.Email)]; ok {
			facts.Deprovisioned = &d
		}
	}
	if c.OrgFacts && c.OrgID != "" {
		facts.Policy = s.policyLocked(c.OrgID)
		facts.AttributeMappings = slices.Clone(s.attrMaps[c.OrgID])
		for _, m := range s.roleMaps[c.OrgID] {
			if m.Source == store.RoleFromIdPGroup {
				facts.RoleMappings = append(facts.RoleMappings, m)
			}
		}
	}
	events, err := accept(facts)
	if err != nil {
		return nil, err
	}
	if err := checkEvents(events); err != nil {
		return nil, err
	}
	if c.RequestID != "" {
		delete(s.logins, c.RequestID)
	}
	if c.AssertionID != "" {
		s.assertions[k] = utc(c.AssertionExpiresAt)
	}
	s.appendLocked(events)
	return req, nil
}

func mismatch(id string) error {
	return fmt.Errorf("%w: login request %q is another connection's or browser's", store.ErrMismatch, id)
}
