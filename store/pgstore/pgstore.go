package pgstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"go.opentelemetry.io/otel/metric"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/internal/sqlstore"
	"github.com/onboardkit/onboardkit/store/seal"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is a store.Store on PostgreSQL.
type Store struct {
	*sqlstore.Store
}

var _ store.Store = (*Store)(nil)

var dialect = sqlstore.Dialect{
	Name:           "postgres",
	NumberedParams: true,
	IDsIn:          "(SELECT jsonb_array_elements_text(CAST(? AS jsonb)))",
	ForUpdate:      " FOR UPDATE",
	ForShare:       " FOR SHARE",
	TrigramGIN:     true,
	Classify:       classify,
	Time:           func(t time.Time) any { return t },
	// Events are inserted without a cursor and numbered after commit, in
	// rounds serialized by an advisory lock; see numberEvents in
	// store/internal/sqlstore. The statement's CTEs share one snapshot,
	// taken after the lock was granted.
	NumberLock: `SELECT pg_advisory_xact_lock(hashtextextended('onboardkit.events.' || current_schema(), 0))`,
	NumberEvents: `WITH p AS (
	SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM events WHERE cursor IS NULL ORDER BY seq LIMIT 1000
), base AS (SELECT COALESCE(MAX(cursor), 0) AS c FROM events)
UPDATE events e SET cursor = base.c + p.n FROM p, base
WHERE e.seq = p.seq AND e.cursor IS NULL
RETURNING e.seq, e.cursor`,
	PendingEvents: `SELECT 1 FROM events WHERE cursor IS NULL LIMIT 1`,
	// A transaction-level advisory lock, keyed by the schema the migrations
	// go to, serializes app instances that start at once on one fresh
	// database; it is released when the migration transaction ends.
	MigrationLock: `SELECT pg_advisory_xact_lock(hashtextextended('onboardkit.migrate.' || current_schema(), 0))`,
}

// Options configure a Store opened with Open. A Keyring is required
// unless InsecureUnsealed is set.
type Options struct {
	// Keyring seals the secrets the Store keeps (connection keys and
	// secrets, session ID tokens, service-account keys) under the host's
	// key; see store/seal. Every instance sharing the database needs the
	// keys that opens what the others seal. Required unless
	// InsecureUnsealed is set.
	Keyring seal.Keyring

	// InsecureUnsealed lets a Store without a Keyring start, keeping
	// secrets as they are: a dump or backup of the database then reveals
	// them. Values sealed before do not open.
	InsecureUnsealed bool

	// OrganizationHook, if set, runs inside the write transaction of every
	// organization create, update and delete: see OrganizationHook.
	OrganizationHook OrganizationHook

	// MeterProvider counts the events the Store writes
	// (onboardkit.events.produced, by onboardkit.event.type), once
	// committed. Nil: the otel global, a no-op unless the host set one.
	MeterProvider metric.MeterProvider
}

// OrganizationHook keeps a host's own per-organization rows in the Store's
// database, written in the same transaction as onboardkit's organization
// row: a table of the host's keyed by the organization id (it may
// reference organizations(id)).
//
// before is the organization as it was (nil for a create), after as it is
// written (nil for a delete). The hook runs after the organization's row is
// inserted or updated and before it is deleted, and only when a row
// changes. Its error undoes the whole write, the organization's row and
// events included, and is the error the caller gets. It must use tx and
// ctx only (a Store write made with ctx fails with ErrReentered); if
// PostgreSQL aborts the transaction for a deadlock, the write runs again,
// hook included.
type OrganizationHook func(ctx context.Context, tx Tx, before, after *store.Organization) error

// Tx is what an OrganizationHook or a Write function is given of the
// Store's write transaction: it runs statements, and the Store commits or
// rolls back. It is meant for the host's own tables; writing onboardkit's
// tables through it bypasses the Store's checks and counts.
type Tx = sqlstore.Tx

// ErrReentered is the error of a Store write made, with the context it
// was given, from inside an OrganizationHook or a Write function.
var ErrReentered = sqlstore.ErrReentered

// Open connects to the PostgreSQL database dsn names (a URL such as
// postgres://user:pass@host:5432/db?sslmode=verify-full, or key=value
// pairs, as pgx accepts), applies the migrations it lacks under an advisory
// lock and returns the Store. Tables go to the first schema of the
// connection's search_path, which the dsn may set
// (&search_path=onboardkit). Without opts.Keyring it refuses to start,
// unless opts.InsecureUnsealed is set.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	sealer, err := sqlstore.NewSealer("pgstore", opts.Keyring, opts.InsecureUnsealed)
	if err != nil {
		return nil, err
	}
	if dsn == "" {
		return nil, errors.New("pgstore: a DSN is required")
	}
	ms, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	db, err := openDB(dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("pgstore: connecting: %w", err)
	}
	if _, err := sqlstore.Migrate(ctx, db, dialect, ms); err != nil {
		db.Close()
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s, err := sqlstore.New(sqlstore.Config{Dialect: dialect, DB: db, Sealer: sealer, SchemaVersion: sqlstore.Latest(ms),
		OrganizationHook: sqlstore.OrganizationHook(opts.OrganizationHook),
		MeterProvider:    opts.MeterProvider})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{Store: s}, nil
}

// openDB opens the pool of dsn.
func openDB(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	// Plan every execution of a prepared statement with its arguments. A
	// generic plan is made once per connection, from the table as it is
	// then: on a fresh install the directory tables are empty, and the plan
	// chosen for a userName lookup scans the directory's users through
	// another index, every lookup, until autovacuum's ANALYZE (a minute or
	// more later) invalidates it: the first big provisioning slowed to
	// O(n^2). It is set once per connection rather than as a startup
	// parameter, which poolers such as PgBouncer refuse; a DSN that sets
	// plan_cache_mode keeps its own.
	var opts []stdlib.OptionOpenDB
	if _, ok := cfg.RuntimeParams["plan_cache_mode"]; !ok {
		opts = append(opts, stdlib.OptionAfterConnect(func(ctx context.Context, c *pgx.Conn) error {
			_, err := c.Exec(ctx, "SET plan_cache_mode = force_custom_plan")
			return err
		}))
	}
	db := stdlib.OpenDB(*cfg, opts...)
	return db, nil
}

// classify reports PostgreSQL constraint violations by SQLSTATE, with the
// constraint or index name.
func classify(err error) (sqlstore.ErrorKind, string) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return sqlstore.OtherError, ""
	}
	switch pe.Code {
	case "23505": // unique_violation
		return sqlstore.UniqueViolation, pe.ConstraintName
	case "23503": // foreign_key_violation
		return sqlstore.ForeignKeyViolation, pe.ConstraintName
	case "22021", "22P05": // character_not_in_repertoire (a NUL or invalid UTF-8 in text), untranslatable_character
		return sqlstore.InvalidValue, pe.Code
	case "40P01", "40001": // deadlock_detected, serialization_failure
		return sqlstore.TransientConflict, pe.Code
	}
	return sqlstore.OtherError, ""
}

// The database/sql driver "pgx" is registered by stdlib's init.
var _ = stdlib.GetDefaultDriver
