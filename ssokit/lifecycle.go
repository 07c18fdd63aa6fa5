package ssokit

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/onboardkit/onboardkit/store"
)

// Activate makes a tested connection log users in: tested -> active, and
// inactive -> active for a connection that passed a test before. A draft
// connection, or one never tested, gives ErrNotTested. Activating an active
// connection does nothing. The state change and its
// sso.connection.activated event are one Store write. actor is recorded on
// the event ("portal:<session>", "operator:<name>").
func (s *SSO) Activate(ctx context.Context, connectionID, actor string) (*store.Connection, error) {
	return s.transition(ctx, connectionID, actor, func(c *store.Connection) (string, error) {
		switch {
		case c.State == store.ConnectionActive:
			return "", nil
		case c.State == store.ConnectionDraft || c.TestedAt.IsZero():
			return "", ErrNotTested
		}
		c.State = store.ConnectionActive
		return EventConnectionActivated, nil
	})
}

// Deactivate stops a connection from logging users in: active -> inactive
// (test flows are refused too until it is activated again). Deactivating a
// connection that is not active does nothing.
func (s *SSO) Deactivate(ctx context.Context, connectionID, actor string) (*store.Connection, error) {
	return s.transition(ctx, connectionID, actor, func(c *store.Connection) (string, error) {
		if c.State != store.ConnectionActive {
			return "", nil
		}
		c.State = store.ConnectionInactive
		return EventConnectionDeactivated, nil
	})
}

var errNoChange = errors.New("no change")

func (s *SSO) transition(ctx context.Context, id, actor string, fn func(*store.Connection) (string, error)) (*store.Connection, error) {
	if actor == "" {
		actor = "system"
	}
	c, err := s.st.UpdateConnection(ctx, id, func(c *store.Connection) ([]store.Event, error) {
		from := c.State
		typ, err := fn(c)
		if err != nil {
			return nil, err
		}
		if typ == "" {
			return nil, errNoChange
		}
		c.UpdatedAt = s.now().UTC()
		ev, err := s.event(typ, c.OrgID, c.ID, actor, map[string]any{"from": from, "to": c.State})
		if err != nil {
			return nil, err
		}
		return []store.Event{ev}, nil
	})
	switch {
	case errors.Is(err, errNoChange):
		return s.st.GetConnection(ctx, id)
	case errors.Is(err, store.ErrNotFound):
		return nil, ErrConnectionNotFound
	case err != nil && !errors.Is(err, ErrNotTested):
		return nil, fmt.Errorf("ssokit: updating connection: %w", err)
	}
	return c, err
}

// StartTest begins a "test connection" flow for the portal: like StartLogin
// with Test set, on a draft, tested or active connection. The result goes to
// Config.OnTestResult and to an sso.connection.tested or
// sso.connection.test_failed event; a successful test moves a draft
// connection to tested and sets TestedAt.
func (s *SSO) StartTest(w http.ResponseWriter, r *http.Request, connectionID, returnTo string) error {
	return s.StartLogin(w, r, StartOptions{ConnectionID: connectionID, ReturnTo: returnTo, Test: true})
}
