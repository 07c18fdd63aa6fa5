package storetest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// scaleTests cover the queries that keep lists O(page) at scale:
// organization search through the trigram indexes, keyset paging with a
// search, organization setups in one read, and the directory counts and
// page boundaries of SCIM lists.
var scaleTests = []subtest{
	{"OrganizationSearchIndex", func(f *fixture) {
		mk := func(id, name, ext string, sec int) {
			f.ok(f.s.CreateOrganization(f.ctx, &store.Organization{ID: id, Name: name, ExternalID: ext, CreatedAt: at(time.Duration(sec) * time.Second), UpdatedAt: t0}), "CreateOrganization %s", id)
		}
		mk("org_1", "Acme Widgets", "CRM-100", 1)
		mk("org_2", "Widgetry 50% Off", "", 2)
		mk("org_3", "Zürich Bank", "crm_200", 3)
		mk("org_4", `Quote "Co"`, "", 4)
		mk("org_5", "acme subsidiary", "", 5)
		search := func(q store.OrganizationQuery) []string {
			f.Helper()
			got, _, err := f.s.ListOrganizations(f.ctx, q)
			f.ok(err, "ListOrganizations %+v", q)
			ids := []string{}
			for _, o := range got {
				ids = append(ids, o.ID)
			}
			return ids
		}
		for _, tc := range []struct {
			search string
			want   []string
		}{
			{"widget", []string{"org_1", "org_2"}},
			{"WIDGETRY", []string{"org_2"}},
			{"50%", []string{"org_2"}},           // a LIKE wildcard, taken literally
			{"crm_", []string{"org_3"}},          // so is _
			{"crm-1", []string{"org_1"}},         // external id
			{"g_4", []string{"org_4"}},           // id
			{`"co"`, []string{"org_4"}},          // quotes of the search syntax
			{"zürich", []string{"org_3"}},        // not ASCII
			{"ac", []string{"org_1", "org_5"}},   // under three characters
			{"me wi", []string{"org_1"}},         // spaces belong to the substring
			{"widgets acme", []string{}},         // words in another order do not
			{"acme subsidiaryx", []string{}},     // longer than any value
			{"dget", []string{"org_1", "org_2"}}, // inside a word
			{"ets", []string{"org_1"}},           // at the end
			{"org_", []string{"org_1", "org_2", "org_3", "org_4", "org_5"}},
		} {
			if got := search(store.OrganizationQuery{Search: tc.search}); !slices.Equal(got, tc.want) {
				f.Fatalf("search %q: %v, want %v", tc.search, got, tc.want)
			}
		}
		// Paging a search continues after the last of the page.
		if got := search(store.OrganizationQuery{Search: "acme", Limit: 1, After: "org_1"}); !slices.Equal(got, []string{"org_5"}) {
			f.Fatalf("second page of search acme: %v, want [org_5]", got)
		}
		// A rename and an external id change move the organization in and
		// out of results; a deleted one leaves them.
		_, err := f.s.UpdateOrganization(f.ctx, "org_1", func(o *store.Organization) ([]store.Event, error) {
			o.Name, o.ExternalID = "Renamed Corp", "erp-9"
			return nil, nil
		})
		f.ok(err, "UpdateOrganization")
		if got := search(store.OrganizationQuery{Search: "widget"}); !slices.Equal(got, []string{"org_2"}) {
			f.Fatalf("search widget after the rename: %v, want [org_2]", got)
		}
		if got := search(store.OrganizationQuery{Search: "renamed"}); !slices.Equal(got, []string{"org_1"}) {
			f.Fatalf("search renamed: %v, want [org_1]", got)
		}
		if got := search(store.OrganizationQuery{Search: "erp-9"}); !slices.Equal(got, []string{"org_1"}) {
			f.Fatalf("search erp-9: %v, want [org_1]", got)
		}
		if got := search(store.OrganizationQuery{Search: "crm-100"}); !slices.Equal(got, []string{}) {
			f.Fatalf("search of the old external id: %v, want none", got)
		}
		f.ok(f.s.DeleteOrganization(f.ctx, "org_2"), "DeleteOrganization")
		if got := search(store.OrganizationQuery{Search: "widgetry"}); !slices.Equal(got, []string{}) {
			f.Fatalf("search of a deleted organization: %v, want none", got)
		}
		// Re-created with the same id, it is found again.
		mk("org_2", "Widgetry Again", "", 6)
		if got := search(store.OrganizationQuery{Search: "widgetry"}); !slices.Equal(got, []string{"org_2"}) {
			f.Fatalf("search of a re-created organization: %v, want [org_2]", got)
		}
	}},
	{"OrganizationSetups", func(f *fixture) {
		a, b, c := f.mkOrg(), f.mkOrg(), f.mkOrg()
		f.mkConn(a.ID, store.ProtocolSAML)
		f.mkConn(a.ID, store.ProtocolOIDC)
		f.mkDir(a.ID)
		f.mkDomain(a.ID, "a.example", store.DomainPending)
		f.mkDomain(a.ID, "a2.example", store.DomainVerified)
		f.mkDomain(b.ID, "b.example", store.DomainPending)
		f.mkDir(b.ID)
		f.mkDir(b.ID)
		got, err := f.s.OrganizationSetups(f.ctx, []string{a.ID, b.ID, c.ID, "org_absent"})
		f.ok(err, "OrganizationSetups")
		if len(got) != 4 {
			f.Fatalf("%d setups, want 4 (one per id asked)", len(got))
		}
		sum := func(m map[store.ConnectionState]int) int {
			n := 0
			for _, v := range m {
				n += v
			}
			return n
		}
		if sum(got[a.ID].Connections) != 2 || got[a.ID].Directories[store.DirectoryActive] != 1 ||
			got[a.ID].Domains[store.DomainPending] != 1 || got[a.ID].Domains[store.DomainVerified] != 1 {
			f.Fatalf("setup of a: %+v", got[a.ID])
		}
		if got[b.ID].Connections != nil || got[b.ID].Directories[store.DirectoryActive] != 2 || len(got[b.ID].Domains) != 1 {
			f.Fatalf("setup of b: %+v", got[b.ID])
		}
		for _, id := range []string{c.ID, "org_absent"} {
			if s := got[id]; s.Connections != nil || s.Directories != nil || s.Domains != nil {
				f.Fatalf("setup of %s: %+v, want zero", id, s)
			}
		}
		none, err := f.s.OrganizationSetups(f.ctx, nil)
		f.ok(err, "OrganizationSetups of none")
		if len(none) != 0 {
			f.Fatalf("setups of no organizations: %v", none)
		}
		f.is(func() error { _, err := f.s.OrganizationSetups(f.ctx, []string{""}); return err }(), store.ErrInvalid, "empty id")
		f.is(func() error {
			_, err := f.s.OrganizationSetups(f.ctx, make([]string, store.MaxSetupOrganizations+1))
			return err
		}(), store.ErrInvalid, "too many ids")
	}},
	{"DirectoryCountsAndPages", testDirectoryCountsAndPages},
	{"StartIndexJumps", testStartIndexJumps},
	{"FoldedSubstrings", testFoldedSubstrings},
	{"UserSearchIndex", testUserSearchIndex},
}

