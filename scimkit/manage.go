package scimkit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/store"
)

// ErrTooManyTokens is returned by CreateToken and RotateToken when the
// directory already has store.MaxActiveDirectoryTokens active tokens:
// revoke one first.
var ErrTooManyTokens = errors.New("scimkit: the directory already has two active tokens; revoke one before creating another")

// DirectoryOptions describes a new directory.
type DirectoryOptions struct {
	// Provider is the identity provider: okta, entra, google, onelogin,
	// jumpcloud, ping or generic. Default "generic".
	Provider string
	// Name is shown to admins. Default "".
	Name string
	// Active creates the directory active. Default false: the directory
	// answers 403 until ActivateDirectory.
	Active bool
	// ID is the new directory's id. Default "": a random one. A caller
	// that retries a creation passes an id derived from its idempotency
	// key, so that the Store refuses a second directory
	// (store.ErrAlreadyExists) instead of creating one.
	ID string
	// Actor is recorded in the events ("operator:alice", "portal:...").
	// Default "system".
	Actor string
}

// TokenOptions describes a new bearer token.
type TokenOptions struct {
	// ExpiresAt is when the token stops working. Default: never.
	ExpiresAt time.Time
	// Actor is recorded in the event ("operator:alice", "portal:..").
	// Default "system".
	Actor string
	// ID is the new token's id. Default "": a random one. As with
	// DirectoryOptions.ID, a retried creation passes the same id so that
	// the Store refuses a second token.
	ID string
}

// CreateDirectory creates a directory of the organization, with a
// directory.created event (and directory.activated when opts.Active).
func (s *Server) CreateDirectory(ctx context.Context, orgID string, opts DirectoryOptions) (*store.Directory, error) {
	if strings.TrimSpace(orgID) == "" {
		return nil, fmt.Errorf("scimkit: organization id is required: %w", store.ErrInvalid)
	}
	id := opts.ID
	if id == "" {
		var err error
		if id, err = s.newID("dir"); err != nil {
			return nil, err
		}
	}
	actor := opts.Actor
	if actor == "" {
		actor = "system"
	}
	if opts.Provider == "" {
		opts.Provider = "generic"
	}
	now := s.now().UTC()
	d := &store.Directory{ID: id, OrgID: orgID, Provider: opts.Provider, Name: opts.Name, State: store.DirectoryInactive, CreatedAt: now, UpdatedAt: now}
	if opts.Active {
		d.State = store.DirectoryActive
	}
	ids, err := s.newEventIDs()
	if err != nil {
		return nil, err
	}
	evs := []store.Event{s.event(ids, EventDirectoryCreated, orgID, id, actor, dirData(d, ""))}
	if opts.Active {
		evs = append(evs, s.event(ids, EventDirectoryActive, orgID, id, actor, dirData(d, "")))
	}
	if err := s.st.CreateDirectory(ctx, d, evs...); err != nil {
		return nil, err
	}
	return d, nil
}

func dirData(d *store.Directory, tokenID string) DirectoryData {
	return DirectoryData{ID: d.ID, OrganizationID: d.OrgID, Provider: d.Provider, Name: d.Name, State: string(d.State), TokenID: tokenID}
}

// ActivateDirectory makes the directory's endpoint answer. Activating an
// active directory does nothing. actor ("operator:alice", "portal:...") is
// recorded on the directory.activated event; "" means "system". With
// DeactivateDirectory, it makes *Server a portal.DirectoryLifecycle.
func (s *Server) ActivateDirectory(ctx context.Context, id, actor string) (*store.Directory, error) {
	return s.setDirectoryState(ctx, id, store.DirectoryActive, EventDirectoryActive, actor)
}

// DeactivateDirectory makes the directory's endpoint answer 403 to every
// request, whatever the token. Its users and groups stay in the Store.
// actor is recorded on the directory.deactivated event as in
// ActivateDirectory.
func (s *Server) DeactivateDirectory(ctx context.Context, id, actor string) (*store.Directory, error) {
	return s.setDirectoryState(ctx, id, store.DirectoryInactive, EventDirectoryInactive, actor)
}

