package domains

import (
	"context"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// Store is the part of a store.Store that a Service uses: the domains of
// organizations. Every store.Store is a Store.
type Store interface {
	CreateDomain(ctx context.Context, d *store.Domain, events ...store.Event) error
	GetDomain(ctx context.Context, id string) (*store.Domain, error)
	GetVerifiedDomain(ctx context.Context, name string) (*store.Domain, error)
	ListDomainsByName(ctx context.Context, name string) ([]store.Domain, error)
	ListDomainsDue(ctx context.Context, now time.Time, limit int) ([]store.Domain, error)
	UpdateDomain(ctx context.Context, id string, fn func(*store.Domain) ([]store.Event, error)) (*store.Domain, error)
	DeleteDomain(ctx context.Context, id string, events ...store.Event) error
}

// RouteStore is the part of a store.Store that Route uses: the verified
// domains and the connections of organizations. Every store.Store is a
// RouteStore.
type RouteStore interface {
	GetVerifiedDomain(ctx context.Context, name string) (*store.Domain, error)
	ListConnections(ctx context.Context, orgID string) ([]store.Connection, error)
}

var (
	_ Store      = store.Store(nil)
	_ RouteStore = store.Store(nil)
)
