package events

import (
	"context"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// TestHeartbeat: a Subscriber beats while Run runs, on standby as well as
// delivering, and stops beating when Run returns.
func TestHeartbeat(t *testing.T) {
	st := memstore.New()
	clock := newClock()
	mk := func(holder string) *Subscriber {
		s, err := NewSubscriber(SubscriberConfig{
			Store: st, Name: "beat", Holder: holder, Now: clock.Now, LeaseDuration: time.Minute,
			PollInterval: time.Millisecond, Logger: quietLogger(),
			Handler: func(context.Context, store.Event) error { return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := mk("a"), mk("b")
	if running, _ := a.Heartbeat(); running {
		t.Fatal("running before Run")
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{}, 2)
	for _, s := range []*Subscriber{a, b} {
		go func() { s.Run(ctx); done <- struct{}{} }()
	}
	// Both go round their loop and beat at the clock's new time: one
	// delivers, the other stands by.
	clock.Add(time.Second)
	for _, s := range []*Subscriber{a, b} {
		for running, last := s.Heartbeat(); !running || !last.Equal(clock.Now()); running, last = s.Heartbeat() {
			time.Sleep(time.Millisecond)
		}
	}
	cancel()
	<-done
	<-done
	for _, s := range []*Subscriber{a, b} {
		if running, _ := s.Heartbeat(); running {
			t.Fatal("running after Run returned")
		}
	}
}
