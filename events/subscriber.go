package events

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"go.opentelemetry.io/otel/metric"

	"github.com/onboardkit/onboardkit/health"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/store"
)

// Source is what delivery needs from a Store: the event outbox with its
// durable consumer cursors, and leases. Every store.Store is a Source.
type Source interface {
	store.EventStore
	store.LeaseStore
}

// Handler processes one event. It may be called more than once for the same
// event (after a crash, a lost lease or a retry), so it must be idempotent:
// use Event.ID or Event.Cursor to recognise a repeat. Returning an error makes
// the subscriber retry the same event later; it never skips it.
type Handler func(ctx context.Context, e store.Event) error

// Backoff is the retry schedule after a failure: the n-th consecutive failure
// waits about Initial * 2^(n-1), capped at Max, with random jitter (the wait
// is drawn uniformly between half and all of that value).
type Backoff struct {
	// Initial is the wait after the first failure. Default 1s.
	Initial time.Duration
	// Max caps the wait. Default 5m, and never less than Initial.
	Max time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = time.Second
	}
	if b.Max <= 0 {
		b.Max = 5 * time.Minute
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	return b
}

// Delay returns the wait after the attempt-th consecutive failure (attempt
// starts at 1), with jitter read from r (crypto/rand when nil).
func (b Backoff) Delay(attempt int, r io.Reader) time.Duration {
	b = b.withDefaults()
	d := b.Initial
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	if d > b.Max || d <= 0 {
		d = b.Max
	}
	if r == nil {
		r = rand.Reader
	}
	var buf [8]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return d
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(binary.BigEndian.Uint64(buf[:])%uint64(d-half+1))
}

// SubscriberConfig configures a Subscriber.
type SubscriberConfig struct {
	// Store holds the outbox, the durable cursor and the lease. Required.
	Store Source

	// Name is the durable consumer name: the key of the stored cursor and of
	// the lease, so it must stay the same across restarts and be shared by
	// every instance of the app that runs this consumer. Required; at most
	// 200 characters, no control characters.
	Name string

	// Handler is called for each event, in cursor order. Required.
	Handler Handler

	// Types keeps only events whose type equals one of these or starts with
	// one of these followed by "." ("directory.user" selects
	// "directory.user.created"). Empty (the default) keeps all.
	Types []string

	// OrgID keeps only the events of this organization. Empty (the default)
	// keeps all.
	OrgID string

	// PollInterval is how often the outbox is read when idle, and how often
	// a standby instance checks whether the lease is free. Default 1s.
	// Notify wakes the subscriber earlier.
	PollInterval time.Duration

	// BatchSize is how many events are read at a time. Default 100, at most
	// 1000.
	BatchSize int

	// Backoff is the retry schedule of a failing event (and of Store
	// errors). Defaults: see Backoff.
	Backoff Backoff

	// LeaseDuration is how long the lease is taken for; it is renewed every
	// third of it while the subscriber runs. If this instance stops without
	// releasing it (a crash), another takes over after at most this long.
	// Default 30s, at least 1s.
	LeaseDuration time.Duration

	// Holder identifies this instance as the lease holder. Default: a random
	// id, different for each Subscriber.
	Holder string

	// Now is the clock used for leases. Default time.Now.
	Now func() time.Time

	// Rand is the source of backoff jitter and of the default Holder.
	// Default crypto/rand.
	Rand io.Reader

	// Logger receives failures and lease changes. Event payloads are never
	// logged. Default slog.Default().
	Logger *slog.Logger

	// MeterProvider receives onboardkit.events.delivered,
	// onboardkit.events.delivery_failures and
	// onboardkit.events.delivery.lag (from an event's CreatedAt to its
	// delivery, by Now), each by consumer Name; see "Telemetry" in
	// docs/operations.md. Default: otel.GetMeterProvider(), a no-op unless
	// the host set one.
	MeterProvider metric.MeterProvider
}

// Sentinel errors.
var (
	// ErrRunning: Run was called while the same Subscriber is already
	// running.
	ErrRunning = errors.New("events: subscriber already running")

	// errLeaseLost ends a delivery round when another instance took the
	// lease or it could not be renewed in time.
	errLeaseLost = errors.New("events: lease lost")
)

// Subscriber delivers the outbox to a Handler with at-least-once semantics.
// See the package documentation.
type Subscriber struct {
	cfg       SubscriberConfig
	leaseName string
	notify    chan struct{}
	running   atomic.Bool
	beat      health.Beat
	// registered is set once the consumer's cursor is known to be stored,
	// so that the Store's retention (Store.DeleteEvents) keeps the events
	// this consumer has not processed, even before its first delivery.
	registered atomic.Bool

	mu     sync.Mutex
	status Status

	tel *telemetry.Deliveries
}

