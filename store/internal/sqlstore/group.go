package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Group commit (Local databases).
//
// A Local database has one write connection, and a commit that waits for
// the disk (synchronous=FULL syncs the write-ahead log) costs far more
// than the statements before it. So writers that arrive together share a
// transaction, and so one sync: each write is queued, and one of the
// writers, the leader, runs the queued writes one after another in one
// transaction, commits once and only then answers each of them. Every
// write but the batch's first runs inside a SAVEPOINT of its own: when it
// fails, ROLLBACK TO undoes it alone and the batch goes on, so each write
// is still all-or-nothing. The first needs none: when it fails, nothing
// else is in the transaction, which is rolled back and begun again for
// the rest.
//
// Semantics are those of writes run one at a time in queue order: a write
// sees everything the writes before it in its batch did (one connection,
// one transaction), and nobody else does until the commit; event cursors,
// read as MAX(cursor) + 1 inside the transaction, follow queue order
// without gaps, the failed writes' events being undone before the next
// write reads MAX(cursor). Nobody is told of success before the COMMIT
// returned; if it fails, every write of the batch gets its error.
//
// A writer waits in the queue within its context: cancelled there, it
// leaves and gets the context's error. Once taken into a batch its
// context's cancellation no longer applies (as for a statement already
// running, see Dialect.Local); a cancelled context at the moment it is
// taken gets the context's error without running.
//
// A batch takes writes until it holds maxBatchWrites of them or the
// statements of the writes run carried maxBatchBytes of string and byte
// arguments: a SCIM request may carry a few MiB (a group of 10,000
// members), and every write of a batch waits for the slowest one's
// statements, so a batch stops growing once it carries about as much as
// the largest request. A single write larger than that runs alone.
//
// After its batch the leader answers every write of it and, unless its
// own write is still queued (the bound left it for the next batch), hands
// the leadership to the first writer waiting, so that no caller works for
// others longer than its own batch.
const (
	maxBatchWrites = 64
	maxBatchBytes  = 1 << 20
)

// group is the queue of writes of a Local database.
type group struct {
	mu      sync.Mutex
	queue   []*groupWrite // waiting, in arrival order
	leading bool          // a writer is leading: it or a successor takes the queue

	batches, writes atomic.Int64 // committed batches and the writes they held
}

// GroupStats reports the group commit of a Local database: how many
// writes wait in the queue now, and how many batches and writes were
// committed so far (writes/batches is the mean batch).
func GroupStats(s *Store) (waiting int, batches, writes int64) {
	g := &s.group
	g.mu.Lock()
	for _, w := range g.queue {
		if w.state == queued {
			waiting++
		}
	}
	g.mu.Unlock()
	return waiting, g.batches.Load(), g.writes.Load()
}

// groupWrite is one write in the queue.
type groupWrite struct {
	ctx   context.Context
	fn    func(t *tx) error
	state writeState   // under group.mu
	done  chan outcome // buffered; receives exactly one outcome
}

type writeState int

const (
	queued    writeState = iota // in the queue, may leave
	taken                       // taken by a leader, or made the leader: waits for its outcome
	cancelled                   // left the queue; skipped when met
)

// outcome answers a write: its error, a panic of its function to repeat on
// the caller's goroutine, or lead: the caller leads now.
type outcome struct {
	err      error
	panicked bool
	panicVal any
	lead     bool
}

