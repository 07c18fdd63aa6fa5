package scimkit

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/onboardkit/onboardkit/store"
)

// FuzzParseFilter checks that any filter is either translated into a
// well-formed store.Filter or refused with a *FilterError, never a panic.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		`userName eq "bjensen"`,
		`emails[type eq "work"].value eq "a@b.c"`,
		`emails[type eq "work" and value co "@"]`,
		`not (active eq "True") or meta.lastModified gt "2011-05-13T04:42:34Z"`,
		`(userName sw "a" or displayName ew "z") and externalId pr`,
		`userName eq "a\"b]. c"`,
		`members[value eq "grp_1" or value eq "usr_2"]`,
		`userName eq "x" or "1" eq "1"`,
		`emails[type eq "work"].value eq`,
		`title co "eng" and not (nickName pr)`,
		`addresses[type eq "work" and locality eq "Paris"]`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`,
		`emails[primary eq "True"] or phoneNumbers co "555"`,
		`members co "usr" or members pr`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// The fast path and the general parser agree.
		if e, ok := simpleFilter(strings.TrimSpace(s)); ok {
			ts := strings.TrimSpace(s)
			expr, err := parseSCIMFilter(ts)
			fast, ferr := userLeaf(ts, e)
			if err != nil {
				if ferr == nil {
					t.Fatalf("%q: fast path accepted what the parser refuses: %v", s, err)
				}
			} else {
				slow, serr := translate(ts, expr, userLeaf, userValuePath, 0)
				if (ferr == nil) != (serr == nil) || !reflect.DeepEqual(fast, slow) {
					t.Fatalf("%q: fast %#v %v, parser %#v %v", s, fast, ferr, slow, serr)
				}
			}
		}
		for _, parse := range []func(string) (store.Filter, error){ParseUserFilter, ParseGroupFilter} {
			got, err := parse(s)
			if err != nil {
				var fe *FilterError
				if !errors.As(err, &fe) {
					t.Fatalf("%q: error %T is not a *FilterError", s, err)
				}
				continue
			}
			checkFilter(t, s, got, 0)
		}
	})
}

func checkFilter(t *testing.T, s string, f store.Filter, depth int) {
	if depth > 10*maxFilterDepth {
		t.Fatalf("%q: filter too deep", s)
	}
	switch f := f.(type) {
	case store.And:
		checkFilter(t, s, f.Left, depth+1)
		checkFilter(t, s, f.Right, depth+1)
	case store.Or:
		checkFilter(t, s, f.Left, depth+1)
		checkFilter(t, s, f.Right, depth+1)
	case store.Not:
		checkFilter(t, s, f.F, depth+1)
	case store.Compare:
		if f.Attr == "" || f.Op == "" || (f.Op == store.OpPr) != (f.Value == nil) {
			t.Fatalf("%q: malformed compare %#v", s, f)
		}
	case store.Field, store.Some:
		if _, err := store.CompileField(f); err != nil {
			t.Fatalf("%q: the Store refuses %#v: %v", s, f, err)
		}
	default:
		t.Fatalf("%q: unexpected node %T", s, f)
	}
}

// FuzzPatch applies arbitrary PatchOp bodies to a user and a group: the
// result is a valid resource or a SCIM error, never a panic.
func FuzzPatch(f *testing.F) {
	for _, s := range []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"x@y.z"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"usr_1"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"usr_1\"]"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"usr_1"}]}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","value":{"name.givenName":"B","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"X"}}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:acme:2.0:User:level","value":"12"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:acme:2.0:User":{"projects":["a"],"remote":"True"},"title":"x"}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"addresses[type eq \"work\" and primary eq \"True\"].formatted","value":"1"}]}`,
	} {
		f.Add(s)
	}
	users, groups := newUserSchema(acmeFields), newGroupSchema()
	srv := &Server{maxMemb: 100, users: users, log: slog.New(slog.DiscardHandler)}
	ms := []store.AttributeMapping{
		{Field: "department", SCIMPath: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"},
		{Field: "employee_number", SCIMPath: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"},
		{Field: "cost_center", SCIMPath: "emails.value"},
	}
	f.Fuzz(func(t *testing.T, body string) {
		ops, err := parsePatch([]byte(body), 50)
		if err != nil {
			mustBeSCIM(t, err)
			return
		}
		res := mustJSON(t, baseUser)
		if err := users.applyPatch(res, ops); err != nil {
			mustBeSCIM(t, err)
		} else if out, err := users.validate(res); err != nil {
			mustBeSCIM(t, err)
		} else {
			if _, ok := out["password"]; ok {
				t.Fatal("password kept")
			}
			if _, err := json.Marshal(out); err != nil {
				t.Fatal(err)
			}
			if c, err := srv.customValues(context.Background(), ms, out); err != nil {
				mustBeSCIM(t, err)
			} else if err := c.Validate(); err != nil && !errors.Is(err, store.ErrInvalid) {
				t.Fatal(err)
			}
		}
		mops, rest, err := srv.splitMemberOps(ops, "grp_fuzz")
		if err != nil {
			mustBeSCIM(t, err)
			return
		}
		for _, op := range mops {
			if op.Validate() != nil {
				t.Fatalf("invalid member op %+v", op)
			}
		}
		g := mustJSON(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G"}`)
		if err := groups.applyPatch(g, rest); err != nil {
			mustBeSCIM(t, err)
		}
	})
}

func mustBeSCIM(t *testing.T, err error) {
	t.Helper()
	var se *scimerrors.ScimError
	if !errors.As(err, &se) || se.Status < 400 || se.Status > 499 {
		t.Fatalf("error %T %v is not a 4xx SCIM error", err, err)
	}
}

// FuzzCheckAttributePath: any text an IT admin types as a SCIM path gets
// a canonical path or an error, and a canonical path checks as itself.
func FuzzCheckAttributePath(f *testing.F) {
	for _, s := range []string{"title", "name.givenName", "emails.value", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
		"urn:ietf:params:scim:schemas:extension:acme:2.0:User:level", "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName", "a.b.c", "urn:", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		got, err := CheckAttributePath(acmeFields, path)
		if err != nil {
			return
		}
		again, err := CheckAttributePath(acmeFields, got)
		if err != nil || again != got {
			t.Fatalf("%q -> %q -> %q, %v", path, got, again, err)
		}
	})
}
