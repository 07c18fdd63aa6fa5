package events

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// newClock is the tests' settable clock.
func newClock() *testkit.Clock {
	return testkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// appendEvents appends n events of the given types (cycled) for org, and
// returns them with cursors.
func appendEvents(t testing.TB, st store.EventStore, n int, org string, types ...string) []store.Event {
	t.Helper()
	if len(types) == 0 {
		types = []string{"directory.user.created"}
	}
	evs := make([]store.Event, n)
	for i := range evs {
		data, _ := json.Marshal(map[string]any{"n": i})
		evs[i] = store.Event{
			ID:        fmt.Sprintf("evt_%s_%d_%d", org, time.Now().UnixNano(), i),
			Type:      types[i%len(types)],
			OrgID:     org,
			Subject:   fmt.Sprintf("usr_%d", i),
			Actor:     "scim:dir_1",
			Data:      data,
			CreatedAt: time.Date(2026, 3, 1, 12, 0, 0, i, time.UTC),
		}
	}
	out, err := st.AppendEvents(context.Background(), evs...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitFor fails the test if cond is not true within a generous bound. The
// bound only keeps a broken test from hanging; nothing asserts durations.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// runAsync runs fn in a goroutine and returns a function that cancels it and
// returns its error.
func runAsync(t *testing.T, run func(context.Context) error) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

var _ Source = (*memstore.Store)(nil)
