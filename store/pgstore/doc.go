// Package pgstore is the onboardkit store for several application instances
// sharing one PostgreSQL database, through jackc/pgx/v5.
//
//	st, err := pgstore.Open(ctx, "postgres://app@db.internal:5432/app?sslmode=verify-full")
//	if err != nil {
//		return err
//	}
//	defer st.Close()
//
// Open applies the schema migrations embedded in the package that the
// database lacks, in one transaction that first takes a PostgreSQL
// advisory lock, so instances starting at once on a fresh database apply
// each migration exactly once. Applied versions are recorded in the
// schema_migrations table.
//
// Concurrency: Update methods lock the row they change (SELECT ... FOR
// UPDATE); single-use secrets are consumed by one guarded statement; unique
// indexes enforce userName, externalId, displayName, external id and
// verified-domain uniqueness across instances. Event cursors are assigned
// from a one-row counter whose row lock is held until commit, so readers
// never see a cursor appear below one they have already passed. The lock is
// taken by the last statement of a write, so writes with events overlap
// everywhere except in their commit: their rate is bounded by the commit
// latency of the server (one WAL flush), about a thousand per second on
// ordinary disks. A transaction the server aborts to break a deadlock is
// run again, up to three times.
//
// Open keeps up to 32 connections. Text columns use the "C" collation, so
// sorting and range filters compare bytes exactly as Go does.
package pgstore
