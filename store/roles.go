package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"
)

// RoleSource tells what the Value of a RoleMapping is.
type RoleSource string

const (
	// RoleFromDirectoryGroup maps the members of a directory group (Value is
	// the group's id) to a role. The Store applies these mappings to the
	// directory users it keeps.
	RoleFromDirectoryGroup RoleSource = "directory_group"
	// RoleFromIdPGroup maps a group value the identity provider sends at
	// sign-in (a SAML attribute value or an OIDC claim value, compared
	// exactly) to a role. The Store only keeps these mappings; they are
	// applied at sign-in.
	RoleFromIdPGroup RoleSource = "idp_group"
	// RoleDefault names the organization's default role (Value is empty):
	// the role of an active directory user no directory-group mapping
	// gives a role, which the Store reports in user.roles_changed events
	// (see EffectiveRoles). An organization has at most one. The Admin
	// writes it with the mappings, from the host's roles.Config.Default.
	RoleDefault RoleSource = "default"
)

// RoleMapping gives the role Role to the members of a directory group or to
// the users whose identity provider sends a group value.
type RoleMapping struct {
	OrgID  string
	Source RoleSource
	Value  string
	Role   string
}

// Validate reports ErrInvalid when a field is missing, Source is unknown,
// or a RoleDefault mapping has a Value.
func (m *RoleMapping) Validate() error {
	if m.Source == RoleDefault {
		if m.OrgID == "" || m.Role == "" || m.Value != "" {
			return invalid("role mapping: a default role needs OrgID and Role, and no Value")
		}
		return nil
	}
	if m.OrgID == "" || m.Value == "" || m.Role == "" {
		return invalid("role mapping: OrgID, Value and Role are required")
	}
	if m.Source != RoleFromDirectoryGroup && m.Source != RoleFromIdPGroup {
		return invalid("role mapping: unknown source %q", m.Source)
	}
	return nil
}

// ValidateRoleMappings checks the mappings ms of the organization orgID
// before SetRoleMappings writes them: each valid and of orgID, and at most
// one RoleDefault.
func ValidateRoleMappings(orgID string, ms []RoleMapping) error {
	if orgID == "" {
		return invalid("organization id is required")
	}
	defaults := 0
	for i := range ms {
		if err := ms[i].Validate(); err != nil {
			return err
		}
		if ms[i].OrgID != orgID {
			return invalid("role mapping of organization %q given for %q", ms[i].OrgID, orgID)
		}
		if ms[i].Source == RoleDefault {
			defaults++
		}
	}
	if defaults > 1 {
		return invalid("role mapping: %d default roles, at most one", defaults)
	}
	return nil
}

// DefaultRole returns the role of the RoleDefault mapping among ms, ""
// when there is none.
func DefaultRole(ms []RoleMapping) string {
	for _, m := range ms {
		if m.Source == RoleDefault {
			return m.Role
		}
	}
	return ""
}

// EffectiveRoles returns the roles a directory user has for the host, as
// Profile.Roles gives them at sign-in: none when the user is not active;
// else mapped, the roles the directory-group mappings give it (see
// ComputeRoles); else the organization's default role def, when there is
// one.
func EffectiveRoles(active bool, mapped []string, def string) []string {
	switch {
	case !active:
		return nil
	case len(mapped) > 0:
		return mapped
	case def != "":
		return []string{def}
	}
	return nil
}

// EventUserRolesChanged is the type of the event the Store appends, in the
// write that causes it, when the roles of a directory user change. Its
// Subject is the user's id and its Data a RolesChange.
const EventUserRolesChanged = "user.roles_changed"

// RolesChange is the Data of a user.roles_changed event. Old and New are
// the user's effective roles before and after the write (see
// EffectiveRoles): the mapped roles, else the organization's default role
// (its RoleDefault mapping), as Profile.Roles gives them at sign-in; an
// empty list for a user that is not active, or that no mapping gives a
// role in an organization without a default role. The Store appends the
// event only when the effective roles change.
type RolesChange struct {
	DirectoryID string   `json:"directory_id"`
	Old         []string `json:"old"`
	New         []string `json:"new"`
}

