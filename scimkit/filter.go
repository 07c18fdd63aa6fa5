package scimkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/onboardkit/onboardkit/store"
)

// maxFilterLength bounds the filters scimkit parses. Real clients send
// filters of a few dozen characters.
const maxFilterLength = 4096

// FilterError explains why a SCIM filter was refused. The IdP sees a
// generic 400 invalidFilter; the reason is logged.
type FilterError struct {
	Filter string
	Reason string
}

// Error describes why the filter was refused.
func (e *FilterError) Error() string {
	return fmt.Sprintf("scimkit: invalid filter %q: %s", e.Filter, e.Reason)
}

func filterErr(f, format string, args ...any) error {
	return &FilterError{Filter: f, Reason: fmt.Sprintf(format, args...)}
}

// ParseUserFilter parses a SCIM filter on Users and translates it into a
// store.Filter. Anything that cannot be translated faithfully is refused
// with a *FilterError: scimkit never drops a condition it does not
// understand.
//
// Attributes of the enterprise extension are filtered on the document
// the Store keeps; the attributes of a host's own extension are known
// only to a Server configured with it (see Server's filtering).
func ParseUserFilter(f string) (store.Filter, error) {
	return parseAndTranslate(f, userLeaf, userValuePath)
}

// parseUserFilterIn is ParseUserFilter with the User schema rs, which may
// declare the host's extension: its string attributes take every string
// operator, its booleans eq and ne, its integers pr only.
func parseUserFilterIn(f string, rs *resourceSchema) (store.Filter, error) {
	schema := func() *resourceSchema { return rs }
	return parseAndTranslate(f, userLeafIn(schema), userValuePathIn(schema))
}

// ParseGroupFilter is ParseUserFilter for Groups.
func ParseGroupFilter(f string) (store.Filter, error) {
	return parseAndTranslate(f, groupLeaf, groupValuePath)
}

type leafFunc func(f string, e *filter.AttributeExpression) (store.Filter, error)
type valuePathFunc func(f string, vp *filter.ValuePath) (store.Filter, error)

func parseAndTranslate(f string, leaf leafFunc, vpf valuePathFunc) (store.Filter, error) {
	f = strings.TrimSpace(f)
	if f == "" {
		return nil, filterErr(f, "empty filter")
	}
	if len(f) > maxFilterLength {
		return nil, filterErr(f[:64], "filter longer than %d bytes", maxFilterLength)
	}
	if e, ok := simpleFilter(f); ok {
		return leaf(f, e)
	}
	expr, err := parseSCIMFilter(f)
	if err != nil {
		return nil, err
	}
	if n := filterTerms(expr); n > maxFilterTerms {
		return nil, filterErr(f[:min(len(f), 64)], "more than %d comparisons", maxFilterTerms)
	}
	sf, err := translate(f, expr, leaf, vpf, 0)
	if err != nil {
		return nil, err
	}
	return fitStore(f, sf)
}

// simpleFilter parses the filters IdPs send on every provisioning step,
// `attr op "value"` and `attr pr` without URN prefix, brackets or escapes,
// without the general parser (which costs ~2,000 allocations per call).
// Anything else reports false and goes to the general parser; the fuzz
// test checks that both agree.
func simpleFilter(f string) (*filter.AttributeExpression, bool) {
	path, rest, ok := strings.Cut(f, " ")
	if !ok || !simpleAttrPath(path) {
		return nil, false
	}
	rest = strings.TrimLeft(rest, " ")
	op, val, _ := strings.Cut(rest, " ")
	op = strings.ToLower(op)
	if !validOp(op) {
		return nil, false
	}
	val = strings.TrimLeft(val, " ")
	e := &filter.AttributeExpression{Operator: filter.CompareOperator(op)}
	name, sub, dotted := strings.Cut(path, ".")
	e.AttributePath.AttributeName = name
	if dotted {
		e.AttributePath.SubAttribute = &sub
	}
	if op == "pr" {
		return e, val == ""
	}
	if len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
		return nil, false
	}
	v := val[1 : len(val)-1]
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '"' || c == '\\' || c < 0x20 || c == 0x7f {
			return nil, false
		}
	}
	if !utf8.ValidString(v) {
		return nil, false
	}
	e.CompareValue = v
	return e, true
}

