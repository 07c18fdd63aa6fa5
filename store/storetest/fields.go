package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

const enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// seedFieldUsers creates five users whose raw SCIM documents carry the
// attributes Field and Some filters reach, plus copies in another
// directory that must never show up, and returns the directory id.
func seedFieldUsers(f *fixture) string {
	f.Helper()
	org := f.mkOrg()
	d := &store.Directory{ID: "dir_fields", OrgID: org.ID, State: store.DirectoryActive, CreatedAt: t0}
	o := &store.Directory{ID: "dir_fields_decoy", OrgID: org.ID, State: store.DirectoryActive, CreatedAt: t0}
	f.ok(f.s.CreateDirectory(f.ctx, d), "CreateDirectory")
	f.ok(f.s.CreateDirectory(f.ctx, o), "CreateDirectory")
	docs := []string{
		`{"userName":"u1","title":"Engineer","nickName":"Al","name":{"givenName":"Alice","middleName":"Mary"},
		  "phoneNumbers":[{"value":"+1 555 0100","type":"work","primary":true},{"value":"+1 555 0199","type":"mobile"}],
		  "addresses":[{"locality":"Paris","type":"work"}],
		  "emails":[{"value":"alice@example.com","type":"work","primary":true}],
		  "` + enterpriseURN + `":{"employeeNumber":"0042","department":"R&D","manager":{"value":"usr_3"}},
		  "x509Certificates":[{"value":"MIIB"}],"profileUrl":"https://Example.com/alice",
		  "when":"2030-01-02T03:04:05Z","flag":"True","tags":["red","blue"]}`,
		`{"userName":"u2","title":"engineering manager","nickName":"",
		  "phoneNumbers":[{"value":"+44 20 7946","type":"Work"}],
		  "addresses":[{"locality":"paris"},{"locality":"Lyon","type":"home"}],
		  "emails":[{"value":"bob@example.com","type":"work"}],
		  "` + enterpriseURN + `":{"employeeNumber":"0007","department":"Sales"},
		  "profileUrl":"https://example.com/bob","when":"2030-01-01T00:00:00+01:00","flag":false}`,
		``,
		`{"userName":"u4","TITLE":"Équipe Zürich","phoneNumbers":[],
		  "emails":[{"value":"d@example.com","type":"home","primary":false}],"flag":"yes","tags":"green"}`,
		`{"userName":"u5","title":42,"phoneNumbers":[{"type":"work"}],"when":"soon"}`,
	}
	for i, doc := range docs {
		u := store.DirectoryUser{ID: fmt.Sprintf("usr_%d", i+1), DirectoryID: d.ID, UserName: fmt.Sprintf("u%d", i+1), Active: true,
			CreatedAt: at(time.Duration(i+1) * time.Hour), UpdatedAt: at(time.Duration(i+1) * time.Hour)}
		if doc != "" {
			u.Attributes = json.RawMessage(doc)
		}
		f.ok(f.s.CreateDirectoryUser(f.ctx, &u), "CreateDirectoryUser %s", u.ID)
		decoy := u
		decoy.ID, decoy.DirectoryID = "usr_fdecoy"+u.ID[3:], o.ID
		f.ok(f.s.CreateDirectoryUser(f.ctx, &decoy), "CreateDirectoryUser %s", decoy.ID)
	}
	return d.ID
}

func fld(path string, typ store.FieldType, op store.Op, v any) store.Field {
	return store.Field{Path: strings.Split(path, "|"), Type: typ, Op: op, Value: v}
}

func exact(f store.Field) store.Field { f.CaseExact = true; return f }

func some(path string, f store.Filter) store.Some {
	return store.Some{Path: strings.Split(path, "|"), F: f}
}

