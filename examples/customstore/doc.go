// Command customstore is a host application that gives onboardkit its own
// Store: onboardkit's organizations are the rows of the "customers" table
// the application already had, and everything else is kept by sqlitestore.
// store_test.go proves the Store with the conformance suite,
// storetest.Run, as every custom Store must.
//
//	go run ./examples/customstore
//
// then open http://127.0.0.1:8082/. Flags: -addr (default 127.0.0.1:8082),
// -app-db (the application's database, default customstore-app.db) and
// -onboardkit-db (default customstore-onboardkit.db).
package main
