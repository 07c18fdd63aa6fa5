package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/health"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/seal"
)

// failingStore answers every read with a driver error.
type failingStore struct{}

func (failingStore) GetOrganization(context.Context, string) (*store.Organization, error) {
	return nil, errors.New("dial tcp 10.0.0.7:5432: connection refused (password=hunter2)")
}

// pendingStore is reachable but lacks a migration.
type pendingStore struct{ failingStore }

func (pendingStore) CheckHealth(context.Context) error {
	return store.ErrMigrationsPending
}

func get(t *testing.T, h http.Handler) (int, health.Report, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", rec.Header())
	}
	var rep health.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	return rec.Code, rep, rec.Body.String()
}

func TestReadiness(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	var events, sync health.Beat
	var logs strings.Builder
	newChecker := func(st health.Store) *health.Checker {
		hc, err := health.New(health.Config{Store: st, Now: func() time.Time { return now },
			Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
			Workers: []health.Worker{{Name: "events", Source: &events}, {Name: "gworkspace", Source: &sync, StaleAfter: time.Hour}}})
		if err != nil {
			t.Fatal(err)
		}
		return hc
	}
	hc := newChecker(memstore.New())

	// Workers not started yet: not ready, and which one says why.
	code, rep, _ := get(t, hc.Ready())
	if code != http.StatusServiceUnavailable || rep.Status != "not_ready" || rep.Checks[1].Reason != "not running" {
		t.Fatalf("before the workers start: %d %+v", code, rep)
	}
	events.Start(now.Add(-time.Minute))
	sync.Start(now.Add(-30 * time.Minute))
	code, rep, _ = get(t, hc.Ready())
	if code != http.StatusOK || !rep.Ready() || len(rep.Checks) != 3 || rep.Checks[0].Name != "store" || rep.Checks[2].LastBeat == nil {
		t.Fatalf("ready: %d %+v", code, rep)
	}

	// A worker without progress for longer than its StaleAfter (default 5
	// minutes) is stuck; a tick brings it back.
	now = now.Add(10 * time.Minute)
	code, rep, _ = get(t, hc.Ready())
	if code != http.StatusServiceUnavailable || rep.Checks[1].Status != "fail" || !strings.HasPrefix(rep.Checks[1].Reason, "no progress for 11m") || rep.Checks[2].Status != "ok" {
		t.Fatalf("stale events worker: %d %+v", code, rep)
	}
	events.Tick(now)
	if code, _, _ = get(t, hc.Ready()); code != http.StatusOK {
		t.Fatalf("after a tick: %d", code)
	}
	sync.Stop()
	if code, rep, _ = get(t, hc.Ready()); code != http.StatusServiceUnavailable || rep.Checks[2].Reason != "not running" {
		t.Fatalf("stopped sync: %d %+v", code, rep)
	}
	sync.Start(now)

	// A Store that does not answer: 503 with a generic reason; the cause
	// is in the log, never in the body.
	code, rep, body := get(t, newChecker(failingStore{}).Ready())
	if code != http.StatusServiceUnavailable || rep.Checks[0].Reason != "unreachable" || strings.Contains(body, "hunter2") || strings.Contains(body, "10.0.0.7") {
		t.Fatalf("failing store: %d %s", code, body)
	}
	if !strings.Contains(logs.String(), "connection refused") {
		t.Fatalf("the log lacks the cause:\n%s", logs.String())
	}
	code, rep, _ = get(t, newChecker(pendingStore{}).Ready())
	if code != http.StatusServiceUnavailable || rep.Checks[0].Reason != "migrations pending" {
		t.Fatalf("pending migrations: %d %+v", code, rep)
	}

	// Liveness checks nothing but the process: a failing Store is alive.
	rec := httptest.NewRecorder()
	newChecker(failingStore{}).Live().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"alive"`) {
		t.Fatalf("live: %d %s", rec.Code, rec.Body)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := health.New(health.Config{}); err == nil {
		t.Error("New without a Store")
	}
	if _, err := health.New(health.Config{Store: memstore.New(), Workers: []health.Worker{{Name: "x"}}}); err == nil {
		t.Error("New with a worker without a Source")
	}
}

// TestResealerHeartbeat: a real worker beats while Run runs and stops
// when it returns.
func TestResealerHeartbeat(t *testing.T) {
	rs, err := seal.NewResealer(seal.ResealerConfig{Store: memstore.New(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if running, _ := rs.Heartbeat(); running {
		t.Fatal("running before Run")
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- rs.Run(ctx) }()
	for running, last := rs.Heartbeat(); !running || last.IsZero(); running, last = rs.Heartbeat() {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if running, _ := rs.Heartbeat(); running {
		t.Fatal("running after Run returned")
	}
}
