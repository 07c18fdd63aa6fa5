package scimkit

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// seedMembers writes n users straight into the Store (as the handler
// would, minus the attributes) and returns their ids in order.
func seedMembers(tb testing.TB, st store.Store, d *store.Directory, n int) []string {
	tb.Helper()
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("usr_big%07d", i)
		u := &store.DirectoryUser{ID: ids[i], DirectoryID: d.ID, OrgID: d.OrgID, UserName: fmt.Sprintf("big%d@example.com", i),
			Active: true, Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateDirectoryUser(ctx, u); err != nil {
			tb.Fatalf("seed user %d: %v", i, err)
		}
	}
	return ids
}

// memberValues is the JSON list [{"value":id,"display":...}, ...] of ids,
// the way Okta sends members.
func memberValues(ids []string) string {
	var b strings.Builder
	b.WriteString("[")
	for i, id := range ids {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"value":%q,"display":"member %d"}`, id, i)
	}
	b.WriteString("]")
	return b.String()
}

// patchBody joins operations into a PatchOp message.
func patchBody(ops []string) string {
	return patchHead + "[" + strings.Join(ops, ",") + "]}"
}

// The request shapes of a large membership change. Each returns the
// operations of one PATCH.
var bigPatchShapes = []struct {
	name        string
	add, remove func(ids []string) []string
}{
	{
		// Okta: one operation with every member.
		name: "one operation",
		add: func(ids []string) []string {
			return []string{`{"op":"add","path":"members","value":` + memberValues(ids) + `}`}
		},
		remove: func(ids []string) []string {
			return []string{`{"op":"remove","path":"members","value":` + memberValues(ids) + `}`}
		},
	},
	{
		// Entra: one operation per member, removals by value filter.
		name: "operation per member",
		add: func(ids []string) []string {
			ops := make([]string, len(ids))
			for i, id := range ids {
				ops[i] = `{"op":"Add","path":"members","value":[{"value":"` + id + `"}]}`
			}
			return ops
		},
		remove: func(ids []string) []string {
			ops := make([]string, len(ids))
			for i, id := range ids {
				ops[i] = `{"op":"Remove","path":"members[value eq \"` + id + `\"]"}`
			}
			return ops
		},
	},
	{
		// Path-less add; removal by value filters of many "or" terms
		// (each filter within scimkit's bound on terms).
		name: "pathless and or-filters",
		add: func(ids []string) []string {
			return []string{`{"op":"add","value":{"members":` + memberValues(ids) + `}}`}
		},
		remove: func(ids []string) []string {
			var ops []string
			for chunk := range slices.Chunk(ids, 1000) {
				terms := make([]string, len(chunk))
				for i, id := range chunk {
					terms[i] = `value eq \"` + id + `\"`
				}
				ops = append(ops, `{"op":"remove","path":"urn:ietf:params:scim:schemas:core:2.0:Group:members[`+strings.Join(terms, " or ")+`]"}`)
			}
			return ops
		},
	},
}

// TestLargeGroupPatch: a PATCH naming up to MaxMembersPerRequest members
// works in every shape clients send, on every Store, and writes one event
// per member changed; repeating it changes nothing and writes nothing.
func TestLargeGroupPatch(t *testing.T) { forEachStore(t, testLargeGroupPatch) }

