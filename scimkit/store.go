package scimkit

import (
	"context"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// Store is the part of a store.Store that a Server uses: directories with
// their tokens, users, groups and memberships, and the verified domains of
// organizations. Every store.Store is a Store.
type Store interface {
	GetVerifiedDomain(ctx context.Context, name string) (*store.Domain, error)
	GetDirectory(ctx context.Context, id string) (*store.Directory, error)
	UpdateDirectory(ctx context.Context, id string, fn func(*store.Directory) ([]store.Event, error)) (*store.Directory, error)
	CreateDirectory(ctx context.Context, d *store.Directory, events ...store.Event) error
	CreateDirectoryToken(ctx context.Context, t *store.DirectoryToken, events ...store.Event) error
	AuthenticateDirectoryToken(ctx context.Context, digest []byte) (*store.DirectoryToken, *store.Directory, error)
	ListDirectoryTokens(ctx context.Context, directoryID string) ([]store.DirectoryToken, error)
	RevokeDirectoryToken(ctx context.Context, id string, now time.Time, events ...store.Event) error
	TouchDirectoryToken(ctx context.Context, id string, now time.Time) error
	CreateDirectoryUser(ctx context.Context, u *store.DirectoryUser, events ...store.Event) error
	GetDirectoryUser(ctx context.Context, directoryID, id string) (*store.DirectoryUser, error)
	ListDirectoryUsers(ctx context.Context, directoryID string, q store.UserQuery) ([]store.DirectoryUser, int, error)
	UpdateDirectoryUser(ctx context.Context, directoryID, id string, fn func(*store.DirectoryUser) ([]store.Event, error)) (*store.DirectoryUser, error)
	DeleteDirectoryUser(ctx context.Context, directoryID, id string, events func(u *store.DirectoryUser, groupIDs []string) []store.Event) error
	CreateDirectoryGroup(ctx context.Context, g *store.DirectoryGroup, ops []store.MemberOp, events store.GroupEvents) error
	GetDirectoryGroup(ctx context.Context, directoryID, id string) (*store.DirectoryGroup, error)
	ListDirectoryGroups(ctx context.Context, directoryID string, q store.GroupQuery) ([]store.DirectoryGroup, int, error)
	UpdateDirectoryGroup(ctx context.Context, directoryID, id string, fn func(*store.DirectoryGroup) ([]store.MemberOp, error), events store.GroupEvents) (*store.DirectoryGroup, error)
	DeleteDirectoryGroup(ctx context.Context, directoryID, id string, events store.GroupEvents) error
	ListGroupMembers(ctx context.Context, directoryID, groupID string) ([]store.Member, error)
	GetProvisioningPolicy(ctx context.Context, orgID string) (*store.ProvisioningPolicy, error)
	ListAttributeMappings(ctx context.Context, orgID string) ([]store.AttributeMapping, error)
	// AppendEvents records refused requests (EventRequestRefused).
	AppendEvents(ctx context.Context, events ...store.Event) ([]store.Event, error)
}

// UserStatusStore is the part of a store.Store that UserStatus uses. Every
// store.Store is a UserStatusStore.
type UserStatusStore interface {
	GetDirectory(ctx context.Context, id string) (*store.Directory, error)
	FindDirectoryUsersByEmail(ctx context.Context, orgID, email string) ([]store.DirectoryUser, error)
}

var (
	_ Store           = store.Store(nil)
	_ UserStatusStore = store.Store(nil)
)
