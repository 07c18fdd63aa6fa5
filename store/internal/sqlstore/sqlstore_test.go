package sqlstore

import (
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/seal"
)

func testStore(numbered bool) *Store {
	return &Store{d: Dialect{Name: "test", NumberedParams: numbered, Time: Micros}}
}

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
		{"? ? ? ? ? ? ? ? ? ? ?", "$1 $2 $3 $4 $5 $6 $7 $8 $9 $10 $11"},
	}
	for _, tt := range tests {
		if got := rebind(&Dialect{NumberedParams: true}, tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := rebind(&Dialect{}, tt.in); got != tt.in {
			t.Errorf("rebind without numbering changed %q to %q", tt.in, got)
		}
	}
}

func TestEscapeLike(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"50%", `50\%`},
		{"a_b", `a\_b`},
		{`back\slash`, `back\\slash`},
		{`%_\`, `\%\_\\`},
	}
	for _, tt := range tests {
		if got := escapeLike(tt.in); got != tt.want {
			t.Errorf("escapeLike(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFilterValuesAreParameters checks that no filter value reaches the SQL
// text: hostile values travel as arguments only.
func TestFilterValuesAreParameters(t *testing.T) {
	hostile := []string{`x' OR '1'='1`, `"; DROP TABLE directory_users; --`, `%' --`, `?`, `$1`, `\`}
	ops := []store.Op{store.OpEq, store.OpNe, store.OpCo, store.OpSw, store.OpEw, store.OpGt, store.OpGe, store.OpLt, store.OpLe}
	attrs := []store.Attr{store.AttrID, store.AttrExternalID, store.AttrUserName, store.AttrDisplayName, store.AttrGivenName, store.AttrFamilyName, store.AttrEmail}
	s := testStore(false)
	var base string
	for _, v := range hostile {
		for _, op := range ops {
			for _, a := range attrs {
				f := store.And{
					Left:  store.Compare{Attr: a, Op: op, Value: v},
					Right: store.Not{F: store.Compare{Attr: store.AttrEmail, Op: op, Value: v, EmailType: v}},
				}
				where, args, err := s.userWhere("dir' OR 1=1", f)
				if err != nil {
					t.Fatalf("%s %s %q: %v", a, op, v, err)
				}
				for _, bad := range []string{"'1'", "DROP", "--", "$1", "OR 1=1"} {
					if strings.Contains(where, bad) {
						t.Errorf("%s %s %q: value leaked into SQL: %s", a, op, v, where)
					}
				}
				if got, want := strings.Count(where, "?"), len(args); got != want {
					t.Errorf("%s %s %q: %d placeholders for %d arguments in %s", a, op, v, got, want, where)
				}
				if a == store.AttrUserName && op == store.OpEq {
					if base == "" {
						base = where
					} else if where != base {
						t.Errorf("the SQL text depends on the value: %q vs %q", where, base)
					}
				}
			}
		}
	}
}

func TestFilterArguments(t *testing.T) {
	s := testStore(false)
	when := time.Date(2030, 1, 2, 3, 4, 5, 6789, time.FixedZone("x", 3600))
	tests := []struct {
		f        store.Filter
		wantSQL  string
		wantArgs []any
	}{
		{store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "Alice@Example.COM"}, "u.user_name_lower = ?", []any{"alice@example.com"}},
		{store.Compare{Attr: store.AttrExternalID, Op: store.OpEq, Value: "AbC"}, "(u.external_id = ? AND u.external_id <> '')", []any{"AbC"}},
		{store.Compare{Attr: store.AttrID, Op: store.OpSw, Value: "usr_1%"}, `u.id LIKE ? ESCAPE '\'`, []any{`usr\_1\%%`}},
		{store.Compare{Attr: store.AttrDisplayName, Op: store.OpEw, Value: "SMITH"}, `u.display_name_lower LIKE ? ESCAPE '\'`, []any{"%smith"}},
		{store.Compare{Attr: store.AttrActive, Op: store.OpNe, Value: true}, "u.active <> ?", []any{true}},
		{store.Compare{Attr: store.AttrCreated, Op: store.OpGe, Value: when}, "u.created_at >= ?", []any{when.UTC().Truncate(time.Microsecond).UnixMicro()}},
		{store.Compare{Attr: store.AttrEmail, Op: store.OpPr, EmailType: "Work"}, "u.id IN (SELECT e.user_id FROM directory_user_emails e WHERE e.directory_id = ? AND e.type_lower = ?)", []any{"d", "work"}},
		{store.Compare{Attr: store.AttrEmail, Op: store.OpEq, Value: "A@B.C", EmailType: "Work"}, "u.id IN (SELECT e.user_id FROM directory_user_emails e WHERE e.directory_id = ? AND e.value_lower = ? AND e.type_lower = ?)", []any{"d", "a@b.c", "work"}},
		{store.Compare{Attr: store.AttrEmail, Op: store.OpCo, Value: "B"}, `u.id IN (SELECT e.user_id FROM directory_user_emails e WHERE e.directory_id = ? AND e.value_lower LIKE ? ESCAPE '\')`, []any{"d", "%b%"}},
		{&store.Or{Left: store.Compare{Attr: store.AttrGivenName, Op: store.OpPr}, Right: &store.Compare{Attr: store.AttrFamilyName, Op: store.OpCo, Value: "O'Brien"}},
			`(u.given_name_lower <> '' OR u.family_name_lower LIKE ? ESCAPE '\')`, []any{"%o'brien%"}},
	}
	for _, tt := range tests {
		where, args, err := s.userWhere("d", tt.f)
		if err != nil {
			t.Errorf("%#v: %v", tt.f, err)
			continue
		}
		scope := "u.directory_id = ? AND "
		if childLookup(tt.f) {
			scope = "u.directory_id || '' = ? AND "
		}
		if want := scope + tt.wantSQL; where != want {
			t.Errorf("%#v:\n got %s\nwant %s", tt.f, where, want)
		}
		if want := append([]any{"d"}, tt.wantArgs...); !slices.Equal(args, want) {
			t.Errorf("%#v: args %v, want %v", tt.f, args, want)
		}
	}
}

