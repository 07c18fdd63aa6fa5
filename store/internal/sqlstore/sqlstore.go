package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/seal"
)

// ErrorKind classifies a driver error.
type ErrorKind int

const (
	// OtherError is any error that is not a constraint violation.
	OtherError ErrorKind = iota
	// UniqueViolation is a primary key or unique index violation.
	UniqueViolation
	// ForeignKeyViolation is a foreign key violation.
	ForeignKeyViolation
	// InvalidValue is a value the database cannot store, such as a NUL
	// character in PostgreSQL text.
	InvalidValue
	// TransientConflict is a deadlock or serialization failure between
	// concurrent transactions: the write may be retried as a whole.
	TransientConflict
)

// maxAttempts bounds how many times a write aborted by a TransientConflict
// is run.
const maxAttempts = 4

// Dialect holds what differs between the SQL databases the Store runs on.
// Queries are written once with '?' placeholders and rebound for the
// dialect.
type Dialect struct {
	// Name is used in error messages: "sqlite", "postgres".
	Name string

	// NumberedParams makes placeholders $1, $2... instead of '?'.
	NumberedParams bool

	// ForUpdate is appended to the SELECT that loads a row an Update method
	// is about to change: " FOR UPDATE" where the database has row locks,
	// "" where a write transaction already excludes every other writer.
	ForUpdate string

	// ForShare is appended to a SELECT whose row must not change until the
	// transaction ends (CompleteLogin's connection version): " FOR SHARE"
	// where the database has row locks, "" otherwise.
	ForShare string

	// Classify tells constraint violations apart. constraint names the
	// violated constraint or index when the driver reports it, else it is
	// the driver's message.
	Classify func(err error) (kind ErrorKind, constraint string)

	// Time converts a non-zero UTC time, truncated to the microsecond, into
	// the value stored in a time column.
	Time func(t time.Time) any

	// InsertEvent inserts one event with the next cursor and returns the
	// cursor. Its arguments are id, type, org_id, subject, actor, data and
	// created_at. It runs inside the write transaction and must order
	// cursors by commit (see appendEvents).
	InsertEvent string

	// ReserveCursors reserves the next n cursors (its one argument) and
	// returns the last of them, for appending several events with one
	// statement. Same rule as InsertEvent: cursors ordered by commit.
	ReserveCursors string

	// NumberEvents, if set, replaces InsertEvent and ReserveCursors: a
	// write inserts its events with a NULL cursor (the database assigns
	// their seq), and before a read of the outbox NumberEvents, run in a
	// transaction of its own after NumberLock, gives the rows without a
	// cursor the next cursors in seq order and returns their (seq, cursor)
	// pairs. It takes
	// no argument and numbers at most numberBatch rows. See numberEvents.
	NumberEvents string

	// NumberLock is the statement that serializes NumberEvents
	// transactions (an advisory lock held until the transaction ends).
	NumberLock string

	// PendingEvents returns one row when some committed event has no
	// cursor yet.
	PendingEvents string

	// Unindexed prefixes a column in a condition that must not select the
	// index to use: "+" in SQLite, whose planner would otherwise prefer a
	// covering index on it to the primary key; "" in PostgreSQL.
	Unindexed string

	// FTSTrigram marks a database whose substring searches go through
	// FTS5 trigram tables kept by triggers (SQLite: organizations_search,
	// directory_users_search) through tables of ids; see trigramMatch.
	FTSTrigram bool

	// TrigramGIN marks a database where trigram GIN indexes (pg_trgm)
	// serve LIKE itself (PostgreSQL); migration 0009 creates them (see
	// trigramIndexes).
	TrigramGIN bool

	// IDsIn follows "alias.id IN " with a subquery over the elements of one
	// argument, a JSON array of strings: the ids a Field condition
	// matched.
	IDsIn string

	// Local marks a database in the process (SQLite) whose single write
	// connection is DB: statements are short and run to their end once
	// started, the caller's context being checked when a read or write
	// starts. That spares database/sql and the driver the goroutine each
	// would start per statement to watch a cancellable context, a cost that
	// shows on every request. Writers wait for the write connection with
	// the caller's context, so a deadline still bounds the queue. Writes
	// that arrive together share one transaction and one commit (group
	// commit, see group.go).
	Local bool

	// MigrationLock, if not empty, is executed first in the transaction that
	// applies migrations, to serialize concurrent openers.
	MigrationLock string
}

