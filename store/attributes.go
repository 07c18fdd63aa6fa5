package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// CustomValues are the values of a user's custom attributes (the fields a
// host declares, see package roles), by field key. A value is a string, a
// bool, an int64 or a []string; nothing else is kept.
//
// They encode to a JSON object and decode from one with integers kept
// exact (an int64, never a float64).
type CustomValues map[string]any

// Validate reports ErrInvalid for an empty key or a value of another type,
// and for text a Store refuses (see ValidateText).
func (c CustomValues) Validate() error {
	for k, v := range c {
		if k == "" {
			return invalid("custom values: empty key")
		}
		if err := ValidateLine("custom attribute key", k); err != nil {
			return err
		}
		switch x := v.(type) {
		case string:
			if err := ValidateText("custom attribute "+k, x); err != nil {
				return err
			}
		case []string:
			for _, s := range x {
				if err := ValidateText("custom attribute "+k, s); err != nil {
					return err
				}
			}
		case bool, int64:
		default:
			return invalid("custom attribute %s: a %T is not a string, boolean, integer or string list", k, v)
		}
	}
	return nil
}

// Clone returns a deep copy of c (nil for nil).
func (c CustomValues) Clone() CustomValues {
	if c == nil {
		return nil
	}
	out := maps.Clone(c)
	for k, v := range out {
		if l, ok := v.([]string); ok {
			out[k] = slices.Clone(l)
		}
	}
	return out
}

// Equal reports whether c and o hold the same values (nil equals empty).
func (c CustomValues) Equal(o CustomValues) bool {
	if len(c) != len(o) {
		return false
	}
	for k, v := range c {
		w, ok := o[k]
		if !ok {
			return false
		}
		switch x := v.(type) {
		case []string:
			y, ok := w.([]string)
			if !ok || !slices.Equal(x, y) {
				return false
			}
		default:
			if v != w {
				return false
			}
		}
	}
	return true
}

