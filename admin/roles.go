package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/store"
)

// EventRoleMappingsUpdated records a change of an organization's role
// mappings; its data lists the mappings now in force. The roles of the
// directory users it changes follow in user.roles_changed events.
const EventRoleMappingsUpdated = "roles.mappings_updated"

// RecomputeBatch is how many directory users one Store write recomputes
// after a role mapping change.
const RecomputeBatch = 500

// MaxRoleMappings bounds the mappings of one organization.
const MaxRoleMappings = 500

// RoleMappingInput is one mapping as an IT admin or operator gives it: a
// directory group id (Source store.RoleFromDirectoryGroup) or an identity
// provider's group value (store.RoleFromIdPGroup), and the key of a role the
// host declared.
type RoleMappingInput struct {
	Source store.RoleSource `json:"source"`
	Value  string           `json:"value"`
	Role   string           `json:"role"`
}

// Roles returns the roles the host declared (Config.Roles), in order.
func (a *Admin) Roles() []roles.Role {
	if a.cfg.Roles == nil {
		return nil
	}
	return slices.Clone(a.cfg.Roles.Roles)
}

// DefaultRole returns the key of the host's default role, "" when none.
func (a *Admin) DefaultRole() string {
	if a.cfg.Roles == nil {
		return ""
	}
	return a.cfg.Roles.Default
}

// ListRoleMappings returns the organization's role mappings ordered by
// (Source, Value, Role), without the default role the Store keeps beside
// them (see SetRoleMappings). ErrNotFound for an unknown organization.
func (a *Admin) ListRoleMappings(ctx context.Context, orgID string) ([]store.RoleMapping, error) {
	if _, err := a.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	ms, err := a.st.ListRoleMappings(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("admin: listing role mappings: %w", err)
	}
	return withoutDefault(ms), nil
}

// SetRoleMappings replaces the organization's role mappings with in, with
// a roles.mappings_updated event, then recomputes the roles of the
// directory users the change affects, RecomputeBatch users per Store
// write, each write with the user.roles_changed events of its users. Each
// role must be one the host declared; a directory group must be a group of
// one of the organization's directories. Setting the mappings already in
// force writes nothing.
//
// The host's default role (Config.Roles.Default) is written with the
// mappings (a store.RoleDefault mapping), so that the user.roles_changed
// events the Store appends carry the roles a user has at sign-in; a
// change of the host's default reaches the events at the organization's
// next mapping change.
func (a *Admin) SetRoleMappings(ctx context.Context, orgID string, in []RoleMappingInput, actor string) ([]store.RoleMapping, error) {
	if _, err := a.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	if a.cfg.Roles == nil || len(a.cfg.Roles.Roles) == 0 {
		return nil, invalidInput("role", "the application declares no roles")
	}
	if len(in) > MaxRoleMappings {
		return nil, invalidInput("mappings", "at most %d role mappings", MaxRoleMappings)
	}
	var dirs []store.Directory
	next := make([]store.RoleMapping, 0, len(in))
	for _, m := range in {
		value := strings.TrimSpace(m.Value)
		switch {
		case m.Source != store.RoleFromDirectoryGroup && m.Source != store.RoleFromIdPGroup:
			return nil, invalidInput("source", "unknown mapping source %q", m.Source)
		case value == "" || utf8.RuneCountInString(value) > MaxNameLength || !utf8.ValidString(value):
			return nil, invalidInput("value", "a group is required (at most %d characters)", MaxNameLength)
		case !a.cfg.Roles.Known(m.Role):
			return nil, invalidInput("role", "unknown role %q", m.Role)
		}
		if m.Source == store.RoleFromDirectoryGroup {
			if dirs == nil {
				var err error
				if dirs, err = a.st.ListDirectories(ctx, orgID); err != nil {
					return nil, fmt.Errorf("admin: listing directories: %w", err)
				}
			}
			if !a.groupOf(ctx, dirs, value) {
				return nil, invalidInput("value", "%q is not a group of the organization's directories", value)
			}
		}
		next = append(next, store.RoleMapping{OrgID: orgID, Source: m.Source, Value: value, Role: m.Role})
	}
	if d := a.cfg.Roles.Default; d != "" {
		next = append(next, store.RoleMapping{OrgID: orgID, Source: store.RoleDefault, Role: d})
	}
	sortMappings(next)
	next = slices.Compact(next)
	w := mappingWrite[store.RoleMapping]{what: "role mappings", event: EventRoleMappingsUpdated, list: a.st.ListRoleMappings, set: a.st.SetRoleMappings,
		data: func(next []store.RoleMapping) any {
			return map[string]any{"mappings": mappingsData(withoutDefault(next))}
		}}
	_, changed, err := w.replace(ctx, a, orgID, next, actor)
	if err != nil {
		return nil, err
	}
	if !changed {
		return withoutDefault(next), nil
	}
	if err := a.RecomputeRoles(ctx, orgID, actor); err != nil {
		return nil, err
	}
	return withoutDefault(next), nil
}

