// Package sqlitestore is onboardkit's embedded default store: a
// store.Store on a SQLite database file, through modernc.org/sqlite (pure
// Go, no cgo).
//
//	st, err := sqlitestore.Open(ctx, "onboardkit.db", sqlitestore.Options{Keyring: keyring}) // see store/seal
//	if err != nil {
//		return err
//	}
//	defer st.Close()
//
// Open creates the file if needed and applies the schema migrations
// embedded in the package that the database lacks, in one transaction,
// recording them in the schema_migrations table; reopening a database
// applies nothing twice.
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
// The database runs in WAL mode with synchronous=FULL and foreign keys
// on: a write is durable (it survives a power loss) once the method that
// made it returns. OpenOptions with Options.SynchronousNormal trades that
// for one sync fewer per write: a power loss may then roll back the last
// acknowledged writes. The sync is fdatasync(2) where the system has it, as
// in SQLite's own builds for Linux and the BSDs (the driver's default is
// fsync(2), which also writes the file's timestamps and on ext4 takes
// about twice as long); Options.Fsync keeps fsync, process-wide. All writes go through one connection whose transactions begin
// IMMEDIATE: writers of the process queue for it rather than contend inside
// SQLite, so they never fail with SQLITE_BUSY or deadlock upgrading a read
// lock, and the single writer orders event cursors.
//
// Writes that arrive together share one transaction and one sync (group
// commit): one of the waiting writers runs the queued writes one after
// another, each but the first inside a SAVEPOINT of its own, so that a
// write that fails is undone alone and the others go on; it commits once
// and only then answers each of them. A write is still all-or-nothing, is
// acknowledged only once durable, and sees every write acknowledged
// before it began; if the COMMIT fails, every write of the batch gets the
// error. A batch takes at most 64 writes, and stops taking more once the
// statements of its writes carried 1 MiB of text and byte arguments (a
// larger write runs alone), so that no write waits long for others. A
// writer whose context ends while it waits in the queue leaves it with the
// context's error; once its write runs, the write completes. Several SCIM
// clients or directories writing at once thus share the cost of a sync
// instead of queueing for one each.
//
// Reads go to a pool of read-only connections that WAL runs beside the
// writer, through a memory map. A background goroutine checkpoints the WAL
// into the database file so that commits never wait for a checkpoint.
// Statements are prepared once and reused; a user creation with its event
// is a few statements.
//
// Scale: organization search and SCIM co and ew filters on userName, and
// co, sw and ew on displayName, take their candidates from FTS5 trigram
// tables kept by triggers when the searched text has three characters or
// more, all ASCII; a shorter or non-ASCII search compares every
// organization, or every user of the directory, which is the documented
// bound: O(n) for those. co and ew on emails always compare the folded
// addresses of the directory's email index (O(n) in the directory's
// emails): the trigram table holds addresses as sent, and one whose case
// folding changes its length (ß folds to ss) would be missed. Directories
// keep their user and group counts in a row updated by triggers in the
// same writes, so unfiltered SCIM lists do not count the directory, and
// startIndex pages are found by key: the page after one this Store served
// in O(page), any other startIndex through the directory's list buckets
// (counts of ranges of at most 1,024 rows, kept by triggers): the counts
// are summed to the range holding the row, and at most that range of the
// covering index is walked (see docs/operations.md).
//
// The function given to an Update method runs inside the write
// transaction, on the write connection, possibly on the goroutine of
// another writer of its batch: it must not call the Store's write methods,
// which would wait for that connection forever, and the writes queued
// behind it wait for it to return. A panic in it is undone like an error
// and raised again in its caller.
//
// A host's own data about each organization (a plan, its own key) can live
// in a table of its own in the same database file, written in the same
// transaction as onboardkit's organization row: Options.OrganizationHook
// is given the write transaction of every organization create, update and
// delete, and its error undoes that write alone. Store.Write runs any
// other write of the host's (its schema, say) through the same write
// connection and group commit, and Store.ReadDB is the read-only pool for
// the host's queries. examples/customstore keeps its customers that way.
//
// SQLite suits one application instance. Several instances sharing state
// need store/pgstore.
package sqlitestore
