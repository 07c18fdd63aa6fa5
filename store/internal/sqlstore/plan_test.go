package sqlstore

import (
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/onboardkit/onboardkit/store"
)

// TestLookupsUseIndexes asks SQLite how it would run the lookups made on
// every request (SCIM token, SCIM filters, SSO routing, portal links and
// sessions, the outbox) and fails if any of them scans a table instead of
// searching an index. An empty schema has no statistics, so the planner
// goes by the indexes alone.
// schemaDB returns a SQLite database with the SQLite store's schema.
func schemaDB(tb testing.TB) *sql.DB {
	files, err := filepath.Glob("../../sqlitestore/migrations/*.sql")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no migrations: %v", err)
	}
	slices.Sort(files)
	var schema []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		schema = append(append(schema, b...), '\n')
	}
	db, err := sql.Open("sqlite", "file:"+tb.TempDir()+"/plan.db?_pragma=case_sensitive_like(1)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	for _, st := range splitStatements(string(schema)) {
		if _, err := db.Exec(st); err != nil {
			tb.Fatalf("%s: %v", st, err)
		}
	}
	return db
}

func TestLookupsUseIndexes(t *testing.T) {
	db := schemaDB(t)
	s := testStore(false)
	// SQLite's.
	s.d.FTSTrigram, s.d.Unindexed, s.d.IDsIn = true, "+", "(SELECT value FROM json_each(?))"
	type query struct {
		name string
		sql  string
		args []any
	}
	userPage := func(name string, f store.Filter) query {
		where, args, err := s.userWhere("dir", f)
		if err != nil {
			t.Fatal(err)
		}
		order, _ := orderBy(userSortKeys[""], "u", store.Ascending)
		sql := `SELECT ` + userColsU + ` FROM directory_users u WHERE ` + where + order + ` LIMIT ? OFFSET ?`
		if uniqueLookup(f, false) {
			return query{name, uniqueSQL("directory_users u", userColsU, where), args}
		}
		return query{name, sql, append(args, 10, 0)}
	}
	groupPage := func(name string, f store.Filter) query {
		where, args, err := s.groupWhere("dir", f)
		if err != nil {
			t.Fatal(err)
		}
		order, _ := orderBy(groupSortKeys[""], "g", store.Ascending)
		sql := `SELECT ` + groupColsG + ` FROM directory_groups g WHERE ` + where + order + ` LIMIT ? OFFSET ?`
		if uniqueLookup(f, true) {
			return query{name, uniqueSQL("directory_groups g", groupColsG, where), args}
		}
		return query{name, sql, append(args, 10, 0)}
	}
	eq := func(a store.Attr, v string) store.Compare { return store.Compare{Attr: a, Op: store.OpEq, Value: v} }
	orgList := func(name, search, after string) query {
		sql, args := s.orgListSQL(search, after, 100)
		return query{name, sql, args}
	}
	keyed := func(name, table, alias, cols string, offset int, bound *pageBound) query {
		order, _ := orderBy(alias+".created_at", alias, store.Ascending)
		sql, args := s.keyedPageSQL(table, alias, cols, order, "dir", offset, 100, bound)
		return query{name, sql, args}
	}
	q := func(name, sql string, args ...any) query { return query{name, sql, args} }
	queries := []query{
		q("token by digest", `SELECT `+tokenCols+` FROM directory_tokens WHERE digest = ?`, []byte("d")),
		q("token and directory by digest", authTokenSQL, []byte("d")),
		q("sessions of a revoked link", `DELETE FROM portal_sessions WHERE link_id = ?`, "link"),
		q("sessions of an organization", `DELETE FROM portal_sessions WHERE org_id = ?`, "org"),
		q("user by id", `SELECT `+userCols+` FROM directory_users WHERE id = ? AND directory_id = ?`, "u", "dir"),
		userPage("all users", nil),
		userPage("filter userName", eq(store.AttrUserName, "a@b.c")),
		userPage("filter externalId", eq(store.AttrExternalID, "ext")),
		userPage("filter id", eq(store.AttrID, "usr")),
		userPage("filter email", store.Compare{Attr: store.AttrEmail, Op: store.OpEq, Value: "a@b.c", EmailType: "work"}),
		userPage("filter email sw and active", store.And{Left: store.Compare{Attr: store.AttrEmail, Op: store.OpSw, Value: "a@"}, Right: store.Compare{Attr: store.AttrActive, Op: store.OpEq, Value: true}}),
		userPage("filter userName sw", store.Compare{Attr: store.AttrUserName, Op: store.OpSw, Value: "a@"}),
		userPage("filter userName and active", store.And{Left: eq(store.AttrUserName, "a@b.c"), Right: store.Compare{Attr: store.AttrActive, Op: store.OpEq, Value: true}}),
		groupPage("all groups", nil),
		groupPage("group by displayName", eq(store.AttrDisplayName, "Admins")),
		groupPage("group by externalId", eq(store.AttrExternalID, "ext")),
		groupPage("groups of a member", eq(store.AttrMember, "usr")),
		q("users by email in an organization", `SELECT `+userColsU+` FROM directory_users u WHERE u.org_id = ? AND u.id IN (
 SELECT x.id FROM directories d JOIN directory_users x ON x.directory_id = d.id WHERE d.org_id = ? AND x.user_name_lower = ?
 UNION SELECT m.user_id FROM directories d JOIN directory_user_emails m ON m.directory_id = d.id WHERE d.org_id = ? AND m.value_lower = ?)
ORDER BY u.directory_id, u.id`, "org", "org", "a@b.c", "org", "a@b.c"),
		q("group members", `SELECT m.member_id FROM group_members m WHERE m.group_id = ? ORDER BY m.member_id`, "g"),
		// SQLite's Dialect.Unindexed is "+".
		q("members to add, known", memberIDsSQL(2, "+"), "u1", "u2", "dir", "u1", "u2", "dir"),
		q("members to add, insert", addMembersSQL(2, "+"), "g", "u1", "u2", "dir", "u1", "u2", "dir"),
		q("members to remove", removeMembersSQL(2), "g", "u1", "u2"),
		q("member's groups", `SELECT `+groupColsG+` FROM group_members m JOIN directory_groups g ON g.id = m.group_id
WHERE m.member_id = ? AND m.directory_id = ? ORDER BY g.id`, "u", "dir"),
		q("verified domain", `SELECT `+domainCols+` FROM domains WHERE name = ? AND state = 'verified'`, "example.com"),
		q("connection", `SELECT `+connCols+` FROM connections WHERE id = ?`, "conn"),
		q("organization by external id", `SELECT `+orgCols+` FROM organizations WHERE external_id = ? AND external_id <> ''`, "ext"),
		q("portal link by digest", `SELECT `+linkCols+` FROM portal_links WHERE digest = ?`, []byte("d")),
		q("portal session by digest", `SELECT `+sessionCols+` FROM portal_sessions WHERE digest = ?`, []byte("d")),
		q("redeem", `UPDATE portal_links SET used_at = COALESCE(used_at, ?)
WHERE digest = ? AND revoked_at IS NULL AND expires_at > ? AND (kind = 'shareable' OR used_at IS NULL)
RETURNING id, org_id, kind, features`, 1, []byte("d"), 1),
		q("login request", `DELETE FROM login_requests WHERE id = ? RETURNING `+loginCols, "req"),
		orgList("organizations, first page", "", ""),
		orgList("organizations after one", "", "org_1"),
		orgList("organization search", "acme", ""),
		orgList("organization search after one", "acme", "org_1"),
		q("organization setups", orgSetupsSQL(s.d.IDsIn), `["org"]`, `["org"]`, `["org"]`),
		q("directory counts", directoryCountsSQL("users"), "dir"),
		keyed("users, page after a known key", "directory_users", "u", userColsU, 500, &pageBound{id: "usr"}),
		keyed("users, page at an offset", "directory_users", "u", userColsU, 500, nil),
		keyed("users, first page", "directory_users", "u", userColsU, 0, nil),
		keyed("groups, page at an offset", "directory_groups", "g", groupColsG, 500, nil),
		userPage("filter userName co", store.Compare{Attr: store.AttrUserName, Op: store.OpCo, Value: "smith"}),
		userPage("filter userName ew", store.Compare{Attr: store.AttrUserName, Op: store.OpEw, Value: "@acme.com"}),
		userPage("filter displayName sw", store.Compare{Attr: store.AttrDisplayName, Op: store.OpSw, Value: "alice"}),
		userPage("filter displayName co", store.Compare{Attr: store.AttrDisplayName, Op: store.OpCo, Value: "alice"}),
		userPage("filter email co", store.Compare{Attr: store.AttrEmail, Op: store.OpCo, Value: "smith@"}),
		userPage("filter email ew", store.Compare{Attr: store.AttrEmail, Op: store.OpEw, Value: "Straße.de", EmailType: "work"}),
		q("events after a cursor", `SELECT `+eventCols+` FROM events WHERE cursor > ? ORDER BY cursor LIMIT ?`, 5, 100),
		q("events of an organization", `SELECT `+eventCols+` FROM events WHERE cursor > ? AND org_id = ? ORDER BY cursor LIMIT ?`, 5, "org", 100),
	}
	for _, qq := range queries {
		rows, err := db.Query("EXPLAIN QUERY PLAN "+qq.sql, qq.args...)
		if err != nil {
			t.Fatalf("%s: %v", qq.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if strings.Contains(qq.name, "email") || strings.Contains(qq.name, "member") {
			// Answered from the child table's index, not by walking the
			// directory.
			for _, step := range plan {
				if strings.Contains(step, "_created") {
					t.Errorf("%s walks the directory: %q", qq.name, plan)
				}
			}
		}
		if strings.HasSuffix(qq.name, " co") || strings.HasSuffix(qq.name, " ew") || strings.Contains(qq.name, "organization search") {
			// Substring matches take their candidates from a trigram
			// table.
			if !slices.ContainsFunc(plan, func(step string) bool { return strings.Contains(step, "_search VIRTUAL TABLE INDEX") }) {
				t.Errorf("%s does not search a trigram index: %q", qq.name, plan)
			}
		}
		if strings.HasPrefix(qq.name, "filter email ") && (strings.HasSuffix(qq.name, " co") || strings.HasSuffix(qq.name, " ew")) &&
			!slices.Contains(plan, "SEARCH e USING INTEGER PRIMARY KEY (rowid=?)") {
			// The trigram index's candidates lead, not the directory's
			// emails.
			t.Errorf("%s does not read the email rows by the index's candidates: %q", qq.name, plan)
		}
		if strings.HasSuffix(qq.name, " sw") && !strings.Contains(qq.name, "email") {
			// Prefix matches are ranges of a btree index of the folded
			// value.
			if !slices.ContainsFunc(plan, func(step string) bool { return strings.Contains(step, "_lower>? AND") }) {
				t.Errorf("%s does not search a range of an index: %q", qq.name, plan)
			}
		}
		if strings.Contains(qq.name, "offset") || strings.Contains(qq.name, "known key") {
			// Pages are ranges of the created index, the offset walked
			// in the covering index.
			for _, step := range plan {
				if strings.Contains(step, "TEMP B-TREE") {
					t.Errorf("%s sorts: %q", qq.name, plan)
				}
			}
		}
		if strings.Contains(qq.name, "offset") && !slices.ContainsFunc(plan, func(step string) bool { return strings.Contains(step, "USING COVERING INDEX") }) {
			t.Errorf("%s does not walk the offset in a covering index: %q", qq.name, plan)
		}
		if strings.Contains(qq.name, "known key") && !slices.ContainsFunc(plan, func(step string) bool { return strings.Contains(step, "(created_at,id)>(?,?)") }) {
			t.Errorf("%s does not start at the key: %q", qq.name, plan)
		}
		for _, step := range plan {
			// "SCAN CONSTANT ROW" and scans of a subquery's own result are
			// not table scans.
			// Nor is a search of an FTS5 table through its index, or
			// the walk of a first page in index order.
			if strings.HasSuffix(qq.name, "first page") && strings.HasPrefix(step, "SCAN o USING INDEX") {
				continue
			}
			// Nor the scan of the list buckets' counts (bucketSQL), read
			// from their primary key.
			if strings.HasPrefix(step, "SCAN bucket_") && slices.ContainsFunc(plan, func(step string) bool {
				return strings.HasPrefix(step, "SEARCH directory_list_buckets USING PRIMARY KEY (directory_id=? AND list=?)")
			}) {
				continue
			}
			if strings.HasPrefix(step, "SCAN ") && !strings.HasPrefix(step, "SCAN CONSTANT") && !strings.Contains(strings.ToLower(step), "subquery") &&
				!strings.Contains(step, "VIRTUAL TABLE INDEX") {
				t.Errorf("%s scans a table: %s\nplan: %q", qq.name, step, plan)
			}
		}
	}
}
