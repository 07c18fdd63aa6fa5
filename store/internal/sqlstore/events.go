package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/onboardkit/onboardkit/store"
)

// appendEvents inserts events inside t and gives them cursors, in one of
// two ways (Dialect.NumberEvents chooses).
//
// Cursors must look gap-free and strictly increasing to readers, even with
// concurrent writers. A database sequence is not enough for that: two
// transactions may draw 7 and 8, the one holding 8 commits first, a reader
// sees 8 and moves its position past 7, and 7 appears afterwards, unseen
// forever. So a cursor is given to an event only once it is committed, in
// the order of commits:
//
//   - SQLite: the write transaction already excludes every other writer,
//     so MAX(cursor) + 1, read inside it, is the next cursor: one event
//     with one statement (Dialect.InsertEvent); several by reserving their
//     cursors at once (Dialect.ReserveCursors) and inserting up to
//     eventBatch rows a statement, so that a group change of many members
//     costs a few statements, not one per member.
//   - PostgreSQL: writers commit in parallel. A write inserts its events
//     with a NULL cursor, in batches the same way, and the database gives
//     each a seq from a sequence (no lock that another writer waits on).
//     Readers number them: ListEvents, LastEventCursor and DeleteEvents
//     first give every committed event without a cursor the next cursors
//     (numberEvents), so a write costs one commit, as before, and one
//     numbering round serves every write since the last read.
//     AppendEvents, whose caller wants the cursors, numbers right after
//     its commit.
func (t *tx) appendEvents(events []Event) ([]Event, error) {
	if len(events) == 0 {
		return nil, nil
	}
	out := make([]Event, len(events))
	for i, e := range events {
		e.CreatedAt = norm(e.CreatedAt)
		e.Data = cloneBytes(e.Data)
		out[i] = e
	}
	if t.s.produced.Enabled(t.ctx) {
		t.appended = append(t.appended, out)
	}
	if t.s.d.NumberEvents != "" {
		return out, t.insertPending(out)
	}
	if len(out) == 1 {
		e := &out[0]
		if err := t.queryRow(t.s.d.InsertEvent, e.ID, e.Type, e.OrgID, e.Subject, e.Actor, nb(e.Data), t.s.t(e.CreatedAt)).Scan(&e.Cursor); err != nil {
			return nil, t.s.wrap(err)
		}
		return out, nil
	}
	var last int64
	if err := t.queryRow(t.s.d.ReserveCursors, len(out)).Scan(&last); err != nil {
		return nil, t.s.wrap(err)
	}
	next := last - int64(len(out))
	for rest := out; len(rest) > 0; {
		n := batchSize(len(rest), eventBatch)
		args := make([]any, 0, 8*n)
		for i := range rest[:n] {
			e := &rest[i]
			next++
			e.Cursor = next
			args = append(args, e.Cursor, e.ID, e.Type, e.OrgID, e.Subject, e.Actor, nb(e.Data), t.s.t(e.CreatedAt))
		}
		if _, err := t.exec(insertEventsSQL(n, true), args...); err != nil {
			return nil, t.s.wrap(err)
		}
		rest = rest[n:]
	}
	return out, nil
}

// pendingEvent is an event inserted without a cursor: its seq, and where
// numberEvents writes its cursor.
type pendingEvent struct {
	seq int64
	e   *Event
}

// insertPending inserts out with NULL cursors and records them in
// t.pending. The seqs of one INSERT are drawn in the order of its rows,
// so sorted they are the seqs of the rows in order.
func (t *tx) insertPending(out []Event) error {
	for rest := out; len(rest) > 0; {
		n := batchSize(len(rest), eventBatch)
		args := make([]any, 0, 7*n)
		for i := range rest[:n] {
			e := &rest[i]
			args = append(args, e.ID, e.Type, e.OrgID, e.Subject, e.Actor, nb(e.Data), t.s.t(e.CreatedAt))
		}
		rows, err := t.query(insertEventsSQL(n, false)+` RETURNING seq`, args...)
		seqs, err := collectRows(rows, err, scanInt64)
		if err != nil {
			return t.s.wrap(err)
		}
		if len(seqs) != n {
			return fmt.Errorf("%s store: %d events inserted, %d seqs returned", t.s.d.Name, n, len(seqs))
		}
		slices.Sort(seqs)
		for i, seq := range seqs {
			t.pending = append(t.pending, pendingEvent{seq: seq, e: &rest[i]})
		}
		rest = rest[n:]
	}
	return nil
}

