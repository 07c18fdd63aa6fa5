package admin

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/store"
)

// EventAttributeMappingsUpdated records a change of an organization's
// custom attribute mappings; its data lists the mappings now in force.
const EventAttributeMappingsUpdated = "attributes.mappings_updated"

// AttributeMappingInput is where an organization's identity provider and
// directory send one custom attribute the host declared (Field, a key of
// Config.Roles.Fields): the SAML attribute name, the OIDC claim name and
// the SCIM path (see scimkit.CheckAttributePath). Each may be empty; an
// empty SCIMPath reads the field from the host's SCIM extension when it
// declares one.
type AttributeMappingInput struct {
	Field         string `json:"field"`
	SAMLAttribute string `json:"saml_attribute"`
	OIDCClaim     string `json:"oidc_claim"`
	SCIMPath      string `json:"scim_path"`
}

// CustomFields returns the custom attributes the host declared
// (Config.Roles.Fields), in order.
func (a *Admin) CustomFields() []roles.Field {
	if a.cfg.Roles == nil {
		return nil
	}
	return slices.Clone(a.cfg.Roles.Fields)
}

// SCIMPathOf returns the SCIM path the field key is read from under the
// mapping m (nil for none): m's path, else the field's attribute of the
// host's SCIM extension, else "".
func (a *Admin) SCIMPathOf(key string, m *store.AttributeMapping) string {
	return a.cfg.Roles.SCIMPath(key, m)
}

// AttributeSetting is a declared custom attribute with the organization's
// mapping of it (zero when none) and the SCIM path read when the mapping
// names none.
type AttributeSetting struct {
	Field           roles.Field
	Mapping         store.AttributeMapping
	DefaultSCIMPath string
}

// AttributeSettings returns, for each declared custom attribute in order,
// the organization's mapping of it. ErrNotFound for an unknown
// organization.
func (a *Admin) AttributeSettings(ctx context.Context, orgID string) ([]AttributeSetting, error) {
	fields := a.CustomFields()
	if len(fields) == 0 {
		return nil, nil
	}
	ms, err := a.ListAttributeMappings(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]AttributeSetting, 0, len(fields))
	for _, f := range fields {
		s := AttributeSetting{Field: f, DefaultSCIMPath: a.SCIMPathOf(f.Key, nil)}
		if i := slices.IndexFunc(ms, func(m store.AttributeMapping) bool { return m.Field == f.Key }); i >= 0 {
			s.Mapping = ms[i]
		}
		out = append(out, s)
	}
	return out, nil
}

// ListAttributeMappings returns the organization's custom attribute
// mappings ordered by field. ErrNotFound for an unknown organization.
func (a *Admin) ListAttributeMappings(ctx context.Context, orgID string) ([]store.AttributeMapping, error) {
	if _, err := a.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	ms, err := a.st.ListAttributeMappings(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("admin: listing attribute mappings: %w", err)
	}
	return ms, nil
}

// SetAttributeMappings replaces the organization's custom attribute
// mappings with in, with an attributes.mappings_updated event. Each field
// must be declared and given once; names are trimmed, SCIM paths must be
// ones the SCIM server reads (scimkit.CheckAttributePath) and are kept in
// their canonical case. A mapping with no name at all is dropped. Setting
// the mappings in force writes nothing. When a field's SCIM path changes,
// the values of the users already provisioned are read again from the
// SCIM resources the Store keeps (see ReadCustomValues) before it
// returns.
func (a *Admin) SetAttributeMappings(ctx context.Context, orgID string, in []AttributeMappingInput, actor string) ([]store.AttributeMapping, error) {
	if _, err := a.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	if a.cfg.Roles == nil || len(a.cfg.Roles.Fields) == 0 {
		return nil, invalidInput("field", "the application declares no custom attributes")
	}
	next := make([]store.AttributeMapping, 0, len(in))
	for _, m := range in {
		f, ok := a.cfg.Roles.Field(m.Field)
		if !ok {
			return nil, invalidInput("field", "unknown custom attribute %q", m.Field)
		}
		if slices.ContainsFunc(next, func(n store.AttributeMapping) bool { return n.Field == f.Key }) {
			return nil, invalidInput("field", "custom attribute %q is mapped twice", f.Key)
		}
		sm := store.AttributeMapping{OrgID: orgID, Field: f.Key}
		for _, n := range []struct {
			field string
			in    string
			out   *string
		}{{"saml_attribute", m.SAMLAttribute, &sm.SAMLAttribute}, {"oidc_claim", m.OIDCClaim, &sm.OIDCClaim}, {"scim_path", m.SCIMPath, &sm.SCIMPath}} {
			v := strings.TrimSpace(n.in)
			if utf8.RuneCountInString(v) > MaxNameLength || !utf8.ValidString(v) || store.ValidateLine(n.field, v) != nil {
				return nil, invalidInput(n.field, "a name of at most %d characters, without control characters", MaxNameLength)
			}
			*n.out = v
		}
		if sm.SCIMPath != "" {
			p, err := scimkit.CheckAttributePath(a.cfg.Roles, sm.SCIMPath)
			if err != nil {
				return nil, invalidInput("scim_path", "%v", err)
			}
			sm.SCIMPath = p
		}
		if sm.SAMLAttribute == "" && sm.OIDCClaim == "" && sm.SCIMPath == "" {
			continue
		}
		next = append(next, sm)
	}
	slices.SortFunc(next, func(x, y store.AttributeMapping) int { return strings.Compare(x.Field, y.Field) })
	w := mappingWrite[store.AttributeMapping]{what: "attribute mappings", event: EventAttributeMappingsUpdated, list: a.st.ListAttributeMappings, set: a.st.SetAttributeMappings,
		data: func(next []store.AttributeMapping) any {
			return map[string]any{"mappings": attributeMappingsData(next)}
		}}
	cur, changed, err := w.replace(ctx, a, orgID, next, actor)
	if err != nil {
		return nil, err
	}
	if !changed || !a.scimPathsDiffer(cur, next) {
		return next, nil
	}
	if err := a.ReadCustomValues(ctx, orgID, actor); err != nil {
		return nil, err
	}
	return next, nil
}

