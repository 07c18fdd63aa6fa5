package seal

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/onboardkit/onboardkit/health"
	"github.com/onboardkit/onboardkit/store"
)

// ResealerConfig configures a Resealer.
type ResealerConfig struct {
	// Store is resealed. Required.
	Store store.SecretStore
	// Interval is the time between runs; the first starts at once.
	// Default one hour.
	Interval time.Duration
	// Logger receives how many records each run resealed, and the records
	// that do not open (never a value). Default slog.Default().
	Logger *slog.Logger
}

// A Resealer moves a Store's secrets to the keyring's primary key in the
// background: Run calls Store.ResealSecrets when it starts (so a restart
// with a new primary key starts the move at once) and every Interval
// after (a value written meanwhile by an instance still on the old
// configuration is caught up). Several instances may run one each.
type Resealer struct {
	cfg  ResealerConfig
	beat health.Beat
}

// NewResealer validates cfg and returns a Resealer.
func NewResealer(cfg ResealerConfig) (*Resealer, error) {
	if cfg.Store == nil {
		return nil, errors.New("seal: ResealerConfig.Store is required")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Resealer{cfg: cfg}, nil
}

// Run reseals now and every Interval until ctx ends, and returns ctx's
// error. A failed run is logged and retried at the next interval.
func (r *Resealer) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	r.beat.Start(time.Now())
	defer r.beat.Stop()
	for {
		r.Once(ctx)
		r.beat.Tick(time.Now())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Heartbeat reports whether Run runs and when its last pass ended, for a
// readiness check (package health): give it a StaleAfter above Interval.
func (r *Resealer) Heartbeat() (running bool, last time.Time) { return r.beat.Heartbeat() }

// Once runs Store.ResealSecrets once and logs its outcome; it returns how
// many records it resealed and the error.
func (r *Resealer) Once(ctx context.Context) (int, error) {
	n, err := r.cfg.Store.ResealSecrets(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
	case err != nil:
		r.cfg.Logger.ErrorContext(ctx, "seal: some secrets could not be resealed; keep every key that sealed them in the keyring",
			"resealed", n, "err", err)
	case n > 0:
		r.cfg.Logger.InfoContext(ctx, "seal: secrets resealed under the primary key", "resealed", n)
	}
	return n, err
}
