package scimkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/store"
)

// Custom attributes: the host declares fields (roles.Config.Fields), each
// organization maps each field to a SCIM path (store.AttributeMapping),
// and every user write reads the values at those paths into
// store.DirectoryUser.Custom, refusing a value of the wrong type with 400
// invalidValue naming the attribute. The host's own extension
// (roles.Config.SCIMExtension), when declared, is a schema of the User
// resource like the enterprise one, with one attribute per field.

// extensionSchema returns the host's SCIM extension: one attribute per
// field, named by its key, of its type (a string list is a multi-valued
// string).
func extensionSchema(rc *roles.Config) schema.Schema {
	attrs := make([]schema.CoreAttribute, 0, len(rc.Fields))
	for _, f := range rc.Fields {
		desc := optional.NewString(f.Label())
		if f.Description != "" {
			desc = optional.NewString(f.Description)
		}
		var a schema.CoreAttribute
		switch f.Type {
		case roles.FieldBoolean:
			a = schema.SimpleCoreAttribute(schema.SimpleBooleanParams(schema.BooleanParams{Name: f.Key, Description: desc}))
		case roles.FieldInteger:
			a = schema.SimpleCoreAttribute(schema.SimpleNumberParams(schema.NumberParams{Name: f.Key, Description: desc, Type: schema.AttributeTypeInteger()}))
		default:
			a = schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{Name: f.Key, Description: desc, MultiValued: f.Type == roles.FieldStringList}))
		}
		attrs = append(attrs, a)
	}
	return schema.Schema{
		ID:          rc.SCIMExtension,
		Name:        optional.NewString("User extension"),
		Description: optional.NewString("The application's own attributes of a user."),
		Attributes:  attrs,
	}
}

// customField returns the declared field key of the extension ext, when
// ext is the host's extension.
func (rs *resourceSchema) customField(ext, key string) (roles.Field, bool) {
	if rs.custom == nil || !strings.EqualFold(ext, rs.custom.SCIMExtension) {
		return roles.Field{}, false
	}
	return rs.custom.Field(key)
}

// checkExtensionValues converts the values of the host's extension in m (a
// normalised resource) to their fields' types, so that the schema
// validation gets canonical values, and refuses a value of another type
// with 400 invalidValue naming the attribute.
func (rs *resourceSchema) checkExtensionValues(m map[string]any) error {
	if rs.custom == nil || rs.custom.SCIMExtension == "" {
		return nil
	}
	obj, ok := m[rs.custom.SCIMExtension].(map[string]any)
	if !ok {
		if v, present := m[rs.custom.SCIMExtension]; present && v != nil {
			return invalidValue("The value of %s must be an object.", rs.custom.SCIMExtension)
		}
		return nil
	}
	for k, v := range obj {
		f, ok := rs.customField(rs.custom.SCIMExtension, k)
		if !ok {
			continue // the schema validation drops it
		}
		got, err := f.FromJSON(rs.custom.SCIMExtension+":"+f.Key, v)
		if err != nil {
			return valueError(err)
		}
		if l, ok := got.([]string); ok {
			vals := make([]any, len(l))
			for i := range l {
				vals[i] = l[i]
			}
			got = vals
		}
		delete(obj, k)
		obj[f.Key] = got
	}
	return nil
}

func invalidValue(format string, args ...any) error {
	return &scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidValue, Detail: fmt.Sprintf(format, args...)}
}

// valueError turns a *roles.ValueError into 400 invalidValue.
func valueError(err error) error {
	var ve *roles.ValueError
	if !errors.As(err, &ve) {
		return err
	}
	msg := ve.Error()
	r, n := utf8.DecodeRuneInString(msg)
	return invalidValue("%s%s.", string(unicode.ToUpper(r)), msg[n:])
}

