package scimkit

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

func TestParseUserFilter(t *testing.T) {
	ts := time.Date(2011, 5, 13, 4, 42, 34, 0, time.UTC)
	email := func(op store.Op, v any, typ string) store.Compare {
		return store.Compare{Attr: store.AttrEmail, Op: op, Value: v, EmailType: typ}
	}
	tests := []struct {
		in   string
		want store.Filter
	}{
		{`userName eq "bjensen@example.com"`, store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "bjensen@example.com"}},
		{`UserName Eq "a"`, store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "a"}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"`, store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "a"}},
		{`externalId eq "00u1"`, store.Compare{Attr: store.AttrExternalID, Op: store.OpEq, Value: "00u1"}},
		{`displayName eq "Babs"`, store.Compare{Attr: store.AttrDisplayName, Op: store.OpEq, Value: "Babs"}},
		{`id eq "usr_1"`, store.Compare{Attr: store.AttrID, Op: store.OpEq, Value: "usr_1"}},
		{`name.givenName sw "B"`, store.Compare{Attr: store.AttrGivenName, Op: store.OpSw, Value: "B"}},
		{`name.familyName co "ens"`, store.Compare{Attr: store.AttrFamilyName, Op: store.OpCo, Value: "ens"}},
		{`emails[type eq "work"].value eq "b@x.com"`, email(store.OpEq, "b@x.com", "work")},
		{`emails[type eq "work" and value eq "b@x.com"]`, email(store.OpEq, "b@x.com", "work")},
		{`emails[value eq "b@x.com" and type eq "work"]`, email(store.OpEq, "b@x.com", "work")},
		{`emails[type eq "work"]`, email(store.OpPr, nil, "work")},
		{`emails.type eq "work"`, email(store.OpPr, nil, "work")},
		{`emails.value eq "b@x.com"`, email(store.OpEq, "b@x.com", "")},
		{`emails eq "b@x.com"`, email(store.OpEq, "b@x.com", "")},
		{`emails pr`, email(store.OpPr, nil, "")},
		{`emails[value ew "@x.com" or value ew "@y.com"]`, store.Or{Left: email(store.OpEw, "@x.com", ""), Right: email(store.OpEw, "@y.com", "")}},
		{`active eq true`, store.Compare{Attr: store.AttrActive, Op: store.OpEq, Value: true}},
		{`active eq "True"`, store.Compare{Attr: store.AttrActive, Op: store.OpEq, Value: true}},
		{`active ne "false"`, store.Compare{Attr: store.AttrActive, Op: store.OpNe, Value: false}},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, store.Compare{Attr: store.AttrLastModified, Op: store.OpGt, Value: ts}},
		{`meta.created le "2011-05-13T04:42:34Z"`, store.Compare{Attr: store.AttrCreated, Op: store.OpLe, Value: ts}},
		{`userName pr`, store.Compare{Attr: store.AttrUserName, Op: store.OpPr}},
		{`userName eq "a\"b"`, store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: `a"b`}},
		{`userName eq "a]. b"`, store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: `a]. b`}},
		// precedence: not > and > or
		{`userName eq "a" or userName eq "b" and active eq true`, store.Or{
			Left:  store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "a"},
			Right: store.And{Left: store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "b"}, Right: store.Compare{Attr: store.AttrActive, Op: store.OpEq, Value: true}},
		}},
		{`(userName eq "a" or userName eq "b") and not (active eq true)`, store.And{
			Left:  store.Or{Left: store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "a"}, Right: store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "b"}},
			Right: store.Not{F: store.Compare{Attr: store.AttrActive, Op: store.OpEq, Value: true}},
		}},
		{`userName eq "a" AND emails[type eq "work"].value sw "a"`, store.And{
			Left:  store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "a"},
			Right: email(store.OpSw, "a", "work"),
		}},
	}
	ent := "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	fld := func(typ store.FieldType, exact bool, op store.Op, v any, path ...string) store.Field {
		return store.Field{Path: path, Type: typ, CaseExact: exact, Op: op, Value: v}
	}
	S, B := store.FieldString, store.FieldBoolean
	tests = append(tests, []struct {
		in   string
		want store.Filter
	}{
		// Attributes kept only in the document, named as the schema
		// spells them whatever the case sent.
		{`title eq "Boss"`, fld(S, false, store.OpEq, "Boss", "title")},
		{`TITLE Co "boss"`, fld(S, false, store.OpCo, "boss", "title")},
		{`nickName pr`, fld(S, false, store.OpPr, nil, "nickName")},
		{`urn:ietf:params:scim:schemas:core:2.0:User:title gt "a"`, fld(S, false, store.OpGt, "a", "title")},
		{`name.formatted eq "x"`, fld(S, false, store.OpEq, "x", "name", "formatted")},
		{`name.middleName ew "y"`, fld(S, false, store.OpEw, "y", "name", "middleName")},
		{`name pr`, fld(store.FieldComplex, false, store.OpPr, nil, "name")},
		{`profileUrl eq "https://x"`, fld(S, true, store.OpEq, "https://x", "profileUrl")},
		{`phoneNumbers.value sw "+1"`, store.Some{Path: []string{"phoneNumbers"}, F: fld(S, false, store.OpSw, "+1", "value")}},
		{`phoneNumbers co "555"`, store.Some{Path: []string{"phoneNumbers"}, F: fld(S, false, store.OpCo, "555", "value")}},
		{`addresses.locality eq "Paris"`, store.Some{Path: []string{"addresses"}, F: fld(S, false, store.OpEq, "Paris", "locality")}},
		{`x509Certificates.value eq "MIIB"`, store.Some{Path: []string{"x509Certificates"}, F: fld(S, true, store.OpEq, "MIIB", "value")}},
		{`emails.primary eq "True"`, store.Some{Path: []string{"emails"}, F: fld(B, false, store.OpEq, true, "primary")}},
		{`emails.type ne "work"`, store.Some{Path: []string{"emails"}, F: fld(S, false, store.OpNe, "work", "type")}},
		{`emails.display co "x"`, store.Some{Path: []string{"emails"}, F: fld(S, false, store.OpCo, "x", "display")}},
		{ent + `:employeeNumber eq "1"`, fld(S, false, store.OpEq, "1", ent, "employeeNumber")},
		{`URN:IETF:params:scim:schemas:extension:enterprise:2.0:user:Department le "m"`, fld(S, false, store.OpLe, "m", ent, "department")},
		{ent + `:manager.value eq "usr_1"`, fld(S, false, store.OpEq, "usr_1", ent, "manager", "value")},
		{ent + `:manager pr`, fld(store.FieldComplex, false, store.OpPr, nil, ent, "manager")},
		// Value filters the email index cannot answer go to the document.
		{`emails[type eq "work" and primary eq true]`, store.Some{Path: []string{"emails"}, F: store.And{Left: fld(S, false, store.OpEq, "work", "type"), Right: fld(B, false, store.OpEq, true, "primary")}}},
		{`emails[not (type eq "work")]`, store.Some{Path: []string{"emails"}, F: store.Not{F: fld(S, false, store.OpEq, "work", "type")}}},
		{`phoneNumbers[type eq "work" or value sw "+44"]`, store.Some{Path: []string{"phoneNumbers"}, F: store.Or{Left: fld(S, false, store.OpEq, "work", "type"), Right: fld(S, false, store.OpSw, "+44", "value")}}},
		{`addresses[type eq "work"].locality eq "Paris"`, store.Some{Path: []string{"addresses"}, F: store.And{Left: fld(S, false, store.OpEq, "work", "type"), Right: fld(S, false, store.OpEq, "Paris", "locality")}}},
		{`groups.value eq "grp_1"`, store.Compare{Attr: store.AttrGroup, Op: store.OpEq, Value: "grp_1"}},
		{`groups sw "grp_"`, store.Compare{Attr: store.AttrGroup, Op: store.OpSw, Value: "grp_"}},
		{`groups pr`, store.Compare{Attr: store.AttrGroup, Op: store.OpPr}},
		{`groups[value eq "grp_1" or value eq "grp_2"]`, store.Or{Left: store.Compare{Attr: store.AttrGroup, Op: store.OpEq, Value: "grp_1"}, Right: store.Compare{Attr: store.AttrGroup, Op: store.OpEq, Value: "grp_2"}}},
		{`userName eq "a" and title co "eng"`, store.And{Left: store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "a"}, Right: fld(S, false, store.OpCo, "eng", "title")}},
	}...)
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseUserFilter(tt.in)
			if err != nil {
				t.Fatalf("ParseUserFilter: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParseUserFilterRefused(t *testing.T) {
	for _, in := range []string{
		``,
		`userName eq "a" or "1" eq "1"`, // injection
		`userName eq "a") or (userName pr`,
		`userName eq "a`,
		`userName xx "a"`,
		`password eq "secret"`,
		`urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x"`,
		`active gt true`,
		`active eq "yes"`,
		`active eq 1`,
		`userName eq 1`,
		`userName eq true`,
		`userName eq null`,
		`meta.lastModified gt "yesterday"`,
		`meta.lastModified co "2011"`,
		`members eq "usr_1"`,
		`emails[type eq "work" and primary eq true].value eq "x"`, // filter-parser refuses the rewritten form
		// Attributes the schema does not know, or never kept.
		`nickname.x eq "a"`,
		`favouriteColour eq "blue"`,
		`name.nickName eq "x"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:shoeSize eq "1"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName eq "x"`,
		`urn:example:ext:1.0:User:title eq "x"`,
		`phoneNumbers[type eq "work"].nope eq "x"`,
		`phoneNumbers[nope eq "x"]`,
		`phoneNumbers[type eq "work" and emails[type eq "work"]]`,
		`groups.display eq "Admins"`,
		`groups.type eq "direct"`,
		`groups[display eq "Admins"]`,
		`groups[value eq "a" and value eq "b"]`,
		// Types and operators that do not fit.
		`title eq true`,
		`title eq 3`,
		`title eq null`,
		`emails.primary gt true`,
		`emails.primary eq "maybe"`,
		`emails.primary co "t"`,
		`name eq "x"`,
		`name co "x"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "x"`,
		`x509Certificates.value eq 1`,
		`userName eq "a"]`,
		`emails[type eq "work"].`,
		`emails[type eq "work"].value`,
		`emails[type eq "work"].value eq`,
		`userName eq "\u0000"` + "\x00",
	} {
		t.Run(in, func(t *testing.T) {
			f, err := ParseUserFilter(in)
			if err == nil {
				t.Fatalf("accepted as %#v", f)
			}
			var fe *FilterError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a *FilterError", err, err)
			}
		})
	}
}

