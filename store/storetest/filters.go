package storetest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// seedFilterUsers creates five users in a directory, plus look-alikes in
// another directory that must never show up, and returns the directory id.
//
//	id     userName           externalId displayName    given  family   active emails (type)                          created updated
//	usr_1  alice@example.com  EXT-1      Alice Liddell  Alice  Liddell  true   alice@example.com (work, primary),     +1h     +10h
//	                                                                           alice@home.test (home)
//	usr_2  Bob@Example.com    ext-2      Bob Builder    Bob    Builder  false  bob@example.com (work)                 +2h     +9h
//	usr_3  carol                                        Carol  Liddell  true                                          +3h     +8h
//	usr_4  dave@other.test    EXT-4      Dave           Dave   Zed      true   d@example.com (Work),                  +4h     +7h
//	                                                                           zoe@other.test (home, primary)
//	usr_5  eve                EXT-5      Eve Online     Eve    Online   false  eve@example.org (no type)              +5h     +6h
func seedFilterUsers(f *fixture) string {
	f.Helper()
	org := f.mkOrg()
	d := &store.Directory{ID: "dir_filters", OrgID: org.ID, State: store.DirectoryActive, CreatedAt: t0}
	o := &store.Directory{ID: "dir_decoy", OrgID: org.ID, State: store.DirectoryActive, CreatedAt: t0}
	f.ok(f.s.CreateDirectory(f.ctx, d), "CreateDirectory")
	f.ok(f.s.CreateDirectory(f.ctx, o), "CreateDirectory")
	users := []store.DirectoryUser{
		{ID: "usr_1", UserName: "alice@example.com", ExternalID: "EXT-1", DisplayName: "Alice Liddell", GivenName: "Alice", FamilyName: "Liddell", Active: true,
			Emails: []store.Email{{Value: "alice@example.com", Type: "work", Primary: true}, {Value: "alice@home.test", Type: "home"}}},
		{ID: "usr_2", UserName: "Bob@Example.com", ExternalID: "ext-2", DisplayName: "Bob Builder", GivenName: "Bob", FamilyName: "Builder",
			Emails: []store.Email{{Value: "bob@example.com", Type: "work"}}},
		{ID: "usr_3", UserName: "carol", GivenName: "Carol", FamilyName: "Liddell", Active: true},
		{ID: "usr_4", UserName: "dave@other.test", ExternalID: "EXT-4", DisplayName: "Dave", GivenName: "Dave", FamilyName: "Zed", Active: true,
			Emails: []store.Email{{Value: "d@example.com", Type: "Work"}, {Value: "zoe@other.test", Type: "home", Primary: true}}},
		{ID: "usr_5", UserName: "eve", ExternalID: "EXT-5", DisplayName: "Eve Online", GivenName: "Eve", FamilyName: "Online",
			Emails: []store.Email{{Value: "eve@example.org"}}},
	}
	for i := range users {
		u := users[i]
		u.DirectoryID = d.ID
		u.CreatedAt = at(time.Duration(i+1) * time.Hour)
		u.UpdatedAt = at(time.Duration(10-i) * time.Hour)
		f.ok(f.s.CreateDirectoryUser(f.ctx, &u), "CreateDirectoryUser %s", u.ID)
		decoy := users[i]
		decoy.ID = "usr_decoy" + u.ID[3:]
		decoy.DirectoryID = o.ID
		decoy.CreatedAt, decoy.UpdatedAt = u.CreatedAt, u.UpdatedAt
		f.ok(f.s.CreateDirectoryUser(f.ctx, &decoy), "CreateDirectoryUser %s", decoy.ID)
	}
	return d.ID
}

func cmp(a store.Attr, op store.Op, v any) store.Compare {
	return store.Compare{Attr: a, Op: op, Value: v}
}

func emailCmp(typ string, op store.Op, v any) store.Compare {
	return store.Compare{Attr: store.AttrEmail, Op: op, Value: v, EmailType: typ}
}

func ids(n ...int) []string {
	var out []string
	for _, i := range n {
		out = append(out, fmt.Sprintf("usr_%d", i))
	}
	return out
}