// testDirectoryCountsAndPages: unfiltered lists count and page like a
// fresh count and LIMIT/OFFSET would, through walks, jumps, writes between
// pages, other orders, groups and a directory's removal.
func testDirectoryCountsAndPages(f *fixture) {
	org := f.mkOrg()
	d, other := f.mkDir(org.ID), f.mkDir(org.ID)
	var ids []string
	for i := range 25 {
		ids = append(ids, f.mkUser(d.ID, fmt.Sprintf("user%02d@example.com", i), nil).ID)
	}
	f.mkUser(other.ID, "elsewhere@example.com", nil)
	page := func(q store.UserQuery) ([]string, int) {
		f.Helper()
		got, total, err := f.s.ListDirectoryUsers(f.ctx, d.ID, q)
		f.ok(err, "ListDirectoryUsers %+v", q)
		out := []string{}
		for _, u := range got {
			out = append(out, u.ID)
		}
		return out, total
	}
	want := func(what string, q store.UserQuery, wantIDs []string, wantTotal int) {
		f.Helper()
		got, total := page(q)
		if total != wantTotal || !slices.Equal(got, wantIDs) {
			f.Fatalf("%s: %v (total %d), want %v (total %d)", what, got, total, wantIDs, wantTotal)
		}
	}
	window := func(all []string, off, n int) []string {
		if off >= len(all) {
			return []string{}
		}
		return all[off:min(off+n, len(all))]
	}
	want("count only", store.UserQuery{}, []string{}, 25)
	// A walk, twice (the second one from remembered page ends).
	for range 2 {
		for off := 0; off < 30; off += 10 {
			want(fmt.Sprintf("walk at %d", off), store.UserQuery{Offset: off, Limit: 10}, window(ids, off, 10), 25)
		}
	}
	want("jump", store.UserQuery{Offset: 13, Limit: 5}, window(ids, 13, 5), 25)
	want("past the end", store.UserQuery{Offset: 25, Limit: 5}, []string{}, 25)
	// A delete between pages moves every later position.
	f.ok(f.s.DeleteDirectoryUser(f.ctx, d.ID, ids[3], nil), "DeleteDirectoryUser")
	ids = slices.Delete(ids, 3, 4)
	want("after a delete", store.UserQuery{Offset: 10, Limit: 10}, window(ids, 10, 10), 24)
	want("after a delete, next", store.UserQuery{Offset: 20, Limit: 10}, window(ids, 20, 10), 24)
	// So does an insert (a new user sorts last here, by creation).
	ids = append(ids, f.mkUser(d.ID, "late@example.com", nil).ID)
	want("after an insert", store.UserQuery{Offset: 20, Limit: 10}, window(ids, 20, 10), 25)
	// An update moves nothing.
	f.ok(func() error {
		_, err := f.s.UpdateDirectoryUser(f.ctx, d.ID, ids[0], func(u *store.DirectoryUser) ([]store.Event, error) {
			u.DisplayName = "Renamed"
			return nil, nil
		})
		return err
	}(), "UpdateDirectoryUser")
	want("after an update", store.UserQuery{Offset: 10, Limit: 10}, window(ids, 10, 10), 25)
	// Other orders page by offset.
	rev := slices.Clone(ids)
	slices.Reverse(rev)
	want("descending", store.UserQuery{SortBy: store.AttrCreated, SortOrder: store.Descending, Offset: 5, Limit: 5}, window(rev, 5, 5), 25)
	// Filtered lists count what matches.
	want("filtered", store.UserQuery{Filter: store.Compare{Attr: store.AttrUserName, Op: store.OpSw, Value: "user1"}, Limit: 100}, ids[9:19], 10)

	// Groups count and page the same way.
	var gids []string
	for i := range 7 {
		gids = append(gids, f.mkGroup(d.ID, fmt.Sprintf("Group %d", i)).ID)
	}
	groups := func(off, n int) ([]string, int) {
		got, total, err := f.s.ListDirectoryGroups(f.ctx, d.ID, store.GroupQuery{Offset: off, Limit: n})
		f.ok(err, "ListDirectoryGroups")
		out := []string{}
		for _, g := range got {
			out = append(out, g.ID)
		}
		return out, total
	}
	for _, off := range []int{0, 3, 6, 3} {
		if got, total := groups(off, 3); total != 7 || !slices.Equal(got, window(gids, off, 3)) {
			f.Fatalf("groups at %d: %v (total %d), want %v (total 7)", off, got, total, window(gids, off, 3))
		}
	}
	// Removing a directory takes its counts; the other keeps its own.
	f.ok(f.s.DeleteDirectory(f.ctx, d.ID), "DeleteDirectory")
	if _, total := page(store.UserQuery{}); total != 0 {
		f.Fatalf("users of a deleted directory: total %d, want 0", total)
	}
	if _, total, err := f.s.ListDirectoryUsers(f.ctx, other.ID, store.UserQuery{}); err != nil || total != 1 {
		f.Fatalf("users of the other directory: total %d (%v), want 1", total, err)
	}
	// A directory created again with the same id starts from nothing.
	f.ok(f.s.CreateDirectory(f.ctx, &store.Directory{ID: d.ID, OrgID: org.ID, Provider: "okta", State: store.DirectoryActive, CreatedAt: f.tick(), UpdatedAt: f.tick()}), "CreateDirectory again")
	u := f.mkUser(d.ID, "again@example.com", nil)
	want("the directory created again", store.UserQuery{Offset: 0, Limit: 10}, []string{u.ID}, 1)

	// Concurrent writers of one directory keep the count exact.
	const writers = 20
	errs := race(writers, func(i int) error {
		return f.s.CreateDirectoryUser(f.ctx, &store.DirectoryUser{ID: fmt.Sprintf("usr_par_%02d", i), DirectoryID: d.ID, UserName: fmt.Sprintf("par%02d", i), Active: true, CreatedAt: t0, UpdatedAt: t0})
	})
	outcomes(f.T, "CreateDirectoryUser", errs)
	errs = race(writers/2, func(i int) error {
		return f.s.DeleteDirectoryUser(f.ctx, d.ID, fmt.Sprintf("usr_par_%02d", i), nil)
	})
	outcomes(f.T, "DeleteDirectoryUser", errs)
	if _, total := page(store.UserQuery{}); total != 1+writers/2 {
		f.Fatalf("after concurrent writes: total %d, want %d", total, 1+writers/2)
	}
}

