package roles

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/store"
)

func TestValidateFields(t *testing.T) {
	ok := []Config{
		{},
		{Fields: []Field{{Key: "department", Type: FieldString}, {Key: "employee-number", Type: FieldInteger}}},
		{Fields: []Field{{Key: "a", Type: FieldBoolean}}, SCIMExtension: "urn:ietf:params:scim:schemas:extension:acme:2.0:User"},
	}
	for _, c := range ok {
		if err := c.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", c, err)
		}
	}
	bad := []Config{
		{Fields: []Field{{Key: "", Type: FieldString}}},
		{Fields: []Field{{Key: "1a", Type: FieldString}}},
		{Fields: []Field{{Key: "a.b", Type: FieldString}}},
		{Fields: []Field{{Key: "a:b", Type: FieldString}}},
		{Fields: []Field{{Key: strings.Repeat("a", 65), Type: FieldString}}},
		{Fields: []Field{{Key: "a", Type: FieldString}, {Key: "A", Type: FieldInteger}}},
		{Fields: []Field{{Key: "a", Type: "float"}}},
		{Fields: []Field{{Key: "a", Type: FieldString}}, SCIMExtension: "acme"},
		{Fields: []Field{{Key: "a", Type: FieldString}}, SCIMExtension: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
		{Fields: []Field{{Key: "a", Type: FieldString}}, SCIMExtension: "urn:acme:2.0:User:"},
		{Fields: []Field{{Key: "a", Type: FieldString}}, SCIMExtension: "urn:acme 2.0"},
		{SCIMExtension: "urn:acme:2.0:User"},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepts it", c)
		}
	}
}

func TestFieldValues(t *testing.T) {
	str := Field{Key: "dept", Type: FieldString}
	num := Field{Key: "n", Type: FieldInteger}
	boo := Field{Key: "b", Type: FieldBoolean}
	list := Field{Key: "l", Type: FieldStringList}
	for _, tc := range []struct {
		f    Field
		in   any
		want any
	}{
		{str, "R&D", "R&D"},
		{str, []any{"one"}, "one"},
		{num, json.Number("42"), int64(42)},
		{num, json.Number("-9223372036854775808"), int64(math.MinInt64)},
		{num, float64(1 << 52), int64(1 << 52)},
		{num, " 7 ", int64(7)},
		{num, int64(3), int64(3)},
		{boo, true, true},
		{boo, "False", false},
		{boo, "TRUE", true},
		{list, "a", []string{"a"}},
		{list, []any{"a", "b"}, []string{"a", "b"}},
		{list, []any{}, []string{}},
	} {
		got, err := tc.f.FromJSON("src", tc.in)
		if err != nil {
			t.Errorf("%s.FromJSON(%#v): %v", tc.f.Type, tc.in, err)
			continue
		}
		if l, ok := tc.want.([]string); ok {
			if g, _ := got.([]string); !slices.Equal(g, l) {
				t.Errorf("%s.FromJSON(%#v) = %#v", tc.f.Type, tc.in, got)
			}
		} else if got != tc.want {
			t.Errorf("%s.FromJSON(%#v) = %#v, want %#v", tc.f.Type, tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		f  Field
		in any
	}{
		{str, 1.0}, {str, []any{"a", "b"}}, {str, map[string]any{}}, {str, nil},
		{num, json.Number("9223372036854775808")}, {num, json.Number("1.5")}, {num, json.Number("1e3")}, {num, 1.5}, {num, 1e19}, {num, "x"}, {num, true},
		{boo, "yes"}, {boo, 1.0}, {boo, []any{true, false}},
		{list, []any{"a", 1.0}}, {list, 1.0},
	} {
		_, err := tc.f.FromJSON("urn:x:attr", tc.in)
		var ve *ValueError
		if !errors.As(err, &ve) || ve.Field != tc.f.Key || !strings.Contains(err.Error(), "urn:x:attr") {
			t.Errorf("%s.FromJSON(%#v) = %v, want a ValueError naming the source", tc.f.Type, tc.in, err)
		}
	}
	if _, err := num.FromStrings("n", []string{"1", "2"}); err == nil || !strings.Contains(err.Error(), "single") {
		t.Errorf("two values for an integer: %v", err)
	}
	if got, err := list.FromStrings("l", []string{"a", "b"}); err != nil || !slices.Equal(got.([]string), []string{"a", "b"}) {
		t.Errorf("a list: %v %v", got, err)
	}
}

func TestSCIMPathAndLoginCustom(t *testing.T) {
	c := &Config{Fields: []Field{{Key: "level", Type: FieldInteger}}, SCIMExtension: "urn:acme:2.0:User"}
	if got := c.SCIMPath("level", nil); got != "urn:acme:2.0:User:level" {
		t.Errorf("default path %q", got)
	}
	if got := c.SCIMPath("level", &store.AttributeMapping{SCIMPath: "title"}); got != "title" {
		t.Errorf("mapped path %q", got)
	}
	if got := (&Config{Fields: c.Fields}).SCIMPath("level", nil); got != "" {
		t.Errorf("no extension: %q", got)
	}
	got := ForLoginCustom(store.CustomValues{"a": "dir"}, store.CustomValues{"a": "idp", "b": true})
	if !got.Equal(store.CustomValues{"a": "dir", "b": true}) {
		t.Errorf("ForLoginCustom = %#v", got)
	}
	if ForLoginCustom(nil, nil) != nil {
		t.Error("no values gives a map")
	}
}

// FuzzFieldValues: whatever an identity provider sends, a field gives a
// value of its type or a *ValueError.
func FuzzFieldValues(f *testing.F) {
	for _, s := range []string{`"x"`, `42`, `-1`, `1e400`, `["a","b"]`, `true`, `"True"`, `{"a":1}`, `null`, `9223372036854775808`} {
		f.Add(s)
	}
	fields := []Field{{Key: "s", Type: FieldString}, {Key: "i", Type: FieldInteger}, {Key: "b", Type: FieldBoolean}, {Key: "l", Type: FieldStringList}}
	f.Fuzz(func(t *testing.T, doc string) {
		d := json.NewDecoder(strings.NewReader(doc))
		d.UseNumber()
		var v any
		if d.Decode(&v) != nil {
			return
		}
		for _, fl := range fields {
			check := func(got any, err error) {
				var ve *ValueError
				if err != nil {
					if !errors.As(err, &ve) {
						t.Fatalf("%s: error %T", fl.Type, err)
					}
					return
				}
				if err := (store.CustomValues{fl.Key: got}).Validate(); err != nil && !errors.Is(err, store.ErrInvalid) {
					t.Fatalf("%s: %#v: %v", fl.Type, got, err)
				}
				switch got.(type) {
				case string, bool, int64, []string:
				default:
					t.Fatalf("%s gave a %T", fl.Type, got)
				}
			}
			check(fl.FromJSON("src", v))
			check(fl.FromStrings("src", []string{doc}))
		}
	})
}
