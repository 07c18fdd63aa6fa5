// Package pgstore is the onboardkit store for several application instances
// sharing one PostgreSQL database, through jackc/pgx/v5.
//
//	st, err := pgstore.Open(ctx, "postgres://app@db.internal:5432/app?sslmode=verify-full", pgstore.Options{Keyring: keyring})
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
// Migration 0002 (match keys) changes the key by which userNames and email
// addresses are compared from their lower case to store.MatchKey. The
// database cannot compute that key (it has neither Unicode normalization
// nor the case folding of golang.org/x/text), so the migration is a step
// written in Go that runs in the migration's transaction at the first Open
// after the upgrade: it reads every directory user once, in batches, and
// rewrites only the keys that change. Users of one directory whose
// userNames become equal under the new key (sent once composed and once
// decomposed, say) are all kept: the one whose key did not change, or else
// the one created first, has the key; the others keep a key of their own
// (the key, U+001F and their id), stay readable by id and get a proper key
// when their userName changes. migrations/0002_match_keys.sql shows how to
// list them.
//
// Concurrency: Update methods lock the row they change (SELECT ... FOR
// UPDATE); single-use secrets are consumed by one guarded statement; unique
// indexes enforce userName, externalId, displayName, external id and
// verified-domain uniqueness across instances. Writes insert their events
// without a cursor and commit in parallel, whatever organization and
// instance they come from; a reader of the outbox first numbers the
// committed events still without a cursor in a short round serialized by an
// advisory lock, so readers, who see only numbered events, never see a
// cursor appear below one they have already passed (the events package
// documents the design). A transaction the server aborts to break a deadlock is
// run again, up to three times.
//
// Scale: organization search and SCIM co, sw and ew filters on userName,
// displayName and emails go through trigram GIN indexes of the pg_trgm
// extension (it ships with PostgreSQL; some distributions package it as
// contrib). Migration 0009 creates the extension when the database lacks
// it, which needs a role allowed to (pg_trgm is a trusted extension: the
// database owner may); if that fails, Open says so, and a superuser can run
// CREATE EXTENSION pg_trgm in the database beforehand. A search of fewer
// than three characters has no trigram and reads the whole index.
// Directories keep their user and group counts in rows updated by
// triggers in the same writes (up to 16 a directory, by the writing
// backend, so that concurrent writers of one directory seldom share one),
// so unfiltered SCIM lists do not count the directory; startIndex pages
// are found by key (see store/internal/sqlstore's keyedPage).
//
// A host's own data about each organization can live in a table of its own
// in the same database, written in the same transaction as onboardkit's
// organization row: Options.OrganizationHook is given the write
// transaction of every organization create, update and delete, and its
// error undoes the write. Store.Write runs any other write of the host's
// as one of the Store's, and Store.ReadDB returns the pool.
//
// Open keeps up to 32 connections. Text columns use the "C" collation, so
// sorting and range filters compare bytes exactly as Go does.
package pgstore
