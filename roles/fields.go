package roles

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/onboardkit/onboardkit/store"
)

// FieldType is the type of a custom attribute's values.
type FieldType string

const (
	// FieldString holds one string.
	FieldString FieldType = "string"
	// FieldBoolean holds true or false; "true" and "false" strings in any
	// case are accepted.
	FieldBoolean FieldType = "boolean"
	// FieldInteger holds a 64-bit integer; a JSON number without fraction
	// or a string of decimal digits is accepted.
	FieldInteger FieldType = "integer"
	// FieldStringList holds a list of strings: a multi-valued SAML
	// attribute, a JSON array of strings, or one string.
	FieldStringList FieldType = "string_list"
)

// Valid reports whether t is one of the declared types.
func (t FieldType) Valid() bool {
	switch t {
	case FieldString, FieldBoolean, FieldInteger, FieldStringList:
		return true
	}
	return false
}

// Field is one custom attribute of the host's users: its value reaches
// the host on ssokit's Profile.Custom and on the directory user
// (store.DirectoryUser.Custom), where each organization's IT admin maps it
// (store.AttributeMapping).
type Field struct {
	// Key is the stable identifier: a letter, then letters, digits, "_"
	// or "-" (at most 64), as a SCIM attribute name must be. It names the
	// value in Profile.Custom, in events and in the host's SCIM
	// extension.
	Key         string
	Name        string // shown to IT admins and operators; Key when empty
	Description string
	Type        FieldType
}

// Label returns Name, or Key when Name is empty.
func (f Field) Label() string {
	if f.Name != "" {
		return f.Name
	}
	return f.Key
}

var fieldKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)

// reservedURNs are the schemas a host's extension cannot take.
var reservedURNs = []string{
	"urn:ietf:params:scim:schemas:core:2.0:user",
	"urn:ietf:params:scim:schemas:core:2.0:group",
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user",
}

// validateFields checks the declared fields and the SCIM extension URN.
func (c *Config) validateFields() error {
	seen := map[string]bool{}
	for _, f := range c.Fields {
		if !fieldKey.MatchString(f.Key) {
			return fmt.Errorf("roles: custom attribute key %q must be a letter followed by at most 63 letters, digits, '_' or '-'", f.Key)
		}
		if seen[strings.ToLower(f.Key)] {
			return fmt.Errorf("roles: custom attribute %q is declared twice (keys compare case-insensitively, as SCIM names do)", f.Key)
		}
		seen[strings.ToLower(f.Key)] = true
		if !f.Type.Valid() {
			return fmt.Errorf("roles: custom attribute %q has unknown type %q", f.Key, f.Type)
		}
	}
	if u := c.SCIMExtension; u != "" {
		if err := validURN(u); err != nil {
			return fmt.Errorf("roles: SCIMExtension: %w", err)
		}
		if len(c.Fields) == 0 {
			return errors.New("roles: SCIMExtension is set but no custom attribute is declared")
		}
	}
	return nil
}

func validURN(u string) error {
	l := strings.ToLower(u)
	switch {
	case !strings.HasPrefix(l, "urn:") || len(u) > 200:
		return fmt.Errorf("%q is not a URN (urn:..., at most 200 characters)", u)
	case slices.Contains(reservedURNs, l):
		return fmt.Errorf("%q is a standard SCIM schema", u)
	}
	for _, r := range u[4:] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(":.-_", r)) {
			return fmt.Errorf("%q holds %q: use letters, digits and : . - _", u, r)
		}
	}
	if strings.HasSuffix(u, ":") || strings.Contains(u, "::") {
		return fmt.Errorf("%q has an empty part", u)
	}
	return nil
}

// Field returns the declared field key (compared case-insensitively).
func (c *Config) Field(key string) (Field, bool) {
	if c == nil {
		return Field{}, false
	}
	i := slices.IndexFunc(c.Fields, func(f Field) bool { return strings.EqualFold(f.Key, key) })
	if i < 0 {
		return Field{}, false
	}
	return c.Fields[i], true
}

// ValueError is a value refused for a custom attribute: Source (the SAML
// attribute, OIDC claim or SCIM path it came from) did not hold a value of
// the field's type.
type ValueError struct {
	Field  string // the field's key
	Source string // where the value came from
	Reason string // what is wrong, for people: "must be an integer"
}

