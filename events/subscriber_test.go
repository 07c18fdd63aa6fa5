package events

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// recorder keeps every handler call in order.
type recorder struct {
	mu       sync.Mutex
	attempts []int64 // every call, successful or not
	ok       []int64 // successful calls
	by       []string
}

func (r *recorder) add(c int64, ok bool, who string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, c)
	if ok {
		r.ok = append(r.ok, c)
		r.by = append(r.by, who)
	}
}

func (r *recorder) delivered() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ok)
}

func (r *recorder) has(c int64) bool { return slices.Contains(r.delivered(), c) }

// checkAtLeastOnceInOrder asserts that every cursor 1..n was delivered and
// that deliveries never went backwards (a repeat of the same event after a
// crash is allowed, an older one is not).
func checkAtLeastOnceInOrder(t *testing.T, seq []int64, n int64) {
	t.Helper()
	for i := 1; i < len(seq); i++ {
		if seq[i] < seq[i-1] {
			t.Fatalf("delivery went backwards at %d: %d after %d (sequence %v)", i, seq[i], seq[i-1], seq)
		}
	}
	for c := int64(1); c <= n; c++ {
		if !slices.Contains(seq, c) {
			t.Fatalf("event %d never delivered (sequence %v)", c, seq)
		}
	}
}

func fastBackoff() Backoff { return Backoff{Initial: time.Millisecond, Max: 4 * time.Millisecond} }