// fieldFilterCases are Field and Some filters over the seedFieldUsers
// directory and the users they select, in creation order.
func fieldFilterCases() []struct {
	filter store.Filter
	want   []string
} {
	type c = struct {
		filter store.Filter
		want   []string
	}
	S, B, T, C := store.FieldString, store.FieldBoolean, store.FieldDateTime, store.FieldComplex
	day := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	ent := enterpriseURN + "|"
	return []c{
		// A single-valued string, case-insensitive; keys match in any case;
		// a missing value is "", a number is no string.
		{fld("title", S, store.OpEq, "ENGINEER"), ids(1)},
		{exact(fld("title", S, store.OpEq, "Engineer")), ids(1)},
		{exact(fld("title", S, store.OpEq, "engineer")), nil},
		{fld("title", S, store.OpNe, "engineer"), ids(2, 3, 4, 5)},
		{fld("title", S, store.OpCo, "ENGINEER"), ids(1, 2)},
		{fld("title", S, store.OpSw, "eng"), ids(1, 2)},
		{fld("title", S, store.OpEw, "MANAGER"), ids(2)},
		{fld("title", S, store.OpGt, "engineer"), ids(2, 4)},
		{fld("title", S, store.OpGe, "Engineer"), ids(1, 2, 4)},
		{fld("title", S, store.OpLt, "F"), ids(1, 2, 3)},
		{fld("title", S, store.OpLe, "engineer"), ids(1, 3)},
		{fld("title", S, store.OpPr, nil), ids(1, 2, 4, 5)},
		{fld("title", S, store.OpEq, "équipe ZÜRICH"), ids(4)},
		{fld("title", S, store.OpCo, "%"), nil},
		{fld("title", S, store.OpSw, "_"), nil},
		{fld("nickName", S, store.OpPr, nil), ids(1)},
		{fld("nickName", S, store.OpEq, ""), ids(2, 3, 4, 5)},
		// A sub-attribute of a complex attribute.
		{fld("name|middleName", S, store.OpEq, "mary"), ids(1)},
		{fld("NAME|MIDDLENAME", S, store.OpPr, nil), ids(1)},
		{fld("name", C, store.OpPr, nil), ids(1)},
		// Sub-attributes of multi-valued attributes: some element matches.
		{fld("phoneNumbers|type", S, store.OpEq, "work"), ids(1, 2, 5)},
		{fld("phoneNumbers|type", S, store.OpNe, "work"), ids(1, 3)},
		{fld("phoneNumbers|value", S, store.OpCo, "555"), ids(1)},
		{fld("phoneNumbers|value", S, store.OpSw, "+44"), ids(2)},
		{fld("phoneNumbers|value", S, store.OpPr, nil), ids(1, 2)},
		{fld("phoneNumbers", C, store.OpPr, nil), ids(1, 2, 5)},
		{fld("addresses|locality", S, store.OpEq, "PARIS"), ids(1, 2)},
		{fld("emails|primary", B, store.OpEq, true), ids(1)},
		{fld("tags", S, store.OpEq, "blue"), ids(1)},
		{fld("tags", S, store.OpEq, "GREEN"), ids(4)},
		// The enterprise extension, its URN in any case.
		{fld(ent+"employeeNumber", S, store.OpEq, "0042"), ids(1)},
		{fld(strings.ToUpper(ent)+"employeeNumber", S, store.OpLt, "0042"), ids(2, 3, 4, 5)},
		{fld(ent+"manager|value", S, store.OpEq, "usr_3"), ids(1)},
		{fld(ent+"department", S, store.OpCo, "&"), ids(1)},
		{fld(ent+"department", S, store.OpPr, nil), ids(1, 2)},
		// Case-exact references and binaries.
		{exact(fld("profileUrl", S, store.OpEq, "https://example.com/alice")), nil},
		{exact(fld("profileUrl", S, store.OpEq, "https://Example.com/alice")), ids(1)},
		{fld("profileUrl", S, store.OpEq, "https://example.com/ALICE"), ids(1)},
		{exact(fld("profileUrl", S, store.OpSw, "https://example.com/")), ids(2)},
		{exact(fld("x509Certificates|value", S, store.OpEq, "MIIB")), ids(1)},
		// dateTime compares instants, whatever the offset written.
		{fld("when", T, store.OpGt, day("2030-01-01T00:00:00Z")), ids(1)},
		{fld("when", T, store.OpLt, day("2030-01-01T00:00:00Z")), ids(2)},
		{fld("when", T, store.OpEq, day("2029-12-31T23:00:00Z")), ids(2)},
		{fld("when", T, store.OpGe, day("2029-12-31T23:00:00Z")), ids(1, 2)},
		{fld("when", T, store.OpLe, day("2030-01-02T03:04:05Z")), ids(1, 2)},
		{fld("when", T, store.OpNe, day("2029-12-31T23:00:00Z")), ids(1, 3, 4, 5)},
		{fld("when", T, store.OpPr, nil), ids(1, 2, 5)},
		// Booleans, also written as strings; a missing one is false.
		{fld("flag", B, store.OpEq, true), ids(1)},
		{fld("flag", B, store.OpEq, false), ids(2, 3, 5)},
		{fld("flag", B, store.OpNe, true), ids(2, 3, 4, 5)},
		// Value filters: one element satisfies all of the conditions.
		{some("addresses", store.And{Left: fld("type", S, store.OpEq, "work"), Right: fld("locality", S, store.OpEq, "paris")}), ids(1)},
		{some("addresses", store.And{Left: fld("type", S, store.OpEq, "home"), Right: fld("locality", S, store.OpEq, "paris")}), nil},
		{some("emails", store.And{Left: fld("type", S, store.OpEq, "WORK"), Right: fld("primary", B, store.OpEq, true)}), ids(1)},
		{some("emails", store.And{Left: fld("type", S, store.OpEq, "home"), Right: fld("primary", B, store.OpEq, false)}), ids(4)},
		{some("phoneNumbers", store.Not{F: fld("type", S, store.OpEq, "work")}), ids(1)},
		{some("phoneNumbers", store.Or{Left: fld("type", S, store.OpEq, "mobile"), Right: fld("value", S, store.OpSw, "+44")}), ids(1, 2)},
		{some("tags", fld("value", S, store.OpEw, "ED")), ids(1)},
		{some(ent+"manager", fld("value", S, store.OpEq, "usr_3")), ids(1)},
		// Combined with indexed attributes and with each other.
		{store.And{Left: fld("title", S, store.OpCo, "engineer"), Right: store.Not{F: fld("nickName", S, store.OpPr, nil)}}, ids(2)},
		{store.Or{Left: cmp(store.AttrID, store.OpEq, "usr_3"), Right: fld("title", S, store.OpEq, "engineer")}, ids(1, 3)},
		{store.And{Left: cmp(store.AttrUserName, store.OpEq, "U2"), Right: fld("title", S, store.OpPr, nil)}, ids(2)},
		{store.And{Left: cmp(store.AttrUserName, store.OpEq, "u3"), Right: fld("title", S, store.OpPr, nil)}, nil},
		{store.And{Left: cmp(store.AttrCreated, store.OpGe, at(2*time.Hour)), Right: store.Or{Left: fld("title", S, store.OpSw, "e"), Right: fld("flag", B, store.OpEq, false)}}, ids(2, 3, 5)},
		{store.Not{F: fld("title", S, store.OpPr, nil)}, ids(3)},
		{store.Not{F: store.Or{Left: fld("title", S, store.OpPr, nil), Right: cmp(store.AttrID, store.OpEq, "usr_3")}}, nil},
		{&store.And{Left: &store.Field{Path: []string{"title"}, Type: S, Op: store.OpCo, Value: "eng"}, Right: &store.Some{Path: []string{"emails"}, F: &store.Field{Path: []string{"type"}, Type: S, Op: store.OpEq, Value: "work"}}}, ids(1, 2)},
	}
}