func (e *ValueError) Error() string {
	if e.Source == "" || e.Source == e.Field {
		return fmt.Sprintf("the value of %s %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("the value of %s (custom attribute %s) %s", e.Source, e.Field, e.Reason)
}

func (f Field) refuse(source, format string, args ...any) *ValueError {
	return &ValueError{Field: f.Key, Source: source, Reason: fmt.Sprintf(format, args...)}
}

// FromJSON converts v, a value decoded from JSON (an OIDC claim, a SCIM
// attribute: string, bool, float64, json.Number or int64, []any,
// map[string]any),
// to the field's type: string, bool, int64 or []string. A list of one
// value is taken for a single-valued field; a longer list, an object, a
// fraction or an integer beyond 64 bits is refused with a *ValueError
// naming source.
func (f Field) FromJSON(source string, v any) (any, error) {
	if l, ok := v.([]any); ok && f.Type != FieldStringList {
		if len(l) != 1 {
			return nil, f.refuse(source, "must be a single %s, not a list of %d values", f.typeName(), len(l))
		}
		v = l[0]
	}
	switch f.Type {
	case FieldString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case FieldBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			return f.FromStrings(source, []string{x})
		}
	case FieldInteger:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		case json.Number:
			return f.FromStrings(source, []string{x.String()})
		case float64:
			if x != math.Trunc(x) || x < math.MinInt64 || x >= math.MaxInt64 {
				return nil, f.refuse(source, "must be an integer between %d and %d", int64(math.MinInt64), int64(math.MaxInt64))
			}
			return int64(x), nil
		case string:
			return f.FromStrings(source, []string{x})
		}
	case FieldStringList:
		switch x := v.(type) {
		case string:
			return []string{x}, nil
		case []any:
			out, ok := store.StringList(x)
			if !ok {
				return nil, f.refuse(source, "must be a list of strings")
			}
			return out, nil
		}
	}
	return nil, f.refuse(source, "must be %s", f.article())
}

// FromStrings converts the values of a SAML attribute to the field's
// type: a string list takes them all, another type exactly one.
func (f Field) FromStrings(source string, vals []string) (any, error) {
	if f.Type == FieldStringList {
		return slices.Clone(vals), nil
	}
	if len(vals) != 1 {
		return nil, f.refuse(source, "must be a single %s, not %d values", f.typeName(), len(vals))
	}
	s := vals[0]
	switch f.Type {
	case FieldBoolean:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, f.refuse(source, "must be true or false")
	case FieldInteger:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			return nil, f.refuse(source, "must be an integer between %d and %d", int64(math.MinInt64), int64(math.MaxInt64))
		}
		if err != nil {
			return nil, f.refuse(source, "must be an integer")
		}
		return n, nil
	}
	return s, nil
}

func (f Field) typeName() string {
	switch f.Type {
	case FieldBoolean:
		return "boolean"
	case FieldInteger:
		return "integer"
	}
	return "string"
}

func (f Field) article() string {
	switch f.Type {
	case FieldStringList:
		return "a list of strings"
	case FieldInteger:
		return "an integer"
	}
	return "a " + f.typeName()
}

// SCIMPath returns the SCIM path a field is read from for an organization
// whose mapping of it is m: m.SCIMPath, else the field's attribute of the
// host's extension (SCIMExtension + ":" + key), else "".
func (c *Config) SCIMPath(key string, m *store.AttributeMapping) string {
	if m != nil && m.SCIMPath != "" {
		return m.SCIMPath
	}
	if c == nil || c.SCIMExtension == "" {
		return ""
	}
	if f, ok := c.Field(key); ok {
		return c.SCIMExtension + ":" + f.Key
	}
	return ""
}

// ForLoginCustom returns the custom values of a user who signs in: the
// values dir of the user's directory user, and, for the fields dir holds
// no value of, the values idp the identity provider sent.
func ForLoginCustom(dir, idp store.CustomValues) store.CustomValues {
	if len(dir) == 0 && len(idp) == 0 {
		return nil
	}
	out := idp.Clone()
	if out == nil {
		out = store.CustomValues{}
	}
	for k, v := range dir.Clone() {
		out[k] = v
	}
	return out
}
