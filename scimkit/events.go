package scimkit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/store"
)

// Event types written by scimkit, each in the same Store write as the
// change it reports.
const (
	EventUserCreated       = "directory.user.created"
	EventUserUpdated       = "directory.user.updated"
	EventUserDeactivated   = "directory.user.deactivated"
	EventUserReactivated   = "directory.user.reactivated"
	EventUserDeleted       = "directory.user.deleted"
	EventGroupCreated      = "directory.group.created"
	EventGroupUpdated      = "directory.group.updated"
	EventGroupDeleted      = "directory.group.deleted"
	EventMembershipAdded   = "directory.membership.added"
	EventMembershipRemoved = "directory.membership.removed"
	EventDirectoryCreated  = "directory.created"
	EventDirectoryActive   = "directory.activated"
	EventDirectoryInactive = "directory.deactivated"
	EventTokenCreated      = "directory.token.created"
	EventTokenRevoked      = "directory.token.revoked"
)

// UserData is the Data of directory.user.* events: the user as the host
// should see it. Attributes is the SCIM resource as provisioned (never a
// password).
type UserData struct {
	ID             string        `json:"id"`
	DirectoryID    string        `json:"directory_id"`
	OrganizationID string        `json:"organization_id"`
	UserName       string        `json:"user_name"`
	ExternalID     string        `json:"external_id,omitempty"`
	Active         bool          `json:"active"`
	DisplayName    string        `json:"display_name,omitempty"`
	GivenName      string        `json:"given_name,omitempty"`
	FamilyName     string        `json:"family_name,omitempty"`
	Email          string        `json:"email,omitempty"`
	Emails         []store.Email `json:"emails,omitempty"`
	OutsideDomains bool          `json:"outside_domains"`
	// Custom are the values of the host's custom attributes, by key
	// (see roles.Field).
	Custom     store.CustomValues `json:"custom,omitempty"`
	Attributes json.RawMessage    `json:"attributes,omitempty"`
	Version    int64              `json:"version"`
	CreatedAt  time.Time          `json:"created_at"`
	UpdatedAt  time.Time          `json:"updated_at"`
}

// GroupData is the Data of directory.group.* events.
type GroupData struct {
	ID             string          `json:"id"`
	DirectoryID    string          `json:"directory_id"`
	OrganizationID string          `json:"organization_id"`
	DisplayName    string          `json:"display_name"`
	ExternalID     string          `json:"external_id,omitempty"`
	Attributes     json.RawMessage `json:"attributes,omitempty"`
	Version        int64           `json:"version"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

// MembershipData is the Data of directory.membership.* events: one event
// per member added or removed.
type MembershipData struct {
	DirectoryID    string `json:"directory_id"`
	OrganizationID string `json:"organization_id"`
	GroupID        string `json:"group_id"`
	GroupName      string `json:"group_display_name,omitempty"`
	MemberID       string `json:"member_id"`
	MemberType     string `json:"member_type"` // "User" or "Group"
}

// DirectoryData is the Data of directory.created/activated/deactivated
// and directory.token.* events.
type DirectoryData struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	Provider       string `json:"provider,omitempty"`
	Name           string `json:"name,omitempty"`
	State          string `json:"state"`
	TokenID        string `json:"token_id,omitempty"`
}

func userData(u *store.DirectoryUser) UserData {
	return UserData{
		ID: u.ID, DirectoryID: u.DirectoryID, OrganizationID: u.OrgID, UserName: u.UserName,
		ExternalID: u.ExternalID, Active: u.Active, DisplayName: u.DisplayName,
		GivenName: u.GivenName, FamilyName: u.FamilyName, Email: u.PrimaryEmail(), Emails: u.Emails,
		OutsideDomains: u.OutsideDomains, Custom: u.Custom, Attributes: u.Attributes, Version: u.Version,
		CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(),
	}
}

func groupData(g *store.DirectoryGroup) GroupData {
	return GroupData{
		ID: g.ID, DirectoryID: g.DirectoryID, OrganizationID: g.OrgID, DisplayName: g.DisplayName,
		ExternalID: g.ExternalID, Attributes: g.Attributes, Version: g.Version,
		CreatedAt: g.CreatedAt.UTC(), UpdatedAt: g.UpdatedAt.UTC(),
	}
}

// memberType tells users from groups by the id prefix scimkit gives them.
func memberType(id string) string {
	if len(id) > 4 && id[:4] == "grp_" {
		return string(store.MemberGroup)
	}
	return string(store.MemberUser)
}

// eventIDs hands out event ids. Each is secret.NewID(Config.Rand, "evt");
// should the random source fail inside a Store callback, which cannot
// fail, the id is derived from a seed read before the write started.
type eventIDs struct {
	rand io.Reader
	seed [16]byte
	n    uint64
}

// prepare asks BeforeChange about c, then returns the ids for the events
// of the write that makes it.
func (s *Server) prepare(ctx context.Context, c *Change) (*eventIDs, error) {
	if err := s.before(ctx, c); err != nil {
		return nil, err
	}
	return s.newEventIDs()
}

func (s *Server) newEventIDs() (*eventIDs, error) {
	e := &eventIDs{rand: s.rand}
	if _, err := io.ReadFull(s.rand, e.seed[:]); err != nil {
		return nil, fmt.Errorf("scimkit: reading randomness: %w", err)
	}
	return e, nil
}

func (e *eventIDs) next() string {
	if id, err := secret.NewID(e.rand, "evt"); err == nil {
		return id
	}
	var b [24]byte
	copy(b[:], e.seed[:])
	binary.BigEndian.PutUint64(b[16:], e.n)
	e.n++
	h := sha256.Sum256(b[:])
	return "evt_" + hex.EncodeToString(h[:13])
}

// event builds one event.
func (s *Server) event(ids *eventIDs, typ, orgID, subject, actor string, data any) store.Event {
	b, err := json.Marshal(data)
	if err != nil {
		b = []byte("{}")
	}
	return store.Event{ID: ids.next(), Type: typ, OrgID: orgID, Subject: subject, Actor: actor, Data: b, CreatedAt: s.now().UTC()}
}

func actorOf(d *store.Directory) string { return "scim:" + d.ID }

// userChangeType is the event type of an update from old to new: a
// change of active is reported as deactivated/reactivated (with the
// whole new profile), anything else as updated.
func userChangeType(old, nu *store.DirectoryUser) string {
	switch {
	case old.Active && !nu.Active:
		return EventUserDeactivated
	case !old.Active && nu.Active:
		return EventUserReactivated
	}
	return EventUserUpdated
}

func (s *Server) membershipEvents(ids *eventIDs, d *store.Directory, g *store.DirectoryGroup, added, removed []string) []store.Event {
	var evs []store.Event
	for _, set := range []struct {
		typ string
		ids []string
	}{{EventMembershipAdded, added}, {EventMembershipRemoved, removed}} {
		for _, id := range set.ids {
			evs = append(evs, s.event(ids, set.typ, d.OrgID, g.ID, actorOf(d), MembershipData{
				DirectoryID: d.ID, OrganizationID: d.OrgID, GroupID: g.ID, GroupName: g.DisplayName,
				MemberID: id, MemberType: memberType(id),
			}))
		}
	}
	return evs
}

// UserDataOf returns the Data of a directory.user.* event about u.
func UserDataOf(u *store.DirectoryUser) UserData { return userData(u) }