// userFilterCases are filters over the seedFilterUsers directory and the
// users they select, in creation order.
func userFilterCases() []struct {
	filter store.Filter
	want   []string
} {
	h := func(n int) time.Time { return at(time.Duration(n) * time.Hour).In(elsewhere) }
	type c = struct {
		filter store.Filter
		want   []string
	}
	return []c{
		// userName: case-insensitive.
		{cmp(store.AttrUserName, store.OpEq, "ALICE@example.com"), ids(1)},
		{cmp(store.AttrUserName, store.OpEq, "alice"), nil},
		{cmp(store.AttrUserName, store.OpNe, "alice@example.com"), ids(2, 3, 4, 5)},
		{cmp(store.AttrUserName, store.OpCo, "EXAMPLE"), ids(1, 2)},
		{cmp(store.AttrUserName, store.OpSw, "b"), ids(2)},
		{cmp(store.AttrUserName, store.OpEw, ".TEST"), ids(4)},
		{cmp(store.AttrUserName, store.OpGt, "carol"), ids(4, 5)},
		{cmp(store.AttrUserName, store.OpGe, "Carol"), ids(3, 4, 5)},
		{cmp(store.AttrUserName, store.OpLt, "bob@example.com"), ids(1)},
		{cmp(store.AttrUserName, store.OpLe, "BOB@example.com"), ids(1, 2)},
		{cmp(store.AttrUserName, store.OpPr, nil), ids(1, 2, 3, 4, 5)},
		// Values are literal: no wildcards, no patterns.
		{cmp(store.AttrUserName, store.OpCo, "%"), nil},
		{cmp(store.AttrUserName, store.OpSw, "_"), nil},
		{cmp(store.AttrUserName, store.OpCo, "a.ice"), nil},
		{cmp(store.AttrUserName, store.OpCo, "*"), nil},
		{cmp(store.AttrExternalID, store.OpEw, "_1"), nil},
		{cmp(store.AttrDisplayName, store.OpCo, "e%l"), nil},
		{emailCmp("", store.OpSw, "%example"), nil},
		{emailCmp("", store.OpEw, "example_com"), nil},
		// externalId: case-exact.
		{cmp(store.AttrExternalID, store.OpEq, "EXT-1"), ids(1)},
		{cmp(store.AttrExternalID, store.OpEq, "ext-1"), nil},
		{cmp(store.AttrExternalID, store.OpNe, "EXT-1"), ids(2, 3, 4, 5)},
		{cmp(store.AttrExternalID, store.OpSw, "EXT"), ids(1, 4, 5)},
		{cmp(store.AttrExternalID, store.OpCo, "xt"), ids(2)},
		{cmp(store.AttrExternalID, store.OpEw, "-5"), ids(5)},
		{cmp(store.AttrExternalID, store.OpPr, nil), ids(1, 2, 4, 5)},
		{store.And{Left: cmp(store.AttrExternalID, store.OpGt, "EXT-1"), Right: cmp(store.AttrExternalID, store.OpSw, "EXT")}, ids(4, 5)},
		{store.And{Left: cmp(store.AttrExternalID, store.OpGe, "EXT-4"), Right: cmp(store.AttrExternalID, store.OpSw, "EXT")}, ids(4, 5)},
		{store.And{Left: cmp(store.AttrExternalID, store.OpLt, "EXT-5"), Right: cmp(store.AttrExternalID, store.OpSw, "EXT")}, ids(1, 4)},
		{store.And{Left: cmp(store.AttrExternalID, store.OpLe, "EXT-4"), Right: cmp(store.AttrExternalID, store.OpSw, "EXT")}, ids(1, 4)},
		// id: case-exact.
		{cmp(store.AttrID, store.OpEq, "usr_3"), ids(3)},
		{cmp(store.AttrID, store.OpEq, "USR_3"), nil},
		{cmp(store.AttrID, store.OpEq, "usr_decoy_3"), nil},
		{cmp(store.AttrID, store.OpNe, "usr_3"), ids(1, 2, 4, 5)},
		{cmp(store.AttrID, store.OpCo, "_4"), ids(4)},
		{cmp(store.AttrID, store.OpSw, "usr_"), ids(1, 2, 3, 4, 5)},
		{cmp(store.AttrID, store.OpEw, "5"), ids(5)},
		{cmp(store.AttrID, store.OpGt, "usr_3"), ids(4, 5)},
		{cmp(store.AttrID, store.OpLe, "usr_2"), ids(1, 2)},
		{cmp(store.AttrID, store.OpPr, nil), ids(1, 2, 3, 4, 5)},
		// displayName: case-insensitive; an absent one is not equal to anything.
		{cmp(store.AttrDisplayName, store.OpEq, "eve online"), ids(5)},
		{cmp(store.AttrDisplayName, store.OpNe, "DAVE"), ids(1, 2, 3, 5)},
		{cmp(store.AttrDisplayName, store.OpCo, "liddell"), ids(1)},
		{cmp(store.AttrDisplayName, store.OpSw, "B"), ids(2)},
		{cmp(store.AttrDisplayName, store.OpEw, "ONLINE"), ids(5)},
		{cmp(store.AttrDisplayName, store.OpGe, "dave"), ids(4, 5)},
		{cmp(store.AttrDisplayName, store.OpGt, "dave"), ids(5)},
		{cmp(store.AttrDisplayName, store.OpPr, nil), ids(1, 2, 4, 5)},
		// givenName, familyName.
		{cmp(store.AttrGivenName, store.OpEq, "ALICE"), ids(1)},
		{cmp(store.AttrGivenName, store.OpLe, "bob"), ids(1, 2)},
		{cmp(store.AttrGivenName, store.OpLt, "Bob"), ids(1)},
		{cmp(store.AttrGivenName, store.OpGt, "carol"), ids(4, 5)},
		{cmp(store.AttrGivenName, store.OpCo, "AR"), ids(3)},
		{cmp(store.AttrFamilyName, store.OpEq, "liddell"), ids(1, 3)},
		{cmp(store.AttrFamilyName, store.OpNe, "Liddell"), ids(2, 4, 5)},
		{cmp(store.AttrFamilyName, store.OpGe, "LIDDELL"), ids(1, 3, 4, 5)},
		{cmp(store.AttrFamilyName, store.OpLt, "c"), ids(2)},
		{cmp(store.AttrFamilyName, store.OpSw, "l"), ids(1, 3)},
		{cmp(store.AttrFamilyName, store.OpEw, "E"), ids(5)},
		{cmp(store.AttrFamilyName, store.OpPr, nil), ids(1, 2, 3, 4, 5)},
		// active.
		{cmp(store.AttrActive, store.OpEq, true), ids(1, 3, 4)},
		{cmp(store.AttrActive, store.OpEq, false), ids(2, 5)},
		{cmp(store.AttrActive, store.OpNe, true), ids(2, 5)},
		{cmp(store.AttrActive, store.OpNe, false), ids(1, 3, 4)},
		// email: any of the emails, case-insensitive.
		{emailCmp("", store.OpEq, "D@EXAMPLE.com"), ids(4)},
		{emailCmp("", store.OpEq, "eve@example.org"), ids(5)},
		{emailCmp("", store.OpCo, "home"), ids(1)},
		{emailCmp("", store.OpSw, "BOB"), ids(2)},
		{emailCmp("", store.OpEw, "@EXAMPLE.COM"), ids(1, 2, 4)},
		{emailCmp("", store.OpGt, "e"), ids(4, 5)},
		{emailCmp("", store.OpGe, "zoe@other.test"), ids(4)},
		{emailCmp("", store.OpLt, "b"), ids(1)},
		{emailCmp("", store.OpLe, "alice@example.com"), ids(1)},
		{emailCmp("", store.OpPr, nil), ids(1, 2, 4, 5)},
		{store.And{Left: emailCmp("", store.OpNe, "bob@example.com"), Right: store.Or{Left: cmp(store.AttrID, store.OpEq, "usr_2"), Right: cmp(store.AttrID, store.OpEq, "usr_5")}}, ids(5)},
		// email restricted by type, matched case-insensitively.
		{emailCmp("work", store.OpEq, "d@example.com"), ids(4)},
		{emailCmp("WORK", store.OpEq, "zoe@other.test"), nil},
		{emailCmp("home", store.OpEq, "ZOE@other.test"), ids(4)},
		{emailCmp("work", store.OpCo, "example"), ids(1, 2, 4)},
		{emailCmp("home", store.OpSw, "zoe"), ids(4)},
		{emailCmp("Home", store.OpPr, nil), ids(1, 4)},
		{emailCmp("work", store.OpPr, nil), ids(1, 2, 4)},
		{emailCmp("other", store.OpPr, nil), nil},
		// created and lastModified, given in another zone.
		{cmp(store.AttrCreated, store.OpEq, h(2)), ids(2)},
		{cmp(store.AttrCreated, store.OpNe, h(2)), ids(1, 3, 4, 5)},
		{cmp(store.AttrCreated, store.OpGt, h(3)), ids(4, 5)},
		{cmp(store.AttrCreated, store.OpGe, h(3)), ids(3, 4, 5)},
		{cmp(store.AttrCreated, store.OpLt, h(2)), ids(1)},
		{cmp(store.AttrCreated, store.OpLe, h(2)), ids(1, 2)},
		{cmp(store.AttrCreated, store.OpPr, nil), ids(1, 2, 3, 4, 5)},
		{cmp(store.AttrLastModified, store.OpEq, h(8)), ids(3)},
		{cmp(store.AttrLastModified, store.OpNe, h(10)), ids(2, 3, 4, 5)},
		{cmp(store.AttrLastModified, store.OpGt, h(9)), ids(1)},
		{cmp(store.AttrLastModified, store.OpGe, h(9)), ids(1, 2)},
		{cmp(store.AttrLastModified, store.OpLt, h(7)), ids(5)},
		{cmp(store.AttrLastModified, store.OpLe, h(7)), ids(4, 5)},
		// Combinations.
		{store.And{Left: cmp(store.AttrActive, store.OpEq, true), Right: cmp(store.AttrFamilyName, store.OpEq, "Liddell")}, ids(1, 3)},
		{store.Or{Left: cmp(store.AttrUserName, store.OpEq, "eve"), Right: cmp(store.AttrExternalID, store.OpEq, "EXT-1")}, ids(1, 5)},
		{store.Not{F: cmp(store.AttrActive, store.OpEq, true)}, ids(2, 5)},
		{store.Not{F: store.Or{Left: cmp(store.AttrUserName, store.OpEq, "eve"), Right: cmp(store.AttrExternalID, store.OpEq, "EXT-1")}}, ids(2, 3, 4)},
		{store.Not{F: store.Not{F: cmp(store.AttrUserName, store.OpEq, "EVE")}}, ids(5)},
		{store.And{Left: store.Or{Left: cmp(store.AttrUserName, store.OpSw, "a"), Right: cmp(store.AttrUserName, store.OpSw, "b")}, Right: store.Not{F: cmp(store.AttrActive, store.OpEq, false)}}, ids(1)},
		{store.And{Left: cmp(store.AttrUserName, store.OpEq, "carol"), Right: cmp(store.AttrGivenName, store.OpEq, "Carol")}, ids(3)},
		{store.And{Left: cmp(store.AttrUserName, store.OpEq, "carol"), Right: cmp(store.AttrGivenName, store.OpEq, "Alice")}, nil},
		{store.Or{Left: cmp(store.AttrUserName, store.OpEq, "carol"), Right: cmp(store.AttrGivenName, store.OpEq, "Alice")}, ids(1, 3)},
		{store.Or{Left: cmp(store.AttrID, store.OpEq, "usr_1"), Right: cmp(store.AttrID, store.OpEq, "usr_1")}, ids(1)},
		{store.Or{Left: cmp(store.AttrUserName, store.OpEq, "eve"), Right: cmp(store.AttrID, store.OpEq, "usr_5")}, ids(5)},
		{store.And{Left: cmp(store.AttrExternalID, store.OpEq, "EXT-4"), Right: cmp(store.AttrUserName, store.OpEq, "dave@other.test")}, ids(4)},
		{store.And{Left: cmp(store.AttrExternalID, store.OpEq, "EXT-4"), Right: cmp(store.AttrUserName, store.OpEq, "eve")}, nil},
		{store.Or{Left: store.And{Left: cmp(store.AttrActive, store.OpEq, false), Right: emailCmp("", store.OpPr, nil)}, Right: store.And{Left: cmp(store.AttrActive, store.OpEq, true), Right: store.Not{F: emailCmp("", store.OpPr, nil)}}}, ids(2, 3, 5)},
		{store.And{Left: emailCmp("work", store.OpEw, "example.com"), Right: store.Not{F: emailCmp("home", store.OpPr, nil)}}, ids(2)},
	}
}

