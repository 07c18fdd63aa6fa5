package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// FieldType is the SCIM data type of a Field (RFC 7643 section 2.3).
type FieldType string

const (
	// FieldString is a string, reference or binary attribute.
	FieldString FieldType = "string"
	// FieldBoolean is a boolean attribute: eq, ne and pr only.
	FieldBoolean FieldType = "boolean"
	// FieldDateTime is a dateTime attribute (an RFC 3339 string in the
	// document): eq, ne, gt, ge, lt, le and pr.
	FieldDateTime FieldType = "dateTime"
	// FieldComplex is a complex attribute without a sub-attribute: pr only.
	FieldComplex FieldType = "complex"
)

// Field compares a value of the raw SCIM resource a Store keeps beside its
// normalised fields (DirectoryUser.Attributes, DirectoryGroup.Attributes),
// for the attributes that have no Attr of their own: title, nickName,
// name.middleName, phoneNumbers.value, the enterprise extension...
//
// Path names the value from the top of the document, for instance
// {"title"}, {"name", "middleName"}, {"phoneNumbers", "type"} or
// {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
// "manager", "value"}; keys match case-insensitively, as SCIM attribute
// names do. Where a step reaches an array, the comparison holds when it
// holds for some element. A missing value compares as the empty string
// (FieldString) or false (FieldBoolean), as a missing single-valued Attr
// does; a missing dateTime is unequal to every value and neither before
// nor after any. pr holds for a present value that is not "", not null,
// and not an empty object or array.
//
// Value is a string for FieldString, a bool for FieldBoolean, a time.Time
// for FieldDateTime, and nil for OpPr. Strings compare case-insensitively
// (after strings.ToLower) unless CaseExact, and by code point for gt, ge,
// lt and le, as Compare does. ne is the negation of eq for each value.
//
// A Store evaluates a Field in one pass over the resources of one
// directory (it has no index); CompileField and DecodeAttributes do it for
// a Store that keeps the document as it was given.
type Field struct {
	Path      []string
	Type      FieldType
	CaseExact bool
	Op        Op
	Value     any
}

// Some matches when some element of the multi-valued attribute at Path
// satisfies F, as the SCIM value filter emails[type eq "work" and primary
// eq true] does. F is made of Field, And, Or and Not nodes whose paths
// start at the element; an element that is not an object is seen as
// {"value": element}.
type Some struct {
	Path []string
	F    Filter
}

func (Field) isFilter() {}
func (Some) isFilter()  {}

// maxFieldPath bounds the steps of a Field or Some path.
const maxFieldPath = 4

// DecodeAttributes decodes a raw SCIM document for CompileField's
// predicates. An empty document is an empty object.
func DecodeAttributes(raw []byte) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return map[string]any{}, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: attributes are not a JSON object: %v", ErrInvalid, err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// CompileField validates f, a Field or a Some (or a pointer to one), and
// returns its predicate over a document from DecodeAttributes. It fails
// with ErrInvalid for a node that does not follow the rules of Field and
// Some.
func CompileField(f Filter) (func(doc map[string]any) bool, error) {
	switch v := f.(type) {
	case Field:
		return compileField(v)
	case *Field:
		if v != nil {
			return compileField(*v)
		}
	case Some:
		return compileSome(v)
	case *Some:
		if v != nil {
			return compileSome(*v)
		}
	default:
		return nil, fmt.Errorf("%w: filter: %T is not a Field or Some", ErrInvalid, f)
	}
	return nil, fmt.Errorf("%w: filter: nil node", ErrInvalid)
}

func checkPath(p []string) error {
	if len(p) == 0 || len(p) > maxFieldPath {
		return fmt.Errorf("%w: filter: a field path has 1 to %d steps", ErrInvalid, maxFieldPath)
	}
	for _, s := range p {
		if s == "" {
			return fmt.Errorf("%w: filter: empty step in a field path", ErrInvalid)
		}
	}
	return nil
}

