// Command customstore is a host application that keeps its own data about
// each onboardkit organization in its own table, the "customers" table
// (its own key, the plan), in onboardkit's SQLite database and in the same
// transaction as the organization: sqlitestore's OrganizationHook writes a
// customers row with every organization created and deletes it with the
// organization, so there are no copies of onboardkit's rows to keep in
// step and no window in which one row exists without the other.
// store_test.go runs onboardkit's conformance suite, storetest.Run, on
// the Store with the hook, and shows that a write is all-or-nothing across
// both tables.
//
//	go run ./examples/customstore
//
// then open http://127.0.0.1:8082/. Flags: -addr (default 127.0.0.1:8082)
// and -db (the database, default customstore.db).
package main