func TestFilterInvalid(t *testing.T) {
	s := testStore(false)
	deep := store.Filter(store.Compare{Attr: store.AttrID, Op: store.OpEq, Value: "x"})
	for range 100 {
		deep = store.Not{F: deep}
	}
	// A balanced tree of depth 9: shallow, but 1023 nodes.
	wide := store.Filter(store.Compare{Attr: store.AttrID, Op: store.OpEq, Value: "x"})
	for range 9 {
		wide = store.Or{Left: wide, Right: wide}
	}
	userTests := []store.Filter{
		store.Compare{Attr: "password", Op: store.OpEq, Value: "x"},
		store.Compare{Attr: store.AttrMember, Op: store.OpEq, Value: "x"},
		store.Compare{Attr: store.AttrUserName, Op: "regex", Value: "x"},
		store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: 1},
		store.Compare{Attr: store.AttrUserName, Op: store.OpPr, Value: "x"},
		store.Compare{Attr: store.AttrActive, Op: store.OpGt, Value: true},
		store.Compare{Attr: store.AttrActive, Op: store.OpEq, Value: "true"},
		store.Compare{Attr: store.AttrCreated, Op: store.OpCo, Value: time.Now()},
		store.Compare{Attr: store.AttrCreated, Op: store.OpEq, Value: "2030-01-01"},
		store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "x", EmailType: "work"},
		store.And{Left: nil, Right: store.Compare{Attr: store.AttrID, Op: store.OpEq, Value: "x"}},
		(*store.Not)(nil),
		deep,
		wide,
	}
	for _, f := range userTests {
		if _, _, err := s.userWhere("d", f); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("userWhere(%#v) = %v, want ErrInvalid", f, err)
		}
	}
	groupTests := []store.Filter{
		store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "x"},
		store.Compare{Attr: store.AttrMember, Op: store.OpNe, Value: 1},
		store.Compare{Attr: store.AttrMember, Op: store.OpPr, Value: "x"},
		store.Compare{Attr: store.AttrMember, Op: "xx", Value: "x"},
		store.Compare{Attr: store.AttrActive, Op: store.OpEq, Value: true},
	}
	for _, f := range groupTests {
		if _, _, err := s.groupWhere("d", f); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("groupWhere(%#v) = %v, want ErrInvalid", f, err)
		}
	}
}

func TestLoadMigrations(t *testing.T) {
	good := fstest.MapFS{
		"m/0002_more.sql": {Data: []byte("-- comment\nCREATE TABLE b (x INT);\n\nCREATE INDEX bx\n  ON b (x);\n")},
		"m/0001_init.sql": {Data: []byte("CREATE TABLE a (x INT);")},
		"m/README":        {Data: []byte("not a migration")},
	}
	ms, err := LoadMigrations(good, "m")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Version != 1 || ms[1].Version != 2 {
		t.Fatalf("migrations = %+v", ms)
	}
	if want := []string{"CREATE TABLE b (x INT);", "CREATE INDEX bx\n  ON b (x);"}; !slices.Equal(ms[1].Statements, want) {
		t.Errorf("statements = %q, want %q", ms[1].Statements, want)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"bad name":  {"m/init.sql": {Data: []byte("x;")}},
		"zero":      {"m/0000_init.sql": {Data: []byte("x;")}},
		"duplicate": {"m/0001_a.sql": {Data: []byte("x;")}, "m/01_b.sql": {Data: []byte("y;")}},
		"no dir":    {},
	} {
		if _, err := LoadMigrations(fsys, "m"); err == nil {
			t.Errorf("%s: LoadMigrations succeeded", name)
		}
	}
}