// Config configures a Store.
type Config struct {
	// Dialect describes the database. Required.
	Dialect Dialect

	// DB is the connection pool writes go through. Required.
	DB *sql.DB

	// ReadDB, if set, serves reads made outside a write transaction. The
	// default is DB.
	ReadDB *sql.DB

	// Closers are called, in order, by Close before it closes the pools:
	// they stop background work. Optional.
	Closers []func() error

	// Sealer seals the secrets of records as they are written and opens
	// them as they are read. Required: seal.New(nil) keeps them unsealed.
	Sealer *seal.Sealer

	// SchemaVersion is the latest migration this program knows, which
	// CheckHealth wants applied.
	SchemaVersion int

	// OrganizationHook, if set, runs inside the write transaction of every
	// organization create, update and delete (see OrganizationHook).
	OrganizationHook OrganizationHook

	// MeterProvider counts the events written (onboardkit.events.produced).
	// Nil: the otel global.
	MeterProvider metric.MeterProvider
}

// OrganizationHook lets a host keep its own per-organization rows in the
// Store's database, written in the same transaction as the organization:
// before is the organization as it was (nil for a create), after as it is
// written (nil for a delete). It runs after the organization's row is
// inserted or updated and before it is deleted, so a host table may hold a
// foreign key to organizations(id), and only when a row changes (deleting
// an absent organization runs nothing). An error it returns undoes the
// whole write, the organization's row and events included, and is what
// the caller gets; on a Local database that is that write alone, not the
// other writes of its group commit. It must use tx and ctx only: a Store
// write made with ctx from it is refused (ErrReentered), one made with
// another context would wait for itself. Where the database aborts a
// transaction for a deadlock, the write and the hook run again.
type OrganizationHook func(ctx context.Context, tx Tx, before, after *store.Organization) error

// Tx is what a host's code is given of the Store's write transaction: it
// runs statements, and the Store commits or rolls back. It is meant for the
// host's own tables; writing onboardkit's tables through it bypasses the
// Store's checks and counts.
type Tx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// hostTx is the Tx given to a host: the statements of the transaction, and
// no way (a type assertion included) to commit or roll it back.
type hostTx struct{ tx *sql.Tx }

func (h hostTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return h.tx.ExecContext(ctx, query, args...)
}

func (h hostTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return h.tx.QueryContext(ctx, query, args...)
}

func (h hostTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return h.tx.QueryRowContext(ctx, query, args...)
}

// ErrReentered is the error of a Store write made from a host's code that
// runs inside one of the Store's writes (an OrganizationHook, a Write
// function) with the context it was given: that write would wait for the
// one it is part of.
var ErrReentered = errors.New("a Store write was called from inside a Store write (an OrganizationHook or Write function must use the transaction it is given)")

// inHostKey marks the context given to a host's code inside a write.
type inHostKey struct{}

// Store implements store.Store on database/sql.
type Store struct {
	d       Dialect
	w       *stmtCache
	r       *stmtCache
	closers []func() error
	closed  sync.Once
	cerr    error
	sealer  *seal.Sealer
	schema  int
	// produced counts the events of committed writes.
	produced *telemetry.Produced

	// touched remembers, per token or API key, the last use time written,
	// so that Touch calls within touchGranularity of it skip the write.
	touched sync.Map // string -> time.Time

	// group queues the writes of a Local database, which share
	// transactions (see group.go).
	group group

	// num coalesces the rounds that number events (Dialect.NumberEvents).
	num numbering

	// pages remembers where pages of SCIM walks ended (see keyedPage).
	pages pageBounds

	orgHook OrganizationHook
}

