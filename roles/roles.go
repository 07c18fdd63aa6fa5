// Package roles holds what a host declares about its users, for every
// organization to map: its roles, which the organizations' role mappings
// (see store.RoleMapping) give to the users who sign in, and its custom
// attributes (Field), whose values the organizations' attribute mappings
// (see store.AttributeMapping) read from their identity provider and
// directory.
//
// The Store computes the roles of each directory user from the mappings of
// directory groups, in the write that changes them (see store.RoleStore);
// this package adds the host's default role and, for a user the directory
// did not provision, maps the group values the identity provider sends.
package roles

import (
	"errors"
	"fmt"
	"slices"

	"github.com/onboardkit/onboardkit/store"
)

// Role is one role of the host's app.
type Role struct {
	Key         string // stable identifier, stored in mappings and sent to the host
	Name        string // shown to IT admins and operators
	Description string
}

// Config declares the host's roles. The zero Config declares none: no
// mapping can then be made and users sign in with no role, unless
// PassThrough is set.
type Config struct {
	// Roles are the roles an IT admin may map groups to.
	Roles []Role

	// Default is the key of the role of a user no mapping gives a role;
	// "" gives such a user no role.
	Default string

	// PassThrough makes a user the directory did not provision keep the
	// identity provider's group values that no mapping names, as roles.
	// Off by default: only mapped roles reach the host.
	PassThrough bool

	// Fields are the custom attributes of the host's users. Each
	// organization maps each field to a SAML attribute, an OIDC claim and
	// a SCIM path; the values reach the host on ssokit's Profile.Custom,
	// on the directory users and in the directory's events.
	Fields []Field

	// SCIMExtension, when set, is the URN of the host's own SCIM schema
	// extension of the User resource, such as
	// "urn:ietf:params:scim:schemas:extension:acme:2.0:User": the SCIM
	// server advertises it in /Schemas and /ResourceTypes with one
	// attribute per field (named by its key, of its type), and reads a
	// field whose organization gives it no SCIM path from it. Empty: no
	// extension; fields are read only from the paths the organizations
	// map.
	SCIMExtension string
}

// Validate reports a Config whose keys are empty, malformed or repeated,
// whose Default is not one of Roles, or whose SCIMExtension is not a URN
// of the host's own.
func (c *Config) Validate() error {
	if err := c.validateFields(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, r := range c.Roles {
		if r.Key == "" {
			return errors.New("roles: a role has an empty key")
		}
		if seen[r.Key] {
			return fmt.Errorf("roles: role %q is declared twice", r.Key)
		}
		seen[r.Key] = true
	}
	if c.Default != "" && !seen[c.Default] {
		return fmt.Errorf("roles: the default role %q is not declared", c.Default)
	}
	return nil
}

// Known reports whether key is a declared role.
func (c *Config) Known(key string) bool {
	return slices.ContainsFunc(c.Roles, func(r Role) bool { return r.Key == key })
}

// Lookup returns the declared role key.
func (c *Config) Lookup(key string) (Role, bool) {
	i := slices.IndexFunc(c.Roles, func(r Role) bool { return r.Key == key })
	if i < 0 {
		return Role{}, false
	}
	return c.Roles[i], true
}

// Effective returns mapped, or the default role when mapped is empty.
func (c *Config) Effective(mapped []string) []string {
	if len(mapped) > 0 {
		return slices.Clone(mapped)
	}
	if c.Default != "" {
		return []string{c.Default}
	}
	return nil
}

// FromIdP returns the sorted distinct roles the identity-provider group
// mappings give the group values groups, and the values no mapping names.
func FromIdP(groups []string, mappings []store.RoleMapping) (mapped, unmapped []string) {
	for _, g := range groups {
		found := false
		for _, m := range mappings {
			if m.Source == store.RoleFromIdPGroup && m.Value == g {
				mapped, found = append(mapped, m.Role), true
			}
		}
		if !found {
			unmapped = append(unmapped, g)
		}
	}
	slices.Sort(mapped)
	return slices.Compact(mapped), unmapped
}

// ForLogin returns the roles of a user who signs in: the roles the Store
// computed for u, the active directory user of the organization, when
// there is one; else the roles the mappings give the identity provider's
// group values groups (with the unmapped values under PassThrough). Either
// falls back to the default role.
func (c *Config) ForLogin(u *store.DirectoryUser, groups []string, mappings []store.RoleMapping) []string {
	if u != nil {
		return c.Effective(u.Roles)
	}
	mapped, unmapped := FromIdP(groups, mappings)
	if c.PassThrough {
		mapped = append(mapped, unmapped...)
		slices.Sort(mapped)
		mapped = slices.Compact(mapped)
	}
	return c.Effective(mapped)
}