// groupWrite runs fn as one write of a batch (see above).
func (s *Store) groupWrite(ctx context.Context, fn func(t *tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	g := &s.group
	w := &groupWrite{ctx: ctx, fn: fn, done: make(chan outcome, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, w)
	lead := !g.leading
	if lead {
		g.leading = true
		w.state = taken // leaders do not leave; their write is taken in turn
	}
	g.mu.Unlock()
	var o outcome
	if lead {
		o = s.lead(w)
	} else {
		o = s.await(w)
	}
	if o.panicked {
		panic(o.panicVal)
	}
	return o.err
}

// await waits for w's outcome, leaving the queue if ctx ends first, and
// leads if the leadership is handed to it.
func (s *Store) await(w *groupWrite) outcome {
	var o outcome
	select {
	case o = <-w.done:
	case <-w.ctx.Done():
		g := &s.group
		g.mu.Lock()
		if w.state == queued {
			w.state = cancelled
			g.mu.Unlock()
			return outcome{err: w.ctx.Err()}
		}
		g.mu.Unlock()
		o = <-w.done
	}
	if o.lead {
		return s.lead(w)
	}
	return o
}

// lead runs batches until self, a write of the queue, is answered, then
// hands the leadership on.
func (s *Store) lead(self *groupWrite) outcome {
	for {
		s.runBatch()
		select {
		case o := <-self.done:
			s.handOff()
			return o
		default:
		}
	}
}

// handOff makes the first writer still waiting the leader, or ends the
// leadership when nobody waits.
func (s *Store) handOff() {
	g := &s.group
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, w := range g.queue {
		if w.state == queued {
			w.state = taken
			w.done <- outcome{lead: true}
			return
		}
	}
	g.leading = false
}

// take removes and returns the next write of the queue to run, answering
// those whose context ended; nil when none is waiting.
func (s *Store) take() *groupWrite {
	g := &s.group
	g.mu.Lock()
	defer g.mu.Unlock()
	for len(g.queue) > 0 {
		w := g.queue[0]
		g.queue[0] = nil
		g.queue = g.queue[1:]
		if w.state == cancelled {
			continue
		}
		w.state = taken
		if err := w.ctx.Err(); err != nil {
			w.done <- outcome{err: err}
			continue
		}
		return w
	}
	g.queue = nil
	return nil
}

// requeue puts w, taken but not run, back at the head of the queue for
// the next batch; it may leave again.
func (s *Store) requeue(w *groupWrite) {
	g := &s.group
	g.mu.Lock()
	w.state = queued
	g.queue = append([]*groupWrite{w}, g.queue...)
	g.mu.Unlock()
}

// member is a write of the running batch.
type member struct {
	w *groupWrite
	t *tx
	o outcome
}

// errPanicked stands for a panic of a write's function inside the batch;
// the caller gets the panic itself.
var errPanicked = errors.New("sqlstore: write function panicked")

// runBatch runs one batch: it takes writes from the queue into one
// transaction, commits it and answers them. A write whose function fails
// is undone at once and answered with the others.
func (s *Store) runBatch() {
	first := s.take()
	if first == nil {
		return
	}
	b := &batch{s: s}
	defer func() { s.prepareMissed(b.missed) }()
	bg := context.Background()
	sqlTx, err := s.w.db.BeginTx(bg, nil)
	if err != nil {
		first.done <- outcome{err: s.wrap(err)}
		return
	}
	m := b.run(first, sqlTx)
	if m.o.err != nil {
		_ = sqlTx.Rollback()
		m.w.done <- m.o
		return
	}
	ok := []*member{m}
	// The writes that failed are answered once the transaction ended, as
	// the others: a caller that retries after a conflict must find the
	// writes that caused it committed.
	var failed []*member
	defer func() {
		for _, m := range failed {
			m.w.done <- m.o
		}
	}()
	bytes := m.t.bytes
	for len(ok) < maxBatchWrites && bytes < maxBatchBytes {
		w := s.take()
		if w == nil {
			break
		}
		if _, err := sqlTx.ExecContext(bg, `SAVEPOINT w`); err != nil {
			s.requeue(w)
			b.abort(sqlTx, ok, err)
			return
		}
		m := b.run(w, sqlTx)
		if m.o.err == nil {
			if _, err := sqlTx.ExecContext(bg, `RELEASE w`); err != nil {
				b.abort(sqlTx, append(ok, m), err)
				return
			}
			ok = append(ok, m)
			bytes += m.t.bytes
			continue
		}
		// Nothing of m is kept, whatever happens to the batch.
		failed = append(failed, m)
		_, err := sqlTx.ExecContext(bg, `ROLLBACK TO w`)
		if err == nil {
			_, err = sqlTx.ExecContext(bg, `RELEASE w`)
		}
		if err != nil {
			b.abort(sqlTx, ok, err)
			return
		}
	}
	if err := sqlTx.Commit(); err != nil {
		err = s.wrap(err)
		for _, m := range ok {
			m.o = outcome{err: err}
		}
	} else {
		s.group.batches.Add(1)
		s.group.writes.Add(int64(len(ok)))
	}
	for _, m := range ok {
		m.w.done <- m.o
	}
}

// batch is what runBatch keeps of the writes it ran.
type batch struct {
	s *Store
	// missed are the queries the writes ran unprepared (see
	// prepareMissed).
	missed []string
}

// run runs w's function in sqlTx; a panic is recovered into the outcome.
func (b *batch) run(w *groupWrite, sqlTx *sql.Tx) (m *member) {
	m = &member{w: w, t: &tx{s: b.s, ctx: context.WithoutCancel(w.ctx), tx: sqlTx}}
	defer func() {
		if r := recover(); r != nil {
			m.o = outcome{err: errPanicked, panicked: true, panicVal: r}
		}
		b.missed = append(b.missed, m.t.missed...)
	}()
	m.o.err = w.fn(m.t)
	return m
}

// abort rolls back the transaction after a savepoint statement failed
// (SQLite may have rolled it back already, on an I/O error say): the
// writes run in it, ok, get err.
func (b *batch) abort(sqlTx *sql.Tx, ok []*member, err error) {
	_ = sqlTx.Rollback()
	err = fmt.Errorf("%s store: write batch aborted: %w", b.s.d.Name, err)
	for _, m := range ok {
		m.w.done <- outcome{err: err}
	}
}

// Exec runs stmts in order as one write, all or nothing. Tests reach with
// it states no Store method makes (a deferred constraint violation that
// fails the COMMIT, say).
func Exec(ctx context.Context, s *Store, stmts ...string) error {
	return s.write(ctx, func(t *tx) error {
		for _, q := range stmts {
			if _, err := t.exec(q); err != nil {
				return s.wrap(err)
			}
		}
		return nil
	})
}