// touchGranularity is how precisely LastUsedAt of tokens and API keys
// follows their use: a use within this long after the recorded one is not
// written. It keeps a write off the path of every SCIM request.
const touchGranularity = time.Minute

// touch writes a last-use time with q (arguments now, id, now) unless one
// within touchGranularity before now was written by this Store.
func (s *Store) touch(ctx context.Context, key, q, id string, now time.Time) error {
	if v, ok := s.touched.Load(key); ok {
		last := v.(time.Time)
		if !now.Before(last) && now.Sub(last) < touchGranularity {
			return nil
		}
	}
	if _, err := s.writeOne(ctx, q, s.t(now), id, s.t(now)); err != nil {
		return err
	}
	s.touched.Store(key, now)
	return nil
}

// maxCachedStatements bounds the prepared statement cache of each pool.
// Static queries take a few dozen entries; dynamically built filter queries
// share the rest and run unprepared once it is full.
const maxCachedStatements = 512

// New returns a Store over cfg's pools. The schema must already exist (see
// Migrate).
func New(cfg Config) (*Store, error) {
	if cfg.DB == nil {
		return nil, errors.New("sqlstore: DB is required")
	}
	if cfg.Sealer == nil {
		return nil, errors.New("sqlstore: Sealer is required")
	}
	if cfg.Dialect.Classify == nil || cfg.Dialect.Time == nil {
		return nil, errors.New("sqlstore: incomplete dialect: Classify and Time are required")
	}
	numbered, err := cfg.Dialect.eventNumbering()
	if err != nil {
		return nil, err
	}
	if cfg.Dialect.Local && numbered {
		// Group commit answers writes before any numbering round.
		return nil, errors.New("sqlstore: a Local dialect numbers events in the write (InsertEvent)")
	}
	produced, err := telemetry.NewProduced(cfg.MeterProvider)
	if err != nil {
		return nil, err
	}
	s := &Store{d: cfg.Dialect, closers: cfg.Closers, sealer: cfg.Sealer, schema: cfg.SchemaVersion, orgHook: cfg.OrganizationHook,
		produced: produced}
	s.num.waiters = map[int64]*Event{}
	s.num.wake = make(chan struct{})
	s.w = &stmtCache{db: cfg.DB, d: &s.d, m: map[string]*sql.Stmt{}}
	s.r = s.w
	if cfg.ReadDB != nil && cfg.ReadDB != cfg.DB {
		s.r = &stmtCache{db: cfg.ReadDB, d: &s.d, m: map[string]*sql.Stmt{}}
	}
	return s, nil
}

// eventNumbering checks that d numbers events one way, with every
// statement of it: NumberEvents, NumberLock and PendingEvents after the
// commit (numbered), or InsertEvent and ReserveCursors in the write.
func (d *Dialect) eventNumbering() (numbered bool, err error) {
	after, afterMissing := partition("NumberEvents", d.NumberEvents, "NumberLock", d.NumberLock, "PendingEvents", d.PendingEvents)
	inWrite, inWriteMissing := partition("InsertEvent", d.InsertEvent, "ReserveCursors", d.ReserveCursors)
	switch {
	case after != "" && inWrite != "":
		return false, fmt.Errorf("sqlstore: dialect %s numbers events both after the commit (%s) and in the write (%s): set one way", d.Name, after, inWrite)
	case after != "" && afterMissing != "":
		return false, fmt.Errorf("sqlstore: dialect %s numbers events after the commit (%s) without %s", d.Name, after, afterMissing)
	case after != "":
		return true, nil
	case inWriteMissing != "":
		return false, fmt.Errorf("sqlstore: dialect %s numbers events in the write without %s (or set NumberEvents, NumberLock and PendingEvents)", d.Name, inWriteMissing)
	}
	return false, nil
}

