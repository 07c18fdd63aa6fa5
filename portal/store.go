package portal

import (
	"context"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit/internal/outbox"
	"github.com/onboardkit/onboardkit/store"
)

// Store is what the portal reads and writes itself: the links it redeems,
// its sessions, the SSO test tickets, and the organization's connections,
// directories, domains and events that its pages show. Every other change
// goes through the admin service or the SSO and SCIM kits. store.Store is
// one.
type Store interface {
	GetOrganization(ctx context.Context, id string) (*store.Organization, error)

	GetPortalLinkByDigest(ctx context.Context, digest []byte) (*store.PortalLink, error)
	// CountAttempt counts link openings and redemptions per client
	// address (Config.LinkAttempts).
	CountAttempt(ctx context.Context, key string, start, end time.Time) (int64, error)
	RedeemPortalLink(ctx context.Context, digest []byte, now time.Time, s *store.PortalSession, events ...store.Event) (*store.PortalSession, error)
	GetPortalSession(ctx context.Context, digest []byte, now time.Time) (*store.PortalSession, error)
	DeletePortalSession(ctx context.Context, id string, events ...store.Event) error

	GetDomain(ctx context.Context, id string) (*store.Domain, error)
	GetConnection(ctx context.Context, id string) (*store.Connection, error)
	ListConnections(ctx context.Context, orgID string) ([]store.Connection, error)

	GetDirectory(ctx context.Context, id string) (*store.Directory, error)
	ListDirectories(ctx context.Context, orgID string) ([]store.Directory, error)
	ListDirectoryTokens(ctx context.Context, directoryID string) ([]store.DirectoryToken, error)
	ListDirectoryUsers(ctx context.Context, directoryID string, q store.UserQuery) ([]store.DirectoryUser, int, error)
	ListDirectoryGroups(ctx context.Context, directoryID string, q store.GroupQuery) ([]store.DirectoryGroup, int, error)
	GetDirectoryUser(ctx context.Context, directoryID, id string) (*store.DirectoryUser, error)
	GetDirectoryGroup(ctx context.Context, directoryID, id string) (*store.DirectoryGroup, error)
	ListGroupMembers(ctx context.Context, directoryID, groupID string) ([]store.Member, error)

	ListEvents(ctx context.Context, q store.EventQuery) ([]store.Event, error)
	LastEventCursor(ctx context.Context) (int64, error)

	CreateLoginRequest(ctx context.Context, r *store.LoginRequest) error
	ConsumeLoginRequest(ctx context.Context, id string, match store.LoginRequestMatch, now time.Time, events ...store.Event) (*store.LoginRequest, error)
}

var _ Store = store.Store(nil)

// Token and id prefixes of sessions. A session secret is "oks_" followed
// by 43 characters (256 bits).
const (
	sessionTokenPrefix = "oks_"
	sessionIDPrefix    = "psess"
)

// Event types the portal writes to the Store's outbox. Link events are the
// admin service's (admin.EventLinkCreated, admin.EventLinkRevoked).
const (
	EventSessionCreated = "portal.session.created"
	EventSessionEnded   = "portal.session.ended"
)

// event builds an outbox event.
func (p *Portal) event(typ, orgID, subject, actor string, data any) (store.Event, error) {
	ev, err := outbox.Event(p.rand, p.now(), typ, orgID, subject, actor, data)
	if err != nil {
		return ev, fmt.Errorf("portal: %w", err)
	}
	return ev, nil
}