// withoutDefault returns ms without its store.RoleDefault mapping.
func withoutDefault(ms []store.RoleMapping) []store.RoleMapping {
	return slices.DeleteFunc(slices.Clone(ms), func(m store.RoleMapping) bool { return m.Source == store.RoleDefault })
}

// RecomputeRoles recomputes the roles of the organization's directory
// users left stale by a mapping change, RecomputeBatch per Store write,
// until none is. SetRoleMappings calls it; a host calls it again when a
// recomputation was interrupted.
func (a *Admin) RecomputeRoles(ctx context.Context, orgID, actor string) error {
	for {
		left, err := a.st.RecomputeRoles(ctx, orgID, RecomputeBatch, actorOr(actor), a.now().UTC())
		if err != nil {
			return fmt.Errorf("admin: recomputing roles: %w", err)
		}
		if left == 0 {
			return nil
		}
	}
}

func (a *Admin) groupOf(ctx context.Context, dirs []store.Directory, id string) bool {
	for _, d := range dirs {
		if _, err := a.st.GetDirectoryGroup(ctx, d.ID, id); err == nil {
			return true
		}
	}
	return false
}

func sortMappings(ms []store.RoleMapping) {
	slices.SortFunc(ms, func(a, b store.RoleMapping) int {
		if c := strings.Compare(string(a.Source), string(b.Source)); c != 0 {
			return c
		}
		if c := strings.Compare(a.Value, b.Value); c != 0 {
			return c
		}
		return strings.Compare(a.Role, b.Role)
	})
}

func mappingsData(ms []store.RoleMapping) []RoleMappingInput {
	out := make([]RoleMappingInput, len(ms))
	for i, m := range ms {
		out[i] = RoleMappingInput{Source: m.Source, Value: m.Value, Role: m.Role}
	}
	return out
}

// EventPolicyUpdated records a change of an organization's provisioning
// policy; its data holds the new policy ("sign_in", "outside_domains",
// "deprovision").
const EventPolicyUpdated = "organization.policy_updated"

// GetProvisioningPolicy returns the organization's provisioning policy.
// ErrNotFound for an unknown organization.
func (a *Admin) GetProvisioningPolicy(ctx context.Context, orgID string) (*store.ProvisioningPolicy, error) {
	p, err := a.st.GetProvisioningPolicy(ctx, orgID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, notFound("organization", orgID)
	case err != nil:
		return nil, fmt.Errorf("admin: reading provisioning policy: %w", err)
	}
	return p, nil
}

// SetSignInPolicy sets who of the organization may sign in by SSO, with an
// organization.policy_updated event. Setting the policy in force writes
// nothing.
func (a *Admin) SetSignInPolicy(ctx context.Context, orgID string, policy store.SignInPolicy, actor string) (*store.ProvisioningPolicy, error) {
	return a.UpdateProvisioningPolicy(ctx, orgID, PolicyUpdate{SignIn: &policy}, actor)
}

// PolicyUpdate changes the fields of a provisioning policy that are not
// nil.
type PolicyUpdate struct {
	SignIn         *store.SignInPolicy
	OutsideDomains *store.OutsideDomainAction
	Deprovision    *store.DeprovisionAction
}