// partition lists the names of the (name, statement) pairs whose statement
// is set, and those whose is not.
func partition(pairs ...string) (set, unset string) {
	var s, u []string
	for i := 0; i < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			s = append(s, pairs[i])
		} else {
			u = append(u, pairs[i])
		}
	}
	return strings.Join(s, ", "), strings.Join(u, ", ")
}

// Close closes the statements and pools.
func (s *Store) Close() error {
	s.closed.Do(func() {
		var errs []error
		for _, c := range s.closers {
			errs = append(errs, c())
		}
		if s.r != s.w {
			errs = append(errs, s.r.close())
		}
		errs = append(errs, s.w.close())
		s.cerr = errors.Join(errs...)
	})
	return s.cerr
}

// stmtCache prepares each query once per pool. database/sql then keeps the
// statement prepared on every connection it has been used on.
type stmtCache struct {
	db *sql.DB
	d  *Dialect
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

// cached returns the prepared statement of query if there is one.
func (c *stmtCache) cached(query string) (*sql.Stmt, bool) {
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	return st, ok
}

// stmt returns the prepared statement of query, preparing it if needed; nil
// when the cache is full. It must not be called while holding a
// transaction of the same pool.
func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, ok := c.m[query]
	n := len(c.m)
	c.mu.RUnlock()
	if ok {
		return st, nil
	}
	if n >= maxCachedStatements {
		return nil, nil
	}
	st, err := c.db.PrepareContext(ctx, rebind(c.d, query))
	if err != nil {
		return nil, err
	}
	// A statement is never closed under c.mu: closing waits for every
	// connection it was prepared on, and one of them may be running a
	// query that waits (for a row lock) on a transaction whose goroutine
	// waits for c.mu in cached: a deadlock.
	c.mu.Lock()
	old, dup := c.m[query]
	full := !dup && len(c.m) >= maxCachedStatements
	if !dup && !full {
		c.m[query] = st
	}
	c.mu.Unlock()
	switch {
	case dup:
		st.Close()
		return old, nil
	case full:
		st.Close()
		return nil, nil
	}
	return st, nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for k, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, k)
	}
	errs = append(errs, c.db.Close())
	return errors.Join(errs...)
}

// detach returns ctx, or for a Local database ctx without its
// cancellation (see Dialect.Local), once ctx is checked.
func (d *Dialect) detach(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if d.Local {
		return context.WithoutCancel(ctx), nil
	}
	return ctx, nil
}

func (c *stmtCache) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx, err := c.d.detach(ctx)
	if err != nil {
		return nil, err
	}
	st, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return c.db.QueryContext(ctx, rebind(c.d, q), args...)
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) queryRow(ctx context.Context, q string, args ...any) *row {
	rows, err := c.query(ctx, q, args...)
	return &row{rows: rows, err: err}
}

// rebind turns '?' placeholders into $n for dialects that number them.
// Queries never contain '?' inside literals.
func rebind(d *Dialect, q string) string {
	if !d.NumberedParams || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// row is a single-row result that, unlike *sql.Row, comes from a cached
// statement.
type row struct {
	rows *sql.Rows
	err  error
	tx   *tx // records errors for the retry decision, when in a transaction
}

func (r *row) Scan(dest ...any) error {
	err := r.scan(dest...)
	if err != nil && r.tx != nil && !errors.Is(err, sql.ErrNoRows) {
		r.tx.lastErr = err
	}
	return err
}

func (r *row) scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	return r.rows.Close()
}

