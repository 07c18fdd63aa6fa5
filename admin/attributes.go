package admin

import (
	"context"
	"errors"
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
// the mappings in force writes nothing. Values already stored on directory
// users change with each user's next SCIM write.
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
	cur, err := a.st.ListAttributeMappings(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("admin: listing attribute mappings: %w", err)
	}
	if slices.Equal(cur, next) {
		return next, nil
	}
	ev, err := a.event(EventAttributeMappingsUpdated, orgID, orgID, actorOr(actor), map[string]any{"mappings": attributeMappingsData(next)})
	if err != nil {
		return nil, err
	}
	if err := a.st.SetAttributeMappings(ctx, orgID, next, ev); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound("organization", orgID)
		}
		return nil, fmt.Errorf("admin: setting attribute mappings: %w", err)
	}
	return next, nil
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
