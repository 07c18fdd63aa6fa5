package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/internal/sqlstore"
	"github.com/onboardkit/onboardkit/store/seal"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is a store.Store on a SQLite database file.
type Store struct {
	*sqlstore.Store
	w, r *sql.DB // the write connection and the read pool
}

var _ store.Store = (*Store)(nil)

// busyTimeout is how long a connection waits for a lock held by another
// process before failing with SQLITE_BUSY. Writers of this process never
// wait on each other inside SQLite: they queue for the single write
// connection.
const busyTimeout = 10 * time.Second

// dialect is SQLite's.
var dialect = sqlstore.Dialect{
	Name:      "sqlite",
	Local:     true,
	Unindexed: "+",
	// Substring searches take their candidates from FTS5 trigram tables.
	FTSTrigram: true,
	IDsIn:      "(SELECT value FROM json_each(?))",
	Classify:   classify,
	Time:       sqlstore.Micros,
	// The single writer orders cursors by commit; see appendEvents.
	InsertEvent: `INSERT INTO events (cursor, id, type, org_id, subject, actor, data, created_at)
SELECT COALESCE(MAX(cursor), 0) + 1, ?, ?, ?, ?, ?, ?, ? FROM events RETURNING cursor`,
	ReserveCursors: `SELECT COALESCE(MAX(cursor), 0) + ? FROM events`,
	// The write transaction (BEGIN IMMEDIATE on the only write connection)
	// excludes other writers, so rows need no locks and migrations no
	// extra lock.
	ForUpdate: "",
}

// Options configure a Store opened with Open. A Keyring is required
// unless InsecureUnsealed is set.
type Options struct {
	// Keyring seals the secrets the Store keeps (connection keys and
	// secrets, session ID tokens, service-account keys) under the host's
	// key; see store/seal. Required unless InsecureUnsealed is set.
	Keyring seal.Keyring

	// InsecureUnsealed lets a Store without a Keyring start, keeping
	// secrets as they are: a copy of the database file then reveals them.
	// Values sealed before do not open.
	InsecureUnsealed bool

	// MeterProvider counts the events the Store writes
	// (onboardkit.events.produced, by onboardkit.event.type), once
	// committed. Nil: the otel global, a no-op unless the host set one.
	MeterProvider metric.MeterProvider

	// SynchronousNormal runs the database with synchronous=NORMAL instead
	// of FULL. Under NORMAL a commit returns once its pages are in the
	// write-ahead log, and the log is synced to disk only at checkpoints:
	// the database stays consistent, but a power loss or an operating
	// system crash can roll back the last transactions that were already
	// acknowledged (a user whose creation a SCIM client was told of, a
	// consumed assertion id). A crash of the process alone loses nothing.
	// In exchange, a write costs one fewer fsync. Set it only where losing
	// the last acknowledged writes is acceptable or the disk cache is
	// battery-backed.
	SynchronousNormal bool

	// Fsync makes SQLite sync with fsync(2) rather than fdatasync(2),
	// which Open otherwise turns on; see Open. The switch belongs to the
	// driver and holds for the whole process: while a Store opened with
	// Fsync is open, every SQLite database of the process syncs with
	// fsync, whatever other Stores are opened meanwhile. Set it
	// only where fdatasync is not allowed (a seccomp allowlist without
	// it), which would fail every commit with a disk I/O error.
	Fsync bool

	// OrganizationHook, if set, runs inside the write transaction of every
	// organization create, update and delete: see OrganizationHook.
	OrganizationHook OrganizationHook
}

// OrganizationHook keeps a host's own per-organization rows in the Store's
// database file, written in the same transaction as onboardkit's
// organization row: a table of the host's, created with Store.Write, keyed
// by the organization id (it may reference organizations(id)).
//
// before is the organization as it was (nil for a create), after as it is
// written (nil for a delete). The hook runs after the organization's row is
// inserted or updated and before it is deleted, and only when a row
// changes: deleting an absent organization runs nothing. Its error undoes
// that write alone, the organization's row and events included (the other
// writes sharing its group commit are kept), and is the error the caller
// gets. It must use tx and ctx only: a Store write made with ctx fails with
// ErrReentered (one made with another context would wait for itself). ctx
// carries the values of the caller's context, not its cancellation (see
// Store.Write).
type OrganizationHook func(ctx context.Context, tx Tx, before, after *store.Organization) error