func TestUniqueLookup(t *testing.T) {
	eq := func(a store.Attr, v any) store.Compare { return store.Compare{Attr: a, Op: store.OpEq, Value: v} }
	active := eq(store.AttrActive, true)
	tests := []struct {
		f      store.Filter
		groups bool
		want   bool
	}{
		{nil, false, false},
		{eq(store.AttrUserName, "a"), false, true},
		{eq(store.AttrUserName, "a"), true, false},
		{eq(store.AttrDisplayName, "a"), true, true},
		{eq(store.AttrDisplayName, "a"), false, false},
		{eq(store.AttrExternalID, ""), false, false},
		{eq(store.AttrID, "x"), true, true},
		{&store.Compare{Attr: store.AttrID, Op: store.OpEq, Value: "x"}, false, true},
		{store.Compare{Attr: store.AttrUserName, Op: store.OpSw, Value: "a"}, false, false},
		{store.And{Left: active, Right: eq(store.AttrExternalID, "e")}, false, true},
		{&store.And{Left: eq(store.AttrID, "x"), Right: active}, false, true},
		{store.Or{Left: eq(store.AttrID, "x"), Right: eq(store.AttrID, "y")}, false, false},
		{store.Not{F: eq(store.AttrID, "x")}, false, false},
		{eq(store.AttrEmail, "a@b.c"), false, false},
	}
	for _, tt := range tests {
		if got := uniqueLookup(tt.f, tt.groups); got != tt.want {
			t.Errorf("uniqueLookup(%#v, groups=%v) = %v, want %v", tt.f, tt.groups, got, tt.want)
		}
	}
}

func TestSplitStatementsBodies(t *testing.T) {
	src := `-- a comment
CREATE TABLE a (x INT);
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE a SET x = 1;
	RETURN NULL;
END
$$;
CREATE TRIGGER t AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION f();
CREATE TRIGGER s AFTER INSERT ON a BEGIN
	UPDATE a SET x = 2;
	DELETE FROM a WHERE x = 3; END;
DROP TABLE b;
`
	got := splitStatements(src)
	if len(got) != 5 {
		t.Fatalf("%d statements, want 5: %q", len(got), got)
	}
	for i, prefix := range []string{"CREATE TABLE a", "CREATE FUNCTION f", "CREATE TRIGGER t", "CREATE TRIGGER s", "DROP TABLE b"} {
		if !strings.HasPrefix(got[i], prefix) {
			t.Errorf("statement %d = %q, want it to start with %q", i, got[i], prefix)
		}
	}
	if !strings.HasSuffix(got[1], "$$;") || !strings.HasSuffix(got[3], "END;") {
		t.Errorf("bodies cut: %q", got)
	}
}

// TestNewRefusesPartialEventNumbering checks that New takes a dialect only
// with every statement of one way of numbering events, and names what is
// missing or mixed.
func TestNewRefusesPartialEventNumbering(t *testing.T) {
	base := Dialect{Name: "test", Classify: func(error) (ErrorKind, string) { return OtherError, "" }, Time: Micros}
	const q = "SELECT 1"
	cases := []struct {
		name string
		edit func(*Dialect)
		want string // "" when New accepts it
	}{
		{"in the write", func(d *Dialect) { d.InsertEvent, d.ReserveCursors = q, q }, ""},
		{"after the commit", func(d *Dialect) { d.NumberEvents, d.NumberLock, d.PendingEvents = q, q, q }, ""},
		{"none", func(*Dialect) {}, "numbers events in the write without InsertEvent, ReserveCursors"},
		{"InsertEvent alone", func(d *Dialect) { d.InsertEvent = q }, "in the write without ReserveCursors"},
		{"NumberEvents alone", func(d *Dialect) { d.NumberEvents = q }, "after the commit (NumberEvents) without NumberLock, PendingEvents"},
		{"no PendingEvents", func(d *Dialect) { d.NumberEvents, d.NumberLock = q, q }, "after the commit (NumberEvents, NumberLock) without PendingEvents"},
		{"both ways", func(d *Dialect) { d.NumberEvents, d.NumberLock, d.PendingEvents, d.InsertEvent = q, q, q, q }, "both after the commit (NumberEvents, NumberLock, PendingEvents) and in the write (InsertEvent)"},
	}
	for _, c := range cases {
		d := base
		c.edit(&d)
		db, err := sql.Open("sqlite", ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(Config{Dialect: d, DB: db, Sealer: seal.New(nil)})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
		if s != nil {
			s.Close()
		} else {
			db.Close()
		}
	}
}
