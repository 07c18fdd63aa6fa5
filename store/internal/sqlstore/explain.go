package sqlstore

import "github.com/onboardkit/onboardkit/store"

// PlanQuery is a statement a Store runs, with example arguments, for
// EXPLAIN tests of a dialect's plans (store/pgstore's plan test).
type PlanQuery struct {
	Name string
	SQL  string // with '?' placeholders; see Rebind
	Args []any
}

// Rebind turns q's '?' placeholders into d's.
func Rebind(d Dialect, q string) string { return rebind(&d, q) }

// ScaleQueries returns, built for d, the statements that keep lists
// O(page) at scale: organization lists and search, organization setups,
// directory counts, keyed SCIM pages and substring filters.
func ScaleQueries(d Dialect) []PlanQuery {
	s := &Store{d: d}
	var out []PlanQuery
	org := func(name, search, after string) {
		q, args := s.orgListSQL(search, after, 100)
		out = append(out, PlanQuery{name, q, args})
	}
	org("organizations after one", "", "org_1")
	org("organization search", "acme", "")
	out = append(out, PlanQuery{"organization setups", orgSetupsSQL(d.IDsIn), []any{`["org"]`, `["org"]`, `["org"]`}})
	out = append(out, PlanQuery{"directory counts", directoryCountsSQL("users"), []any{"dir"}})
	q, args := eventListSQL(store.EventQuery{Descending: true, Before: 1000, Limit: 50})
	out = append(out, PlanQuery{"events newest first, before a cursor", q, args})
	q, args = eventListSQL(store.EventQuery{Descending: true, OrgID: "org_1", Limit: 50})
	out = append(out, PlanQuery{"events newest first, one organization", q, args})
	order, _ := orderBy("u.created_at", "u", store.Ascending)
	q, args = s.keyedPageSQL("directory_users", "u", userColsU, order, "dir", 500, 100, &pageBound{id: "usr"})
	out = append(out, PlanQuery{"users, page after a known key", q, args})
	q, args = s.keyedPageSQL("directory_users", "u", userColsU, order, "dir", 500, 100, nil)
	out = append(out, PlanQuery{"users, page at an offset", q, args})
	for _, f := range []struct {
		name string
		c    store.Compare
	}{
		{"filter userName co", store.Compare{Attr: store.AttrUserName, Op: store.OpCo, Value: "smith"}},
		{"filter displayName sw", store.Compare{Attr: store.AttrDisplayName, Op: store.OpSw, Value: "alice"}},
		{"filter email co", store.Compare{Attr: store.AttrEmail, Op: store.OpCo, Value: "smith@"}},
	} {
		where, args, err := s.userWhere("dir", f.c)
		if err != nil {
			panic(err) // the filters above are valid
		}
		out = append(out, PlanQuery{f.name, `SELECT ` + userColsU + ` FROM directory_users u WHERE ` + where + order + ` LIMIT ? OFFSET ?`, append(args, 100, 0)})
	}
	return out
}