// Tx is what an OrganizationHook or a Write function is given of the
// Store's write transaction: it runs statements, and the Store commits or
// rolls back. It is meant for the host's own tables; writing onboardkit's
// tables through it bypasses the Store's checks and counts.
type Tx = sqlstore.Tx

// ErrReentered is the error of a Store write made, with the context it
// was given, from inside an OrganizationHook or a Write function.
var ErrReentered = sqlstore.ErrReentered

// Open opens (creating it if needed) the SQLite database at path, applies
// the migrations it lacks and returns the Store. The directory of path must
// exist. Without opts.Keyring it refuses to start, unless
// opts.InsecureUnsealed is set.
//
// The database runs in WAL mode with synchronous=FULL and foreign keys on:
// a commit returns only once the write-ahead log is synced to disk, so an
// acknowledged write survives a power loss. The sync is fdatasync(2) where
// the system has it (Linux, the BSDs, illumos), as in SQLite's own builds
// for those systems, rather than the fsync(2) of the driver's default: it
// writes the file's data and the size needed to read it back, and skips
// its timestamps, whose journal commit on ext4 is often most of what a
// commit waits for. Durability is the same. The switch is the driver's and
// holds for every SQLite database of the process (see Options.Fsync). Writes go through a single
// connection whose transactions begin IMMEDIATE, so writers queue in the
// process instead of failing with SQLITE_BUSY or deadlocking on a lock
// upgrade; reads use a separate pool of read-only connections that WAL
// lets run beside the writer.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	sealer, err := sqlstore.NewSealer("sqlitestore", opts.Keyring, opts.InsecureUnsealed)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, errors.New("sqlitestore: a database path is required")
	}
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlitestore: %q: give the path of a database file", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	dir := filepath.Dir(abs)
	if fi, err := os.Stat(dir); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("sqlitestore: cannot create database %s: directory %s does not exist", path, dir)
		}
		return nil, fmt.Errorf("sqlitestore: cannot create database %s: %w", path, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("sqlitestore: cannot create database %s: %s is not a directory", path, dir)
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("sqlitestore: %s is a directory, not a database file", path)
	}
	releaseSync := chooseSync(opts.Fsync)
	opened := false
	defer func() {
		if !opened {
			releaseSync()
		}
	}()
	ms, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}

	w, err := sql.Open("sqlite", dsn(abs, writer, opts))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := ping(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlitestore: opening %s: %w", path, err)
	}
	if _, err := sqlstore.Migrate(ctx, w, dialect, ms); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlitestore: %s: %w", path, err)
	}

	r, err := sql.Open("sqlite", dsn(abs, reader, opts))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)

	stop, err := startCheckpointer(abs, opts)
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	s, err := sqlstore.New(sqlstore.Config{Dialect: dialect, DB: w, ReadDB: r, Closers: []func() error{stop, func() error { releaseSync(); return nil }}, Sealer: sealer,
		SchemaVersion: sqlstore.Latest(ms), OrganizationHook: sqlstore.OrganizationHook(opts.OrganizationHook),
		MeterProvider: opts.MeterProvider})
	if err != nil {
		stop()
		r.Close()
		w.Close()
		return nil, err
	}
	opened = true
	return &Store{Store: s, w: w, r: r}, nil
}

// role is what a connection pool is for.
type role int

const (
	writer role = iota
	reader
	checkpointer
)

// The page cache of the write connection and of each other connection, in
// bytes (see dsn).
const (
	writerCache = 8 << 20
	readerCache = 1 << 20
)

// checkpointInterval is how often the background checkpointer copies the
// WAL back into the database file.
const checkpointInterval = 200 * time.Millisecond