// testStartIndexJumps: a page at any offset of an unfiltered list (a
// startIndex jump, not after an earlier page) holds the rows LIMIT/OFFSET
// gives in the (created_at, id) order, through thousands of concurrent
// inserts in the middle of the order and with equal times, deletes that
// empty whole ranges, and for groups. Thousands of rows: the SQL stores
// count positions by buckets of up to 1,024 rows, which must split and
// go.
func testStartIndexJumps(f *fixture) {
	org := f.mkOrg()
	d := f.mkDir(org.ID)
	type key struct {
		created time.Time
		id      string
	}
	var (
		mu   sync.Mutex
		keys = map[string]key{}
	)
	// The i-th insert's time: spread over the order (7919 is prime to
	// 2,600), every tenth equal to t0, the id order unlike the insert order.
	mkKey := func(i int) key {
		created := at(time.Duration(i*7919%2600) * time.Millisecond)
		if i%10 == 0 {
			created = t0
		}
		return key{created, fmt.Sprintf("usr_j%04d", (i*37)%2600)}
	}
	add := func(from, to int) {
		f.Helper()
		f.ok(parallel(to-from, func(j int) error {
			k := mkKey(from + j)
			err := f.s.CreateDirectoryUser(f.ctx, &store.DirectoryUser{ID: k.id, DirectoryID: d.ID, UserName: k.id, Active: true, CreatedAt: k.created, UpdatedAt: k.created})
			if err == nil {
				mu.Lock()
				keys[k.id] = k
				mu.Unlock()
			}
			return err
		}), "CreateDirectoryUser")
	}
	remove := func(ids []string) {
		f.Helper()
		f.ok(parallel(len(ids), func(j int) error { return f.s.DeleteDirectoryUser(f.ctx, d.ID, ids[j], nil) }), "DeleteDirectoryUser")
		for _, id := range ids {
			delete(keys, id)
		}
	}
	order := func() []string {
		ks := slices.Collect(maps.Values(keys))
		slices.SortFunc(ks, func(a, b key) int {
			if c := a.created.Compare(b.created); c != 0 {
				return c
			}
			return strings.Compare(a.id, b.id)
		})
		ids := make([]string, len(ks))
		for i, k := range ks {
			ids[i] = k.id
		}
		return ids
	}
	check := func(what string) {
		f.Helper()
		all := order()
		for _, off := range []int{1, 3, 511, 512, 513, 777, 1023, 1024, 1025, 1299, 1537, 2047, 2049, 2501, len(all) - 5, len(all) - 1} {
			if off < 1 {
				continue
			}
			got, total, err := f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{Offset: off, Limit: 7})
			f.ok(err, "ListDirectoryUsers at %d", off)
			ids := []string{}
			for _, u := range got {
				ids = append(ids, u.ID)
			}
			want := []string{}
			if off < len(all) {
				want = all[off:min(off+7, len(all))]
			}
			if total != len(all) || !slices.Equal(ids, want) {
				f.Fatalf("%s: page at %d: %v (total %d), want %v (total %d)", what, off, ids, total, want, len(all))
			}
		}
	}
	add(0, 2200)
	check("after 2,200 inserts")
	// Every other user of the first half, then a whole range of the order.
	all := order()
	var gone []string
	for i := 0; i < 1100; i += 2 {
		gone = append(gone, all[i])
	}
	gone = append(gone, all[1400:1900]...)
	remove(gone)
	check("after deletes")
	// More inserts, in the ranges emptied and before every key.
	add(2200, 2600)
	f.ok(f.s.CreateDirectoryUser(f.ctx, &store.DirectoryUser{ID: "usr_first", DirectoryID: d.ID, UserName: "first", Active: true, CreatedAt: at(-time.Hour), UpdatedAt: t0}), "CreateDirectoryUser")
	keys["usr_first"] = key{at(-time.Hour), "usr_first"}
	check("after more inserts")
	remove(order())
	check("with every user gone")

	// Groups list and jump the same way.
	var gids []string
	f.ok(parallel(1100, func(i int) error {
		created := at(time.Duration(i*7919%1100) * time.Millisecond)
		return f.s.CreateDirectoryGroup(f.ctx, &store.DirectoryGroup{ID: fmt.Sprintf("grp_j%04d", i), DirectoryID: d.ID, DisplayName: fmt.Sprintf("Group %d", i), CreatedAt: created, UpdatedAt: created}, nil, nil)
	}), "CreateDirectoryGroup")
	for i := range 1100 {
		gids = append(gids, fmt.Sprintf("grp_j%04d", i))
	}
	slices.SortFunc(gids, func(a, b string) int {
		var i, j int
		fmt.Sscanf(a, "grp_j%d", &i)
		fmt.Sscanf(b, "grp_j%d", &j)
		return (i*7919%1100 - j*7919%1100)
	})
	for _, off := range []int{1, 549, 550, 551, 1024, 1099} {
		got, total, err := f.s.ListDirectoryGroups(f.ctx, d.ID, store.GroupQuery{Offset: off, Limit: 3})
		f.ok(err, "ListDirectoryGroups at %d", off)
		ids := []string{}
		for _, g := range got {
			ids = append(ids, g.ID)
		}
		if want := gids[off:min(off+3, len(gids))]; total != 1100 || !slices.Equal(ids, want) {
			f.Fatalf("groups at %d: %v (total %d), want %v", off, ids, total, want)
		}
	}
}