// UpdateProvisioningPolicy changes the organization's provisioning policy,
// with an organization.policy_updated event. A change to nothing new
// writes nothing.
func (a *Admin) UpdateProvisioningPolicy(ctx context.Context, orgID string, u PolicyUpdate, actor string) (*store.ProvisioningPolicy, error) {
	if u.SignIn != nil && *u.SignIn != store.SignInVerifiedDomain && *u.SignIn != store.SignInDirectoryOnly {
		return nil, invalidInput("sign_in", "unknown sign-in policy %q", *u.SignIn)
	}
	if u.OutsideDomains != nil {
		switch *u.OutsideDomains {
		case store.OutsideDomainsDefault, store.OutsideDomainsAccept, store.OutsideDomainsMark, store.OutsideDomainsRefuse:
		default:
			return nil, invalidInput("outside_domains", "unknown action %q (accept, mark or refuse)", *u.OutsideDomains)
		}
	}
	if u.Deprovision != nil && *u.Deprovision != store.DeprovisionDeactivate && *u.Deprovision != store.DeprovisionDelete {
		return nil, invalidInput("deprovision", "unknown deprovisioning action %q (deactivate or delete)", *u.Deprovision)
	}
	cur, err := a.GetProvisioningPolicy(ctx, orgID)
	if err != nil {
		return nil, err
	}
	next := *cur
	if u.SignIn != nil {
		next.SignIn = *u.SignIn
	}
	if u.OutsideDomains != nil {
		next.OutsideDomains = *u.OutsideDomains
	}
	if u.Deprovision != nil {
		next.Deprovision = *u.Deprovision
	}
	if next.SignIn == cur.SignIn && next.OutsideDomains == cur.OutsideDomains && next.Deprovision == cur.Deprovision {
		return cur, nil
	}
	next.UpdatedAt = a.now().UTC()
	ev, err := a.event(EventPolicyUpdated, orgID, orgID, actorOr(actor), map[string]any{"sign_in": SignInPolicyName(next.SignIn),
		"outside_domains": string(next.OutsideDomains), "deprovision": DeprovisionName(next.Deprovision)})
	if err != nil {
		return nil, err
	}
	if err := a.st.PutProvisioningPolicy(ctx, &next, ev); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound("organization", orgID)
		}
		return nil, fmt.Errorf("admin: setting provisioning policy: %w", err)
	}
	return &next, nil
}

// SignInPolicyName is the name of a sign-in policy in events and the
// management API: "verified_domain" or "directory_only".
func SignInPolicyName(p store.SignInPolicy) string {
	if p == store.SignInVerifiedDomain {
		return "verified_domain"
	}
	return string(p)
}

// ParseSignInPolicy is the inverse of SignInPolicyName.
func ParseSignInPolicy(name string) (store.SignInPolicy, error) {
	switch name {
	case "verified_domain":
		return store.SignInVerifiedDomain, nil
	case string(store.SignInDirectoryOnly):
		return store.SignInDirectoryOnly, nil
	}
	return "", invalidInput("sign_in", "unknown sign-in policy %q (verified_domain or directory_only)", name)
}

// DeprovisionName is the name of a deprovisioning action in events and the
// management API: "deactivate" or "delete".
func DeprovisionName(a store.DeprovisionAction) string {
	if a == store.DeprovisionDeactivate {
		return "deactivate"
	}
	return string(a)
}

// ParseDeprovision is the inverse of DeprovisionName.
func ParseDeprovision(name string) (store.DeprovisionAction, error) {
	switch name {
	case "deactivate":
		return store.DeprovisionDeactivate, nil
	case string(store.DeprovisionDelete):
		return store.DeprovisionDelete, nil
	}
	return "", invalidInput("deprovision", "unknown deprovisioning action %q (deactivate or delete)", name)
}

// ParsePolicyUpdate reads a change of provisioning policy from fields
// named as in the management API: "sign_in" (ParseSignInPolicy),
// "outside_domains" ("accept", "mark", "refuse" or "") and "deprovision"
// (ParseDeprovision). field returns a field's value and whether it was
// given; a field not given is left unchanged.
func ParsePolicyUpdate(field func(name string) (string, bool)) (PolicyUpdate, error) {
	var u PolicyUpdate
	if v, ok := field("sign_in"); ok {
		p, err := ParseSignInPolicy(v)
		if err != nil {
			return u, err
		}
		u.SignIn = &p
	}
	if v, ok := field("outside_domains"); ok {
		a := store.OutsideDomainAction(v)
		u.OutsideDomains = &a
	}
	if v, ok := field("deprovision"); ok {
		a, err := ParseDeprovision(v)
		if err != nil {
			return u, err
		}
		u.Deprovision = &a
	}
	return u, nil
}