// Status is a snapshot of a Subscriber's progress, for health checks and
// dashboards.
type Status struct {
	// Holding reports whether this instance holds the lease.
	Holding bool
	// Cursor is the last cursor this instance recorded as processed.
	Cursor int64
	// Delivered counts successful Handler calls since New.
	Delivered uint64
	// Failures counts failed Handler calls since New.
	Failures uint64
	// Retrying is the cursor of the event being retried, 0 when none.
	Retrying int64
	// LastError is the text of the last Handler or Store error, "" when
	// none happened yet.
	LastError string
	// LastErrorAt is when LastError happened.
	LastErrorAt time.Time
}

const maxBatch = 1000

// NewSubscriber validates cfg and returns a Subscriber. Call Run to start it.
func NewSubscriber(cfg SubscriberConfig) (*Subscriber, error) { return newSubscriber(cfg, nil) }

// newSubscriber is NewSubscriber recording its deliveries with tel, or
// with instruments of cfg.MeterProvider when tel is nil.
func newSubscriber(cfg SubscriberConfig, tel *telemetry.Deliveries) (*Subscriber, error) {
	if cfg.Store == nil {
		return nil, errors.New("events: SubscriberConfig.Store is required")
	}
	if err := validName(cfg.Name); err != nil {
		return nil, err
	}
	if cfg.Handler == nil {
		return nil, errors.New("events: SubscriberConfig.Handler is required")
	}
	if err := validTypes(cfg.Types); err != nil {
		return nil, err
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	switch {
	case cfg.BatchSize <= 0:
		cfg.BatchSize = 100
	case cfg.BatchSize > maxBatch:
		return nil, fmt.Errorf("events: SubscriberConfig.BatchSize %d is above the maximum %d", cfg.BatchSize, maxBatch)
	}
	cfg.Backoff = cfg.Backoff.withDefaults()
	switch {
	case cfg.LeaseDuration == 0:
		cfg.LeaseDuration = 30 * time.Second
	case cfg.LeaseDuration < time.Second:
		return nil, fmt.Errorf("events: SubscriberConfig.LeaseDuration %v is below 1s", cfg.LeaseDuration)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Holder == "" {
		h, err := secret.NewID(cfg.Rand, "sub")
		if err != nil {
			return nil, fmt.Errorf("events: generating a holder id: %w", err)
		}
		cfg.Holder = h
	}
	cfg.Types = append([]string(nil), cfg.Types...)
	cfg.Logger = cfg.Logger.With("consumer", cfg.Name)
	if tel == nil {
		var err error
		if tel, err = telemetry.NewDeliveries(nil, cfg.MeterProvider); err != nil {
			return nil, fmt.Errorf("events: telemetry: %w", err)
		}
	}
	return &Subscriber{
		cfg:       cfg,
		leaseName: "events:" + cfg.Name,
		notify:    make(chan struct{}, 1),
		tel:       tel,
	}, nil
}

func validName(name string) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("events: a consumer Name is required")
	}
	if len(name) > 200 {
		return errors.New("events: the consumer Name is longer than 200 characters")
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return errors.New("events: the consumer Name contains control characters")
	}
	return nil
}

func validTypes(types []string) error {
	for _, t := range types {
		if !validType(t) {
			return fmt.Errorf("events: invalid event type filter %q (want dotted lower-case words such as directory.user)", t)
		}
	}
	return nil
}

// ValidType reports whether t is a valid event type filter: dotted words
// of lower-case letters, digits, '_' and '-'.
func ValidType(t string) bool { return validType(t) }

