package sqlitestore

// Test hooks.
var (
	DSN        = dsn
	RoleWriter = writer
	RoleReader = reader
)