// scimPathsDiffer reports whether some declared field is read from
// another SCIM path under the mappings next than under cur.
func (a *Admin) scimPathsDiffer(cur, next []store.AttributeMapping) bool {
	of := func(ms []store.AttributeMapping, key string) *store.AttributeMapping {
		if i := slices.IndexFunc(ms, func(m store.AttributeMapping) bool { return m.Field == key }); i >= 0 {
			return &ms[i]
		}
		return nil
	}
	for _, f := range a.cfg.Roles.Fields {
		if a.SCIMPathOf(f.Key, of(cur, f.Key)) != a.SCIMPathOf(f.Key, of(next, f.Key)) {
			return true
		}
	}
	return false
}

// ReadCustomValues reads again the custom values of every user of the
// organization's directories from the SCIM resource the Store keeps of
// it, through the organization's attribute mappings
// (scimkit.StoredCustomValues), RecomputeBatch users per Store write; each
// user whose values change is written with a directory.user.updated event.
// SetAttributeMappings calls it when a field's SCIM path changes; a host
// calls it again when it was interrupted.
func (a *Admin) ReadCustomValues(ctx context.Context, orgID, actor string) error {
	ms, err := a.ListAttributeMappings(ctx, orgID)
	if err != nil {
		return err
	}
	dirs, err := a.st.ListDirectories(ctx, orgID)
	if err != nil {
		return fmt.Errorf("admin: listing directories: %w", err)
	}
	now := a.now().UTC()
	update := func(u *store.DirectoryUser) ([]store.Event, error) {
		vals, err := scimkit.StoredCustomValues(a.cfg.Roles, ms, u)
		if err != nil {
			a.log.WarnContext(ctx, "admin: a directory user's SCIM resource does not decode; its custom values stay", "user", u.ID, "err", err)
			return nil, nil
		}
		if vals.Equal(u.Custom) {
			return nil, nil
		}
		u.Custom, u.UpdatedAt = vals, now
		ev, err := a.event(scimkit.EventUserUpdated, u.OrgID, u.ID, actorOr(actor), scimkit.UserDataOf(u))
		if err != nil {
			return nil, err
		}
		return []store.Event{ev}, nil
	}
	for _, d := range dirs {
		var after store.UserKey
		for {
			last, n, err := a.st.UpdateCustomValues(ctx, d.ID, after, RecomputeBatch, update)
			if err != nil {
				return fmt.Errorf("admin: reading custom values again: %w", err)
			}
			if n < RecomputeBatch {
				break
			}
			after = last
		}
	}
	return nil
}

// SetAttributeMapping sets the mapping of one custom attribute, keeping
// the organization's others (see SetAttributeMappings); a mapping with no
// name removes the attribute's.
func (a *Admin) SetAttributeMapping(ctx context.Context, orgID string, in AttributeMappingInput, actor string) ([]store.AttributeMapping, error) {
	cur, err := a.ListAttributeMappings(ctx, orgID)
	if err != nil {
		return nil, err
	}
	f, ok := a.cfg.Roles.Field(in.Field)
	if !ok {
		return nil, invalidInput("field", "unknown custom attribute %q", in.Field)
	}
	in.Field = f.Key
	all := []AttributeMappingInput{in}
	for _, m := range attributeMappingsData(cur) {
		if m.Field != f.Key {
			all = append(all, m)
		}
	}
	return a.SetAttributeMappings(ctx, orgID, all, actor)
}

func attributeMappingsData(ms []store.AttributeMapping) []AttributeMappingInput {
	out := make([]AttributeMappingInput, len(ms))
	for i, m := range ms {
		out[i] = AttributeMappingInput{Field: m.Field, SAMLAttribute: m.SAMLAttribute, OIDCClaim: m.OIDCClaim, SCIMPath: m.SCIMPath}
	}
	return out
}