// attrPath is a SCIM path a custom attribute is read from.
type attrPath struct {
	ext string   // extension URN, "" for the core schema
	def *attrDef // the attribute
	sub *attrDef // its sub-attribute, or nil
}

// parseAttrPath resolves path, "attr", "attr.sub" or either prefixed by
// the URN of the User schema or of one of its extensions. The attribute
// must be one a directory writes (not id, meta, groups or password) and
// hold strings, booleans or integers: a simple attribute, or a
// sub-attribute of a complex one.
func (rs *resourceSchema) parseAttrPath(path string) (*attrPath, error) {
	if path == "" || len(path) > 300 || !utf8.ValidString(path) {
		return nil, errors.New("a SCIM path is an attribute name (at most 300 characters)")
	}
	uri, rest := "", path
	if u, r, ok := rs.splitURN(path); ok {
		uri, rest = u, r
	} else if strings.HasPrefix(strings.ToLower(path), "urn:") {
		return nil, fmt.Errorf("%q names no schema of this server (the User schema, the enterprise extension or the application's extension)", path)
	}
	if uri == rs.core.ID {
		uri = ""
	}
	name, subName, hasSub := strings.Cut(rest, ".")
	def := rs.lookup(uri, name)
	if def == nil {
		return nil, fmt.Errorf("%q is not an attribute of the User resource", path)
	}
	p := &attrPath{ext: uri, def: def}
	if hasSub {
		if p.sub = def.subAttr(subName); p.sub == nil {
			return nil, fmt.Errorf("%q is not a sub-attribute of %s", subName, def.name)
		}
	}
	leaf := def
	if p.sub != nil {
		leaf = p.sub
	}
	if def.mutability == "readOnly" || def.mutability == "writeOnly" || leaf.mutability == "readOnly" || leaf.mutability == "writeOnly" {
		return nil, fmt.Errorf("%q is not written by a directory", path)
	}
	switch leaf.typ {
	case "string", "boolean", "integer", "reference":
	default:
		return nil, fmt.Errorf("%q holds %s values; map a string, boolean or integer attribute (a sub-attribute for a complex one)", path, leaf.typ)
	}
	return p, nil
}

// String renders the path canonically.
func (p *attrPath) String() string {
	s := p.def.name
	if p.sub != nil {
		s += "." + p.sub.name
	}
	if p.ext != "" {
		return p.ext + ":" + s
	}
	return s
}

// get returns the value at p in res, a validated resource: nil when
// absent, a []any when the attribute (or its parent) is multi-valued.
func (p *attrPath) get(res map[string]any) any {
	m := res
	if p.ext != "" {
		m, _ = res[p.ext].(map[string]any)
		if m == nil {
			return nil
		}
	}
	v := m[findKey(m, p.def.name)]
	if p.sub == nil || v == nil {
		return v
	}
	if p.def.multi {
		var out []any
		for _, e := range asList(v) {
			if em, ok := e.(map[string]any); ok {
				if sv := em[findKey(em, p.sub.name)]; sv != nil {
					out = append(out, sv)
				}
			}
		}
		if out == nil {
			return nil
		}
		return out
	}
	em, _ := v.(map[string]any)
	if em == nil {
		return nil
	}
	return em[findKey(em, p.sub.name)]
}

// CheckAttributePath reports whether path is a SCIM path a custom attribute
// can be mapped to on a Server configured with rc (which may be nil): an
// attribute of the User schema, of the enterprise extension or of rc's
// extension, holding strings, booleans or integers, that a directory
// writes. It returns the path in its canonical case.
func CheckAttributePath(rc *roles.Config, path string) (string, error) {
	p, err := newUserSchema(rc).parseAttrPath(strings.TrimSpace(path))
	if err != nil {
		return "", err
	}
	return p.String(), nil
}