// dsn builds the driver's data source name for the file at abs.
func dsn(abs string, r role, opts Options) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	if opts.SynchronousNormal {
		q.Add("_pragma", "synchronous(NORMAL)")
	} else {
		q.Add("_pragma", "synchronous(FULL)")
	}
	q.Add("_pragma", "foreign_keys(1)")
	// LIKE compares case-sensitively, as in PostgreSQL: case-insensitive
	// filters compare lower-cased columns with lower-cased patterns, and
	// case-exact ones (id, externalId) must not fold case.
	q.Add("_pragma", "case_sensitive_like(1)")
	// Memory: every connection has a page cache of its own, bounded here,
	// and would have a memory map of its own: a page mapped by the writer
	// and four readers counts five times in the process's resident memory,
	// which then grew to several times the database's size (a 24 MB
	// database of 10,000 users took the quickstart from 35 to 160 MB).
	// So pages are read with a system call into the connection's cache,
	// the operating system's file cache, shared and not the process's,
	// holding the rest of the file: the writer's 8 MiB keep the indexes
	// that inserts walk, each reader's 1 MiB the upper levels of the
	// B-trees its lookups walk. A cached page takes about twice its size
	// in the driver's allocator, so the caches add about 16 + 4 x 2 MiB to
	// the process however large the database grows.
	q.Add("_pragma", "mmap_size(0)")
	switch r {
	case writer:
		q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -writerCache/1024))
	default:
		q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -readerCache/1024))
	}
	switch r {
	case reader:
		q.Add("_pragma", "query_only(1)")
	case writer:
		q.Set("_txlock", "immediate")
		// Checkpoints run in the background (see Open), so that a commit
		// never waits for one; the writer checkpoints itself only if the
		// WAL grows past 10,000 pages, should the background fall behind.
		q.Add("_pragma", "wal_autocheckpoint(10000)")
		q.Add("_pragma", "journal_size_limit(67108864)")
	}
	u := url.URL{Scheme: "file", Path: abs}
	if !strings.HasPrefix(abs, "/") {
		// A Windows path: file:C:/dir/db.
		u = url.URL{Scheme: "file", Opaque: filepath.ToSlash(abs)}
	}
	return u.String() + "?" + q.Encode()
}

// startCheckpointer runs a passive WAL checkpoint every interval on its own
// connection until the returned stop function is called. A passive
// checkpoint never blocks the writer or the readers.
func startCheckpointer(abs string, opts Options) (stop func() error, err error) {
	db, err := sql.Open("sqlite", dsn(abs, checkpointer, opts))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(checkpointInterval)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				// An error (say, busy) leaves the work to the next tick or
				// to the writer's own auto-checkpoint.
				_, _ = db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
			}
		}
	}()
	return func() error {
		close(quit)
		<-done
		return db.Close()
	}, nil
}

// classify reports SQLite constraint violations. For a unique violation
// the constraint is the column list SQLite names ("domains.name").
// ping opens the writer's connection. Switching a new file to WAL mode
// needs an exclusive lock, and SQLite answers SQLITE_BUSY at once, without
// its busy handler, when another process or Store opening the same file
// holds a conflicting lock: that is retried, for up to busyTimeout.
func ping(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		err := db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func classify(err error) (sqlstore.ErrorKind, string) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return sqlstore.OtherError, ""
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		msg := se.Error()
		if _, cols, ok := strings.Cut(msg, "constraint failed: "); ok {
			if i := strings.LastIndex(cols, " ("); i >= 0 {
				cols = cols[:i]
			}
			return sqlstore.UniqueViolation, cols
		}
		return sqlstore.UniqueViolation, msg
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.ForeignKeyViolation, "foreign key"
	}
	return sqlstore.OtherError, ""
}

// fsyncStores counts the open Stores of the process that were opened with
// Options.Fsync: the driver's sync switch is process-wide, and while one of
// them is open no other Open turns fdatasync back on under it.
var fsyncStores atomic.Int64

// chooseSync sets the driver's sync for a Store being opened (fsync or
// not) and returns what undoes it when that Store closes.
// ErrFdatasyncUnavailable (macOS, Windows) leaves SQLite's own sync.
func chooseSync(fsync bool) (release func()) {
	if !fsync {
		if fsyncStores.Load() == 0 {
			_, _ = sqlite.Fdatasync(true)
		}
		return func() {}
	}
	fsyncStores.Add(1)
	_, _ = sqlite.Fdatasync(false)
	var once sync.Once
	return func() {
		once.Do(func() {
			if fsyncStores.Add(-1) == 0 {
				_, _ = sqlite.Fdatasync(true)
			}
		})
	}
}