// validType accepts dotted words of lower-case letters, digits, '_' and '-'.
func validType(t string) bool {
	if t == "" || len(t) > 200 {
		return false
	}
	for _, part := range strings.Split(t, ".") {
		if part == "" {
			return false
		}
		for _, c := range part {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// Notify wakes the subscriber if it is waiting for new events. It never
// blocks; hosts call it after appending events to shorten the delay.
func (s *Subscriber) Notify() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Status returns a snapshot of the subscriber's progress.
func (s *Subscriber) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

func (s *Subscriber) update(fn func(*Status)) {
	s.mu.Lock()
	fn(&s.status)
	s.mu.Unlock()
}

// storeFailed records the failed Store call err, logs it as msg and
// backs off for the failures in a row so far.
func (s *Subscriber) storeFailed(ctx context.Context, failures int, msg string, err error) {
	s.recordError(err)
	s.cfg.Logger.Warn(msg, "err", err)
	s.sleep(ctx, s.cfg.Backoff.Delay(failures, s.cfg.Rand))
}

func (s *Subscriber) recordError(err error) {
	now := s.cfg.Now().UTC()
	s.update(func(st *Status) {
		st.LastError = err.Error()
		st.LastErrorAt = now
	})
}

// Run delivers events until ctx ends, then releases the lease and returns
// ctx's error. While another instance holds the lease, Run waits as a
// standby and takes over when the lease is released or expires. Store errors
// are logged and retried with backoff; they do not end Run. Run returns
// ErrRunning if this Subscriber is already running.
func (s *Subscriber) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer s.running.Store(false)
	s.beat.Start(s.cfg.Now())
	defer s.beat.Stop()

	storeFailures := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := s.cfg.Now()
		s.beat.Tick(now)
		held, err := s.cfg.Store.AcquireLease(ctx, s.leaseName, s.cfg.Holder, now, now.Add(s.cfg.LeaseDuration))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			storeFailures++
			s.storeFailed(ctx, storeFailures, "events: acquiring the delivery lease failed", err)
			continue
		}
		storeFailures = 0
		if !held {
			s.waitPoll(ctx)
			continue
		}
		s.cfg.Logger.Debug("events: delivery lease acquired", "holder", s.cfg.Holder)
		err = s.holdAndDeliver(ctx, now.Add(s.cfg.LeaseDuration))
		s.release()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, errLeaseLost) {
			s.cfg.Logger.Warn("events: delivery lease lost; standing by", "holder", s.cfg.Holder)
			s.waitPoll(ctx)
		}
	}
}

// Heartbeat reports whether Run runs and when its loop last went round,
// for a readiness check (package health). An instance on standby (another
// holds the delivery lease) beats too.
func (s *Subscriber) Heartbeat() (running bool, last time.Time) { return s.beat.Heartbeat() }

func (s *Subscriber) release() {
	s.update(func(st *Status) { st.Holding = false })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.cfg.Store.ReleaseLease(ctx, s.leaseName, s.cfg.Holder); err != nil {
		s.cfg.Logger.Warn("events: releasing the delivery lease failed; it will expire", "err", err)
	}
}

// holdAndDeliver delivers while the lease is held: a goroutine renews it and
// cancels the work when it is lost.
func (s *Subscriber) holdAndDeliver(ctx context.Context, until time.Time) error {
	work, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s.update(func(st *Status) { st.Holding = true })

	var leaseUntil atomic.Int64
	leaseUntil.Store(until.UnixNano())
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		s.renew(work, cancel, &leaseUntil)
	}()
	defer func() { <-renewed }()
	defer cancel(nil)

	held := func() bool {
		return work.Err() == nil && s.cfg.Now().UnixNano() < leaseUntil.Load()
	}
	storeFailures := 0
	for {
		s.beat.Tick(s.cfg.Now())
		if !held() {
			if err := ctx.Err(); err != nil {
				return err
			}
			return errLeaseLost
		}
		n, err := s.deliverBatch(work, held)
		if work.Err() != nil || errors.Is(err, errLeaseLost) {
			if err := ctx.Err(); err != nil {
				return err
			}
			return errLeaseLost
		}
		if err != nil {
			storeFailures++
			s.storeFailed(work, storeFailures, "events: reading the outbox failed", err)
			continue
		}
		storeFailures = 0
		if n < s.cfg.BatchSize {
			s.waitPoll(work)
		}
	}
}

// lost reports the lease lost: Status says so before the work is told to
// stop, so that no one sees the work stopped and the lease still held.
func (s *Subscriber) lost(cancel context.CancelCauseFunc) {
	s.update(func(st *Status) { st.Holding = false })
	cancel(errLeaseLost)
}

// renew extends the lease every third of its duration. When another holder
// has it, or it cannot be renewed before it expires, the work is cancelled.
func (s *Subscriber) renew(ctx context.Context, cancel context.CancelCauseFunc, until *atomic.Int64) {
	every := s.cfg.LeaseDuration / 3
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := s.cfg.Now()
		next := now.Add(s.cfg.LeaseDuration)
		ok, err := s.cfg.Store.AcquireLease(ctx, s.leaseName, s.cfg.Holder, now, next)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			s.recordError(err)
			s.cfg.Logger.Warn("events: renewing the delivery lease failed", "err", err)
			if now.UnixNano() >= until.Load() {
				s.lost(cancel)
				return
			}
			t.Reset(every / 4)
		case !ok:
			s.lost(cancel)
			return
		default:
			until.Store(next.UnixNano())
			t.Reset(every)
		}
	}
}