func compileSome(s Some) (func(map[string]any) bool, error) {
	if err := checkPath(s.Path); err != nil {
		return nil, err
	}
	inner, err := compileElement(s.F, 0)
	if err != nil {
		return nil, err
	}
	path := s.Path
	return func(doc map[string]any) bool {
		found := false
		walk(doc, path, func(v any, _ bool) bool {
			if v == nil {
				return true
			}
			el, ok := v.(map[string]any)
			if !ok {
				el = map[string]any{"value": v}
			}
			found = inner(el)
			return !found
		})
		return found
	}, nil
}

// compileElement compiles the filter of a Some: Field, And, Or, Not.
func compileElement(f Filter, depth int) (func(map[string]any) bool, error) {
	if depth > 64 {
		return nil, fmt.Errorf("%w: filter: nested too deeply", ErrInvalid)
	}
	switch v := f.(type) {
	case *And:
		if v != nil {
			return compileElement(*v, depth)
		}
	case *Or:
		if v != nil {
			return compileElement(*v, depth)
		}
	case *Not:
		if v != nil {
			return compileElement(*v, depth)
		}
	case *Field:
		if v != nil {
			return compileField(*v)
		}
	case And:
		l, err := compileElement(v.Left, depth+1)
		if err != nil {
			return nil, err
		}
		r, err := compileElement(v.Right, depth+1)
		if err != nil {
			return nil, err
		}
		return func(d map[string]any) bool { return l(d) && r(d) }, nil
	case Or:
		l, err := compileElement(v.Left, depth+1)
		if err != nil {
			return nil, err
		}
		r, err := compileElement(v.Right, depth+1)
		if err != nil {
			return nil, err
		}
		return func(d map[string]any) bool { return l(d) || r(d) }, nil
	case Not:
		in, err := compileElement(v.F, depth+1)
		if err != nil {
			return nil, err
		}
		return func(d map[string]any) bool { return !in(d) }, nil
	case Field:
		return compileField(v)
	case nil:
	default:
		return nil, fmt.Errorf("%w: filter: %T inside Some", ErrInvalid, f)
	}
	return nil, fmt.Errorf("%w: filter: empty node inside Some", ErrInvalid)
}

func compileField(f Field) (func(map[string]any) bool, error) {
	if err := checkPath(f.Path); err != nil {
		return nil, err
	}
	if f.Op == OpPr {
		if f.Value != nil {
			return nil, fmt.Errorf("%w: filter: pr takes no value", ErrInvalid)
		}
		switch f.Type {
		case FieldString, FieldBoolean, FieldDateTime, FieldComplex:
		default:
			return nil, fmt.Errorf("%w: filter: unknown field type %q", ErrInvalid, f.Type)
		}
		return anyValue(f.Path, present), nil
	}
	var p func(v any) bool
	switch f.Type {
	case FieldString:
		s, ok := f.Value.(string)
		if !ok {
			return nil, fmt.Errorf("%w: filter: %s needs a string, got %T", ErrInvalid, strings.Join(f.Path, "."), f.Value)
		}
		sp, err := stringOp(f.Op, s, !f.CaseExact)
		if err != nil {
			return nil, err
		}
		p = func(v any) bool {
			switch x := v.(type) {
			case string:
				return sp(x)
			case nil:
				return sp("")
			}
			return f.Op == OpNe
		}
	case FieldBoolean:
		b, ok := f.Value.(bool)
		if !ok {
			return nil, fmt.Errorf("%w: filter: %s needs a bool, got %T", ErrInvalid, strings.Join(f.Path, "."), f.Value)
		}
		if f.Op != OpEq && f.Op != OpNe {
			return nil, fmt.Errorf("%w: filter: operator %q does not apply to a boolean", ErrInvalid, f.Op)
		}
		p = func(v any) bool {
			got, ok := docBool(v)
			return ok && got == b == (f.Op == OpEq) || !ok && f.Op == OpNe
		}
	case FieldDateTime:
		t, ok := f.Value.(time.Time)
		if !ok {
			return nil, fmt.Errorf("%w: filter: %s needs a time, got %T", ErrInvalid, strings.Join(f.Path, "."), f.Value)
		}
		var c func(int) bool
		switch f.Op {
		case OpEq:
			c = func(n int) bool { return n == 0 }
		case OpNe:
			c = func(n int) bool { return n != 0 }
		case OpGt:
			c = func(n int) bool { return n > 0 }
		case OpGe:
			c = func(n int) bool { return n >= 0 }
		case OpLt:
			c = func(n int) bool { return n < 0 }
		case OpLe:
			c = func(n int) bool { return n <= 0 }
		default:
			return nil, fmt.Errorf("%w: filter: operator %q does not apply to a dateTime", ErrInvalid, f.Op)
		}
		p = func(v any) bool {
			s, ok := v.(string)
			if !ok {
				return f.Op == OpNe
			}
			got, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return f.Op == OpNe
			}
			return c(got.Compare(t))
		}
	case FieldComplex:
		return nil, fmt.Errorf("%w: filter: a complex attribute supports pr only", ErrInvalid)
	default:
		return nil, fmt.Errorf("%w: filter: unknown field type %q", ErrInvalid, f.Type)
	}
	return anyValue(f.Path, p), nil
}