func scanInt64(r *sql.Rows) (int64, error) {
	var v int64
	err := r.Scan(&v)
	return v, err
}

// numberBatch is the most events one NumberEvents statement numbers.
const numberBatch = 1000

// numberEvents gives the committed events without a cursor the next
// cursors (PostgreSQL, Dialect.NumberEvents), and writes those of pending
// into their events.
//
// Each round is a short transaction: NumberLock (an advisory lock, so
// rounds run one at a time), then one statement that reads MAX(cursor) and
// numbers the rows whose cursor is NULL in seq order. The statement's
// snapshot is taken after the lock is granted, so it sees every number the
// previous rounds gave and every event committed before it; the numbers it
// gives are above all of them. A reader sees an event only once it has a
// cursor, and later rounds only give higher cursors: no reader ever sees a
// gap that later fills, and cursors never repeat (retention keeps the
// newest event, so MAX(cursor) never goes back).
//
// Order: writes that depend on each other (one waited for the other's row
// lock, or began after it returned) insert their events after the other
// committed, so with higher seqs, and are numbered in the same round or a
// later one: they keep their order. Writes of unrelated rows are numbered
// in the order their rounds run.
//
// Only these rounds wait for each other, for the time of one UPDATE and a
// commit; the writes themselves commit in parallel and do not wait for a
// round (but AppendEvents). A round numbers every pending event: one run
// by a reader serves every write since the last one. If a round fails
// (the connection broke), the events stay without a cursor, invisible,
// until the next round.
//
// Rounds of one Store are coalesced (see numbering): a caller that comes
// while a round runs waits for the next one, which one of the callers
// waiting starts for all of them.
func (s *Store) numberEvents(ctx context.Context, pending []pendingEvent) error {
	ctx = context.WithoutCancel(ctx)
	n := &s.num
	n.mu.Lock()
	for _, p := range pending {
		n.waiters[p.seq] = p.e
	}
	// A round that has started may have taken its snapshot before this
	// commit: the next one to start is the first sure to see it.
	target := n.started + 1
	for n.ended < target {
		if n.running {
			wake := n.wake
			n.mu.Unlock()
			<-wake
			n.mu.Lock()
			continue
		}
		n.running = true
		n.started++
		round := n.started
		n.mu.Unlock()
		pairs, err := s.numberRound(ctx)
		n.mu.Lock()
		for _, p := range pairs {
			if e := n.waiters[p[0]]; e != nil {
				e.Cursor = p[1]
				delete(n.waiters, p[0])
			}
		}
		n.running, n.ended, n.err = false, round, err
		close(n.wake)
		n.wake = make(chan struct{})
	}
	err := n.err
	var missing []int64
	for _, p := range pending {
		if _, ok := n.waiters[p.seq]; ok {
			delete(n.waiters, p.seq)
			missing = append(missing, p.seq)
		}
	}
	n.mu.Unlock()
	if err != nil || len(missing) == 0 {
		return err
	}
	// Another process's round numbered these: read their cursors.
	rows, err := s.w.db.QueryContext(ctx, `SELECT seq, cursor FROM events WHERE seq = ANY($1) AND cursor IS NOT NULL`, missing)
	pairs, err := collectRows(rows, err, scanPair)
	if err != nil {
		return s.wrap(err)
	}
	byseq := make(map[int64]*Event, len(pending))
	for _, p := range pending {
		byseq[p.seq] = p.e
	}
	for _, p := range pairs {
		byseq[p[0]].Cursor = p[1]
	}
	return nil
}

