package ssokit

import (
	"context"
	"time"

	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/store"
)

// Store is the part of a store.Store that an SSO handler uses: connections,
// login flow state (pending requests and the replay cache), the verified
// domains and connections that route a login by email, events, and the
// leases of its background work with the cleanup it runs
// (store.CleanupStore), and the end of the sessions an IdP's logout
// names. Every store.Store is a Store.
type Store interface {
	domains.RouteStore
	store.CleanupStore
	CreateConnection(ctx context.Context, c *store.Connection, events ...store.Event) error
	GetConnection(ctx context.Context, id string) (*store.Connection, error)
	ListConnectionsByProtocol(ctx context.Context, p store.Protocol) ([]store.Connection, error)
	UpdateConnection(ctx context.Context, id string, fn func(*store.Connection) ([]store.Event, error)) (*store.Connection, error)
	DeleteConnection(ctx context.Context, id string, events ...store.Event) error
	CreateLoginRequest(ctx context.Context, r *store.LoginRequest) error
	ConsumeLoginRequest(ctx context.Context, id string, match store.LoginRequestMatch, now time.Time, events ...store.Event) (*store.LoginRequest, error)
	ConsumeAssertionID(ctx context.Context, connectionID, assertionID string, expiresAt, now time.Time, events ...store.Event) error
	CompleteLogin(ctx context.Context, c store.LoginCompletion, accept func(*store.LoginFacts) ([]store.Event, error)) (*store.LoginRequest, error)
	EndSessions(ctx context.Context, sel store.SessionSelector, end store.SessionEnd) (int, error)
	AppendEvents(ctx context.Context, events ...store.Event) ([]store.Event, error)
}

var _ Store = store.Store(nil)
