package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
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

// A FieldMatcher is a compiled Field or Some.
type FieldMatcher struct {
	match func(map[string]any) bool
	// needles are strings that every matching document contains, in
	// its decoded text (lower-cased where fold).
	needles []needle
}

type needle struct {
	s    []byte
	fold bool
}

// CompileField validates f, a Field or a Some (or a pointer to one), and
// compiles it. It fails with ErrInvalid for a node that does not follow
// the rules of Field and Some.
func CompileField(f Filter) (*FieldMatcher, error) {
	var match func(map[string]any) bool
	var err error
	switch v := f.(type) {
	case Field:
		match, err = compileField(v)
	case *Field:
		if v == nil {
			return nil, fmt.Errorf("%w: filter: nil node", ErrInvalid)
		}
		match, err = compileField(*v)
	case Some:
		match, err = compileSome(v)
	case *Some:
		if v == nil {
			return nil, fmt.Errorf("%w: filter: nil node", ErrInvalid)
		}
		match, err = compileSome(*v)
	default:
		return nil, fmt.Errorf("%w: filter: %T is not a Field or Some", ErrInvalid, f)
	}
	if err != nil {
		return nil, err
	}
	return &FieldMatcher{match: match, needles: needlesOf(f, nil)}, nil
}

// Match reports whether doc, from DecodeAttributes, matches.
func (m *FieldMatcher) Match(doc map[string]any) bool { return m.match(doc) }

// MayMatch is a quick test on the raw document, without decoding it: when
// it reports false, Match of the decoded document is false too. A
// comparison eq, co, sw or ew with a non-empty string can only hold when
// the document's text contains that string.
func (m *FieldMatcher) MayMatch(raw []byte) bool {
	if len(m.needles) == 0 {
		return true
	}
	text, ok := documentText(raw)
	if !ok {
		return true
	}
	ascii := isASCII(text)
	var lower []byte
	for _, n := range m.needles {
		switch {
		case !n.fold:
			if !bytes.Contains(text, n.s) {
				return false
			}
		case ascii:
			if !containsFoldASCII(text, n.s) {
				return false
			}
		default:
			if lower == nil {
				lower = bytes.ToLower(text)
			}
			if !bytes.Contains(lower, n.s) {
				return false
			}
		}
	}
	return true
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// containsFoldASCII reports whether the ASCII text contains low, a
// lower-cased needle, ignoring the case of ASCII letters: what
// bytes.Contains(bytes.ToLower(text), low) reports, without the copy.
func containsFoldASCII(text, low []byte) bool {
	if len(low) == 0 {
		return true
	}
	c0, u0 := low[0], low[0]
	if 'a' <= c0 && c0 <= 'z' {
		u0 = c0 - 'a' + 'A'
	}
	for i := 0; i+len(low) <= len(text); i++ {
		if c := text[i]; c != c0 && c != u0 {
			continue
		}
		j := 1
		for ; j < len(low); j++ {
			c := text[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != low[j] {
				break
			}
		}
		if j == len(low) {
			return true
		}
	}
	return false
}

// needlesOf appends the strings every document matching f contains.
func needlesOf(f Filter, out []needle) []needle {
	switch v := f.(type) {
	case *Field:
		return needlesOf(*v, out)
	case *Some:
		return needlesOf(*v, out)
	case *And:
		return needlesOf(*v, out)
	case Field:
		s, ok := v.Value.(string)
		if v.Type != FieldString || !ok || s == "" {
			return out
		}
		switch v.Op {
		case OpEq, OpCo, OpSw, OpEw:
			if v.CaseExact {
				return append(out, needle{s: []byte(s)})
			}
			return append(out, needle{s: []byte(strings.ToLower(s)), fold: true})
		}
	case Some:
		return needlesOf(v.F, out)
	case And:
		return needlesOf(v.Right, needlesOf(v.Left, out))
	}
	return out
}

// documentText returns the JSON text raw with its string escapes decoded,
// so that every string of the document is a substring of it. It reports
// false for what it does not decode exactly as encoding/json does
// (surrogate escapes, invalid UTF-8, malformed escapes).
func documentText(raw []byte) ([]byte, bool) {
	if !utf8.Valid(raw) {
		return nil, false
	}
	i := bytes.IndexByte(raw, '\\')
	if i < 0 {
		return raw, true
	}
	out := make([]byte, 0, len(raw))
	for i >= 0 {
		out = append(out, raw[:i]...)
		if i+1 >= len(raw) {
			return nil, false
		}
		switch c := raw[i+1]; c {
		case '"', '\\', '/':
			out = append(out, c)
			raw = raw[i+2:]
		case 'b':
			out, raw = append(out, '\b'), raw[i+2:]
		case 'f':
			out, raw = append(out, '\f'), raw[i+2:]
		case 'n':
			out, raw = append(out, '\n'), raw[i+2:]
		case 'r':
			out, raw = append(out, '\r'), raw[i+2:]
		case 't':
			out, raw = append(out, '\t'), raw[i+2:]
		case 'u':
			if i+6 > len(raw) {
				return nil, false
			}
			n, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 32)
			if err != nil || utf16.IsSurrogate(rune(n)) {
				return nil, false
			}
			out = utf8.AppendRune(out, rune(n))
			raw = raw[i+6:]
		default:
			return nil, false
		}
		i = bytes.IndexByte(raw, '\\')
	}
	return append(out, raw...), true
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
		walk(doc, path, func(v any) bool {
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
		walk(doc, path, func(v any) bool {
			found = p(v)
			return !found
		})
		return found
	}
}

// walk calls yield with each value at path in doc (nil for a missing one;
// the elements of arrays on the way) until yield returns false.
func walk(doc any, path []string, yield func(v any) bool) bool {
	if len(path) == 0 {
		if l, ok := doc.([]any); ok {
			for _, e := range l {
				if !yield(e) {
					return false
				}
			}
			return true
		}
		return yield(doc)
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