// testFoldedSubstrings: co, ew and sw on emails compare folded values
// with the folded needle (store.MatchKey), whose length may differ from
// the text's (ß folds to ss, İ to i and a combining dot, a decomposed ö
// composes), as a scan would, through an index or not (needles under three
// characters), and follow email changes and deletes. sw on displayName
// compares lower-cased values.
func testFoldedSubstrings(f *fixture) {
	org := f.mkOrg()
	d := f.mkDir(org.ID)
	mk := func(name, display string, emails ...store.Email) string {
		return f.mkUser(d.ID, name, func(u *store.DirectoryUser) {
			u.DisplayName, u.Emails = display, emails
		}).ID
	}
	work := func(v string) store.Email { return store.Email{Value: v, Type: "work"} }
	strasse := mk("strasse", "Ökonomie Straße", work("Straße@Example.DE"))
	ilker := mk("ilker", "İlker", work("İlker@Firma.com.tr"), store.Email{Value: "ilker@home.example", Type: "home"})
	ilgin := mk("ilgin", "Ilgın", work("ılgın@firma.com.tr"))
	jorg := mk("jorg", "Jörg", work("Jo\u0308rg@Example.com"))
	find := func(f2 store.Filter) []string {
		f.Helper()
		got, total, err := f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{Filter: f2, Limit: 100})
		f.ok(err, "ListDirectoryUsers %v", f2)
		ids := []string{}
		for _, u := range got {
			ids = append(ids, u.ID)
		}
		if total != len(ids) {
			f.Fatalf("%v: total %d for %d users", f2, total, len(ids))
		}
		slices.Sort(ids)
		return ids
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return append([]string{}, ids...) }
	email := func(op store.Op, v string) store.Filter {
		return store.Compare{Attr: store.AttrEmail, Op: op, Value: v}
	}
	for _, tc := range []struct {
		f    store.Filter
		want []string
	}{
		{email(store.OpCo, "SSE@EX"), sorted(strasse)},
		{email(store.OpCo, "aße@"), sorted(strasse)}, // folds to asse@
		{email(store.OpCo, "ß"), sorted(strasse)},    // ss: two characters, no index
		{email(store.OpCo, "strasse@"), sorted(strasse)},
		{email(store.OpEw, "SSE@EXAMPLE.DE"), sorted(strasse)},
		{email(store.OpEw, "Example.de"), sorted(strasse)},
		{email(store.OpCo, "İLKER"), sorted(ilker)}, // i and a combining dot
		{email(store.OpCo, "lker@firma"), sorted(ilker)},
		{email(store.OpCo, "ilker@firma"), sorted()}, // a plain i is not İ
		{email(store.OpCo, "ılgın"), sorted(ilgin)},  // ı does not fold to i
		{email(store.OpCo, "ILGIN"), sorted()},
		{email(store.OpEw, "FIRMA.COM.TR"), sorted(ilker, ilgin)},
		{email(store.OpCo, "JÖRG@"), sorted(jorg)},     // composed, the stored value decomposed
		{email(store.OpCo, "o\u0308rg"), sorted(jorg)}, // decomposed
		{email(store.OpCo, "org@"), sorted()},          // ö is not o
		{email(store.OpSw, "STRASSE@"), sorted(strasse)},
		{store.Compare{Attr: store.AttrEmail, Op: store.OpCo, Value: "home.example", EmailType: "work"}, sorted()},
		{store.Compare{Attr: store.AttrEmail, Op: store.OpCo, Value: "home.example", EmailType: "home"}, sorted(ilker)},
		{store.Compare{Attr: store.AttrDisplayName, Op: store.OpSw, Value: "ÖKONOMIE STR"}, sorted(strasse)},
		{store.Compare{Attr: store.AttrDisplayName, Op: store.OpSw, Value: "ök"}, sorted(strasse)},
		{store.Compare{Attr: store.AttrDisplayName, Op: store.OpSw, Value: "straße"}, sorted()},         // not a prefix
		{store.Compare{Attr: store.AttrDisplayName, Op: store.OpSw, Value: "İl"}, sorted(ilker, ilgin)}, // lower-cased a character at a time: İ to i
		{store.Compare{Attr: store.AttrDisplayName, Op: store.OpSw, Value: "ilg"}, sorted(ilgin)},
	} {
		if got := find(tc.f); !slices.Equal(got, tc.want) {
			f.Fatalf("%v: %v, want %v", tc.f, got, tc.want)
		}
	}
	// A changed email leaves the results, its successor enters them; a
	// deleted user leaves them.
	_, err := f.s.UpdateDirectoryUser(f.ctx, d.ID, strasse, func(u *store.DirectoryUser) ([]store.Event, error) {
		u.Emails = []store.Email{work("Grüße@Example.DE")}
		return nil, nil
	})
	f.ok(err, "UpdateDirectoryUser")
	if got := find(email(store.OpCo, "strasse@")); len(got) != 0 {
		f.Fatalf("old email still found: %v", got)
	}
	if got := find(email(store.OpCo, "GRÜSSE")); !slices.Equal(got, sorted(strasse)) {
		f.Fatalf("new email: %v, want [%s]", got, strasse)
	}
	f.ok(f.s.DeleteDirectoryUser(f.ctx, d.ID, ilker, nil), "DeleteDirectoryUser")
	if got := find(email(store.OpEw, "firma.com.tr")); !slices.Equal(got, sorted(ilgin)) {
		f.Fatalf("after a delete: %v, want [%s]", got, ilgin)
	}
}