// deliverBatch reads one batch after the durable cursor and hands its events
// to the Handler in order. It returns how many events it read.
func (s *Subscriber) deliverBatch(ctx context.Context, held func() bool) (int, error) {
	st := s.cfg.Store
	cursor, err := st.GetConsumerCursor(ctx, s.cfg.Name)
	if err != nil {
		return 0, fmt.Errorf("reading the consumer cursor: %w", err)
	}
	if cursor > 0 {
		s.registered.Store(true)
	} else if !s.registered.Load() {
		// A new consumer starts at the oldest event: record cursor 0 so
		// that no event is removed before it has been delivered.
		if err := st.SetConsumerCursor(ctx, s.cfg.Name, 0); err != nil {
			return 0, fmt.Errorf("registering the consumer cursor: %w", err)
		}
		s.registered.Store(true)
	}
	// The last cursor is read before listing: readers see cursors without
	// gaps, so when the listing comes back short, every matching event up to
	// last has been seen and a filtered consumer can skip past the events it
	// does not want.
	last, err := st.LastEventCursor(ctx)
	if err != nil {
		return 0, fmt.Errorf("reading the last cursor: %w", err)
	}
	if last <= cursor {
		s.update(func(st *Status) { st.Cursor = cursor })
		return 0, nil
	}
	evs, err := st.ListEvents(ctx, store.EventQuery{After: cursor, OrgID: s.cfg.OrgID, Types: s.cfg.Types, Limit: s.cfg.BatchSize})
	if err != nil {
		return 0, fmt.Errorf("listing events: %w", err)
	}
	for _, e := range evs {
		if e.Cursor <= cursor {
			return 0, fmt.Errorf("the store returned cursor %d after %d: out of order", e.Cursor, cursor)
		}
		if !held() {
			return len(evs), errLeaseLost
		}
		if err := s.deliver(ctx, e, held); err != nil {
			return len(evs), err
		}
		if err := s.commit(ctx, e.Cursor); err != nil {
			return len(evs), err
		}
		cursor = e.Cursor
	}
	if len(evs) < s.cfg.BatchSize && last > cursor && held() {
		if err := s.commit(ctx, last); err != nil {
			return len(evs), err
		}
	}
	return len(evs), nil
}

// commit records the cursor. It runs even if ctx was cancelled while the
// Handler finished, so a processed event is not delivered again needlessly.
func (s *Subscriber) commit(ctx context.Context, cursor int64) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.cfg.Store.SetConsumerCursor(cctx, s.cfg.Name, cursor); err != nil {
		return fmt.Errorf("recording cursor %d: %w", cursor, err)
	}
	s.update(func(st *Status) { st.Cursor = cursor })
	return nil
}

// deliver calls the Handler until it succeeds, waiting with backoff between
// attempts. It returns an error only when ctx ends or the lease is lost.
func (s *Subscriber) deliver(ctx context.Context, e store.Event, held func() bool) error {
	for attempt := 1; ; attempt++ {
		err := s.call(ctx, e)
		if err == nil {
			s.tel.Delivered(ctx, s.cfg.Name, e.Type, e.CreatedAt, s.cfg.Now())
			s.update(func(st *Status) {
				st.Delivered++
				st.Retrying = 0
			})
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		delay := s.cfg.Backoff.Delay(attempt, s.cfg.Rand)
		s.tel.Failed(ctx, s.cfg.Name, e.Type, errorType(err))
		s.recordError(err)
		s.update(func(st *Status) {
			st.Failures++
			st.Retrying = e.Cursor
		})
		s.cfg.Logger.Warn("events: handler failed; retrying the same event",
			"event_id", e.ID, "event_type", e.Type, "cursor", e.Cursor,
			"attempt", attempt, "retry_in", delay, "err", err)
		if !s.sleep(ctx, delay) {
			return ctx.Err()
		}
		if !held() {
			return errLeaseLost
		}
	}
}

// call runs the Handler, turning a panic into an error.
func (s *Subscriber) call(ctx context.Context, e store.Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Logger.Error("events: handler panicked", "event_id", e.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("events: handler panicked: %v", p)
		}
	}()
	return s.cfg.Handler(ctx, e)
}

// sleep waits d or until ctx ends; it reports whether the full wait elapsed.
func (s *Subscriber) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// waitPoll waits one poll interval, or less if Notify is called.
func (s *Subscriber) waitPoll(ctx context.Context) {
	t := time.NewTimer(s.cfg.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-s.notify:
	}
}