// tx is a write transaction.
type tx struct {
	s   *Store
	ctx context.Context
	tx  *sql.Tx
	// lastErr is the last error a statement returned, unwrapped.
	lastErr error
	// pending are the events inserted without a cursor, for numberEvents
	// to number after the commit (Dialect.NumberEvents).
	pending []pendingEvent
	// numberNow makes the write number its events right after its
	// commit, for a caller that wants their cursors (AppendEvents).
	numberNow bool
	// missed are the queries run unprepared because the cache lacked them
	// (see prepareMissed).
	missed []string
	// bytes counts the string and byte arguments of the statements run,
	// which bound a batch of group commit (maxBatchBytes).
	bytes int
	// appended are the events written, to count once committed; kept
	// only when the count is enabled.
	appended [][]Event
}

// count adds the string and byte arguments of a statement to t.bytes.
func (t *tx) count(args []any) {
	for _, a := range args {
		switch v := a.(type) {
		case string:
			t.bytes += len(v)
		case []byte:
			t.bytes += len(v)
		}
	}
}

func (t *tx) stmt(q string) *sql.Stmt {
	st, ok := t.s.w.cached(q)
	if !ok {
		if len(t.missed) < 16 && !slices.Contains(t.missed, q) {
			t.missed = append(t.missed, q)
		}
		return nil
	}
	return t.tx.StmtContext(t.ctx, st)
}

func (t *tx) exec(q string, args ...any) (res sql.Result, err error) {
	t.count(args)
	if st := t.stmt(q); st != nil {
		res, err = st.ExecContext(t.ctx, args...)
	} else {
		res, err = t.tx.ExecContext(t.ctx, rebind(&t.s.d, q), args...)
	}
	if err != nil {
		t.lastErr = err
	}
	return res, err
}