// ComputeRoles returns the roles the directory-group mappings give a user
// who is a direct member of the groups groupIDs: the sorted distinct roles
// of the mappings naming one of the groups, none when the user is not
// active. A user with no role is given the host's default role by the
// caller; the Store keeps only mapped roles.
func ComputeRoles(active bool, groupIDs []string, mappings []RoleMapping) []string {
	if !active {
		return nil
	}
	var out []string
	for _, m := range mappings {
		if m.Source == RoleFromDirectoryGroup && slices.Contains(groupIDs, m.Value) {
			out = append(out, m.Role)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// RolesChangedEvent returns the user.roles_changed event of u, whose
// effective roles (see EffectiveRoles) were old and are now new. actor and
// at are those of the write that changed them.
func RolesChangedEvent(u *DirectoryUser, old, new []string, actor string, at time.Time) Event {
	var b [16]byte
	rand.Read(b[:])
	data, _ := json.Marshal(RolesChange{DirectoryID: u.DirectoryID, Old: nonNil(old), New: nonNil(new)})
	if actor == "" {
		actor = "system"
	}
	if at.IsZero() {
		at = time.Now()
	}
	return Event{ID: "evt_" + hex.EncodeToString(b[:]), Type: EventUserRolesChanged, OrgID: u.OrgID, Subject: u.ID, Actor: actor, Data: data, CreatedAt: at.UTC().Truncate(time.Microsecond)}
}

// RolesCause returns the actor and time the user.roles_changed events of a
// write take from the events the caller passed with it: those of the first
// event, else "system" and the current time.
func RolesCause(events []Event) (actor string, at time.Time) {
	if len(events) > 0 {
		return events[0].Actor, events[0].CreatedAt
	}
	return "system", time.Now()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// AffectedGroups returns the ids of the directory groups whose members'
// roles may differ between the mapping sets old and new, sorted.
func AffectedGroups(old, new []RoleMapping) []string {
	key := func(m RoleMapping) [2]string { return [2]string{m.Value, m.Role} }
	set := func(ms []RoleMapping) map[[2]string]bool {
		out := map[[2]string]bool{}
		for _, m := range ms {
			if m.Source == RoleFromDirectoryGroup {
				out[key(m)] = true
			}
		}
		return out
	}
	a, b := set(old), set(new)
	var ids []string
	for k := range a {
		if !b[k] {
			ids = append(ids, k[0])
		}
	}
	for k := range b {
		if !a[k] {
			ids = append(ids, k[0])
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// RoleStore keeps the organizations' role mappings. The roles of directory
// users (DirectoryUser.Roles) are computed by the Store with ComputeRoles
// from the directory-group mappings, in the same write as any change that
// affects them: a membership added or removed, a group deleted, a user
// activated or deactivated. Each change of a user's effective roles (see
// EffectiveRoles) appends a user.roles_changed event (see
// RolesChangedEvent) taking its actor and time from the write's first
// event (see RolesCause). Changing only the RoleDefault mapping marks no
// user stale and appends no user event: the host's default role already
// applied at sign-in.
type RoleStore interface {
	// SetRoleMappings replaces the organization's mappings with m, sorted
	// by (Source, Value, Role) and checked by ValidateRoleMappings, and
	// marks stale the directory users of the
	// organization whose roles may change (the members of the groups
	// AffectedGroups names), appending events, in one write. Their roles
	// are then recomputed by RecomputeRoles, in bounded batches. Every
	// mapping must name orgID. ErrNotFound for an unknown organization.
	SetRoleMappings(ctx context.Context, orgID string, m []RoleMapping, events ...Event) error

	// ListRoleMappings returns the organization's mappings ordered by
	// (Source, Value, Role).
	ListRoleMappings(ctx context.Context, orgID string) ([]RoleMapping, error)

	// RecomputeRoles recomputes, in one write, the roles of up to limit
	// directory users of the organization marked stale, appending a
	// user.roles_changed event with actor and at for each whose roles
	// changed. It returns how many users of the organization are still
	// stale.
	RecomputeRoles(ctx context.Context, orgID string, limit int, actor string, at time.Time) (remaining int, err error)
}

// RolesFromEvent returns the new effective roles of a user.roles_changed
// event, nil for another event.
func RolesFromEvent(e Event) []string {
	if e.Type != EventUserRolesChanged {
		return nil
	}
	var c RolesChange
	if json.Unmarshal(e.Data, &c) != nil || len(c.New) == 0 {
		return nil
	}
	return c.New
}

// SignInPolicy says who of an organization may sign in by SSO.
type SignInPolicy string

const (
	// SignInVerifiedDomain admits any user with an email of a verified
	// domain of the organization (just-in-time); the default.
	SignInVerifiedDomain SignInPolicy = ""
	// SignInDirectoryOnly admits only users the organization's directory
	// provisioned and keeps active.
	SignInDirectoryOnly SignInPolicy = "directory_only"
)

// OutsideDomainAction says what a directory does with a user whose email
// addresses are not all in a verified domain of the organization.
type OutsideDomainAction string

const (
	// OutsideDomainsDefault leaves the choice to the host's configuration
	// of the SCIM server.
	OutsideDomainsDefault OutsideDomainAction = ""
	// OutsideDomainsAccept accepts the user unmarked.
	OutsideDomainsAccept OutsideDomainAction = "accept"
	// OutsideDomainsMark accepts the user with DirectoryUser.OutsideDomains
	// set.
	OutsideDomainsMark OutsideDomainAction = "mark"
	// OutsideDomainsRefuse refuses the user.
	OutsideDomainsRefuse OutsideDomainAction = "refuse"
)

// DeprovisionAction says what a directory does with a user its identity
// provider deactivates (SCIM active=false: Okta's deprovisioning, and
// Entra's first step before its DELETE).
type DeprovisionAction string

const (
	// DeprovisionDeactivate keeps the user, deactivated: no role, no
	// session, refused at sign-in; the default.
	DeprovisionDeactivate DeprovisionAction = ""
	// DeprovisionDelete deletes the user, as a SCIM DELETE does.
	DeprovisionDelete DeprovisionAction = "delete"
)

// ProvisioningPolicy is an organization's rule of who may sign in and of
// which users its directories may provision.
type ProvisioningPolicy struct {
	OrgID          string
	SignIn         SignInPolicy
	OutsideDomains OutsideDomainAction
	Deprovision    DeprovisionAction
	UpdatedAt      time.Time
}

// Validate reports ErrInvalid for a missing OrgID or an unknown policy.
func (p *ProvisioningPolicy) Validate() error {
	if p.OrgID == "" {
		return invalid("provisioning policy: OrgID is required")
	}
	if p.SignIn != SignInVerifiedDomain && p.SignIn != SignInDirectoryOnly {
		return invalid("provisioning policy: unknown sign-in policy %q", p.SignIn)
	}
	switch p.OutsideDomains {
	case OutsideDomainsDefault, OutsideDomainsAccept, OutsideDomainsMark, OutsideDomainsRefuse:
	default:
		return invalid("provisioning policy: unknown outside-domains action %q", p.OutsideDomains)
	}
	if p.Deprovision != DeprovisionDeactivate && p.Deprovision != DeprovisionDelete {
		return invalid("provisioning policy: unknown deprovisioning action %q", p.Deprovision)
	}
	return nil
}

// Deprovisioned is the record (tombstone) a directory leaves of a user it
// deleted, one per address of the user (its userName and emails, compared
// by MatchKey): a person the directory removed cannot sign in again by
// just-in-time provisioning, whatever the sign-in policy. The record lifts
// only when a directory of the organization provisions an active user
// with that address again (CreateDirectoryUser, or UpdateDirectoryUser
// leaving the user active). It is removed with its organization; deleting
// a directory leaves its users no record (an operator's act, not a
// deprovisioning).
type Deprovisioned struct {
	OrgID       string
	DirectoryID string
	UserID      string
	At          time.Time
}

// AddressKeys returns the keys, under MatchKey, of the addresses of u: its
// userName and emails, distinct and sorted. They name the user in
// Deprovisioned records.
func AddressKeys(u *DirectoryUser) []string {
	keys := []string{MatchKey(u.UserName)}
	for _, e := range u.Emails {
		keys = append(keys, MatchKey(e.Value))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// PolicyStore keeps the organizations' provisioning policies.
type PolicyStore interface {
	// GetProvisioningPolicy returns the organization's policy: the zero
	// policy (with OrgID set) when none was stored. ErrNotFound for an
	// unknown organization.
	GetProvisioningPolicy(ctx context.Context, orgID string) (*ProvisioningPolicy, error)

	// PutProvisioningPolicy creates or replaces the organization's policy,
	// appending events in the same write. ErrNotFound for an unknown
	// organization.
	PutProvisioningPolicy(ctx context.Context, p *ProvisioningPolicy, events ...Event) error
}
