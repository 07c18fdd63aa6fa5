package sqlstore

import (
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/store"
)

// FuzzFilterValue feeds arbitrary values, operators and email types (what a
// SCIM client controls) through the filter translation and runs the result
// on SQLite: the statement text never depends on the value, the arguments
// match the placeholders, and the database never rejects the statement.
func FuzzFilterValue(f *testing.F) {
	for _, v := range []string{"", "a", "%", "_", `\`, "'", `"`, "a' OR '1'='1", "?", "$1", "\x00", "\xff", "ÄÖÜ", "user@EXAMPLE.com"} {
		f.Add(v, uint8(0), uint8(0), "")
		f.Add(v, uint8(2), uint8(6), "work")
	}
	db := schemaDB(f)
	s := testStore(false)
	attrs := []store.Attr{store.AttrID, store.AttrExternalID, store.AttrUserName, store.AttrDisplayName, store.AttrGivenName, store.AttrFamilyName, store.AttrEmail}
	ops := []store.Op{store.OpEq, store.OpNe, store.OpCo, store.OpSw, store.OpEw, store.OpGt, store.OpGe, store.OpLt, store.OpLe}
	order, _ := orderBy(userSortKeys[""], "u", store.Ascending)
	f.Fuzz(func(t *testing.T, v string, op, attr uint8, emailType string) {
		a := attrs[int(attr)%len(attrs)]
		c := store.Compare{Attr: a, Op: ops[int(op)%len(ops)], Value: v}
		if a == store.AttrEmail {
			c.EmailType = emailType
		}
		where, args, err := s.userWhere("dir", store.Or{Left: c, Right: store.Not{F: c}})
		if err != nil {
			t.Fatalf("%#v: %v", c, err)
		}
		if strings.Count(where, "?") != len(args) {
			t.Fatalf("%#v: %d placeholders, %d arguments", c, strings.Count(where, "?"), len(args))
		}
		// Only whether the value is empty may change the statement (an
		// empty externalId cannot use its partial index).
		ref := "x"
		if v == "" {
			ref = ""
		}
		c.Value, c.EmailType = ref, ""
		if a == store.AttrEmail && emailType != "" {
			c.EmailType = "y"
		}
		refWhere, _, err := s.userWhere("dir", store.Or{Left: c, Right: store.Not{F: c}})
		if err != nil || refWhere != where {
			t.Fatalf("the statement depends on the value:\n%s\n%s", where, refWhere)
		}
		rows, err := db.Query(`SELECT `+userColsU+` FROM directory_users u WHERE `+where+order+` LIMIT 10`, args...)
		if err != nil {
			t.Fatalf("%#v: %v", c, err)
		}
		rows.Close()
	})
}
