package events

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// countingStore counts successful lease acquisitions per holder.
type countingStore struct {
	*memstore.Store
	mu      sync.Mutex
	held    map[string]int
	refused map[string]bool // holders cut off from the store
}

func (s *countingStore) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	s.mu.Lock()
	cut := s.refused[holder]
	s.mu.Unlock()
	if cut {
		return false, errors.New("network partition")
	}
	ok, err := s.Store.AcquireLease(ctx, name, holder, now, until)
	if ok && err == nil {
		s.mu.Lock()
		s.held[holder]++
		s.mu.Unlock()
	}
	return ok, err
}

func (s *countingStore) acquisitions(holder string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held[holder]
}

// A handler that runs longer than the lease keeps it, because the holder
// renews it while working; when the holder cannot renew in time and another
// instance takes the lease, the holder's handler context is cancelled.
func TestLeaseRenewedWhileWorkingAndLost(t *testing.T) {
	st := &countingStore{Store: memstore.New(), held: map[string]int{}, refused: map[string]bool{}}
	clock := newClock()
	appendEvents(t, st, 2, "org_1")

	release := make(chan struct{})
	var aCancelled atomic.Bool
	aStarted := make(chan struct{})
	a, err := NewSubscriber(SubscriberConfig{
		Store: st, Name: "slow", Holder: "a", Now: clock.Now, LeaseDuration: time.Second,
		PollInterval: time.Millisecond, Logger: quietLogger(),
		Handler: func(ctx context.Context, e store.Event) error {
			if e.Cursor == 1 {
				close(aStarted)
				select {
				case <-release:
					return nil
				case <-ctx.Done():
					aCancelled.Store(true)
					return ctx.Err()
				}
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var bHandled atomic.Int32
	b, err := NewSubscriber(SubscriberConfig{
		Store: st, Name: "slow", Holder: "b", Now: clock.Now, LeaseDuration: time.Second,
		PollInterval: time.Millisecond, Logger: quietLogger(),
		Handler: func(context.Context, store.Event) error { bHandled.Add(1); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	runAsync(t, a.Run)
	<-aStarted
	runAsync(t, b.Run)

	// Five times 600ms of clock: far past the 1s lease, but a renews after
	// each step, so b never gets it.
	for range 5 {
		n := st.acquisitions("a")
		clock.Add(600 * time.Millisecond)
		waitFor(t, "a renewal", func() bool { return st.acquisitions("a") > n })
	}
	if bHandled.Load() != 0 || st.acquisitions("b") != 0 {
		t.Fatal("b took the lease while a was renewing it")
	}

	// Now a is cut off from the store and the clock passes its lease: b
	// takes over and a's handler is told to stop.
	st.mu.Lock()
	st.refused["a"] = true
	st.mu.Unlock()
	clock.Add(5 * time.Second)
	waitFor(t, "b takes over", func() bool { return bHandled.Load() == 2 })
	waitFor(t, "a's handler cancelled", aCancelled.Load)
	if c, _ := st.GetConsumerCursor(context.Background(), "slow"); c != 2 {
		t.Fatalf("cursor %d", c)
	}
	if a.Status().Holding {
		t.Fatal("a still believes it holds the lease")
	}
	close(release)
}

// A new subscriber records its cursor before its first delivery, so that
// the Store's retention keeps every event it has not processed yet.
func TestNewSubscriberHoldsBackRetention(t *testing.T) {
	st := memstore.New()
	appendEvents(t, st, 3, "org_1")
	failing := make(chan struct{}, 1)
	sub, err := NewSubscriber(SubscriberConfig{
		Store: st, Name: "new", PollInterval: time.Millisecond, Logger: quietLogger(),
		Backoff: Backoff{Initial: time.Hour},
		Handler: func(ctx context.Context, e store.Event) error {
			select {
			case failing <- struct{}{}:
			default:
			}
			return errors.New("receiver down")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runAsync(t, sub.Run)
	<-failing
	n, err := st.DeleteEvents(context.Background(), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || n != 0 {
		t.Fatalf("DeleteEvents while the subscriber has delivered nothing = %d, %v; want 0", n, err)
	}
	stop()
}