func anyValue(path []string, p func(any) bool) func(map[string]any) bool {
	return func(doc map[string]any) bool {
		found := false
		walk(doc, path, func(v any, _ bool) bool {
			found = p(v)
			return !found
		})
		return found
	}
}

// walk calls yield with each value at path in doc (nil for a missing one;
// the elements of arrays on the way) until yield returns false.
func walk(doc any, path []string, yield func(v any, inArray bool) bool) bool {
	if len(path) == 0 {
		if l, ok := doc.([]any); ok {
			for _, e := range l {
				if !yield(e, true) {
					return false
				}
			}
			return true
		}
		return yield(doc, false)
	}
	switch x := doc.(type) {
	case map[string]any:
		return walk(lookupKey(x, path[0]), path[1:], yield)
	case []any:
		for _, e := range x {
			if !walk(e, path, yield) {
				return false
			}
		}
		return true
	}
	return walk(nil, path[1:], yield)
}

// lookupKey returns m[k], matching k case-insensitively when no key is
// spelled exactly k.
func lookupKey(m map[string]any, k string) any {
	if v, ok := m[k]; ok {
		return v
	}
	for mk, v := range m {
		if strings.EqualFold(mk, k) {
			return v
		}
	}
	return nil
}

func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case map[string]any:
		return len(x) > 0
	case []any:
		return len(x) > 0
	}
	return true
}

func docBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case nil:
		return false, true
	case string:
		switch strings.ToLower(x) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// stringOp compiles a string comparison with v, folding case when fold is
// set.
func stringOp(op Op, v string, fold bool) (func(string) bool, error) {
	if fold {
		v = strings.ToLower(v)
	}
	var p func(string) bool
	switch op {
	case OpEq:
		p = func(s string) bool { return s == v }
	case OpNe:
		p = func(s string) bool { return s != v }
	case OpCo:
		p = func(s string) bool { return strings.Contains(s, v) }
	case OpSw:
		p = func(s string) bool { return strings.HasPrefix(s, v) }
	case OpEw:
		p = func(s string) bool { return strings.HasSuffix(s, v) }
	case OpGt:
		p = func(s string) bool { return s > v }
	case OpGe:
		p = func(s string) bool { return s >= v }
	case OpLt:
		p = func(s string) bool { return s < v }
	case OpLe:
		p = func(s string) bool { return s <= v }
	default:
		return nil, fmt.Errorf("%w: filter: unknown operator %q", ErrInvalid, op)
	}
	if fold {
		return func(s string) bool { return p(strings.ToLower(s)) }, nil
	}
	return p, nil
}