// customMappings reads the attribute mappings of d's organization when the
// host declares fields; nil otherwise.
func (s *Server) customMappings(ctx context.Context, d *store.Directory) ([]store.AttributeMapping, error) {
	if s.users.custom == nil || len(s.users.custom.Fields) == 0 {
		return nil, nil
	}
	ms, err := s.st.ListAttributeMappings(ctx, d.OrgID)
	if err != nil {
		return nil, fmt.Errorf("scimkit: reading attribute mappings: %w", err)
	}
	return ms, nil
}

// customValues reads the custom values of res, a validated User, through
// the mappings ms (see readCustom). A mapping whose path this server no
// longer knows is skipped and logged; a value of the wrong type is
// refused with 400 invalidValue naming the attribute.
func (s *Server) customValues(ctx context.Context, ms []store.AttributeMapping, res map[string]any) (store.CustomValues, error) {
	out, err := s.users.readCustom(ms, res, func(f roles.Field, path string, err error) {
		s.log.WarnContext(ctx, "scimkit: an attribute mapping names a path this server does not serve", "field", f.Key, "path", path, "err", err)
	})
	if err != nil {
		return nil, valueError(err)
	}
	return out, nil
}

// readCustom reads the custom values of res through the mappings ms: for
// each declared field, the value at its SCIM path, converted to its type
// (see readField). A value of the wrong type is a *roles.ValueError.
func (rs *resourceSchema) readCustom(ms []store.AttributeMapping, res map[string]any, skip func(f roles.Field, path string, err error)) (store.CustomValues, error) {
	if rs.custom == nil {
		return nil, nil
	}
	var out store.CustomValues
	for _, f := range rs.custom.Fields {
		v, err := rs.readField(f, ms, res, skip)
		if err != nil {
			return nil, err
		}
		if v != nil {
			if out == nil {
				out = store.CustomValues{}
			}
			out[f.Key] = v
		}
	}
	return out, nil
}

// readField returns the value of the field f in res, read at the field's
// SCIM path under the mappings ms and converted to its type: nil when
// there is none. A path the schema does not know is reported to skip and
// not read; a value of the wrong type is a *roles.ValueError.
func (rs *resourceSchema) readField(f roles.Field, ms []store.AttributeMapping, res map[string]any, skip func(f roles.Field, path string, err error)) (any, error) {
	var m *store.AttributeMapping
	for i := range ms {
		if ms[i].Field == f.Key {
			m = &ms[i]
		}
	}
	path := rs.custom.SCIMPath(f.Key, m)
	if path == "" {
		return nil, nil
	}
	p, err := rs.parseAttrPath(path)
	if err != nil {
		skip(f, path, err)
		return nil, nil
	}
	raw := p.get(res)
	if raw == nil {
		return nil, nil
	}
	return f.FromJSON(p.String(), raw)
}

// StoredCustomValues reads again the custom values of u, a directory user
// as the Store keeps it, from its SCIM resource (u.Attributes) through the
// attribute mappings ms of its organization, as a Server configured with
// rc reads them on each write. A value of the wrong type for its field,
// which a write would have refused, is left out, as is a field whose path
// this server does not serve. It serves a mapping change: the values of
// the users already provisioned follow the new paths without waiting for
// each user's next write.
func StoredCustomValues(rc *roles.Config, ms []store.AttributeMapping, u *store.DirectoryUser) (store.CustomValues, error) {
	if rc == nil || len(rc.Fields) == 0 || len(u.Attributes) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(u.Attributes))
	d.UseNumber()
	var res map[string]any
	if err := d.Decode(&res); err != nil {
		return nil, fmt.Errorf("scimkit: user %s: decoding its SCIM resource: %w", u.ID, err)
	}
	rs := newUserSchema(rc)
	var out store.CustomValues
	for _, f := range rc.Fields {
		v, err := rs.readField(f, ms, res, func(roles.Field, string, error) {})
		if err != nil || v == nil {
			continue
		}
		if out == nil {
			out = store.CustomValues{}
		}
		out[f.Key] = v
	}
	return out, nil
}
