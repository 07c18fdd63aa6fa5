// Package health answers the two questions an orchestrator (Kubernetes, a
// load balancer) asks an onboardkit process, as http.Handlers the host
// mounts on its own router, ideally where only the orchestrator reaches
// them:
//
//   - Liveness (Checker.Live): the process answers. It checks nothing
//     else, so that a database outage never makes the orchestrator restart
//     every instance at once: a restart does not bring a database back.
//   - Readiness (Checker.Ready): this instance can serve: the Store answers
//     a read, its schema has every migration this program knows (Stores
//     that implement store.HealthChecker: sqlitestore, pgstore), and every
//     background worker the host registered is running and made progress
//     recently (events delivery, Google Workspace sync, the re-seal of
//     secrets). A failing readiness takes the instance out of the load
//     balancer until it recovers.
//
// Both answer JSON with Cache-Control: no-store; readiness answers 200
// when every check passes and 503 otherwise, with one entry per check:
//
//	{"status":"not_ready","checks":[
//	  {"name":"store","status":"ok"},
//	  {"name":"worker:events","status":"fail","reason":"not running"}]}
//
// Reasons are short and generic (no error text from the database); the
// cause goes to Config.Logger.
//
//	hc, err := health.New(health.Config{Store: st, Workers: []health.Worker{
//		{Name: "events", Source: subscriber},
//		{Name: "gworkspace", Source: syncer, StaleAfter: time.Hour},
//		{Name: "reseal", Source: resealer, StaleAfter: 2 * time.Hour},
//	}})
//	mux.Handle("GET /healthz", hc.Live())
//	mux.Handle("GET /readyz", hc.Ready())
//
// A worker reports its heartbeat through a Beat it keeps: started when its
// Run starts, ticked at each step, stopped when Run returns.
package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// Store is what readiness reads: one organization by id (an absent one
// answers ErrNotFound, which proves the Store reachable). A Store that
// implements store.HealthChecker is asked for its own check instead.
type Store interface {
	GetOrganization(ctx context.Context, id string) (*store.Organization, error)
}

// A Heartbeater is a background worker that reports whether its loop runs
// and when it last made progress (see Beat).
type Heartbeater interface {
	Heartbeat() (running bool, last time.Time)
}

// Worker is one background worker readiness watches.
type Worker struct {
	// Name appears in the report as "worker:<Name>". Required.
	Name string
	// Source reports the worker's heartbeat. Required.
	Source Heartbeater
	// StaleAfter is how long without a heartbeat makes the worker count
	// as stuck. Default 5 minutes; set it above the longest step of the
	// worker (a large directory's sync beats once per page).
	StaleAfter time.Duration
}

// Config configures a Checker.
type Config struct {
	// Store is probed at every readiness request. Required.
	Store Store
	// Workers are the background workers that must be alive.
	Workers []Worker
	// Timeout bounds the Store probe. Default 2 seconds.
	Timeout time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger receives the cause of each failed check. Default
	// slog.Default().
	Logger *slog.Logger
}

// Checker serves liveness and readiness.
type Checker struct {
	cfg Config
}

// New validates cfg and returns a Checker.
func New(cfg Config) (*Checker, error) {
	if cfg.Store == nil {
		return nil, errors.New("health: Config.Store is required")
	}
	for i, w := range cfg.Workers {
		if w.Name == "" || w.Source == nil {
			return nil, fmt.Errorf("health: Config.Workers[%d] needs a Name and a Source", i)
		}
		if w.StaleAfter <= 0 {
			cfg.Workers[i].StaleAfter = 5 * time.Minute
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Checker{cfg: cfg}, nil
}

// Result is the outcome of one check.
type Result struct {
	Name   string `json:"name"`
	Status string `json:"status"` // "ok" or "fail"
	// Reason says why a check failed, in a few generic words.
	Reason string `json:"reason,omitempty"`
	// LastBeat is a worker's last heartbeat.
	LastBeat *time.Time `json:"last_beat,omitempty"`
}

// Report is the readiness of the process.
type Report struct {
	Status string   `json:"status"` // "ready" or "not_ready"
	Checks []Result `json:"checks"`
}

// Ready reports whether every check passes.
func (r *Report) Ready() bool { return r.Status == "ready" }

// probeID is an organization id no one has: reading it is the cheapest
// round trip a Store offers.
const probeID = "org_health_probe"

// Check runs every check now.
func (c *Checker) Check(ctx context.Context) Report {
	rep := Report{Status: "ready"}
	add := func(r Result) {
		if r.Status != "ok" {
			rep.Status = "not_ready"
		}
		rep.Checks = append(rep.Checks, r)
	}
	add(c.checkStore(ctx))
	now := c.cfg.Now()
	for _, w := range c.cfg.Workers {
		add(c.checkWorker(w, now))
	}
	return rep
}

func (c *Checker) checkStore(ctx context.Context) Result {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var err error
	reason := "unreachable"
	if hc, ok := c.cfg.Store.(store.HealthChecker); ok {
		err = hc.CheckHealth(ctx)
		if errors.Is(err, store.ErrMigrationsPending) {
			reason = "migrations pending"
		}
	} else if _, err = c.cfg.Store.GetOrganization(ctx, probeID); errors.Is(err, store.ErrNotFound) {
		err = nil
	}
	if err != nil {
		c.cfg.Logger.WarnContext(ctx, "health: the store is not ready", "err", err)
		return Result{Name: "store", Status: "fail", Reason: reason}
	}
	return Result{Name: "store", Status: "ok"}
}

func (c *Checker) checkWorker(w Worker, now time.Time) Result {
	r := Result{Name: "worker:" + w.Name, Status: "ok"}
	running, last := w.Source.Heartbeat()
	if !last.IsZero() {
		l := last.UTC()
		r.LastBeat = &l
	}
	switch {
	case !running:
		r.Status, r.Reason = "fail", "not running"
	case now.Sub(last) > w.StaleAfter:
		r.Status, r.Reason = "fail", "no progress for "+now.Sub(last).Truncate(time.Second).String()
	}
	if r.Status != "ok" {
		c.cfg.Logger.Warn("health: a background worker is not alive", "worker", w.Name, "reason", r.Reason)
	}
	return r
}

// Ready returns the readiness handler: 200 and the Report when every
// check passes, 503 and the Report otherwise.
func (c *Checker) Ready() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := c.Check(r.Context())
		code := http.StatusOK
		if !rep.Ready() {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, rep)
	})
}

// Live returns the liveness handler: 200 {"status":"alive"} whenever the
// process can answer.
func (c *Checker) Live() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// Beat is the heartbeat of a background worker: Start when its Run
// starts, Tick at each step, Stop when Run returns. The zero Beat is not
// running. It is safe for concurrent use.
type Beat struct {
	running atomic.Bool
	last    atomic.Int64 // Unix nanoseconds
}

// Start marks the worker running, with a heartbeat at now.
func (b *Beat) Start(now time.Time) {
	b.Tick(now)
	b.running.Store(true)
}

// Tick records progress at now.
func (b *Beat) Tick(now time.Time) { b.last.Store(now.UnixNano()) }

// Stop marks the worker stopped.
func (b *Beat) Stop() { b.running.Store(false) }

// Heartbeat reports whether the worker runs and its last heartbeat.
func (b *Beat) Heartbeat() (bool, time.Time) {
	n := b.last.Load()
	if n == 0 {
		return b.running.Load(), time.Time{}
	}
	return b.running.Load(), time.Unix(0, n)
}
