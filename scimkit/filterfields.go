package scimkit

import (
	"strings"
	"sync"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/onboardkit/onboardkit/store"
)

// Filters on attributes the Store keeps in no column of its own (title,
// nickName, name.middleName, phoneNumbers.type, addresses.locality, the
// enterprise extension...) become store.Field and store.Some nodes, typed
// from the schema that /Schemas advertises: strings compare
// case-insensitively unless the attribute is caseExact, booleans take eq
// and ne, dateTimes compare as instants, a complex attribute takes pr
// only. An attribute the schema does not know, and those never kept in
// the document (password, the read-only groups of a User, the read-only
// sub-attributes), are refused with invalidFilter.

var (
	userSchema  = sync.OnceValue(func() *resourceSchema { return newUserSchema(nil) })
	groupSchema = sync.OnceValue(newGroupSchema)
)

// coreURI reports whether p has no URN prefix or the core one.
func coreURI(p filter.AttributePath, core string) bool {
	u := p.URI()
	return u == "" || strings.EqualFold(u, core)
}

// fieldLeaf translates a comparison on an attribute of rs's document.
func fieldLeaf(f string, rs *resourceSchema, e *filter.AttributeExpression) (store.Filter, error) {
	p := e.AttributePath
	op := strings.ToLower(string(e.Operator))
	def := rs.lookup(p.URI(), p.AttributeName)
	if def == nil {
		return nil, filterErr(f, "attribute %q is not filterable", p.String())
	}
	path := []string{def.name}
	if def.extensionOf != "" {
		path = []string{def.extensionOf, def.name}
	}
	if err := filterable(f, def, p); err != nil {
		return nil, err
	}
	target := def
	if sub := p.SubAttributeName(); sub != "" {
		target = def.subAttr(sub)
		if target == nil {
			return nil, filterErr(f, "attribute %q is not filterable", p.String())
		}
	} else if def.typ == "complex" && op != "pr" {
		// RFC 7644 section 3.4.2.2: a multi-valued complex attribute
		// without sub-attribute is compared through its value.
		if target = def.subAttr("value"); target == nil || !def.multi {
			return nil, filterErr(f, "attribute %q needs a sub-attribute", p.String())
		}
	}
	if target == def {
		return fieldCompare(f, path, target, op, e.CompareValue, p.String())
	}
	if def.multi {
		// Some element of the attribute has the sub-attribute compared:
		// a user without phone numbers has no phone number "ne" anything.
		in, err := fieldCompare(f, []string{target.name}, target, op, e.CompareValue, p.String())
		if err != nil {
			return nil, err
		}
		return store.Some{Path: path, F: in}, nil
	}
	return fieldCompare(f, append(path, target.name), target, op, e.CompareValue, p.String())
}

// filterable refuses the attributes never kept in the stored document.
func filterable(f string, def *attrDef, p filter.AttributePath) error {
	if def.returned == "never" || def.mutability == "readOnly" || def.mutability == "writeOnly" {
		return filterErr(f, "attribute %q is not filterable", p.String())
	}
	return nil
}