// numbering coalesces the numbering rounds of one Store: one runs at a
// time, and writers that commit meanwhile wait for the next, which numbers
// the events of all of them. Without it every writer would run a round of
// its own, each a transaction queued on the advisory lock.
type numbering struct {
	mu      sync.Mutex
	running bool
	started uint64           // rounds started
	ended   uint64           // the last round ended (they end in order)
	err     error            // its error
	waiters map[int64]*Event // events of waiting writers, by seq
	wake    chan struct{}    // closed when a round ends
}

// numberRound runs numbering transactions until one numbers fewer than
// numberBatch events, and returns the (seq, cursor) pairs they gave.
func (s *Store) numberRound(ctx context.Context) ([][2]int64, error) {
	var out [][2]int64
	for {
		var pairs [][2]int64
		err := func() error {
			sqlTx, err := s.w.db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer sqlTx.Rollback()
			if _, err := sqlTx.ExecContext(ctx, s.d.NumberLock); err != nil {
				return err
			}
			rows, err := sqlTx.QueryContext(ctx, s.d.NumberEvents)
			if pairs, err = collectRows(rows, err, scanPair); err != nil {
				return err
			}
			return sqlTx.Commit()
		}()
		if err != nil {
			return out, s.wrap(err)
		}
		out = append(out, pairs...)
		if len(pairs) < numberBatch {
			return out, nil
		}
	}
}

func scanPair(r *sql.Rows) ([2]int64, error) {
	var p [2]int64
	err := r.Scan(&p[0], &p[1])
	return p, err
}

// eventBatch is the most events one INSERT of appendEvents carries.
const eventBatch = 32

// batchSize is how many of n rows the next statement of a batch takes: the
// largest power of two up to n and limit, so that batches of any size use
// a few statement shapes (each is prepared once and cached).
func batchSize(n, limit int) int {
	b := 1
	for b*2 <= min(n, limit) {
		b *= 2
	}
	return b
}

