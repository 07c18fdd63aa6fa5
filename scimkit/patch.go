package scimkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/onboardkit/onboardkit/store"
	filter "github.com/scim2/filter-parser/v2"
)

// patchOp is one PATCH operation as received.
type patchOp struct {
	Op    string
	Path  string
	Value any
}

func patchError(t scimerrors.ScimType, format string, args ...any) error {
	return &scimerrors.ScimError{Status: 400, ScimType: t, Detail: fmt.Sprintf(format, args...)}
}

// parsePatch decodes a PatchOp request body. An empty Operations array is
// valid (nothing changes).
func parsePatch(body []byte, maxOps int) ([]patchOp, error) {
	var req struct {
		Schemas    []string          `json:"schemas"`
		Operations []json.RawMessage `json:"Operations"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, patchError(scimerrors.ScimTypeInvalidSyntax, "The request body is not a PatchOp message.")
	}
	ok := false
	for _, sc := range req.Schemas {
		if strings.EqualFold(sc, patchOpURI) {
			ok = true
		}
	}
	if !ok {
		return nil, patchError(scimerrors.ScimTypeInvalidSyntax, "schemas must contain %s.", patchOpURI)
	}
	if len(req.Operations) > maxOps {
		return nil, &scimerrors.ScimError{Status: 413, Detail: fmt.Sprintf("Too many operations; at most %d per request.", maxOps)}
	}
	ops := make([]patchOp, 0, len(req.Operations))
	for _, raw := range req.Operations {
		var o struct {
			Op    string          `json:"op"`
			Path  *string         `json:"path"`
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, patchError(scimerrors.ScimTypeInvalidSyntax, "Malformed operation.")
		}
		op := strings.ToLower(o.Op)
		if op != "add" && op != "replace" && op != "remove" {
			return nil, patchError(scimerrors.ScimTypeInvalidSyntax, "Unknown operation %q.", o.Op)
		}
		p := patchOp{Op: op}
		if o.Path != nil {
			p.Path = strings.TrimSpace(*o.Path)
		}
		if len(o.Value) > 0 {
			v, err := decodeJSON(o.Value)
			if err != nil {
				return nil, patchError(scimerrors.ScimTypeInvalidSyntax, "Malformed operation value.")
			}
			p.Value = v
		}
		if p.Path == "" && op == "remove" {
			return nil, patchError(scimerrors.ScimTypeNoTarget, "A remove operation needs a path.")
		}
		ops = append(ops, p)
	}
	return ops, nil
}

// decodeJSON decodes a JSON value with numbers kept as json.Number.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data")
	}
	return v, nil
}

// patchTarget is a resolved PATCH path.
type patchTarget struct {
	ext  string   // extension URN holding the attribute, "" for core
	def  *attrDef // the attribute
	sub  *attrDef // sub-attribute, or nil
	vf   filter.Expression
	vfOn string // raw path, for messages
}

// applyPatch applies ops in order to res, a resource as scimkit keeps it
// (canonical attribute names, extension attributes under their URN). It
// does not validate the result: the caller runs the schema validation on
// the whole resource afterwards.
//
// After each operation at most one value of a multi-valued attribute stays
// primary: the one the operation marked primary (RFC 7644 3.5.2).
func (rs *resourceSchema) applyPatch(res map[string]any, ops []patchOp) error {
	for _, o := range ops {
		before := rs.primaries(res)
		if err := rs.applyOne(res, o); err != nil {
			return err
		}
		rs.onePrimary(res, before)
	}
	return nil
}

func (rs *resourceSchema) applyOne(res map[string]any, o patchOp) error {
	if o.Path == "" {
		obj, ok := o.Value.(map[string]any)
		if !ok {
			return patchError(scimerrors.ScimTypeInvalidValue, "An operation without path needs an object value.")
		}
		for k, v := range obj {
			if err := rs.applyKey(res, o.Op, k, v); err != nil {
				return err
			}
		}
		return nil
	}
	// A whole extension as the path.
	if ext := rs.extensionID(o.Path); ext != "" {
		return rs.applyExtension(res, o.Op, ext, o.Value)
	}
	t, skip, err := rs.resolvePath(o.Path)
	if err != nil {
		return err
	}
	if skip {
		return nil
	}
	return rs.applyTarget(res, o.Op, t, o.Value)
}

// applyKey applies one key of a path-less value: a plain attribute name,
// a dotted "name.givenName", a URN-prefixed attribute, or an extension URN
// with an object.
func (rs *resourceSchema) applyKey(res map[string]any, op, k string, v any) error {
	switch strings.ToLower(k) {
	case "id", "meta", "schemas":
		return nil // read-only or implied: ignored
	}
	if ext := rs.extensionID(k); ext != "" {
		return rs.applyExtension(res, op, ext, v)
	}
	t, skip, err := rs.resolvePath(k)
	if err != nil {
		// Keys of a value object are names, not paths; an unknown one is
		// ignored like unknown attributes in POST and PUT.
		return nil
	}
	if skip || t.def.mutability == "readOnly" {
		return nil
	}
	if op == "add" && t.sub == nil && t.def.typ == "complex" && !t.def.multi {
		// add merges complex values
		return rs.applyTarget(res, "add", t, v)
	}
	return rs.applyTarget(res, op, t, v)
}

func (rs *resourceSchema) applyExtension(res map[string]any, op, ext string, v any) error {
	if op == "remove" && v == nil {
		delete(res, ext)
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			return nil
		}
		return patchError(scimerrors.ScimTypeInvalidValue, "The value of %s must be an object.", ext)
	}
	for k, sv := range obj {
		if err := rs.applyKey(res, op, ext+":"+k, sv); err != nil {
			return err
		}
	}
	return nil
}

// resolvePath parses a PATCH path. skip reports a path into a schema
// scimkit does not know (ignored, like unknown schemas in POST).
func (rs *resourceSchema) resolvePath(path string) (t patchTarget, skip bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = patchError(scimerrors.ScimTypeInvalidPath, "Invalid path.")
		}
	}()
	// The path parser's cost grows faster than its input: bound it as
	// filters are bounded, before parsing and before echoing the path.
	if len(path) > maxFilterLength {
		return t, false, patchError(scimerrors.ScimTypeInvalidPath, "Path longer than %d bytes.", maxFilterLength)
	}
	p, perr := filter.ParsePath([]byte(path))
	if perr != nil {
		// Dotted names with a URN whose version has dots are parsed
		// above; anything else is malformed.
		return t, false, patchError(scimerrors.ScimTypeInvalidPath, "Invalid path %q.", path)
	}
	uri := p.AttributePath.URI()
	name := p.AttributePath.AttributeName
	sub := p.AttributePath.SubAttributeName()
	if p.SubAttribute != nil {
		if sub != "" {
			return t, false, patchError(scimerrors.ScimTypeInvalidPath, "Invalid path %q.", path)
		}
		sub = *p.SubAttribute
	}
	if uri != "" && !strings.EqualFold(uri, rs.core.ID) && rs.extensionID(uri) == "" {
		if strings.HasPrefix(strings.ToLower(uri), "urn:") {
			return t, true, nil
		}
		return t, false, patchError(scimerrors.ScimTypeInvalidPath, "Invalid path %q.", path)
	}
	if strings.EqualFold(name, "id") || strings.EqualFold(name, "meta") || strings.EqualFold(name, "schemas") {
		return t, false, &scimerrors.ScimError{Status: 400, ScimType: scimerrors.ScimTypeMutability, Detail: fmt.Sprintf("%s is read-only.", name)}
	}
	def := rs.lookup(uri, name)
	if def == nil {
		return t, false, patchError(scimerrors.ScimTypeInvalidPath, "Unknown attribute %q.", path)
	}
	if def.mutability == "readOnly" {
		return t, false, &scimerrors.ScimError{Status: 400, ScimType: scimerrors.ScimTypeMutability, Detail: fmt.Sprintf("%s is read-only.", def.name)}
	}
	t = patchTarget{ext: def.extensionOf, def: def, vf: p.ValueExpression, vfOn: path}
	if sub != "" {
		t.sub = def.subAttr(sub)
		if t.sub == nil {
			return t, false, patchError(scimerrors.ScimTypeInvalidPath, "Unknown attribute %q.", path)
		}
	}
	if t.vf != nil && !(def.multi && def.typ == "complex") {
		return t, false, patchError(scimerrors.ScimTypeInvalidPath, "A value filter needs a multi-valued attribute: %q.", path)
	}
	return t, false, nil
}

func container(res map[string]any, ext string, create bool) map[string]any {
	if ext == "" {
		return res
	}
	c, ok := res[ext].(map[string]any)
	if !ok {
		if !create {
			return nil
		}
		c = map[string]any{}
		res[ext] = c
	}
	return c
}

func (rs *resourceSchema) applyTarget(res map[string]any, op string, t patchTarget, v any) error {
	if op != "remove" && v == nil {
		if op == "replace" {
			op, v = "remove", nil
		} else {
			return nil
		}
	}
	c := container(res, t.ext, op != "remove")
	if c == nil {
		return nil
	}
	name := t.def.name
	key := findKey(c, name)
	if key != name && key != "" {
		c[name] = c[key]
		delete(c, key)
	}

	if t.vf != nil {
		return applyFiltered(c, op, t, v)
	}
	if t.sub != nil {
		if t.def.multi {
			elems := asList(c[name])
			if len(elems) == 0 {
				if op == "remove" {
					return nil
				}
				c[name] = []any{map[string]any{t.sub.name: v}}
				return nil
			}
			for _, e := range elems {
				if m, ok := e.(map[string]any); ok {
					setSub(m, op, t.sub.name, v)
				}
			}
			c[name] = elems
			return nil
		}
		m, ok := c[name].(map[string]any)
		if !ok {
			if op == "remove" {
				return nil
			}
			m = map[string]any{}
			c[name] = m
		}
		setSub(m, op, t.sub.name, v)
		return nil
	}
	switch op {
	case "remove":
		if v != nil && t.def.multi {
			c[name] = removeValues(asList(c[name]), asList(v), t.def)
			return nil
		}
		delete(c, name)
	case "add":
		switch {
		case t.def.multi:
			cur := asList(c[name])
			for _, nv := range asList(v) {
				// Compare normalised values: "primary":"True" and
				// "primary":true are the same value.
				nv = normSingle(t.def, nv)
				if !containsValue(cur, nv) {
					cur = append(cur, nv)
				}
			}
			c[name] = cur
		case t.def.typ == "complex":
			mergeInto(c, name, v)
		default:
			c[name] = v
		}
	case "replace":
		switch {
		case t.def.multi:
			c[name] = asList(v)
		case t.def.typ == "complex":
			mergeInto(c, name, v)
		default:
			c[name] = v
		}
	}
	return nil
}

func setSub(m map[string]any, op, sub string, v any) {
	if k := findKey(m, sub); k != "" {
		delete(m, k)
	}
	if op != "remove" {
		m[sub] = v
	}
}

func mergeInto(c map[string]any, name string, v any) {
	nv, ok := v.(map[string]any)
	if !ok {
		c[name] = v // the schema validation refuses it if it is wrong
		return
	}
	cur, ok := c[name].(map[string]any)
	if !ok {
		cur = map[string]any{}
	}
	for k, x := range nv {
		if ek := findKey(cur, k); ek != "" {
			delete(cur, ek)
		}
		cur[k] = x
	}
	c[name] = cur
}

// findKey returns the key of m equal to name case-insensitively, or "".
func findKey(m map[string]any, name string) string {
	if _, ok := m[name]; ok {
		return name
	}
	for k := range m {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return ""
}

func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	default:
		return []any{v}
	}
}

func containsValue(list []any, v any) bool {
	for _, x := range list {
		if reflect.DeepEqual(x, v) || sameValue(x, v) {
			return true
		}
	}
	return false
}

// sameValue reports whether two complex values are equal up to the case
// of their sub-attribute names (string booleans are turned into booleans
// by normSingle before values are compared).
func sameValue(a, b any) bool {
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if !ok1 || !ok2 || len(am) != len(bm) {
		return false
	}
	for k, av := range am {
		bk := findKey(bm, k)
		if bk == "" {
			return false
		}
		if !reflect.DeepEqual(av, bm[bk]) {
			return false
		}
	}
	return true
}

// removeValues removes from cur the elements whose "value" equals the
// "value" of one of rm (Entra removes members this way), or that equal an
// element of rm.
func removeValues(cur, rm []any, def *attrDef) []any {
	out := cur[:0:0]
	for _, e := range cur {
		drop := false
		for _, r := range rm {
			if reflect.DeepEqual(e, r) {
				drop = true
				break
			}
			em, ok1 := e.(map[string]any)
			rmm, ok2 := r.(map[string]any)
			if ok1 && ok2 {
				ev, rv := em[findKey(em, "value")], rmm[findKey(rmm, "value")]
				if ev != nil && rv != nil && valuesEqual(ev, rv, def.subAttr("value")) {
					drop = true
					break
				}
			}
		}
		if !drop {
			out = append(out, e)
		}
	}
	return out
}

func applyFiltered(c map[string]any, op string, t patchTarget, v any) error {
	name := t.def.name
	elems := asList(c[name])
	matched := false
	var out []any
	for _, e := range elems {
		m, ok := e.(map[string]any)
		if !ok {
			out = append(out, e)
			continue
		}
		hit, err := evalElem(t.vf, m, t.def, 0)
		if err != nil {
			return err
		}
		if !hit {
			out = append(out, e)
			continue
		}
		matched = true
		switch {
		case op == "remove" && t.sub == nil:
			continue // drop the element
		case t.sub != nil:
			setSub(m, op, t.sub.name, v)
		case op == "add":
			nv, ok := v.(map[string]any)
			if !ok {
				return patchError(scimerrors.ScimTypeInvalidValue, "The value for %q must be an object.", t.vfOn)
			}
			for k, x := range nv {
				setSub(m, "add", k, x)
			}
		default: // replace the element, keeping what the filter pins
			nv, ok := v.(map[string]any)
			if !ok {
				return patchError(scimerrors.ScimTypeInvalidValue, "The value for %q must be an object.", t.vfOn)
			}
			m = pinned(t.vf)
			if m == nil {
				m = map[string]any{}
			}
			for k, x := range nv {
				setSub(m, "add", k, x)
			}
		}
		out = append(out, m)
	}
	if matched || op == "remove" {
		if out == nil {
			delete(c, name)
		} else {
			c[name] = out
		}
		return nil
	}
	// No element matched: create one from what the filter pins.
	m := pinned(t.vf)
	if m == nil {
		return patchError(scimerrors.ScimTypeNoTarget, "No value matched %q and it does not describe a new one.", t.vfOn)
	}
	if t.sub != nil {
		m[t.sub.name] = v
	} else {
		nv, ok := v.(map[string]any)
		if !ok {
			return patchError(scimerrors.ScimTypeInvalidValue, "The value for %q must be an object.", t.vfOn)
		}
		for k, x := range nv {
			setSub(m, "add", k, x)
		}
	}
	c[name] = append(out, m)
	return nil
}

// pinned returns the sub-attribute values a filter made only of eq
// comparisons joined by and fixes, or nil.
func pinned(e filter.Expression) map[string]any {
	m := map[string]any{}
	var walk func(e filter.Expression) bool
	walk = func(e filter.Expression) bool {
		switch e := e.(type) {
		case *filter.AttributeExpression:
			if !strings.EqualFold(string(e.Operator), "eq") || e.AttributePath.URIPrefix != nil || e.AttributePath.SubAttribute != nil {
				return false
			}
			v := e.CompareValue
			if s, ok := v.(string); ok {
				u, err := stringValue("", s)
				if err != nil {
					return false
				}
				v = u
			}
			m[e.AttributePath.AttributeName] = v
			return true
		case *filter.LogicalExpression:
			return strings.EqualFold(string(e.Operator), "and") && walk(e.Left) && walk(e.Right)
		}
		return false
	}
	if !walk(e) {
		return nil
	}
	return m
}

// evalElem evaluates a value filter against one element of a
// multi-valued attribute.
func evalElem(e filter.Expression, m map[string]any, def *attrDef, depth int) (bool, error) {
	if depth > maxFilterDepth {
		return false, patchError(scimerrors.ScimTypeInvalidFilter, "Filter nested too deeply.")
	}
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := evalElem(e.Left, m, def, childDepth(e, e.Left, depth))
		if err != nil {
			return false, err
		}
		r, err := evalElem(e.Right, m, def, childDepth(e, e.Right, depth))
		if err != nil {
			return false, err
		}
		if strings.EqualFold(string(e.Operator), "and") {
			return l && r, nil
		}
		return l || r, nil
	case *filter.NotExpression:
		in, err := evalElem(e.Expression, m, def, depth+1)
		return !in, err
	case *filter.AttributeExpression:
		if e.AttributePath.URIPrefix != nil || e.AttributePath.SubAttribute != nil {
			return false, patchError(scimerrors.ScimTypeInvalidFilter, "Unsupported value filter.")
		}
		sub := def.subAttr(e.AttributePath.AttributeName)
		if sub == nil {
			return false, patchError(scimerrors.ScimTypeInvalidFilter, "Unknown attribute %q in value filter.", e.AttributePath.AttributeName)
		}
		cur, present := m[findKey(m, sub.name)]
		if findKey(m, sub.name) == "" {
			present = false
		}
		op := strings.ToLower(string(e.Operator))
		if op == "pr" {
			return present && cur != nil && cur != "", nil
		}
		if !present || cur == nil {
			return op == "ne", nil
		}
		return compareValue(cur, op, e.CompareValue, sub)
	}
	return false, patchError(scimerrors.ScimTypeInvalidFilter, "Unsupported value filter.")
}

func valuesEqual(a, b any, def *attrDef) bool {
	ok, err := compareValue(a, "eq", b, def)
	return err == nil && ok
}

// compareValue compares an attribute value with a filter literal. String
// booleans ("True") are accepted on either side.
func compareValue(cur any, op string, lit any, def *attrDef) (bool, error) {
	if def != nil && def.typ == "boolean" {
		a, ok1 := toBool(cur)
		b, ok2 := toBool(lit)
		if !ok1 || !ok2 {
			return false, patchError(scimerrors.ScimTypeInvalidFilter, "Expected a boolean in value filter.")
		}
		switch op {
		case "eq":
			return a == b, nil
		case "ne":
			return a != b, nil
		}
		return false, patchError(scimerrors.ScimTypeInvalidFilter, "Operator %q does not apply to a boolean.", op)
	}
	if n, ok := cur.(json.Number); ok {
		var ln json.Number
		switch l := lit.(type) {
		case json.Number:
			ln = l
		case float64:
			ln = json.Number(fmt.Sprint(l))
		case int:
			ln = json.Number(fmt.Sprint(l))
		default:
			return false, nil
		}
		a, ok1 := new(big.Float).SetString(n.String())
		b, ok2 := new(big.Float).SetString(ln.String())
		if !ok1 || !ok2 {
			return false, nil
		}
		c := a.Cmp(b)
		return cmpResult(op, c)
	}
	cs, ok := cur.(string)
	if !ok {
		return false, nil
	}
	ls, ok := lit.(string)
	if !ok {
		return false, patchError(scimerrors.ScimTypeInvalidFilter, "Expected a string in value filter.")
	}
	ls, err := stringValue("", ls)
	if err != nil {
		return false, patchError(scimerrors.ScimTypeInvalidFilter, "Malformed string in value filter.")
	}
	switch {
	case def != nil && def.matchKey:
		cs, ls = store.MatchKey(cs), store.MatchKey(ls)
	case def == nil || !def.caseExact:
		cs, ls = strings.ToLower(cs), strings.ToLower(ls)
	}
	switch op {
	case "eq":
		return cs == ls, nil
	case "ne":
		return cs != ls, nil
	case "co":
		return strings.Contains(cs, ls), nil
	case "sw":
		return strings.HasPrefix(cs, ls), nil
	case "ew":
		return strings.HasSuffix(cs, ls), nil
	}
	return cmpResult(op, strings.Compare(cs, ls))
}

func cmpResult(op string, c int) (bool, error) {
	switch op {
	case "eq":
		return c == 0, nil
	case "ne":
		return c != 0, nil
	case "gt":
		return c > 0, nil
	case "ge":
		return c >= 0, nil
	case "lt":
		return c < 0, nil
	case "le":
		return c <= 0, nil
	}
	return false, patchError(scimerrors.ScimTypeInvalidFilter, "Unsupported operator %q.", op)
}

func toBool(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(v) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}
