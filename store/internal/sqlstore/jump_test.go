package sqlstore

import (
	"testing"

	"github.com/onboardkit/onboardkit/store"
)

// TestJumpPastTheEnd runs a startIndex jump whose offset is past the end
// of the list, as happens when a delete commits between a list's total
// and its page: the page is empty, not an error (SQLite refuses a NULL
// OFFSET, which the bucket lookup gives when no bucket holds the row).
func TestJumpPastTheEnd(t *testing.T) {
	db := schemaDB(t)
	s := testStore(false)
	for _, l := range []struct{ table, alias, cols string }{
		{"directory_users", "u", userColsU},
		{"directory_groups", "g", groupColsG},
	} {
		order, _ := orderBy(l.alias+".created_at", l.alias, store.Ascending)
		q, args := s.keyedPageSQL(l.table, l.alias, l.cols, order, "dir", 500, 100, nil)
		rows, err := db.Query(q, args...)
		if err != nil {
			t.Fatalf("%s: %v", l.table, err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s: %v", l.table, err)
		}
		rows.Close()
		if n != 0 {
			t.Errorf("%s: %d rows past the end", l.table, n)
		}
	}
}