func TestParseGroupFilter(t *testing.T) {
	tests := []struct {
		in   string
		want store.Filter
	}{
		{`displayName eq "Engineering"`, store.Compare{Attr: store.AttrDisplayName, Op: store.OpEq, Value: "Engineering"}},
		{`externalId eq "x"`, store.Compare{Attr: store.AttrExternalID, Op: store.OpEq, Value: "x"}},
		{`members[value eq "usr_1"]`, store.Compare{Attr: store.AttrMember, Op: store.OpEq, Value: "usr_1"}},
		{`members.value eq "usr_1"`, store.Compare{Attr: store.AttrMember, Op: store.OpEq, Value: "usr_1"}},
		{`displayName eq "a" and members eq "usr_1"`, store.And{Left: store.Compare{Attr: store.AttrDisplayName, Op: store.OpEq, Value: "a"}, Right: store.Compare{Attr: store.AttrMember, Op: store.OpEq, Value: "usr_1"}}},
	}
	for _, tt := range tests {
		got, err := ParseGroupFilter(tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Fatalf("%s: got %#v want %#v", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct {
		in   string
		want store.Filter
	}{
		{`members co "usr"`, store.Compare{Attr: store.AttrMember, Op: store.OpCo, Value: "usr"}},
		{`members.value ne "usr_1"`, store.Compare{Attr: store.AttrMember, Op: store.OpNe, Value: "usr_1"}},
		{`members pr`, store.Compare{Attr: store.AttrMember, Op: store.OpPr}},
		{`not (members pr)`, store.Not{F: store.Compare{Attr: store.AttrMember, Op: store.OpPr}}},
		{`members[value sw "usr_" or value eq "grp_1"]`, store.Or{Left: store.Compare{Attr: store.AttrMember, Op: store.OpSw, Value: "usr_"}, Right: store.Compare{Attr: store.AttrMember, Op: store.OpEq, Value: "grp_1"}}},
	} {
		got, err := ParseGroupFilter(tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Fatalf("%s: got %#v want %#v", tt.in, got, tt.want)
		}
	}
	for _, in := range []string{`userName eq "a"`, `members eq true`, `members[value sw "a" and value ew "b"]`, `members[display eq "x"]`, `emails pr`, `members.display eq "x"`, `members.type eq "User"`, `title eq "x"`, `displayName eq true`} {
		if f, err := ParseGroupFilter(in); err == nil {
			t.Errorf("%s: accepted as %#v", in, f)
		}
	}
}