func describe(f store.Filter) string {
	switch v := f.(type) {
	case store.And:
		return "(" + describe(v.Left) + " and " + describe(v.Right) + ")"
	case store.Or:
		return "(" + describe(v.Left) + " or " + describe(v.Right) + ")"
	case store.Not:
		return "not(" + describe(v.F) + ")"
	case store.Compare:
		s := fmt.Sprintf("%s %s %v", v.Attr, v.Op, v.Value)
		if v.EmailType != "" {
			s = fmt.Sprintf("emails[type eq %q].value %s %v", v.EmailType, v.Op, v.Value)
		}
		return s
	}
	return fmt.Sprintf("%#v", f)
}

// listUsers returns the ids of a page and the total.
func (f *fixture) listUsers(dir string, q store.UserQuery) ([]string, int) {
	f.Helper()
	us, total, err := f.s.ListDirectoryUsers(f.ctx, dir, q)
	f.ok(err, "ListDirectoryUsers %s", describe(q.Filter))
	f.utcOnly("ListDirectoryUsers", us)
	return userIDs(us), total
}

var userFilterTests = []subtest{
	{"Operators", func(f *fixture) {
		dir := seedFilterUsers(f)
		for _, tc := range userFilterCases() {
			got, total := f.listUsers(dir, store.UserQuery{Filter: tc.filter, Limit: 100})
			if !slices.Equal(got, tc.want) || total != len(tc.want) {
				f.Errorf("filter %s: %v (total %d), want %v", describe(tc.filter), got, total, tc.want)
			}
			// Limit 0 counts without rows.
			rows, count := f.listUsers(dir, store.UserQuery{Filter: tc.filter})
			if len(rows) != 0 || count != len(tc.want) {
				f.Errorf("filter %s with Limit 0: %d rows, total %d; want 0 rows, total %d", describe(tc.filter), len(rows), count, len(tc.want))
			}
		}
	}},
	{"PointerNodes", func(f *fixture) {
		dir := seedFilterUsers(f)
		filter := &store.And{
			Left:  &store.Compare{Attr: store.AttrActive, Op: store.OpEq, Value: true},
			Right: &store.Not{F: &store.Or{Left: &store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "carol"}, Right: &store.Compare{Attr: store.AttrID, Op: store.OpEq, Value: "usr_4"}}},
		}
		got, total := f.listUsers(dir, store.UserQuery{Filter: filter, Limit: 10})
		if want := ids(1); !slices.Equal(got, want) || total != 1 {
			f.Fatalf("filter of pointer nodes: %v (total %d), want %v", got, total, want)
		}
	}},
	{"InvalidFilters", func(f *fixture) {
		dir := seedFilterUsers(f)
		valid := cmp(store.AttrUserName, store.OpEq, "eve")
		for _, filter := range []store.Filter{
			cmp("nickName", store.OpEq, "x"),
			cmp("", store.OpEq, "x"),
			cmp(store.AttrUserName, "xx", "x"),
			cmp(store.AttrUserName, "", "x"),
			cmp(store.AttrUserName, store.OpEq, 42),
			cmp(store.AttrUserName, store.OpEq, nil),
			cmp(store.AttrUserName, store.OpEq, true),
			cmp(store.AttrUserName, store.OpPr, "x"),
			cmp(store.AttrMember, store.OpEq, "usr_1"),
			cmp(store.AttrActive, store.OpEq, "true"),
			cmp(store.AttrActive, store.OpGt, true),
			cmp(store.AttrActive, store.OpCo, true),
			cmp(store.AttrCreated, store.OpCo, t0),
			cmp(store.AttrCreated, store.OpSw, t0),
			cmp(store.AttrCreated, store.OpEq, "2030-01-01T00:00:00Z"),
			cmp(store.AttrLastModified, store.OpEq, 12),
			cmp(store.AttrEmail, store.OpEq, 7),
			store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "x", EmailType: "work"},
			store.And{Left: nil, Right: valid},
			store.And{Left: valid},
			store.Or{Left: valid, Right: nil},
			store.Not{},
			store.Not{F: store.And{Left: valid, Right: cmp("nickName", store.OpEq, "x")}},
			store.Or{Left: valid, Right: cmp(store.AttrActive, store.OpEq, 1)},
		} {
			_, _, err := f.s.ListDirectoryUsers(f.ctx, dir, store.UserQuery{Filter: filter, Limit: 10})
			f.is(err, store.ErrInvalid, "filter %s", describe(filter))
		}
		for _, q := range []store.UserQuery{
			{SortBy: store.AttrActive, Limit: 10},
			{SortBy: store.AttrMember, Limit: 10},
			{SortBy: "nickName", Limit: 10},
			{SortOrder: 7, Limit: 10},
			{Offset: -1, Limit: 10},
			{Limit: -1},
		} {
			_, _, err := f.s.ListDirectoryUsers(f.ctx, dir, q)
			f.is(err, store.ErrInvalid, "query %+v", q)
		}
	}},
	{"Sort", func(f *fixture) {
		dir := seedFilterUsers(f)
		emailPr := emailCmp("", store.OpPr, nil)
		for _, tc := range []struct {
			by     store.Attr
			order  store.SortOrder
			filter store.Filter
			want   []string
		}{
			{"", store.Ascending, nil, ids(1, 2, 3, 4, 5)},
			{"", store.Descending, nil, ids(5, 4, 3, 2, 1)},
			{store.AttrUserName, store.Ascending, nil, ids(1, 2, 3, 4, 5)},
			{store.AttrUserName, store.Descending, nil, ids(5, 4, 3, 2, 1)},
			{store.AttrGivenName, store.Ascending, nil, ids(1, 2, 3, 4, 5)},
			{store.AttrGivenName, store.Descending, nil, ids(5, 4, 3, 2, 1)},
			{store.AttrCreated, store.Ascending, nil, ids(1, 2, 3, 4, 5)},
			{store.AttrCreated, store.Descending, nil, ids(5, 4, 3, 2, 1)},
			{store.AttrLastModified, store.Ascending, nil, ids(5, 4, 3, 2, 1)},
			{store.AttrLastModified, store.Descending, nil, ids(1, 2, 3, 4, 5)},
			{store.AttrID, store.Ascending, nil, ids(1, 2, 3, 4, 5)},
			{store.AttrID, store.Descending, nil, ids(5, 4, 3, 2, 1)},
			{store.AttrDisplayName, store.Ascending, cmp(store.AttrDisplayName, store.OpPr, nil), ids(1, 2, 4, 5)},
			{store.AttrDisplayName, store.Descending, cmp(store.AttrDisplayName, store.OpPr, nil), ids(5, 4, 2, 1)},
			{store.AttrEmail, store.Ascending, emailPr, ids(1, 2, 5, 4)}, // by primary email
			{store.AttrEmail, store.Descending, emailPr, ids(4, 5, 2, 1)},
			{store.AttrExternalID, store.Ascending, cmp(store.AttrExternalID, store.OpSw, "EXT"), ids(1, 4, 5)},
			{store.AttrExternalID, store.Descending, cmp(store.AttrExternalID, store.OpSw, "EXT"), ids(5, 4, 1)},
		} {
			got, total := f.listUsers(dir, store.UserQuery{Filter: tc.filter, SortBy: tc.by, SortOrder: tc.order, Limit: 100})
			if !slices.Equal(got, tc.want) || total != len(tc.want) {
				f.Errorf("sort by %q order %d: %v (total %d), want %v", tc.by, tc.order, got, total, tc.want)
			}
		}
		us, _, err := f.s.ListDirectoryUsers(f.ctx, dir, store.UserQuery{SortBy: store.AttrFamilyName, Limit: 100})
		f.ok(err, "ListDirectoryUsers sorted by familyName")
		var names []string
		for _, u := range us {
			names = append(names, strings.ToLower(u.FamilyName))
		}
		if want := []string{"builder", "liddell", "liddell", "online", "zed"}; !slices.Equal(names, want) {
			f.Fatalf("sorted by familyName: %v, want %v", names, want)
		}
	}},
	{"Pagination", func(f *fixture) {
		dir := seedFilterUsers(f)
		for _, tc := range []struct {
			q    store.UserQuery
			want []string
			tot  int
		}{
			{store.UserQuery{Limit: 2}, ids(1, 2), 5},
			{store.UserQuery{Offset: 2, Limit: 2}, ids(3, 4), 5},
			{store.UserQuery{Offset: 4, Limit: 2}, ids(5), 5},
			{store.UserQuery{Offset: 5, Limit: 2}, nil, 5},
			{store.UserQuery{Offset: 50, Limit: 2}, nil, 5},
			{store.UserQuery{Limit: 0}, nil, 5},
			{store.UserQuery{Offset: 3}, nil, 5},
			{store.UserQuery{Filter: cmp(store.AttrActive, store.OpEq, true)}, nil, 3},
			{store.UserQuery{Filter: cmp(store.AttrActive, store.OpEq, true), SortBy: store.AttrUserName, SortOrder: store.Descending, Offset: 1, Limit: 2}, ids(3, 1), 3},
			{store.UserQuery{Filter: cmp(store.AttrUserName, store.OpEq, "nobody"), Limit: 10}, nil, 0},
			// Lookups by a unique key, past their one row too.
			{store.UserQuery{Filter: cmp(store.AttrUserName, store.OpEq, "BOB@example.COM"), Limit: 10}, ids(2), 1},
			{store.UserQuery{Filter: cmp(store.AttrUserName, store.OpEq, "bob@example.com"), Offset: 1, Limit: 10}, nil, 1},
			{store.UserQuery{Filter: cmp(store.AttrUserName, store.OpEq, "bob@example.com")}, nil, 1},
			{store.UserQuery{Filter: cmp(store.AttrExternalID, store.OpEq, "EXT-4"), Limit: 1}, ids(4), 1},
			{store.UserQuery{Filter: cmp(store.AttrExternalID, store.OpEq, "ext-4"), Limit: 1}, nil, 0},
			{store.UserQuery{Filter: cmp(store.AttrID, store.OpEq, "usr_5"), Offset: 3, Limit: 1}, nil, 1},
			{store.UserQuery{Filter: store.And{Left: cmp(store.AttrID, store.OpEq, "usr_5"), Right: cmp(store.AttrActive, store.OpEq, true)}, Limit: 5}, nil, 0},
			{store.UserQuery{Filter: store.And{Left: cmp(store.AttrActive, store.OpEq, true), Right: cmp(store.AttrID, store.OpEq, "usr_4")}, Limit: 5}, ids(4), 1},
		} {
			got, total := f.listUsers(dir, tc.q)
			if !slices.Equal(got, tc.want) || total != tc.tot {
				f.Errorf("query %+v: %v (total %d), want %v (total %d)", tc.q, got, total, tc.want, tc.tot)
			}
		}
	}},
	{"StablePages", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		// Ten users created at the same instant, with equal sort keys.
		for i := range 10 {
			u := &store.DirectoryUser{ID: fmt.Sprintf("usr_%02d", (i*7)%10), DirectoryID: d.ID, UserName: fmt.Sprintf("user%d", i), FamilyName: "Same", CreatedAt: t0, UpdatedAt: t0}
			f.ok(f.s.CreateDirectoryUser(f.ctx, u), "CreateDirectoryUser")
		}
		for _, by := range []store.Attr{"", store.AttrFamilyName, store.AttrCreated} {
			for _, order := range []store.SortOrder{store.Ascending, store.Descending} {
				all, total := f.listUsers(d.ID, store.UserQuery{SortBy: by, SortOrder: order, Limit: 100})
				if total != 10 || len(all) != 10 {
					f.Fatalf("sort %q: %d users (total %d), want 10", by, len(all), total)
				}
				var paged []string
				for off := 0; off < 10; off += 3 {
					page, total := f.listUsers(d.ID, store.UserQuery{SortBy: by, SortOrder: order, Offset: off, Limit: 3})
					if total != 10 {
						f.Fatalf("sort %q page at %d: total %d, want 10", by, off, total)
					}
					paged = append(paged, page...)
				}
				if !slices.Equal(paged, all) {
					f.Fatalf("sort %q order %d: pages %v differ from the full listing %v", by, order, paged, all)
				}
			}
		}
	}},
}