// simpleAttrPath accepts ATTRNAME [ "." ATTRNAME ] with ATTRNAME = ALPHA
// *(ALPHA / DIGIT / "-" / "_").
func simpleAttrPath(p string) bool {
	name, sub, dotted := strings.Cut(p, ".")
	return simpleName(name) && (!dotted || simpleName(sub))
}

func simpleName(n string) bool {
	if n == "" || !('a' <= n[0] && n[0] <= 'z' || 'A' <= n[0] && n[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(n); i++ {
		c := n[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// parseSCIMFilter parses f with filter-parser, after rewriting the
// "attr[valFilter].sub op value" form that clients send (and RFC 7644's
// grammar lacks) into "attr[valFilter and sub op value]".
func parseSCIMFilter(f string) (expr filter.Expression, err error) {
	rewritten, err := rewriteValuePathCompare(f)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			expr, err = nil, filterErr(f, "parser failure")
		}
	}()
	expr, err = filter.ParseFilter([]byte(rewritten))
	if err != nil {
		return nil, filterErr(f, "syntax: %v", err)
	}
	return expr, nil
}

// rewriteValuePathCompare turns `emails[type eq "work"].value eq "x"` into
// `emails[type eq "work" and value eq "x"]`, outside string literals.
func rewriteValuePathCompare(f string) (string, error) {
	if !strings.Contains(f, "].") {
		return f, nil
	}
	var b strings.Builder
	inStr, esc := false, false
	open := -1 // index in b of the last '[' outside strings
	for i := 0; i < len(f); i++ {
		c := f[i]
		if inStr {
			b.WriteByte(c)
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '[':
			open = b.Len()
		case ']':
			if i+1 < len(f) && f[i+1] == '.' && open >= 0 {
				// sub-attribute name
				j := i + 2
				for j < len(f) && isAttrChar(f[j]) {
					j++
				}
				sub := f[i+2 : j]
				if sub == "" {
					return "", filterErr(f, "missing sub-attribute after ']'")
				}
				// SP op
				k := j
				for k < len(f) && f[k] == ' ' {
					k++
				}
				o := k
				for k < len(f) && isAttrChar(f[k]) {
					k++
				}
				op := strings.ToLower(f[o:k])
				if k == o || !validOp(op) {
					return "", filterErr(f, "expected an operator after %q", sub)
				}
				end := k
				if op != "pr" {
					for end < len(f) && f[end] == ' ' {
						end++
					}
					v, n, err := scanValue(f[end:])
					if err != nil {
						return "", filterErr(f, "%v", err)
					}
					_ = v
					end += n
				}
				b.WriteString(" and ")
				b.WriteString(sub)
				b.WriteString(" ")
				b.WriteString(op)
				if op != "pr" {
					b.WriteString(" ")
					b.WriteString(strings.TrimSpace(f[k:end]))
				}
				b.WriteByte(']')
				i = end - 1
				open = -1
				continue
			}
			open = -1
		}
		b.WriteByte(c)
	}
	if inStr {
		return "", filterErr(f, "unterminated string")
	}
	return b.String(), nil
}

func isAttrChar(c byte) bool {
	return c == '_' || c == '-' || c == '$' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func validOp(op string) bool {
	switch op {
	case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr":
		return true
	}
	return false
}

// scanValue reads a comparison value (a string literal or a bare word)
// and returns it with the number of bytes consumed.
func scanValue(s string) (string, int, error) {
	if s == "" {
		return "", 0, errors.New("missing comparison value")
	}
	if s[0] == '"' {
		esc := false
		for i := 1; i < len(s); i++ {
			switch {
			case esc:
				esc = false
			case s[i] == '\\':
				esc = true
			case s[i] == '"':
				return s[:i+1], i + 1, nil
			}
		}
		return "", 0, errors.New("unterminated string")
	}
	i := 0
	for i < len(s) && s[i] != ' ' && s[i] != ')' && s[i] != ']' {
		i++
	}
	if i == 0 {
		return "", 0, errors.New("missing comparison value")
	}
	return s[:i], i, nil
}

// maxFilterDepth bounds the real nesting of a filter: not, and a change
// between and and or (parentheses that do neither add nothing). A flat chain of one operator
// ("a or b or c ...") does not nest, however long; maxFilterTerms bounds
// it instead.
const maxFilterDepth = 64

// maxFilterTerms bounds the number of comparisons in a filter.
const maxFilterTerms = 1024

// childDepth is the nesting depth of child, an operand of the logical
// expression parent at depth: the same depth when child continues a chain
// of the same operator, one more otherwise.
func childDepth(parent *filter.LogicalExpression, child filter.Expression, depth int) int {
	if c, ok := child.(*filter.LogicalExpression); ok && strings.EqualFold(string(c.Operator), string(parent.Operator)) {
		return depth
	}
	return depth + 1
}

// filterTerms counts the comparisons of e without recursion.
func filterTerms(e filter.Expression) int {
	n := 0
	stack := []filter.Expression{e}
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch x := e.(type) {
		case *filter.LogicalExpression:
			stack = append(stack, x.Left, x.Right)
		case *filter.NotExpression:
			stack = append(stack, x.Expression)
		case *filter.ValuePath:
			n++
			if x.ValueFilter != nil {
				stack = append(stack, x.ValueFilter)
			}
		default:
			n++
		}
	}
	return n
}

func translate(f string, e filter.Expression, leaf leafFunc, vpf valuePathFunc, depth int) (store.Filter, error) {
	if depth > maxFilterDepth {
		return nil, filterErr(f, "nested too deeply")
	}
	if sf, ok, err := compound(f, e, depth, func(e filter.Expression, depth int) (store.Filter, error) {
		return translate(f, e, leaf, vpf, depth)
	}); ok {
		return sf, err
	}
	switch e := e.(type) {
	case *filter.AttributeExpression:
		return leaf(f, e)
	case *filter.ValuePath:
		return vpf(f, e)
	}
	return nil, filterErr(f, "unsupported expression %T", e)
}

// compound translates e when it is a logical or NOT expression, its
// operands with sub, and reports whether it was.
func compound(f string, e filter.Expression, depth int, sub func(filter.Expression, int) (store.Filter, error)) (_ store.Filter, ok bool, _ error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := sub(e.Left, childDepth(e, e.Left, depth))
		if err != nil {
			return nil, true, err
		}
		r, err := sub(e.Right, childDepth(e, e.Right, depth))
		if err != nil {
			return nil, true, err
		}
		switch strings.ToLower(string(e.Operator)) {
		case "and":
			return store.And{Left: l, Right: r}, true, nil
		case "or":
			return store.Or{Left: l, Right: r}, true, nil
		}
		return nil, true, filterErr(f, "unknown logical operator %q", e.Operator)
	case *filter.NotExpression:
		in, err := sub(e.Expression, depth+1)
		if err != nil {
			return nil, true, err
		}
		return store.Not{F: in}, true, nil
	}
	return nil, false, nil
}

// attrName returns the lower-case attribute and sub-attribute names of p,
// refusing URN prefixes other than allowed.
func attrName(f string, p filter.AttributePath, coreURN string) (string, string, error) {
	if u := p.URI(); u != "" && !strings.EqualFold(u, coreURN) {
		return "", "", filterErr(f, "attribute %q is not filterable", p.String())
	}
	return strings.ToLower(p.AttributeName), strings.ToLower(p.SubAttributeName()), nil
}

var (
	userLeaf      = userLeafIn(userSchema)
	userValuePath = userValuePathIn(userSchema)
)

// userLeafIn returns the translation of comparisons of Users whose schema
// is schema.
func userLeafIn(schema func() *resourceSchema) leafFunc {
	return func(f string, e *filter.AttributeExpression) (store.Filter, error) { return userLeafOf(schema, f, e) }
}

func userLeafOf(schema func() *resourceSchema, f string, e *filter.AttributeExpression) (store.Filter, error) {
	return coreLeaf(f, e, UserSchemaURI, schema, func(name, sub, op string) (store.Filter, bool, error) {
		switch {
		case name == "username" && sub == "":
			return found(stringCompare(f, store.AttrUserName, op, e.CompareValue))
		case name == "name" && sub == "givenname":
			return found(stringCompare(f, store.AttrGivenName, op, e.CompareValue))
		case name == "name" && sub == "familyname":
			return found(stringCompare(f, store.AttrFamilyName, op, e.CompareValue))
		case name == "active" && sub == "":
			return found(boolCompare(f, store.AttrActive, op, e.CompareValue))
		case name == "emails" && (sub == "" || sub == "value"):
			return found(stringCompare(f, store.AttrEmail, op, e.CompareValue))
		case name == "groups" && (sub == "" || sub == "value"):
			// The groups a user is a direct member of, from the memberships.
			return found(stringCompare(f, store.AttrGroup, op, e.CompareValue))
		case name == "emails" && sub == "type" && op == "eq":
			return found(emailTypeCompare(f, op, e.CompareValue))
		}
		return nil, false, nil
	})
}

func groupLeaf(f string, e *filter.AttributeExpression) (store.Filter, error) {
	return coreLeaf(f, e, GroupSchemaURI, groupSchema, func(name, sub, op string) (store.Filter, bool, error) {
		switch {
		case name == "members" && (sub == "" || sub == "value"):
			return found(memberCompare(f, op, e.CompareValue))
		case name == "members":
			// Members are kept apart from the group's document.
			return nil, true, filterErr(f, "attribute %q is not filterable", e.AttributePath.String())
		}
		return nil, false, nil
	})
}

// coreLeaf translates the comparison e of a resource whose core schema is
// uri. It translates the attributes every resource has (id, externalId,
// displayName, meta.created, meta.lastModified) itself; own translates
// those of one resource type and reports whether it did; the rest go
// through the schema's fields.
func coreLeaf(f string, e *filter.AttributeExpression, uri string, schema func() *resourceSchema,
	own func(name, sub, op string) (_ store.Filter, ok bool, _ error)) (store.Filter, error) {
	if !coreURI(e.AttributePath, uri) {
		return fieldLeaf(f, schema(), e)
	}
	name, sub, err := attrName(f, e.AttributePath, uri)
	if err != nil {
		return nil, err
	}
	op := strings.ToLower(string(e.Operator))
	switch {
	case name == "id" && sub == "":
		return stringCompare(f, store.AttrID, op, e.CompareValue)
	case name == "externalid" && sub == "":
		return stringCompare(f, store.AttrExternalID, op, e.CompareValue)
	case name == "displayname" && sub == "":
		return stringCompare(f, store.AttrDisplayName, op, e.CompareValue)
	case name == "meta" && sub == "created":
		return timeCompare(f, store.AttrCreated, op, e.CompareValue)
	case name == "meta" && sub == "lastmodified":
		return timeCompare(f, store.AttrLastModified, op, e.CompareValue)
	}
	if sf, ok, err := own(name, sub, op); ok {
		return sf, err
	}
	return fieldLeaf(f, schema(), e)
}

// found reports a translation as made, whether or not it failed.
func found(sf store.Filter, err error) (store.Filter, bool, error) { return sf, true, err }

// userValuePath translates emails[...] filters. OR inside the brackets
// distributes over "some element matches"; AND only in the form
// type eq T and value op V, which the Store expresses with EmailType.
func userValuePathIn(schema func() *resourceSchema) valuePathFunc {
	return func(f string, vp *filter.ValuePath) (store.Filter, error) { return userValuePathOf(schema, f, vp) }
}

func userValuePathOf(schema func() *resourceSchema, f string, vp *filter.ValuePath) (store.Filter, error) {
	if !coreURI(vp.AttributePath, UserSchemaURI) {
		return someFilter(f, schema(), vp)
	}
	name, sub, err := attrName(f, vp.AttributePath, UserSchemaURI)
	if err != nil {
		return nil, err
	}
	if name == "groups" && sub == "" {
		return memberValueFilter(f, store.AttrGroup, vp.ValueFilter, 0)
	}
	if name == "emails" && sub == "" {
		// The forms the Store answers from its email index; any other
		// goes to the raw document.
		if ef, err := emailValueFilter(f, vp.ValueFilter, 0); err == nil {
			return ef, nil
		}
	}
	return someFilter(f, schema(), vp)
}

func emailValueFilter(f string, e filter.Expression, depth int) (store.Filter, error) {
	if depth > maxFilterDepth {
		return nil, filterErr(f, "nested too deeply")
	}
	switch e := e.(type) {
	case *filter.AttributeExpression:
		if e.AttributePath.URIPrefix != nil || e.AttributePath.SubAttribute != nil {
			return nil, filterErr(f, "unsupported attribute in emails filter")
		}
		switch strings.ToLower(e.AttributePath.AttributeName) {
		case "value":
			return stringCompare(f, store.AttrEmail, strings.ToLower(string(e.Operator)), e.CompareValue)
		case "type":
			return emailTypeCompare(f, strings.ToLower(string(e.Operator)), e.CompareValue)
		}
		return nil, filterErr(f, "unsupported attribute %q in emails filter", e.AttributePath.AttributeName)
	case *filter.LogicalExpression:
		switch strings.ToLower(string(e.Operator)) {
		case "or":
			l, err := emailValueFilter(f, e.Left, childDepth(e, e.Left, depth))
			if err != nil {
				return nil, err
			}
			r, err := emailValueFilter(f, e.Right, childDepth(e, e.Right, depth))
			if err != nil {
				return nil, err
			}
			return store.Or{Left: l, Right: r}, nil
		case "and":
			l, lok := e.Left.(*filter.AttributeExpression)
			r, rok := e.Right.(*filter.AttributeExpression)
			if !lok || !rok {
				return nil, filterErr(f, "unsupported conjunction in emails filter")
			}
			if isEmailType(r) && !isEmailType(l) {
				l, r = r, l
			}
			if !isEmailType(l) || isEmailType(r) {
				return nil, filterErr(f, "emails filter: only type eq T and value op V can be combined")
			}
			t, err := stringValue(f, l.CompareValue)
			if err != nil {
				return nil, err
			}
			if r.AttributePath.URIPrefix != nil || r.AttributePath.SubAttribute != nil || !strings.EqualFold(r.AttributePath.AttributeName, "value") {
				return nil, filterErr(f, "unsupported attribute in emails filter")
			}
			c, err := stringCompare(f, store.AttrEmail, strings.ToLower(string(r.Operator)), r.CompareValue)
			if err != nil {
				return nil, err
			}
			cmp, ok := c.(store.Compare)
			if !ok || t == "" {
				return nil, filterErr(f, "unsupported emails filter")
			}
			cmp.EmailType = t
			return cmp, nil
		}
	}
	return nil, filterErr(f, "unsupported emails filter")
}

func isEmailType(e *filter.AttributeExpression) bool {
	return e.AttributePath.URIPrefix == nil && e.AttributePath.SubAttribute == nil &&
		strings.EqualFold(e.AttributePath.AttributeName, "type") && strings.EqualFold(string(e.Operator), "eq")
}

func emailTypeCompare(f, op string, v any) (store.Filter, error) {
	if op != "eq" {
		return nil, filterErr(f, "emails.type supports only eq")
	}
	t, err := stringValue(f, v)
	if err != nil {
		return nil, err
	}
	if t == "" {
		return nil, filterErr(f, "empty email type")
	}
	return store.Compare{Attr: store.AttrEmail, Op: store.OpPr, EmailType: t}, nil
}

func groupValuePath(f string, vp *filter.ValuePath) (store.Filter, error) {
	if !coreURI(vp.AttributePath, GroupSchemaURI) {
		return someFilter(f, groupSchema(), vp)
	}
	name, sub, err := attrName(f, vp.AttributePath, GroupSchemaURI)
	if err != nil {
		return nil, err
	}
	if name != "members" || sub != "" {
		return someFilter(f, groupSchema(), vp)
	}
	return memberValueFilter(f, store.AttrMember, vp.ValueFilter, 0)
}

// memberValueFilter translates members[...] (a == store.AttrMember) or a
// User's groups[...] (store.AttrGroup): or-joined comparisons of value.
func memberValueFilter(f string, a store.Attr, e filter.Expression, depth int) (store.Filter, error) {
	if depth > maxFilterDepth {
		return nil, filterErr(f, "nested too deeply")
	}
	switch e := e.(type) {
	case *filter.AttributeExpression:
		if e.AttributePath.URIPrefix == nil && e.AttributePath.SubAttribute == nil &&
			strings.EqualFold(e.AttributePath.AttributeName, "value") {
			return stringCompare(f, a, strings.ToLower(string(e.Operator)), e.CompareValue)
		}
	case *filter.LogicalExpression:
		if strings.EqualFold(string(e.Operator), "or") {
			l, err := memberValueFilter(f, a, e.Left, childDepth(e, e.Left, depth))
			if err != nil {
				return nil, err
			}
			r, err := memberValueFilter(f, a, e.Right, childDepth(e, e.Right, depth))
			if err != nil {
				return nil, err
			}
			return store.Or{Left: l, Right: r}, nil
		}
	}
	return nil, filterErr(f, "unsupported members filter")
}

// memberCompare compares the ids of a group's members: some member's id
// compares (case-exactly); pr is "has a member".
func memberCompare(f, op string, v any) (store.Filter, error) {
	return stringCompare(f, store.AttrMember, op, v)
}

// stringValue unescapes a string literal as filter-parser returns it (the
// raw characters between the quotes).
func stringValue(f string, v any) (string, error) {
	raw, ok := v.(string)
	if !ok {
		return "", filterErr(f, "expected a string value, got %T", v)
	}
	if !strings.ContainsAny(raw, "\\\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r") {
		return raw, nil
	}
	var s string
	if err := json.Unmarshal([]byte(`"`+raw+`"`), &s); err != nil {
		return "", filterErr(f, "malformed string literal")
	}
	return s, nil
}

func stringCompare(f string, a store.Attr, op string, v any) (store.Filter, error) {
	if !validOp(op) {
		return nil, filterErr(f, "unknown operator %q", op)
	}
	if op == "pr" {
		return store.Compare{Attr: a, Op: store.OpPr}, nil
	}
	s, err := stringValue(f, v)
	if err != nil {
		return nil, err
	}
	return store.Compare{Attr: a, Op: store.Op(op), Value: s}, nil
}

func boolCompare(f string, a store.Attr, op string, v any) (store.Filter, error) {
	switch op {
	case "pr":
		return store.Or{
			Left:  store.Compare{Attr: a, Op: store.OpEq, Value: true},
			Right: store.Compare{Attr: a, Op: store.OpEq, Value: false},
		}, nil
	case "eq", "ne":
	default:
		return nil, filterErr(f, "operator %q does not apply to a boolean", op)
	}
	var b bool
	switch v := v.(type) {
	case bool:
		b = v
	case string:
		s, err := stringValue(f, v)
		if err != nil {
			return nil, err
		}
		switch strings.ToLower(s) {
		case "true":
			b = true
		case "false":
			b = false
		default:
			return nil, filterErr(f, "expected a boolean, got %q", s)
		}
	default:
		return nil, filterErr(f, "expected a boolean, got %T", v)
	}
	return store.Compare{Attr: a, Op: store.Op(op), Value: b}, nil
}

func timeCompare(f string, a store.Attr, op string, v any) (store.Filter, error) {
	switch op {
	case "pr":
		return store.Compare{Attr: a, Op: store.OpPr}, nil
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
	return store.Compare{Attr: a, Op: store.Op(op), Value: t.UTC()}, nil
}