func (s *Server) setDirectoryState(ctx context.Context, id string, state store.DirectoryState, typ, actor string) (*store.Directory, error) {
	if actor == "" {
		actor = "system"
	}
	ids, err := s.newEventIDs()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	defer s.forgetDirectory(id)
	d, err := s.st.UpdateDirectory(ctx, id, func(d *store.Directory) ([]store.Event, error) {
		if d.State == state {
			return nil, nil
		}
		d.State = state
		d.UpdatedAt = now
		return []store.Event{s.event(ids, typ, d.OrgID, d.ID, actor, dirData(d, ""))}, nil
	})
	return d, err
}

// CreateToken creates a bearer token for the directory. The plaintext is
// returned once and never stored: only its SHA-256 digest is. At most two
// tokens are active at once (ErrTooManyTokens).
func (s *Server) CreateToken(ctx context.Context, directoryID string, opts TokenOptions) (string, *store.DirectoryToken, error) {
	d, err := s.st.GetDirectory(ctx, directoryID)
	if err != nil {
		return "", nil, err
	}
	now := s.now().UTC()
	if !opts.ExpiresAt.IsZero() && !opts.ExpiresAt.After(now) {
		return "", nil, fmt.Errorf("scimkit: token expiry must be in the future: %w", store.ErrInvalid)
	}
	plain, err := secret.New(s.rand, TokenPrefix)
	if err != nil {
		return "", nil, err
	}
	id := opts.ID
	if id == "" {
		if id, err = s.newID("dtok"); err != nil {
			return "", nil, err
		}
	}
	t := &store.DirectoryToken{ID: id, DirectoryID: d.ID, Digest: secret.Digest(plain), Hint: secret.Hint(plain), CreatedAt: now, ExpiresAt: store.UTC(opts.ExpiresAt)}
	ids, err := s.newEventIDs()
	if err != nil {
		return "", nil, err
	}
	actor := opts.Actor
	if actor == "" {
		actor = "system"
	}
	ev := s.event(ids, EventTokenCreated, d.OrgID, d.ID, actor, dirData(d, id))
	if err := s.st.CreateDirectoryToken(ctx, t, ev); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return "", nil, ErrTooManyTokens
		}
		return "", nil, err
	}
	return plain, t, nil
}

// RotateToken starts a rotation: it creates a new token while the current
// one stays valid, so the IdP can be switched without downtime; revoke
// the old token afterwards with RevokeToken. It fails with
// ErrTooManyTokens when two tokens are already active.
func (s *Server) RotateToken(ctx context.Context, directoryID string, opts TokenOptions) (string, *store.DirectoryToken, error) {
	return s.CreateToken(ctx, directoryID, opts)
}

// RevokeToken revokes a token of the directory at once. store.ErrNotFound
// when the directory has no such token. The event's actor is "system"; see
// RevokeTokenAs.
func (s *Server) RevokeToken(ctx context.Context, directoryID, tokenID string) error {
	return s.RevokeTokenAs(ctx, directoryID, tokenID, "")
}

// RevokeTokenAs is RevokeToken recording actor ("operator:alice",
// "portal:...") on the directory.token.revoked event; "" means "system".
func (s *Server) RevokeTokenAs(ctx context.Context, directoryID, tokenID, actor string) error {
	if actor == "" {
		actor = "system"
	}
	d, err := s.st.GetDirectory(ctx, directoryID)
	if err != nil {
		return err
	}
	toks, err := s.st.ListDirectoryTokens(ctx, directoryID)
	if err != nil {
		return err
	}
	found := false
	for _, t := range toks {
		if t.ID == tokenID {
			found = true
		}
	}
	if !found {
		return fmt.Errorf("scimkit: token %q of directory %q: %w", tokenID, directoryID, store.ErrNotFound)
	}
	ids, err := s.newEventIDs()
	if err != nil {
		return err
	}
	defer s.forgetDirectory(directoryID)
	ev := s.event(ids, EventTokenRevoked, d.OrgID, d.ID, actor, dirData(d, tokenID))
	if err := s.st.RevokeDirectoryToken(ctx, tokenID, s.now().UTC(), ev); err != nil {
		return err
	}
	return nil
}

// ListTokens returns the directory's tokens, newest first (digests only).
func (s *Server) ListTokens(ctx context.Context, directoryID string) ([]store.DirectoryToken, error) {
	return s.st.ListDirectoryTokens(ctx, directoryID)
}
