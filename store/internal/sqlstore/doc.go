// Package sqlstore implements store.Store once, on database/sql, for the
// SQL databases onboardkit supports. What differs between them (placeholder
// style, column types, row locking, how constraint violations are reported,
// how concurrent migrations are serialized) is described by a Dialect;
// store/sqlitestore and store/pgstore are thin packages that open a
// database, apply their embedded migrations with Migrate and call New.
//
// Every write is one transaction: an entity change and its events, a
// portal link redemption and the session it creates. Update methods load
// the row inside the transaction (SELECT ... FOR UPDATE where the database
// has row locks), pass a copy to the caller's function and write the result.
// Single-use secrets are consumed by one guarded statement (UPDATE ...
// WHERE ... RETURNING, DELETE ... RETURNING, INSERT ... ON CONFLICT DO
// UPDATE ... WHERE). Uniqueness is enforced by unique indexes and their
// violations are mapped to the store's sentinel errors.
//
// Every query is a fixed string with bound parameters; SCIM filters are
// translated into fixed SQL fragments with their values as parameters.
// Queries are prepared once per pool and reused.
package sqlstore