// execN executes q and returns the number of rows it changed.
func (t *tx) execN(q string, args ...any) (int64, error) {
	res, err := t.exec(q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t *tx) query(q string, args ...any) (rows *sql.Rows, err error) {
	t.count(args)
	if st := t.stmt(q); st != nil {
		rows, err = st.QueryContext(t.ctx, args...)
	} else {
		rows, err = t.tx.QueryContext(t.ctx, rebind(&t.s.d, q), args...)
	}
	if err != nil {
		t.lastErr = err
	}
	return rows, err
}

func (t *tx) queryRow(q string, args ...any) *row {
	rows, err := t.query(q, args...)
	return &row{rows: rows, err: err, tx: t}
}

// write runs fn in a write transaction and commits it when fn returns nil.
// On a Local database the transaction may be shared with other writes
// (group commit, see group.go), fn's changes being undone alone when it
// fails; either way write returns once they are committed.
//
// The events of the write are counted once it is committed: those of the
// last run of fn, the runs before having been undone.
func (s *Store) write(ctx context.Context, fn func(t *tx) error) error {
	if ctx.Value(inHostKey{}) == s {
		return ErrReentered
	}
	if s.produced.Enabled(ctx) {
		var last *tx
		err := s.writeRuns(ctx, func(t *tx) error { last = t; return fn(t) })
		if err == nil && last != nil {
			for _, evs := range last.appended {
				s.produced.Add(ctx, len(evs), func(i int) string { return evs[i].Type })
			}
		}
		return err
	}
	return s.writeRuns(ctx, fn)
}

// writeRuns runs fn in a write transaction, again when the database chose
// it as a deadlock's victim (see write).
func (s *Store) writeRuns(ctx context.Context, fn func(t *tx) error) error {
	if s.d.Local {
		return s.groupWrite(ctx, fn)
	}
	for attempt := 1; ; attempt++ {
		err, raw := s.writeOnce(ctx, fn)
		if raw == nil || attempt == maxAttempts {
			return err
		}
		if kind, _ := s.d.Classify(raw); kind != TransientConflict {
			return err
		}
		// The database chose this transaction as the victim of a
		// deadlock (two writers locking the same rows in different
		// orders): nothing was written, so run it again.
	}
}

// Write runs fn as one write of the Store, in the transaction the Store's
// own writes use: everything fn does commits, or nothing does. On a Local
// database it is one write of a group commit (fn's changes are undone
// alone when it fails), and it is the way to write to the database
// without waiting for the Store's write connection outside it. fn must
// use tx and ctx only (a call back into the Store waits for itself), and
// runs again if the database aborts the transaction for a deadlock.
func (s *Store) Write(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	if fn == nil {
		return invalid("write function is required")
	}
	return s.write(ctx, func(t *tx) error { return t.host(fn) })
}

// host runs fn, the host's code, in t with a context marked as inside a
// write, and returns its error, remembering it as t's last error: a
// deadlock there is retried as one of the Store's own statements is.
func (t *tx) host(fn func(ctx context.Context, tx Tx) error) error {
	err := fn(context.WithValue(t.ctx, inHostKey{}, t.s), hostTx{t.tx})
	if err != nil {
		t.lastErr = err
	}
	return err
}

// ReadDB returns the pool reads outside a write transaction go to.
func (s *Store) ReadDB() *sql.DB { return s.r.db }

// writeOnce runs fn in one transaction. raw is the driver error that
// aborted it, if any, for write to classify; err is what the caller gets.
func (s *Store) writeOnce(ctx context.Context, fn func(t *tx) error) (err, raw error) {
	if err := ctx.Err(); err != nil {
		return err, nil
	}
	// The transaction is not bound to ctx, its statements are: a context
	// that ends while a statement runs stops it and the write fails; one
	// that ends after fn returned either stops the write before COMMIT or
	// lets the COMMIT finish. A COMMIT cut off on the wire would leave the
	// caller told "failed" of a write the database may have kept.
	sqlTx, err := s.w.db.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return s.wrap(err), err
	}
	t := &tx{s: s, ctx: ctx, tx: sqlTx}
	err = fn(t)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		_ = sqlTx.Rollback()
		raw = t.lastErr
	} else if cerr := sqlTx.Commit(); cerr != nil {
		err, raw = s.wrap(cerr), cerr
	} else if len(t.pending) > 0 && t.numberNow {
		// The write is committed whatever happens now: its events are
		// numbered by this call or, if it fails, by the next round (see
		// numberEvents).
		_ = s.numberEvents(ctx, t.pending)
	}
	s.prepareMissed(t.missed)
	return err, raw
}

// prepareMissed prepares the queries a write ran unprepared because the
// cache lacked them, once its transaction ended: preparing on the write
// pool inside it could wait forever for the connection the transaction
// holds (SQLite has a single write connection).
func (s *Store) prepareMissed(missed []string) {
	for _, q := range missed {
		// A failure only means the query stays unprepared for now.
		_, _ = s.w.stmt(context.Background(), q)
	}
}

// writeOne runs a single-statement write outside an explicit transaction:
// the statement is atomic on its own, and skipping BEGIN and COMMIT saves
// two round trips on a networked database. On a Local database it is one
// write of a group commit.
func (s *Store) writeOne(ctx context.Context, q string, args ...any) (int64, error) {
	if s.d.Local {
		var n int64
		err := s.groupWrite(ctx, func(t *tx) error {
			var err error
			n, err = t.execN(q, args...)
			return s.wrap(err)
		})
		return n, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	st, err := s.w.stmt(ctx, q)
	if err != nil {
		return 0, s.wrap(err)
	}
	var res sql.Result
	if st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = s.w.db.ExecContext(ctx, rebind(&s.d, q), args...)
	}
	if err != nil {
		return 0, s.wrap(err)
	}
	n, err := res.RowsAffected()
	return n, s.wrap(err)
}