// fieldCompare builds the Field comparing the attribute at path, of
// definition def, with v.
func fieldCompare(f string, path []string, def *attrDef, op string, v any, name string) (store.Filter, error) {
	if err := filterable(f, def, filter.AttributePath{}); err != nil {
		return nil, filterErr(f, "attribute %q is not filterable", name)
	}
	if !validOp(op) {
		return nil, filterErr(f, "unknown operator %q", op)
	}
	fl := store.Field{Path: path, CaseExact: def.caseExact, Op: store.Op(op)}
	switch def.typ {
	case "string", "reference", "binary":
		fl.Type = store.FieldString
	case "boolean":
		fl.Type = store.FieldBoolean
	case "dateTime":
		fl.Type = store.FieldDateTime
	case "complex":
		fl.Type = store.FieldComplex
		if op != "pr" {
			return nil, filterErr(f, "attribute %q supports pr only", name)
		}
	case "integer", "decimal":
		// The document keeps a number, which a Field does not compare:
		// presence only.
		if op != "pr" {
			return nil, filterErr(f, "attribute %q is a number: only pr is supported", name)
		}
		fl.Type = store.FieldString
	default:
		return nil, filterErr(f, "attribute %q of type %s is not filterable", name, def.typ)
	}
	if op == "pr" {
		return fl, nil
	}
	switch fl.Type {
	case store.FieldString:
		s, err := stringValue(f, v)
		if err != nil {
			return nil, err
		}
		fl.Value = s
	case store.FieldBoolean:
		if op != "eq" && op != "ne" {
			return nil, filterErr(f, "operator %q does not apply to a boolean", op)
		}
		b, err := boolValue(f, v)
		if err != nil {
			return nil, err
		}
		fl.Value = b
	case store.FieldDateTime:
		switch op {
		case "eq", "ne", "gt", "ge", "lt", "le":
		default:
			return nil, filterErr(f, "operator %q does not apply to a dateTime", op)
		}
		s, err := stringValue(f, v)
		if err != nil {
			return nil, err
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, filterErr(f, "malformed dateTime %q", s)
		}
		fl.Value = t.UTC()
	}
	return fl, nil
}

// someFilter translates a value filter, attr[filter], on a multi-valued
// attribute of rs's document.
func someFilter(f string, rs *resourceSchema, vp *filter.ValuePath) (store.Filter, error) {
	p := vp.AttributePath
	def := rs.lookup(p.URI(), p.AttributeName)
	if def == nil || p.SubAttribute != nil || def.typ != "complex" || vp.ValueFilter == nil {
		return nil, filterErr(f, "value filter on %q is not supported", p.String())
	}
	if err := filterable(f, def, p); err != nil {
		return nil, err
	}
	if def.name == "members" && def.extensionOf == "" && rs.name == "Group" {
		return nil, filterErr(f, "value filter on %q is not supported", p.String())
	}
	path := []string{def.name}
	if def.extensionOf != "" {
		path = []string{def.extensionOf, def.name}
	}
	in, err := elementFilter(f, def, vp.ValueFilter, 0)
	if err != nil {
		return nil, err
	}
	return store.Some{Path: path, F: in}, nil
}

// elementFilter translates the filter inside the brackets of a value
// filter, whose attributes are sub-attributes of def.
func elementFilter(f string, def *attrDef, e filter.Expression, depth int) (store.Filter, error) {
	if depth > maxFilterDepth {
		return nil, filterErr(f, "nested too deeply")
	}
	if sf, ok, err := compound(f, e, depth, func(e filter.Expression, depth int) (store.Filter, error) {
		return elementFilter(f, def, e, depth)
	}); ok {
		return sf, err
	}
	switch e := e.(type) {
	case *filter.AttributeExpression:
		p := e.AttributePath
		if p.URIPrefix != nil || p.SubAttribute != nil {
			return nil, filterErr(f, "unsupported attribute %q in a value filter", p.String())
		}
		sd := def.subAttr(p.AttributeName)
		if sd == nil {
			return nil, filterErr(f, "attribute %q is not filterable", def.name+"."+p.AttributeName)
		}
		return fieldCompare(f, []string{sd.name}, sd, strings.ToLower(string(e.Operator)), e.CompareValue, def.name+"."+sd.name)
	}
	return nil, filterErr(f, "unsupported expression in a value filter")
}

// boolValue reads a boolean literal, or a string "true"/"false" in any
// case as Entra sends.
func boolValue(f string, v any) (bool, error) {
	switch v := v.(type) {
	case bool:
		return v, nil
	case string:
		s, err := stringValue(f, v)
		if err != nil {
			return false, err
		}
		switch strings.ToLower(s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return false, filterErr(f, "expected a boolean, got %q", s)
	}
	return false, filterErr(f, "expected a boolean, got %T", v)
}