var fieldFilterTests = []subtest{
	{"Operators", func(f *fixture) {
		dir := seedFieldUsers(f)
		for _, tc := range fieldFilterCases() {
			got, total := f.listUsers(dir, store.UserQuery{Filter: tc.filter, Limit: 100})
			if !slices.Equal(got, tc.want) || total != len(tc.want) {
				f.Errorf("filter %s: %v (total %d), want %v", describeField(tc.filter), got, total, tc.want)
			}
			rows, count := f.listUsers(dir, store.UserQuery{Filter: tc.filter})
			if len(rows) != 0 || count != len(tc.want) {
				f.Errorf("filter %s with Limit 0: %d rows, total %d; want 0 rows, total %d", describeField(tc.filter), len(rows), count, len(tc.want))
			}
		}
	}},
	{"SortAndPage", func(f *fixture) {
		dir := seedFieldUsers(f)
		filter := fld("title", store.FieldString, store.OpNe, "engineer")
		got, total := f.listUsers(dir, store.UserQuery{Filter: filter, SortBy: store.AttrUserName, SortOrder: store.Descending, Offset: 1, Limit: 2})
		if want := ids(4, 3); !slices.Equal(got, want) || total != 4 {
			f.Fatalf("page of a field filter: %v (total %d), want %v (total 4)", got, total, want)
		}
	}},
	{"Groups", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		for i, doc := range []string{`{"displayName":"Eng","description":"Builds it"}`, `{"displayName":"Ops"}`} {
			g := &store.DirectoryGroup{ID: fmt.Sprintf("grp_%d", i+1), DirectoryID: d.ID, DisplayName: fmt.Sprintf("G%d", i+1), Attributes: json.RawMessage(doc), CreatedAt: at(time.Duration(i) * time.Hour), UpdatedAt: t0}
			f.ok(f.s.CreateDirectoryGroup(f.ctx, g, nil, nil), "CreateDirectoryGroup")
		}
		for _, tc := range []struct {
			filter store.Filter
			want   []string
		}{
			{fld("description", store.FieldString, store.OpCo, "BUILD"), []string{"grp_1"}},
			{fld("description", store.FieldString, store.OpPr, nil), []string{"grp_1"}},
			{store.Not{F: fld("description", store.FieldString, store.OpPr, nil)}, []string{"grp_2"}},
			{store.Or{Left: cmp(store.AttrDisplayName, store.OpEq, "g2"), Right: fld("displayName", store.FieldString, store.OpEq, "eng")}, []string{"grp_1", "grp_2"}},
		} {
			gs, total, err := f.s.ListDirectoryGroups(f.ctx, d.ID, store.GroupQuery{Filter: tc.filter, Limit: 10})
			f.ok(err, "ListDirectoryGroups %s", describeField(tc.filter))
			if got := groupIDs(gs); !slices.Equal(got, tc.want) || total != len(tc.want) {
				f.Errorf("groups filter %s: %v (total %d), want %v", describeField(tc.filter), got, total, tc.want)
			}
		}
	}},
	{"UserGroups", func(f *fixture) {
		org := f.mkOrg()
		d, other := f.mkDir(org.ID), f.mkDir(org.ID)
		u1, u2, u3 := f.mkUser(d.ID, "alice", nil), f.mkUser(d.ID, "bob", nil), f.mkUser(d.ID, "carol", nil)
		g1 := f.mkGroup(d.ID, "Admins", u1.ID)
		g2 := f.mkGroup(d.ID, "Engineering", u1.ID, u2.ID, g1.ID)
		f.mkGroup(d.ID, "Empty")
		// A look-alike in another directory.
		od := f.mkUser(other.ID, "alice", nil)
		f.mkGroup(other.ID, "Admins", od.ID)
		users := func(us ...*store.DirectoryUser) []string {
			var out []string
			for _, u := range us {
				out = append(out, u.ID)
			}
			return out
		}
		for _, tc := range []struct {
			filter store.Filter
			want   []string
		}{
			{cmp(store.AttrGroup, store.OpEq, g1.ID), users(u1)},
			{cmp(store.AttrGroup, store.OpEq, g2.ID), users(u1, u2)},
			{cmp(store.AttrGroup, store.OpEq, strings.ToUpper(g2.ID)), nil},
			{cmp(store.AttrGroup, store.OpEq, "grp_missing"), nil},
			{cmp(store.AttrGroup, store.OpNe, g2.ID), users(u1)},
			{cmp(store.AttrGroup, store.OpPr, nil), users(u1, u2)},
			{store.Not{F: cmp(store.AttrGroup, store.OpPr, nil)}, users(u3)},
			{cmp(store.AttrGroup, store.OpSw, g1.ID[:3]), users(u1, u2)},
			{cmp(store.AttrGroup, store.OpEw, g1.ID[len(g1.ID)-2:]), users(u1)},
			{cmp(store.AttrGroup, store.OpCo, "%"), nil},
			{cmp(store.AttrGroup, store.OpGt, g1.ID), users(u1, u2)},
			{cmp(store.AttrGroup, store.OpLe, g1.ID), users(u1)},
			{store.And{Left: cmp(store.AttrGroup, store.OpEq, g2.ID), Right: cmp(store.AttrUserName, store.OpEq, "BOB")}, users(u2)},
			{store.Or{Left: cmp(store.AttrGroup, store.OpEq, g1.ID), Right: cmp(store.AttrUserName, store.OpEq, "carol")}, users(u1, u3)},
		} {
			got, total := f.listUsers(d.ID, store.UserQuery{Filter: tc.filter, Limit: 10})
			if !slices.Equal(got, tc.want) || total != len(tc.want) {
				f.Errorf("users filter %s: %v (total %d), want %v", describe(tc.filter), got, total, tc.want)
			}
		}
		for _, filter := range []store.Filter{
			cmp(store.AttrGroup, store.OpEq, 1),
			cmp(store.AttrGroup, store.OpPr, "x"),
			cmp(store.AttrGroup, "xx", "x"),
		} {
			_, _, err := f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{Filter: filter, Limit: 10})
			f.is(err, store.ErrInvalid, "filter %s", describe(filter))
		}
		_, _, err := f.s.ListDirectoryGroups(f.ctx, d.ID, store.GroupQuery{Filter: cmp(store.AttrGroup, store.OpEq, g1.ID), Limit: 10})
		f.is(err, store.ErrInvalid, "groups filtered by group")
	}},
	{"InvalidFields", func(f *fixture) {
		dir := seedFieldUsers(f)
		S := store.FieldString
		for _, filter := range []store.Filter{
			store.Field{Type: S, Op: store.OpEq, Value: "x"},
			store.Field{Path: []string{""}, Type: S, Op: store.OpEq, Value: "x"},
			store.Field{Path: []string{"a", "b", "c", "d", "e"}, Type: S, Op: store.OpEq, Value: "x"},
			fld("title", "number", store.OpEq, "x"),
			fld("title", S, store.OpEq, true),
			fld("title", S, store.OpEq, nil),
			fld("title", S, "xx", "x"),
			fld("title", S, store.OpPr, "x"),
			fld("flag", store.FieldBoolean, store.OpGt, true),
			fld("flag", store.FieldBoolean, store.OpEq, "true"),
			fld("when", store.FieldDateTime, store.OpCo, t0),
			fld("when", store.FieldDateTime, store.OpEq, "2030-01-01T00:00:00Z"),
			fld("name", store.FieldComplex, store.OpEq, "x"),
			some("emails", cmp(store.AttrEmail, store.OpEq, "x")),
			some("emails", some("x", fld("type", S, store.OpEq, "work"))),
			some("emails", nil),
			store.Some{F: fld("type", S, store.OpEq, "work")},
			(*store.Field)(nil),
			(*store.Some)(nil),
			store.Or{Left: cmp(store.AttrUserName, store.OpEq, "u1"), Right: fld("title", S, store.OpEq, 1)},
		} {
			_, _, err := f.s.ListDirectoryUsers(f.ctx, dir, store.UserQuery{Filter: filter, Limit: 10})
			f.is(err, store.ErrInvalid, "filter %s", describeField(filter))
		}
	}},
}

func describeField(f store.Filter) string {
	switch v := f.(type) {
	case store.And:
		return "(" + describeField(v.Left) + " and " + describeField(v.Right) + ")"
	case store.Or:
		return "(" + describeField(v.Left) + " or " + describeField(v.Right) + ")"
	case store.Not:
		return "not(" + describeField(v.F) + ")"
	case store.Field:
		return fmt.Sprintf("%s[%s,exact=%v] %s %v", strings.Join(v.Path, "."), v.Type, v.CaseExact, v.Op, v.Value)
	case store.Some:
		return strings.Join(v.Path, ".") + "[" + describeField(v.F) + "]"
	}
	return describe(f)
}