func testLargeGroupPatch(t *testing.T, mk envMaker) {
	e := mk(t, nil)
	sizes := []int{1000, 10_000}
	if testing.Short() {
		sizes = []int{1000}
	}
	ids := seedMembers(t, e.st, e.dir, slices.Max(sizes))
	g := 0
	for _, n := range sizes {
		for _, shape := range bigPatchShapes {
			t.Run(fmt.Sprintf("%s/%d", shape.name, n), func(t *testing.T) {
				e.t = t
				g++
				gid := e.must(201, e.do("POST", "/Groups", e.token, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Big %d"}`, g))).str("id")
				want := ids[:n]
				add := patchBody(shape.add(want))
				e.bigPatch(gid, add, true, map[string]int{EventMembershipAdded: n})
				e.checkMembers(gid, want)
				e.bigPatch(gid, add, false, nil) // the re-add is a no-op
				e.checkMembers(gid, want)
				remove := patchBody(shape.remove(want))
				e.bigPatch(gid, remove, true, map[string]int{EventMembershipRemoved: n})
				e.checkMembers(gid, nil)
				e.bigPatch(gid, remove, false, nil)
			})
		}
		t.Run(fmt.Sprintf("replace/%d", n), func(t *testing.T) {
			e.t = t
			g++
			gid := e.must(201, e.do("POST", "/Groups", e.token, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Big %d"}`, g))).str("id")
			// Replace with n members, then with half of them, then with
			// all n again (half of them present).
			all := ids[:n]
			e.bigPatch(gid, patchBody([]string{`{"op":"replace","path":"members","value":` + memberValues(all) + `}`}), true, map[string]int{EventMembershipAdded: n})
			e.checkMembers(gid, all)
			e.bigPatch(gid, patchBody([]string{`{"op":"replace","value":{"members":` + memberValues(all[n/2:]) + `}}`}), true, map[string]int{EventMembershipRemoved: n / 2})
			e.checkMembers(gid, all[n/2:])
			body := patchBody([]string{`{"op":"replace","path":"members","value":` + memberValues(all) + `}`})
			e.bigPatch(gid, body, true, map[string]int{EventMembershipAdded: n / 2})
			e.checkMembers(gid, all)
			e.bigPatch(gid, body, false, nil)
			// PUT with the same list changes nothing either.
			put := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Big ` + itoa(g) + `","members":` + memberValues(all) + `}`
			c := e.cursor()
			e.must(200, e.do("PUT", "/Groups/"+gid, e.token, put))
			if got := e.countEvents(c); len(got) != 0 {
				t.Fatalf("PUT of the same members wrote events %v", got)
			}
			// A group created with n members.
			g++
			r := e.must(201, e.do("POST", "/Groups", e.token, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Big %d","members":%s}`, g, memberValues(all))))
			e.checkMembers(r.str("id"), all)
		})
	}
}

// bigPatch sends a group PATCH and checks that it changed the group (a new
// ETag and the events counted by type in want) or, when !changes, that it
// wrote nothing.
func (e *testEnv) bigPatch(gid, body string, changes bool, want map[string]int) {
	e.t.Helper()
	before := e.must(200, e.do("GET", "/Groups/"+gid+"?excludedAttributes=members", e.token, nil)).header.Get("ETag")
	c := e.cursor()
	r := e.do("PATCH", "/Groups/"+gid, e.token, body)
	if r.status != 204 {
		e.t.Fatalf("PATCH of %d bytes: status %d: %.300s\nlog: %.500s", len(body), r.status, r.raw, e.logs())
	}
	if changed := r.header.Get("ETag") != before; changed != changes {
		e.t.Fatalf("ETag %s -> %s, want changed=%v", before, r.header.Get("ETag"), changes)
	}
	got := e.countEvents(c)
	if want == nil {
		want = map[string]int{}
	}
	if !maps.Equal(got, want) {
		e.t.Fatalf("events %v, want %v", got, want)
	}
}

// countEvents counts the events after cursor by type.
func (e *testEnv) countEvents(after int64) map[string]int {
	e.t.Helper()
	got := map[string]int{}
	for {
		evs, err := e.st.ListEvents(context.Background(), store.EventQuery{After: after, Limit: 1000})
		if err != nil {
			e.t.Fatal(err)
		}
		if len(evs) == 0 {
			return got
		}
		for _, ev := range evs {
			got[ev.Type]++
		}
		after = evs[len(evs)-1].Cursor
	}
}

// checkMembers checks the group's members against want, in any order.
func (e *testEnv) checkMembers(gid string, want []string) {
	e.t.Helper()
	got := e.members(gid)
	w := slices.Sorted(slices.Values(want))
	if !slices.Equal(got, w) {
		e.t.Fatalf("%d members, want %d", len(got), len(w))
	}
}

// TestGroupRequestLimits: by default a Groups request may be as large as
// MaxMembersPerRequest members each in an operation of its own needs;
// limits set in Config apply to Groups as to Users.
func TestGroupRequestLimits(t *testing.T) {
	e := newTestEnv(t, nil)
	ids := seedMembers(t, e.st, e.dir, 10_000)
	gid := e.must(201, e.do("POST", "/Groups", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Limits"}`)).str("id")
	perMember := func(ids []string) string {
		ops := make([]string, len(ids))
		for i, id := range ids {
			ops[i] = `{"op":"add","path":"members","value":[{"value":"` + id + `","display":"A Person With A Long Name ` + itoa(i) + `"}]}`
		}
		return patchBody(ops)
	}
	body := perMember(ids)
	if len(body) <= 1<<20 {
		t.Fatalf("body of %d bytes is not above the Users limit", len(body))
	}
	e.must(204, e.do("PATCH", "/Groups/"+gid, e.token, body))
	e.checkMembers(gid, ids)
	// One member more than MaxMembersPerRequest is refused.
	e.scimErr(e.do("PATCH", "/Groups/"+gid, e.token, patchBody([]string{`{"op":"remove","path":"members","value":` + memberValues(append(slices.Clone(ids), "usr_x")) + `}`})), 413, "")
	// Users keep the 1 MiB limit.
	uid := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"limits@example.com"}`)).str("id")
	e.scimErr(e.do("PATCH", "/Users/"+uid, e.token, patchBody([]string{`{"op":"replace","path":"displayName","value":"` + strings.Repeat("x", 1<<20) + `"}`})), 413, "")

	// Limits set in Config apply to Groups.
	small := newTestEnv(t, func(c *Config) { c.MaxBodyBytes, c.MaxPatchOperations = 4096, 10 })
	gid = small.must(201, small.do("POST", "/Groups", small.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Small"}`)).str("id")
	small.scimErr(small.do("PATCH", "/Groups/"+gid, small.token, patchBody([]string{`{"op":"add","path":"displayName","value":"` + strings.Repeat("x", 4096) + `"}`})), 413, "")
	small.scimErr(small.do("PATCH", "/Groups/"+gid, small.token, perMember([]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"})), 413, "")
}

// BenchmarkAddMembers: one PATCH adding 10,000 members to an empty group
// over HTTP, as one operation with every member (Okta; add) and as one
// operation per member (Entra ID; add_ops), and the first PATCH again, a
// no-op that writes nothing (noop).
func BenchmarkAddMembers(b *testing.B) {
	const n = 10_000
	for name, open := range testStores() {
		b.Run(name, func(b *testing.B) {
			e := newBenchEnv(b, open(b))
			ids := seedMembers(b, e.st, e.dir, n)
			body := patchBody([]string{`{"op":"add","path":"members","value":` + memberValues(ids) + `}`})
			ctx := context.Background()
			newGroup := func(i int) string {
				g := &store.DirectoryGroup{ID: fmt.Sprintf("grp_bench%d", i), DirectoryID: e.dir.ID, DisplayName: fmt.Sprintf("Bench %d", i),
					Attributes: []byte(`{"displayName":"Bench"}`), CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
				if err := e.st.CreateDirectoryGroup(ctx, g, nil, nil); err != nil {
					b.Fatal(err)
				}
				return g.ID
			}
			b.Run("add", func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					b.StopTimer()
					i++
					gid := newGroup(i)
					b.StartTimer()
					e.do(b, "PATCH", "/Groups/"+gid, body, 204)
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "members/s")
			})
			b.Run("add_ops", func(b *testing.B) {
				// The same members, one operation each, as Entra sends them.
				ops := make([]string, n)
				for i, id := range ids {
					ops[i] = `{"op":"Add","path":"members","value":[{"value":"` + id + `"}]}`
				}
				body := patchBody(ops)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					b.StopTimer()
					i++
					gid := newGroup(1_000_000 + i)
					b.StartTimer()
					e.do(b, "PATCH", "/Groups/"+gid, body, 204)
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "members/s")
			})
			b.Run("noop", func(b *testing.B) {
				gid := newGroup(-1)
				e.do(b, "PATCH", "/Groups/"+gid, body, 204)
				b.ReportAllocs()
				for b.Loop() {
					e.do(b, "PATCH", "/Groups/"+gid, body, 204)
				}
			})
		})
	}
}

// FuzzMemberFilterFast: whatever the fast reader of member filters
// accepts, the general parser reads the same way.
func FuzzMemberFilterFast(f *testing.F) {
	for _, s := range []string{
		`value eq "usr_1"`,
		`value eq "usr_1" or value eq "grp_2"`,
		`VALUE EQ "a" OR Value Eq "b"`,
		`value eq "a"  or value eq "b"`,
		` value eq "a"`,
		`value eq "a" or`,
		`value eq "a"or value eq "b"`,
		`value eq ""`,
		`value eq "a\"b"`,
		`value eq "é" or value eq "日本"`,
		`value ne "a"`,
		`(value eq "a")`,
		`value eq "a" and value eq "b"`,
		`display eq "a"`,
		`value  eq  "]"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, ok := memberFilterIDsFast(s)
		if !ok {
			return
		}
		if len(fast) == 0 {
			t.Fatalf("%q: accepted with no ids", s)
		}
		e, isPath, err := memberValuePath("members[" + s + "]")
		if !isPath {
			return // the brackets of s end the path early
		}
		if err != nil {
			t.Fatalf("%q: fast reader accepts %q, the parser refuses: %v", s, fast, err)
		}
		slow, err := memberFilterIDs(e, 0)
		if err != nil || !slices.Equal(fast, slow) {
			t.Fatalf("%q: fast reader %q, parser %q (%v)", s, fast, slow, err)
		}
	})
}

// TestMemberFilterCost: the member filters clients send are read without
// the general parser, so that a long one costs time linear in its length;
// other forms are bounded in length.
func TestMemberFilterCost(t *testing.T) {
	terms := make([]string, 5000)
	for i := range terms {
		terms[i] = fmt.Sprintf(`value eq "usr_%026d"`, i)
	}
	ids, ok, err := memberPathIDs("members[" + strings.Join(terms, " or ") + "]")
	if !ok || err != nil || len(ids) != len(terms) || ids[4999] != fmt.Sprintf("usr_%026d", 4999) {
		t.Fatalf("5,000 terms: ok %v, err %v, %d ids", ok, err, len(ids))
	}
	long := "members[(" + strings.Join(terms[:200], " or ") + ")]"
	if _, ok, err := memberPathIDs(long); !ok || err == nil {
		t.Fatalf("a long filter of another form: ok %v, err %v", ok, err)
	}
	short := "members[(" + strings.Join(terms[:3], " or ") + ")]"
	if ids, ok, err := memberPathIDs(short); !ok || err != nil || len(ids) != 3 {
		t.Fatalf("a short filter of another form: ok %v, err %v, %d ids", ok, err, len(ids))
	}
}

// TestLargeNoOpCheck: a PATCH whose first ids change nothing but whose
// last one does is written, whatever the number of ids.
func TestLargeNoOpCheck(t *testing.T) { forEachStore(t, testLargeNoOpCheck) }

func testLargeNoOpCheck(t *testing.T, mk envMaker) {
	e := mk(t, nil)
	n := 3*memberCheckBatch + 1
	ids := seedMembers(t, e.st, e.dir, n+1)
	gid := e.must(201, e.do("POST", "/Groups", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Check","members":`+memberValues(ids[:n])+`}`)).str("id")
	add := func(ids []string) string {
		return patchBody([]string{`{"op":"add","path":"members","value":` + memberValues(ids) + `}`})
	}
	remove := func(ids []string) string {
		return patchBody([]string{`{"op":"remove","path":"members","value":` + memberValues(ids) + `}`})
	}
	e.bigPatch(gid, add(ids[:n]), false, nil)
	e.bigPatch(gid, add(ids), true, map[string]int{EventMembershipAdded: 1})
	e.checkMembers(gid, ids)
	e.bigPatch(gid, add(ids), false, nil)
	// Removing absent ids, then a present one last.
	absent := make([]string, n)
	for i := range absent {
		absent[i] = fmt.Sprintf("usr_absent%04d", i)
	}
	e.bigPatch(gid, remove(absent), false, nil)
	e.bigPatch(gid, remove(append(absent, ids[n])), true, map[string]int{EventMembershipRemoved: 1})
	e.checkMembers(gid, ids[:n])
	// Adding and removing the same ids in one request changes nothing.
	e.bigPatch(gid, patchBody([]string{`{"op":"add","path":"members","value":` + memberValues(ids) + `}`, `{"op":"remove","path":"members","value":` + memberValues(ids[n:]) + `}`}), false, nil)
}

// TestFilterWithinStoreBounds: a list filter scimkit accepts is one every
// Store accepts: a long chain of or is answered on every Store, and a
// filter larger than the Stores' bounds is 400 invalidFilter on every
// Store.
func TestFilterWithinStoreBounds(t *testing.T) { forEachStore(t, testFilterWithinStoreBounds) }

func testFilterWithinStoreBounds(t *testing.T, mk envMaker) {
	e := mk(t, nil)
	ids := seedMembers(t, e.st, e.dir, 100)
	get := func(f string) resp {
		return e.do("GET", "/Users?count=1000&filter="+url.QueryEscape(f), e.token, nil)
	}
	chain := func(n int, term func(i int) string, op string) string {
		terms := make([]string, n)
		for i := range terms {
			terms[i] = term(i)
		}
		return strings.Join(terms, " "+op+" ")
	}
	// 100 terms: deeper than store.MaxFilterDepth as parsed.
	r := e.must(200, get(chain(100, func(i int) string { return `id eq "` + ids[i] + `"` }, "or")))
	if r.get("totalResults") != 100.0 {
		t.Fatalf("chain of 100 ids: %v results", r.get("totalResults"))
	}
	r = e.must(200, get(chain(60, func(i int) string { return `userName ne "big` + itoa(i) + `@example.com"` }, "and")))
	if r.get("totalResults") != 40.0 {
		t.Fatalf("chain of 60 ne: %v results", r.get("totalResults"))
	}
	// More nodes than any Store must accept.
	e.scimErr(get(chain(200, func(i int) string { return `id eq "` + itoa(i) + `"` }, "or")), 400, "invalidFilter")
	// Nested deeper than any Store must accept.
	deep := `id eq "x"`
	for i := range store.MaxFilterDepth + 1 {
		op := "and"
		if i%2 == 1 {
			op = "or"
		}
		deep = `id eq "` + itoa(i) + `" ` + op + ` (` + deep + `)`
	}
	e.scimErr(get(deep), 400, "invalidFilter")
}

// TestMemberOpsMerged: consecutive member operations of one kind reach
// the Store as one operation, in order with the others.
func TestMemberOpsMerged(t *testing.T) {
	s := &Server{maxMemb: 100}
	op := func(o, path, v string) patchOp {
		p := patchOp{Op: o, Path: path}
		if v != "" {
			p.Value = []any{map[string]any{"value": v}}
		}
		return p
	}
	for _, tc := range []struct {
		name string
		ops  []patchOp
		want []store.MemberOp
	}{
		{"adds", []patchOp{op("add", "members", "a"), op("add", "Members", "b"), op("add", GroupSchemaURI+":members", "c")},
			[]store.MemberOp{{Kind: store.MembersAdd, IDs: []string{"a", "b", "c"}}}},
		{"removes by value and filter", []patchOp{op("remove", "members", "a"), op("remove", `members[value eq "b"]`, ""), op("remove", `members[value eq "c" or value eq "d"]`, "")},
			[]store.MemberOp{{Kind: store.MembersRemove, IDs: []string{"a", "b", "c", "d"}}}},
		{"add, remove, add", []patchOp{op("add", "members", "a"), op("remove", "members", "a"), op("add", "members", "b"), op("add", "members", "c")},
			[]store.MemberOp{{Kind: store.MembersAdd, IDs: []string{"a"}}, {Kind: store.MembersRemove, IDs: []string{"a"}}, {Kind: store.MembersAdd, IDs: []string{"b", "c"}}}},
		{"replaces stay apart", []patchOp{op("replace", "members", "a"), op("replace", "members", "b"), op("add", "members", "c")},
			[]store.MemberOp{{Kind: store.MembersReplace, IDs: []string{"a"}}, {Kind: store.MembersReplace, IDs: []string{"b"}}, {Kind: store.MembersAdd, IDs: []string{"c"}}}},
		{"remove all, then add", []patchOp{op("remove", "members", ""), op("add", "members", "a"), op("add", "members", "b")},
			[]store.MemberOp{{Kind: store.MembersReplace}, {Kind: store.MembersAdd, IDs: []string{"a", "b"}}}},
	} {
		got, rest, err := s.splitMemberOps(tc.ops, "grp_self")
		if err != nil || len(rest) != 0 {
			t.Fatalf("%s: rest %v, err %v", tc.name, rest, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestPatchPathBounded: a PATCH path longer than any real client sends
// is refused before the path parser, whose cost grows faster than its
// input, sees it, and the answer does not echo it.
func TestPatchPathBounded(t *testing.T) {
	e := newTestEnv(t, nil)
	r := e.must(201, e.do("POST", "/Users", e.token, map[string]any{
		"schemas": []string{UserSchemaURI}, "userName": "bounded@example.com",
	}))
	id := r.str("id")
	var terms []string
	for i := range 1000 {
		terms = append(terms, fmt.Sprintf(`type eq "t%04d"`, i))
	}
	path := "emails[" + strings.Join(terms, " or ") + "].value"
	got := e.do("PATCH", "/Users/"+id, e.token, map[string]any{
		"schemas":    []string{patchOpURI},
		"Operations": []any{map[string]any{"op": "replace", "path": path, "value": "x@example.com"}},
	})
	e.scimErr(got, 400, "invalidPath")
	if strings.Contains(string(got.raw), "t0999") {
		t.Errorf("the error echoes the whole path: %.200s", got.raw)
	}
}