// testUserSearchIndex: co, sw and ew on userName, displayName and emails
// find exactly the substring matches, through renames, email changes and
// deletes, whatever the length and characters of the value.
func testUserSearchIndex(f *fixture) {
	org := f.mkOrg()
	d, other := f.mkDir(org.ID), f.mkDir(org.ID)
	mk := func(dir, name, display string, emails ...string) string {
		return f.mkUser(dir, name, func(u *store.DirectoryUser) {
			u.DisplayName = display
			for _, e := range emails {
				u.Emails = append(u.Emails, store.Email{Value: e, Type: "work"})
			}
		}).ID
	}
	a := mk(d.ID, "alice.smith@acme.com", "Alice Smith", "Alice.Smith@Acme.com", "alice@home.example")
	b := mk(d.ID, "bob_jones@acme.com", "Bob Jones 100%", "bob@acme.com")
	c := mk(d.ID, "zoë@acme.com", "Zoë Ångström", "zoe@acme.com")
	mk(other.ID, "alice.smith@acme.com", "Alice Smith", "alice.smith@acme.com")
	find := func(attr store.Attr, op store.Op, v string) []string {
		f.Helper()
		got, total, err := f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{Filter: store.Compare{Attr: attr, Op: op, Value: v}, Limit: 100})
		f.ok(err, "ListDirectoryUsers %s %s %q", attr, op, v)
		ids := []string{}
		for _, u := range got {
			ids = append(ids, u.ID)
		}
		if total != len(ids) {
			f.Fatalf("%s %s %q: total %d for %d users", attr, op, v, total, len(ids))
		}
		return ids
	}
	for _, tc := range []struct {
		attr store.Attr
		op   store.Op
		v    string
		want []string
	}{
		{store.AttrUserName, store.OpCo, "smith@", []string{a}},
		{store.AttrUserName, store.OpCo, "ACME", []string{a, b, c}},
		{store.AttrUserName, store.OpCo, "b_j", []string{b}}, // _ taken literally
		{store.AttrUserName, store.OpCo, "bxj", []string{}},
		{store.AttrUserName, store.OpEw, "@acme.com", []string{a, b, c}},
		{store.AttrUserName, store.OpEw, "acme", []string{}},
		{store.AttrUserName, store.OpCo, "zo", []string{c}},  // two characters
		{store.AttrUserName, store.OpCo, "zoë", []string{c}}, // not ASCII
		{store.AttrDisplayName, store.OpSw, "bob j", []string{b}},
		{store.AttrDisplayName, store.OpSw, "jones", []string{}}, // not a prefix
		{store.AttrDisplayName, store.OpCo, "100%", []string{b}},
		{store.AttrDisplayName, store.OpEw, "smith", []string{a}},
		{store.AttrDisplayName, store.OpCo, "ångström", []string{c}},
		{store.AttrEmail, store.OpCo, "home.ex", []string{a}},
		{store.AttrEmail, store.OpCo, "SMITH@ACME", []string{a}},
		{store.AttrEmail, store.OpEw, "@acme.com", []string{a, b, c}},
		{store.AttrEmail, store.OpEw, ".example", []string{a}},
		{store.AttrEmail, store.OpCo, "om\nal", []string{}}, // across two emails: no
	} {
		if got := find(tc.attr, tc.op, tc.v); !slices.Equal(got, tc.want) {
			f.Fatalf("%s %s %q: %v, want %v", tc.attr, tc.op, tc.v, got, tc.want)
		}
	}
	// Under Not and Or the index changes nothing either.
	got, _, err := f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{Limit: 100, Filter: store.Or{
		Left:  store.Not{F: store.Compare{Attr: store.AttrUserName, Op: store.OpCo, Value: "acme"}},
		Right: store.Compare{Attr: store.AttrEmail, Op: store.OpCo, Value: "bob@"},
	}})
	f.ok(err, "ListDirectoryUsers not/or")
	if len(got) != 1 || got[0].ID != b {
		f.Fatalf("not co acme or emails co bob@: %d users, want bob", len(got))
	}
	// Changes and deletes move users in and out of results.
	_, err = f.s.UpdateDirectoryUser(f.ctx, d.ID, a, func(u *store.DirectoryUser) ([]store.Event, error) {
		u.UserName, u.DisplayName, u.Emails = "carol@corp.example", "Carol", []store.Email{{Value: "carol@corp.example"}}
		return nil, nil
	})
	f.ok(err, "UpdateDirectoryUser")
	if got := find(store.AttrUserName, store.OpCo, "smith"); len(got) != 0 {
		f.Fatalf("old userName still found: %v", got)
	}
	if got := find(store.AttrEmail, store.OpCo, "home.ex"); len(got) != 0 {
		f.Fatalf("old email still found: %v", got)
	}
	if got := find(store.AttrEmail, store.OpCo, "corp.ex"); !slices.Equal(got, []string{a}) {
		f.Fatalf("new email: %v, want [%s]", got, a)
	}
	if got := find(store.AttrDisplayName, store.OpCo, "carol"); !slices.Equal(got, []string{a}) {
		f.Fatalf("new displayName: %v, want [%s]", got, a)
	}
	f.ok(f.s.DeleteDirectoryUser(f.ctx, d.ID, b, nil), "DeleteDirectoryUser")
	if got := find(store.AttrUserName, store.OpCo, "jones"); len(got) != 0 {
		f.Fatalf("deleted user still found: %v", got)
	}
}
