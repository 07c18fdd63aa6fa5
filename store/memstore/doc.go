// Package memstore is an in-memory store.Store: the reference implementation
// of the Store contract, and the store to use in tests.
//
// Everything lives in maps behind one mutex, so every method is atomic: an
// entity and its events, a link redemption and the session it creates, are
// written together or not at all. Values are deep-copied on the way in and on
// the way out, times are kept in UTC with microsecond precision (like the SQL
// stores), and filters on directory users and groups are answered from
// per-directory indexes when they name a userName, externalId, displayName,
// id or member.
//
// Nothing is persisted: a Store lives as long as the process.
//
//	st := memstore.New()
//	ssoKit, err := ssokit.New(ssokit.Config{Store: st, ...})
//
// The functions passed to the Update methods run while the Store is locked:
// they must not call the Store.
//
// memstore passes the conformance suite in store/storetest, which is also how
// a custom Store proves itself.
package memstore