// insertEventsSQL inserts n events, with their cursors or without.
func insertEventsSQL(n int, cursors bool) string {
	var b strings.Builder
	row := `(?, ?, ?, ?, ?, ?, ?)`
	if cursors {
		b.WriteString(`INSERT INTO events (cursor, id, type, org_id, subject, actor, data, created_at) VALUES `)
		row = `(?, ?, ?, ?, ?, ?, ?, ?)`
	} else {
		b.WriteString(`INSERT INTO events (id, type, org_id, subject, actor, data, created_at) VALUES `)
	}
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// Event is store.Event; the alias keeps signatures short.
type Event = store.Event

func cloneBytes[T ~[]byte](b T) T {
	if b == nil {
		return nil
	}
	return append(T{}, b...)
}

// AppendEvents appends events, assigning cursors.
func (s *Store) AppendEvents(ctx context.Context, events ...Event) ([]Event, error) {
	if err := store.ValidateEvents(events); err != nil {
		return nil, err
	}
	var out []Event
	err := s.write(ctx, func(t *tx) error {
		var err error
		t.numberNow = true
		out, err = t.appendEvents(events)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, e := range out {
		if e.Cursor == 0 {
			// Committed, and numbered by the next round (see
			// numberEvents); the caller cannot learn the cursors now.
			return nil, fmt.Errorf("%s store: events appended but not yet numbered", s.d.Name)
		}
	}
	if out == nil {
		out = []Event{}
	}
	return out, nil
}

const eventCols = `cursor, id, type, org_id, subject, actor, data, created_at`

func scanEvent(r *sql.Rows) (Event, error) {
	var e Event
	err := r.Scan(&e.Cursor, &e.ID, &e.Type, &e.OrgID, &e.Subject, &e.Actor, bc((*[]byte)(&e.Data)), tc(&e.CreatedAt))
	return e, err
}

// ListEvents returns events after q.After in cursor order.
func (s *Store) ListEvents(ctx context.Context, q store.EventQuery) ([]Event, error) {
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	if q.After < 0 || q.Before < 0 {
		return nil, invalid("event query: negative cursor")
	}
	if err := s.numberLeftovers(ctx, r); err != nil {
		return nil, err
	}
	query, args := eventListSQL(q)
	rows, err := r.query(ctx, query, args...)
	out, err := collectRows(rows, err, scanEvent)
	if err != nil {
		return nil, s.wrap(err)
	}
	if out == nil {
		out = []Event{}
	}
	return out, nil
}

// eventListSQL is the query of ListEvents: a range of the cursor (the
// primary key in SQLite, a unique index in PostgreSQL), walked forwards
// or, with q.Descending, backwards.
func eventListSQL(q store.EventQuery) (string, []any) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	var b strings.Builder
	args := []any{q.After}
	b.WriteString(`SELECT ` + eventCols + ` FROM events WHERE cursor > ?`)
	if q.Before > 0 {
		b.WriteString(` AND cursor < ?`)
		args = append(args, q.Before)
	}
	if q.OrgID != "" {
		b.WriteString(` AND org_id = ?`)
		args = append(args, q.OrgID)
	}
	if len(q.Types) > 0 {
		b.WriteString(` AND (`)
		for i, typ := range q.Types {
			if i > 0 {
				b.WriteString(` OR `)
			}
			b.WriteString(`type = ? OR type LIKE ? ESCAPE '\'`)
			args = append(args, typ, escapeLike(typ)+".%")
		}
		b.WriteString(`)`)
	}
	if q.Descending {
		b.WriteString(` ORDER BY cursor DESC LIMIT ?`)
	} else {
		b.WriteString(` ORDER BY cursor LIMIT ?`)
	}
	return b.String(), append(args, limit)
}

// numberLeftovers numbers the committed events still without a cursor,
// if there are any (Dialect.NumberEvents), before a read of the outbox
// (see appendEvents). Without any, it is one probe of an index that holds
// only such events.
func (s *Store) numberLeftovers(ctx context.Context, r *stmtCache) error {
	if s.d.NumberEvents == "" {
		return nil
	}
	var one int
	err := r.queryRow(ctx, s.d.PendingEvents).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return s.wrap(err)
	}
	return s.numberEvents(ctx, nil)
}

// LastEventCursor returns the highest cursor, 0 for an empty outbox.
func (s *Store) LastEventCursor(ctx context.Context) (int64, error) {
	r, err := s.read(ctx)
	if err != nil {
		return 0, err
	}
	if err := s.numberLeftovers(ctx, r); err != nil {
		return 0, err
	}
	var c sql.NullInt64
	if err := r.queryRow(ctx, `SELECT MAX(cursor) FROM events`).Scan(&c); err != nil {
		return 0, s.wrap(err)
	}
	return c.Int64, nil
}

// GetConsumerCursor returns the consumer's cursor, 0 when it has none.
func (s *Store) GetConsumerCursor(ctx context.Context, consumer string) (int64, error) {
	if consumer == "" {
		return 0, invalid("consumer is required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return 0, err
	}
	var c int64
	err = r.queryRow(ctx, `SELECT cursor FROM consumer_cursors WHERE consumer = ?`, consumer).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, s.wrap(err)
	}
	return c, nil
}

// SetConsumerCursor moves the consumer's cursor forward to cursor.
func (s *Store) SetConsumerCursor(ctx context.Context, consumer string, cursor int64) error {
	if consumer == "" {
		return invalid("consumer is required")
	}
	if cursor < 0 {
		return invalid("negative cursor")
	}
	_, err := s.writeOne(ctx, `INSERT INTO consumer_cursors (consumer, cursor) VALUES (?, ?)
ON CONFLICT (consumer) DO UPDATE SET cursor = excluded.cursor WHERE consumer_cursors.cursor < excluded.cursor`, consumer, cursor)
	return err
}

// DeleteConsumerCursor forgets consumer's cursor.
func (s *Store) DeleteConsumerCursor(ctx context.Context, consumer string) error {
	if consumer == "" {
		return invalid("consumer is required")
	}
	_, err := s.writeOne(ctx, `DELETE FROM consumer_cursors WHERE consumer = ?`, consumer)
	return err
}

// escapeLike escapes the LIKE wildcards of s with '\'.
func escapeLike(s string) string {
	if !strings.ContainsAny(s, `\%_`) {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
