package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/onboardkit/onboardkit/store"
)

// appendEvents assigns cursors to events and inserts them, inside t: one
// event with one statement (Dialect.InsertEvent); several by reserving
// their cursors at once (Dialect.ReserveCursors) and inserting up to
// eventBatch rows a statement, so that a group change of many members
// costs a few statements, not one per member.
//
// Cursors must look gap-free and strictly increasing to readers, even with
// concurrent writers. A database sequence is not enough for that: two
// transactions may draw 7 and 8, the one holding 8 commits first, a reader
// sees 8 and moves its position past 7, and 7 appears afterwards, unseen
// forever. So cursor assignment is serialized with commits:
//
//   - PostgreSQL: the cursor comes from the single row of event_counter,
//     incremented by the insert's UPDATE ... RETURNING. The row lock that
//     UPDATE takes is held until the transaction ends, so the next writer
//     gets its cursors only after this transaction has committed (or rolled
//     back, undoing the increment too, so no gap appears). Commit order
//     therefore equals cursor order. Events are appended as the last step of
//     a write, so the lock is held only for them and the commit.
//   - SQLite: the write transaction already excludes every other writer,
//     so MAX(cursor) + 1, read inside it, is just as safe and writes one
//     page less.
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
		if _, err := t.exec(insertEventsSQL(n), args...); err != nil {
			return nil, t.s.wrap(err)
		}
		rest = rest[n:]
	}
	return out, nil
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

// insertEventsSQL inserts n events with their cursors.
func insertEventsSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (cursor, id, type, org_id, subject, actor, data, created_at) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?)`)
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
		out, err = t.appendEvents(events)
		return err
	})
	if err != nil {
		return nil, err
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
	if q.After < 0 {
		return nil, invalid("event query: negative cursor")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	var b strings.Builder
	args := []any{q.After}
	b.WriteString(`SELECT ` + eventCols + ` FROM events WHERE cursor > ?`)
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
	b.WriteString(` ORDER BY cursor LIMIT ?`)
	args = append(args, limit)
	rows, err := r.query(ctx, b.String(), args...)
	out, err := collectRows(rows, err, scanEvent)
	if err != nil {
		return nil, s.wrap(err)
	}
	if out == nil {
		out = []Event{}
	}
	return out, nil
}

// LastEventCursor returns the highest cursor, 0 for an empty outbox.
func (s *Store) LastEventCursor(ctx context.Context) (int64, error) {
	r, err := s.read(ctx)
	if err != nil {
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