func TestSubscriberCrashAndResume(t *testing.T) {
	st := memstore.New()
	appendEvents(t, st, 40, "org_1")
	rec := &recorder{}
	failures := map[int64]int{7: 2, 13: 3} // cursor -> failures before success
	var mu sync.Mutex

	// First instance: fails some events, and "crashes" (its context ends)
	// while handling event 25.
	ctx1, crash := context.WithCancel(context.Background())
	defer crash()
	sub1, err := NewSubscriber(SubscriberConfig{
		Store: st, Name: "crm", Holder: "instance-1", PollInterval: time.Millisecond,
		Backoff: fastBackoff(), Logger: testLogger(t), BatchSize: 8,
		Handler: func(ctx context.Context, e store.Event) error {
			mu.Lock()
			defer mu.Unlock()
			if failures[e.Cursor] > 0 {
				failures[e.Cursor]--
				rec.add(e.Cursor, false, "1")
				return errors.New("downstream unavailable")
			}
			if e.Cursor == 25 {
				crash()
				rec.add(e.Cursor, false, "1")
				return ctx.Err()
			}
			rec.add(e.Cursor, true, "1")
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sub1.Run(ctx1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if got, _ := st.GetConsumerCursor(context.Background(), "crm"); got != 24 {
		t.Fatalf("cursor after crash = %d, want 24", got)
	}
	if rec.has(25) {
		t.Fatal("event 25 recorded as delivered before the crash")
	}
	if st := sub1.Status(); st.Failures != 5 || st.Delivered != 24 || st.Holding {
		t.Fatalf("status after crash = %+v", st)
	}

	// The restarted instance resumes from the durable cursor.
	sub2, err := NewSubscriber(SubscriberConfig{
		Store: st, Name: "crm", Holder: "instance-2", PollInterval: time.Millisecond,
		Backoff: fastBackoff(), Logger: testLogger(t),
		Handler: func(ctx context.Context, e store.Event) error {
			rec.add(e.Cursor, true, "2")
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runAsync(t, sub2.Run)
	waitFor(t, "all events", func() bool { return rec.has(40) })
	appendEvents(t, st, 5, "org_1")
	sub2.Notify()
	waitFor(t, "events appended later", func() bool { return rec.has(45) })
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}

	checkAtLeastOnceInOrder(t, rec.delivered(), 45)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	// Every call, failed ones included, was in cursor order: a failing
	// event was retried before anything after it.
	for i := 1; i < len(rec.attempts); i++ {
		if rec.attempts[i] < rec.attempts[i-1] {
			t.Fatalf("attempts out of order: %v", rec.attempts)
		}
	}
	if n := count(rec.attempts, 7); n != 3 {
		t.Fatalf("event 7 attempted %d times, want 3", n)
	}
	if n := count(rec.attempts, 13); n != 4 {
		t.Fatalf("event 13 attempted %d times, want 4", n)
	}
	if i := slices.Index(rec.ok, 25); i < 0 || rec.by[i] != "2" {
		t.Fatalf("event 25 should be delivered by the restarted instance")
	}
	if got, _ := st.GetConsumerCursor(context.Background(), "crm"); got != 45 {
		t.Fatalf("final cursor = %d, want 45", got)
	}
}

func count(s []int64, v int64) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// noRelease simulates a process that died without releasing its lease.
type noRelease struct{ *memstore.Store }

func (noRelease) ReleaseLease(context.Context, string, string) error { return nil }

func TestSubscriberTakesOverAnExpiredLease(t *testing.T) {
	mem := memstore.New()
	st := noRelease{mem}
	clock := newClock()
	appendEvents(t, st, 10, "org_1")
	rec := &recorder{}

	ctx1, crash := context.WithCancel(context.Background())
	defer crash()
	sub1, err := NewSubscriber(SubscriberConfig{
		Store: st, Name: "crm", Holder: "a", Now: clock.Now, PollInterval: time.Millisecond,
		Logger: quietLogger(), LeaseDuration: 30 * time.Second,
		Handler: func(ctx context.Context, e store.Event) error {
			if e.Cursor == 4 {
				crash()
				return ctx.Err()
			}
			rec.add(e.Cursor, true, "a")
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = sub1.Run(ctx1)

	var handled atomic.Int64
	sub2, err := NewSubscriber(SubscriberConfig{
		Store: st, Name: "crm", Holder: "b", Now: clock.Now, PollInterval: time.Millisecond,
		Logger: quietLogger(), LeaseDuration: 30 * time.Second,
		Handler: func(ctx context.Context, e store.Event) error {
			handled.Add(1)
			rec.add(e.Cursor, true, "b")
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	runAsync(t, sub2.Run)
	// The dead instance's lease still runs: b stands by. Let it poll a few
	// times and check it delivered nothing.
	for range 20 {
		sub2.Notify()
		time.Sleep(time.Millisecond)
	}
	if handled.Load() != 0 || sub2.Status().Holding {
		t.Fatal("b delivered while a's lease was still valid")
	}
	clock.Add(31 * time.Second)
	waitFor(t, "takeover", func() bool { return rec.has(10) })
	checkAtLeastOnceInOrder(t, rec.delivered(), 10)
	if !sub2.Status().Holding {
		t.Fatal("b should hold the lease")
	}
}

func TestTwoSubscribersNeverHandleConcurrently(t *testing.T) {
	st := memstore.New()
	const n = 120
	appendEvents(t, st, n, "org_1")
	rec := &recorder{}
	var inflight, overlaps atomic.Int32
	var perEvent sync.Map // cursor -> *atomic.Int32 concurrent handlers

	handler := func(who string) Handler {
		return func(ctx context.Context, e store.Event) error {
			v, _ := perEvent.LoadOrStore(e.Cursor, new(atomic.Int32))
			c := v.(*atomic.Int32)
			if c.Add(1) > 1 {
				overlaps.Add(1)
			}
			if inflight.Add(1) > 1 {
				overlaps.Add(1)
			}
			time.Sleep(50 * time.Microsecond)
			inflight.Add(-1)
			c.Add(-1)
			rec.add(e.Cursor, true, who)
			return nil
		}
	}
	newSub := func(who string) *Subscriber {
		s, err := NewSubscriber(SubscriberConfig{
			Store: st, Name: "search-index", Holder: who, PollInterval: time.Millisecond,
			BatchSize: 10, Logger: quietLogger(), Handler: handler(who),
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := newSub("a"), newSub("b")
	stopA := runAsync(t, a.Run)
	runAsync(t, b.Run)
	waitFor(t, "half the events", func() bool { return len(rec.delivered()) >= n/2 })
	// The holder goes away mid-stream; the standby takes over.
	stopA()
	waitFor(t, "all events", func() bool { return rec.has(n) })

	if o := overlaps.Load(); o != 0 {
		t.Fatalf("%d overlapping handler calls across the two subscribers", o)
	}
	checkAtLeastOnceInOrder(t, rec.delivered(), n)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !slices.Contains(rec.by, "a") && !slices.Contains(rec.by, "b") {
		t.Fatal("nobody delivered")
	}
}

func TestSubscriberFilters(t *testing.T) {
	st := memstore.New()
	appendEvents(t, st, 6, "org_1", "directory.user.created", "connection.activated", "directory.group.updated")
	appendEvents(t, st, 6, "org_2", "directory.user.created")
	last, _ := st.LastEventCursor(context.Background())

	tests := []struct {
		name  string
		types []string
		org   string
		want  []int64
	}{
		{"type prefix", []string{"directory.user"}, "", []int64{1, 4, 7, 8, 9, 10, 11, 12}},
		{"org", nil, "org_1", []int64{1, 2, 3, 4, 5, 6}},
		{"both", []string{"directory"}, "org_1", []int64{1, 3, 4, 6}},
		{"exact type", []string{"connection.activated"}, "", []int64{2, 5}},
		{"none match", []string{"portal"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []int64
			sub, err := NewSubscriber(SubscriberConfig{
				Store: st, Name: "f-" + tt.name, Types: tt.types, OrgID: tt.org,
				PollInterval: time.Millisecond, BatchSize: 2, Logger: quietLogger(),
				Handler: func(_ context.Context, e store.Event) error {
					mu.Lock()
					got = append(got, e.Cursor)
					mu.Unlock()
					return nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			stop := runAsync(t, sub.Run)
			// The durable cursor reaches the last event even when the
			// last events do not match the filter.
			waitFor(t, "cursor at the end", func() bool {
				c, _ := st.GetConsumerCursor(context.Background(), "f-"+tt.name)
				return c == last
			})
			stop()
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(got, tt.want) {
				t.Fatalf("delivered %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSubscriberNotifyWakesEarly(t *testing.T) {
	st := memstore.New()
	got := make(chan int64, 10)
	sub, err := NewSubscriber(SubscriberConfig{
		Store: st, Name: "n", PollInterval: time.Hour, Logger: quietLogger(),
		Handler: func(_ context.Context, e store.Event) error { got <- e.Cursor; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	runAsync(t, sub.Run)
	waitFor(t, "lease", func() bool { return sub.Status().Holding })
	appendEvents(t, st, 1, "org_1")
	// Keep notifying: the first Notify may arrive before the subscriber
	// starts waiting, and is then consumed by an early read.
	for {
		sub.Notify()
		select {
		case c := <-got:
			if c != 1 {
				t.Fatalf("got cursor %d", c)
			}
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestSubscriberRecoversFromHandlerPanic(t *testing.T) {
	st := memstore.New()
	appendEvents(t, st, 3, "org_1")
	rec := &recorder{}
	var panicked atomic.Bool
	sub, err := NewSubscriber(SubscriberConfig{
		Store: st, Name: "p", PollInterval: time.Millisecond, Backoff: fastBackoff(), Logger: quietLogger(),
		Handler: func(_ context.Context, e store.Event) error {
			if e.Cursor == 2 && panicked.CompareAndSwap(false, true) {
				panic("boom")
			}
			rec.add(e.Cursor, true, "")
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	runAsync(t, sub.Run)
	waitFor(t, "all events", func() bool { return rec.has(3) })
	if got := rec.delivered(); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("delivered %v", got)
	}
	if sub.Status().LastError == "" {
		t.Fatal("the panic should be recorded as the last error")
	}
}

func TestSubscriberRunTwice(t *testing.T) {
	sub, err := NewSubscriber(SubscriberConfig{Store: memstore.New(), Name: "x", Logger: quietLogger(),
		Handler: func(context.Context, store.Event) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	runAsync(t, sub.Run)
	waitFor(t, "running", func() bool { return sub.Status().Holding })
	if err := sub.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Run = %v, want ErrRunning", err)
	}
}

// flakyStore fails ListEvents a few times.
type flakyStore struct {
	*memstore.Store
	fails atomic.Int32
}

func (f *flakyStore) ListEvents(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	if f.fails.Add(-1) >= 0 {
		return nil, errors.New("connection reset")
	}
	return f.Store.ListEvents(ctx, q)
}

func TestSubscriberRetriesStoreErrors(t *testing.T) {
	st := &flakyStore{Store: memstore.New()}
	st.fails.Store(3)
	appendEvents(t, st, 5, "org_1")
	rec := &recorder{}
	sub, err := NewSubscriber(SubscriberConfig{
		Store: st, Name: "s", PollInterval: time.Millisecond, Backoff: fastBackoff(), Logger: quietLogger(),
		Handler: func(_ context.Context, e store.Event) error { rec.add(e.Cursor, true, ""); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	runAsync(t, sub.Run)
	waitFor(t, "all events", func() bool { return rec.has(5) })
	if got := rec.delivered(); !slices.Equal(got, []int64{1, 2, 3, 4, 5}) {
		t.Fatalf("delivered %v", got)
	}
}

func TestNewSubscriberValidates(t *testing.T) {
	h := func(context.Context, store.Event) error { return nil }
	st := memstore.New()
	tests := []struct {
		name string
		cfg  SubscriberConfig
	}{
		{"no store", SubscriberConfig{Name: "a", Handler: h}},
		{"no name", SubscriberConfig{Store: st, Handler: h}},
		{"blank name", SubscriberConfig{Store: st, Name: "  ", Handler: h}},
		{"control char", SubscriberConfig{Store: st, Name: "a\nb", Handler: h}},
		{"long name", SubscriberConfig{Store: st, Name: string(bytes.Repeat([]byte("a"), 201)), Handler: h}},
		{"no handler", SubscriberConfig{Store: st, Name: "a"}},
		{"bad type", SubscriberConfig{Store: st, Name: "a", Handler: h, Types: []string{"Directory User"}}},
		{"empty type", SubscriberConfig{Store: st, Name: "a", Handler: h, Types: []string{""}}},
		{"batch too big", SubscriberConfig{Store: st, Name: "a", Handler: h, BatchSize: 5000}},
		{"lease too short", SubscriberConfig{Store: st, Name: "a", Handler: h, LeaseDuration: time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewSubscriber(tt.cfg); err == nil {
				t.Fatal("NewSubscriber accepted a bad config")
			}
		})
	}
	if _, err := NewSubscriber(SubscriberConfig{Store: st, Name: "ok", Handler: h}); err != nil {
		t.Fatalf("minimal config refused: %v", err)
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: 10 * time.Second}
	tests := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{4, 4 * time.Second, 8 * time.Second},
		{5, 5 * time.Second, 10 * time.Second},
		{60, 5 * time.Second, 10 * time.Second},
	}
	for _, tt := range tests {
		for _, seed := range [][]byte{bytes.Repeat([]byte{0}, 8), bytes.Repeat([]byte{0xff}, 8), []byte("abcdefgh")} {
			d := b.Delay(tt.attempt, bytes.NewReader(seed))
			if d < tt.min || d > tt.max {
				t.Errorf("attempt %d seed %x: delay %v outside [%v, %v]", tt.attempt, seed, d, tt.min, tt.max)
			}
		}
	}
	// Jitter depends on the random source.
	if b.Delay(3, bytes.NewReader(bytes.Repeat([]byte{0}, 8))) == b.Delay(3, bytes.NewReader(bytes.Repeat([]byte{0x7f}, 8))) {
		t.Error("jitter does not depend on Rand")
	}
	if d := (Backoff{}).Delay(1, bytes.NewReader(nil)); d != time.Second {
		t.Errorf("default backoff without randomness = %v, want 1s", d)
	}
}