// writeOneRow runs a single-statement write that returns at most one row
// (UPDATE, DELETE or INSERT ... RETURNING) outside an explicit
// transaction, and returns what scan, given the row, returns. As for any
// statement on its own, what it changed is kept whatever scan makes of the
// row (a consumed secret found expired stays consumed), unless the
// statement itself failed. On a Local database it is one write of a group
// commit, and scan runs inside it.
func (s *Store) writeOneRow(ctx context.Context, scan func(*row) error, q string, args ...any) error {
	if !s.d.Local {
		rows, err := s.w.query(ctx, q, args...)
		return scan(&row{rows: rows, err: err})
	}
	var serr error
	err := s.groupWrite(ctx, func(t *tx) error {
		t.lastErr = nil
		serr = scan(t.queryRow(q, args...))
		if t.lastErr != nil {
			// The statement failed (or its row could not be read):
			// nothing is kept.
			return serr
		}
		return nil
	})
	if err != nil {
		return err
	}
	return serr
}

// read returns the pool reads outside a transaction go to, after checking
// ctx.
func (s *Store) read(ctx context.Context) (*stmtCache, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.r, nil
}

// wrap maps constraint violations to the store's sentinel errors.
// Violations whose meaning depends on the method are mapped by the caller
// before calling wrap.
func (s *Store) wrap(err error) error {
	if err == nil {
		return nil
	}
	switch kind, c := s.d.Classify(err); kind {
	case UniqueViolation:
		return fmt.Errorf("%w (%s)", store.ErrAlreadyExists, c)
	case ForeignKeyViolation:
		return fmt.Errorf("%w: referenced entity (%s)", store.ErrNotFound, c)
	case InvalidValue:
		return fmt.Errorf("%w: a value cannot be stored (%s)", store.ErrInvalid, c)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%s store: %w", s.d.Name, err)
}

// notFound wraps ErrNotFound with what was looked for.
func notFound(what string) error { return fmt.Errorf("%w: %s", store.ErrNotFound, what) }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{store.ErrInvalid}, args...)...)
}

// t converts a time for a NOT NULL column; the zero time is stored as
// itself so that it sorts first.
func (s *Store) t(v time.Time) any {
	return s.d.Time(v.UTC().Truncate(time.Microsecond))
}

// nt converts a time for a nullable column: the zero time is NULL.
func (s *Store) nt(v time.Time) any {
	if v.IsZero() {
		return nil
	}
	return s.d.Time(v.UTC().Truncate(time.Microsecond))
}

// timeCol scans a time column of either dialect: SQLite stores Unix
// microseconds as INTEGER, PostgreSQL a timestamptz.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = fromMicros(v)
	case time.Time:
		if v.Equal(zeroTime) {
			*c.t = time.Time{}
		} else {
			*c.t = v.UTC()
		}
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a time", src)
	}
	return nil
}

var zeroTime = time.Time{}

// zeroMicros is the zero time.Time in Unix microseconds.
var zeroMicros = time.Time{}.UnixMicro()

// Micros is the SQLite representation of a time: Unix microseconds.
func Micros(t time.Time) any { return t.UnixMicro() }

func fromMicros(v int64) time.Time {
	if v == zeroMicros {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func tc(t *time.Time) timeCol { return timeCol{t} }

// bytesCol scans a nullable blob, keeping NULL as nil and copying the bytes.
type bytesCol struct{ b *[]byte }

func (c bytesCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.b = nil
	case []byte:
		*c.b = append([]byte{}, v...)
	case string:
		*c.b = []byte(v)
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into bytes", src)
	}
	return nil
}

func bc(b *[]byte) bytesCol { return bytesCol{b} }

// nb stores an empty or nil byte slice as NULL.
func nb(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// collectRows scans every row with scan and closes rows.
func collectRows[T any](rows *sql.Rows, err error, scan func(*sql.Rows) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// exists returns nil when q (a SELECT 1 ... by arg) finds a row, else
// ErrNotFound naming what.
func (t *tx) exists(q string, arg any, what string) error {
	var one int
	err := t.queryRow(q, arg).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what)
	}
	return t.s.wrap(err)
}