// UnmarshalJSON decodes a JSON object of strings, booleans, integers and
// arrays of strings; null gives nil.
func (c *CustomValues) UnmarshalJSON(b []byte) error {
	v, err := DecodeCustomValues(b)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// DecodeCustomValues decodes the JSON encoding of CustomValues; empty
// input and null give nil. An error wraps ErrInvalid.
func DecodeCustomValues(b []byte) (CustomValues, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var raw map[string]any
	if err := d.Decode(&raw); err != nil {
		return nil, invalid("custom values: %v", err)
	}
	out := make(CustomValues, len(raw))
	for k, v := range raw {
		switch x := v.(type) {
		case string, bool:
			out[k] = x
		case json.Number:
			n, err := x.Int64()
			if err != nil {
				return nil, invalid("custom attribute %s: %s is not a 64-bit integer", k, x)
			}
			out[k] = n
		case []any:
			l, ok := StringList(x)
			if !ok {
				return nil, invalid("custom attribute %s: a list holds a value that is not a string", k)
			}
			out[k] = l
		case nil:
		default:
			return nil, invalid("custom attribute %s: unsupported JSON value", k)
		}
	}
	return out, nil
}

// StringList returns the strings of l, a JSON array decoded with
// encoding/json, as a custom string-list value; false when an element is
// not a string.
func StringList(l []any) ([]string, bool) {
	out := make([]string, len(l))
	for i, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// EncodeCustomValues returns the JSON encoding of c, nil when c is empty.
func EncodeCustomValues(c CustomValues) ([]byte, error) {
	if len(c) == 0 {
		return nil, nil
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(map[string]any(c))
	if err != nil {
		return nil, invalid("custom values: %v", err)
	}
	return b, nil
}

// AttributeMapping says where an organization's identity provider and
// directory send the value of one custom attribute the host declared
// (package roles): the SAML attribute, the OIDC claim, and the SCIM path
// (an attribute of the core User schema such as "title" or
// "name.middleName", or one prefixed by an extension's URN, such as
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department").
// An empty source is not read, except that an empty SCIMPath reads the
// field's attribute of the host's own SCIM extension when the host
// declares one (see package scimkit).
type AttributeMapping struct {
	OrgID         string
	Field         string // the key of the field the host declared
	SAMLAttribute string
	OIDCClaim     string
	SCIMPath      string
}

// Validate reports ErrInvalid when OrgID or Field is missing, or a name
// holds text a Store refuses.
func (m *AttributeMapping) Validate() error {
	if err := required("attribute mapping", "OrgID", m.OrgID, "Field", m.Field); err != nil {
		return err
	}
	return lines("attribute mapping", "Field", m.Field, "SAMLAttribute", m.SAMLAttribute, "OIDCClaim", m.OIDCClaim, "SCIMPath", m.SCIMPath)
}

// ValidateAttributeMappings checks the mappings ms of the organization
// orgID before SetAttributeMappings writes them: each valid, of orgID, one
// per Field. It returns them sorted by Field.
func ValidateAttributeMappings(orgID string, ms []AttributeMapping) ([]AttributeMapping, error) {
	if orgID == "" {
		return nil, invalid("organization id is required")
	}
	out := slices.Clone(ms)
	for i := range out {
		if err := out[i].Validate(); err != nil {
			return nil, err
		}
		if out[i].OrgID != orgID {
			return nil, invalid("attribute mapping of organization %q given for %q", out[i].OrgID, orgID)
		}
	}
	slices.SortFunc(out, func(a, b AttributeMapping) int {
		switch {
		case a.Field < b.Field:
			return -1
		case a.Field > b.Field:
			return 1
		}
		return 0
	})
	for i := 1; i < len(out); i++ {
		if out[i].Field == out[i-1].Field {
			return nil, invalid("attribute mapping: field %q is mapped twice", out[i].Field)
		}
	}
	return out, nil
}

// AttributeStore keeps the organizations' custom attribute mappings. The
// values themselves are kept on the directory users (DirectoryUser.Custom),
// written by whoever writes the user (the SCIM server).
type AttributeStore interface {
	// SetAttributeMappings replaces the organization's mappings with m,
	// appending events, in one write. Every mapping must name orgID, and
	// each Field at most once (else ErrInvalid). ErrNotFound for an
	// unknown organization.
	SetAttributeMappings(ctx context.Context, orgID string, m []AttributeMapping, events ...Event) error

	// ListAttributeMappings returns the organization's mappings ordered by
	// Field; none for an unknown organization.
	ListAttributeMappings(ctx context.Context, orgID string) ([]AttributeMapping, error)

	// UpdateCustomValues visits, in one write, up to limit users of the
	// directory that come after the key after in creation order (the
	// zero UserKey: from the first), calling fn with each, Version already
	// incremented. fn sets the user's Custom and UpdatedAt and returns the
	// events of the change; the Store writes Custom, UpdatedAt and Version
	// of a user whose Custom fn changed, with those events, and leaves the
	// others as they were (fn returns no event for them). An error of fn
	// aborts the write. It returns the key of the last user visited and
	// how many it visited: fewer than limit when the directory has no
	// more. ErrNotFound for an unknown directory. A change of an
	// organization's SCIM paths reads the values of its users again this
	// way (see scimkit.StoredCustomValues), a bounded batch per write.
	UpdateCustomValues(ctx context.Context, directoryID string, after UserKey, limit int, fn func(u *DirectoryUser) ([]Event, error)) (last UserKey, n int, err error)
}

// UserKey is the place of a directory user in the order of creation:
// CreatedAt, then ID.
type UserKey struct {
	CreatedAt time.Time
	ID        string
}

// KeyOf returns the key of u.
func KeyOf(u *DirectoryUser) UserKey { return UserKey{CreatedAt: u.CreatedAt, ID: u.ID} }

// After reports whether k comes after o.
func (k UserKey) After(o UserKey) bool {
	if c := k.CreatedAt.Compare(o.CreatedAt); c != 0 {
		return c > 0
	}
	return k.ID > o.ID
}

// CustomString renders v, a custom value, for people: a list joined by
// ", ".
func CustomString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []string:
		return strings.Join(x, ", ")
	default:
		return fmt.Sprint(x)
	}
}
