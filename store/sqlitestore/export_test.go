package sqlitestore

import "context"

// Test hooks.
var (
	DSN        = dsn
	RoleWriter = writer
	RoleReader = reader
)

// Pragma reads PRAGMA name on the Store's write connection, or on one of
// its read connections when read.
func Pragma(ctx context.Context, s *Store, read bool, name string) (string, error) {
	db := s.w
	if read {
		db = s.r
	}
	var v string
	err := db.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}
