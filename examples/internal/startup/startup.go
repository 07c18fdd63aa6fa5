// Package startup is the start-up every example shares: an http.Server
// whose timeouts fit the kits, and the kits' background work. A host
// application does the same in its own main; README.md shows it as one
// program.
package startup

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/gworkspace"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/seal"
)

// Timeouts are an http.Server's limits on slow and idle clients.
type Timeouts struct {
	// ReadHeader bounds reading the request line and headers. Default 10s.
	ReadHeader time.Duration
	// Read bounds reading the whole request, body included: a SCIM
	// request, a SAML response posted to the ACS or a management API call
	// that trickles in a byte every few seconds is cut off when it runs
	// out. The kits' bodies are small (SCIM 1 MiB, the ACS 256 KiB by
	// default), so that even a slow client sends one well within it.
	// Default 30s.
	Read time.Duration
	// Write bounds handling the request and writing the response, from
	// the end of the headers. It must exceed the kits' own outbound
	// timeouts (10s for an OIDC token exchange or a metadata download, 5s
	// for a DNS lookup). Default 60s.
	Write time.Duration
	// Idle bounds how long a keep-alive connection waits for its next
	// request. Default 120s.
	Idle time.Duration
}

// MaxHeaderBytes caps request headers. The kits need little: cookies, a
// bearer token, and on redirect bindings a query string of a few KiB.
const MaxHeaderBytes = 64 << 10

func (t Timeouts) withDefaults() Timeouts {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.ReadHeader, 10*time.Second)
	def(&t.Read, 30*time.Second)
	def(&t.Write, 60*time.Second)
	def(&t.Idle, 120*time.Second)
	return t
}

// NewServer returns an http.Server for h with t's timeouts (zero fields
// take their defaults) and MaxHeaderBytes. Its error log goes to logger at
// level Warn.
func NewServer(h http.Handler, t Timeouts, logger *slog.Logger) *http.Server {
	t = t.withDefaults()
	if logger == nil {
		logger = slog.Default()
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// Shutdown stops srv, letting requests in flight finish for up to five
// seconds, then closes the connections left. (A connection that a client
// opened but never sent a request on, as Go's HTTP client may do when it
// dials ahead, counts as busy for five seconds.)
func Shutdown(srv *http.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return srv.Close()
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Main is an example's main: it calls run with a context that ends on
// SIGINT or SIGTERM, the command-line arguments, standard output and
// standard error, and exits with status 1 after printing run's error,
// prefixed with name.
func Main(name string, run func(ctx context.Context, args []string, out, logOut io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		stop()
		os.Exit(1)
	}
}

// Serve serves h on ln with NewServer's default timeouts and runs bg until
// ctx is done or the server fails, then shuts the server down. Ready, when
// not nil, runs once the server is serving (to set up what needs the
// server's own endpoints); an error from it stops the server and is
// returned.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, bg Background, ready func(context.Context) error) error {
	logger := bg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	srv := NewServer(h, Timeouts{}, logger)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	stopBackground := bg.Start(ctx)
	defer stopBackground()
	if ready != nil {
		if err := ready(ctx); err != nil {
			Shutdown(srv)
			return err
		}
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	return Shutdown(srv)
}

// Background is the kits' background work of one app instance.
type Background struct {
	// SSO, when set, runs ssokit's Run: the hourly metadata refresh, the
	// certificate-expiry reports and the Store's cleanup (expired login
	// requests, replay cache, portal sessions and links; events past the
	// retention).
	SSO *ssokit.SSO
	// Domains, when set, runs the verification of pending domains and the
	// daily re-check of verified ones.
	Domains *domains.Service
	// Google, when set, syncs the active Google Workspace directories when
	// they are due.
	Google *gworkspace.Syncer
	// Store, when SSO is nil, is cleaned up by store.Cleanup every hour
	// instead, with the default event retention.
	Store store.CleanupStore
	// Reseal, when set, runs: the Store's secrets move to the primary key
	// of its keyring after a key rotation.
	Reseal *seal.Resealer
	// Logger receives failures. Default slog.Default().
	Logger *slog.Logger
}

// Resealer returns the seal.Resealer of st, logging to logger.
func Resealer(st store.SecretStore, logger *slog.Logger) *seal.Resealer {
	rs, err := seal.NewResealer(seal.ResealerConfig{Store: st, Logger: logger})
	if err != nil {
		panic(err) // st is not nil
	}
	return rs
}

// Start runs the background work in goroutines until ctx is done or stop
// is called; stop ends the work and waits for it.
func (b Background) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	logger := b.Logger
	if logger == nil {
		logger = slog.Default()
	}
	var wg sync.WaitGroup
	run := func(name string, fn func(context.Context) error) {
		wg.Go(func() {
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				logger.Error("background work stopped", "work", name, "err", err)
			}
		})
	}
	if b.SSO != nil {
		run("ssokit", b.SSO.Run)
	} else if b.Store != nil {
		run("cleanup", func(ctx context.Context) error { return cleanupLoop(ctx, b.Store, logger) })
	}
	if b.Domains != nil {
		run("domains", b.Domains.Run)
	}
	if b.Google != nil {
		run("gworkspace", b.Google.Run)
	}
	if b.Reseal != nil {
		run("reseal", b.Reseal.Run)
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// cleanupLoop runs store.Cleanup every hour until ctx is done.
func cleanupLoop(ctx context.Context, st store.CleanupStore, logger *slog.Logger) error {
	holder, err := secret.NewID(rand.Reader, "holder")
	if err != nil {
		return err
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if _, err := store.Cleanup(ctx, st, holder, time.Now().UTC(), time.Hour, store.DefaultEventRetention); err != nil && ctx.Err() == nil {
			logger.Warn("cleanup", "err", err)
		}
		select {
		case <-ctx.Done():
			_ = st.ReleaseLease(context.WithoutCancel(ctx), store.CleanupLease, holder)
			return nil
		case <-t.C:
		}
	}
}
