package limits

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is a token bucket: Burst requests at once, refilled at PerSecond.
// The zero Rate means the default of the field that holds it.
type Rate struct {
	// PerSecond is the sustained rate, in requests per second (0.5 is one
	// every two seconds).
	PerSecond float64
	// Burst is how many requests may come at once, after a quiet period.
	Burst int
	// Unlimited turns the limit off; PerSecond and Burst are then ignored.
	Unlimited bool
}

// Or returns r, or def when r is the zero Rate.
func (r Rate) Or(def Rate) Rate {
	if r == (Rate{}) {
		return def
	}
	return r
}

// Validate reports a Rate that cannot be used (negative, NaN, or a rate
// without a burst), naming it field.
func (r Rate) Validate(field string) error {
	if r.Unlimited {
		return nil
	}
	if r.PerSecond < 0 || math.IsNaN(r.PerSecond) || math.IsInf(r.PerSecond, 0) || r.Burst < 0 {
		return fmt.Errorf("%s: rate and burst must be finite and not negative", field)
	}
	if r.Burst == 0 || r.PerSecond == 0 {
		return fmt.Errorf("%s: a limit needs a positive rate and burst (set Unlimited to turn it off)", field)
	}
	return nil
}

// maxKeys bounds the buckets a Keyed keeps: past it, full (idle) buckets
// are dropped first, then any.
const maxKeys = 1 << 16

const shards = 32

// Keyed is a set of token buckets of one Rate, one per key, local to this
// process. Safe for concurrent use. Memory is bounded: it keeps at most
// 65,536 keys, dropping idle ones first (a dropped key starts again with a
// full bucket).
type Keyed struct {
	rate  Rate
	now   func() time.Time
	seed  maphash.Seed
	shard [shards]struct {
		mu sync.Mutex
		m  map[string]*rate.Limiter
	}
}

// NewKeyed returns the buckets of r. now is the clock (time.Now when nil).
func NewKeyed(r Rate, now func() time.Time) *Keyed {
	if now == nil {
		now = time.Now
	}
	k := &Keyed{rate: r, now: now, seed: maphash.MakeSeed()}
	for i := range k.shard {
		k.shard[i].m = map[string]*rate.Limiter{}
	}
	return k
}

// Allow takes one request from key's bucket. It returns 0 when the request
// may go on, else how long until it could (nothing is taken then).
func (k *Keyed) Allow(key string) time.Duration {
	if k == nil || k.rate.Unlimited {
		return 0
	}
	now := k.now()
	l := k.limiter(key, now, true)
	res := l.ReserveN(now, 1)
	if !res.OK() {
		return time.Hour
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d
	}
	return 0
}

// Peek reports, without taking anything, how long until key's bucket has a
// request to give: 0 when it has one now, or when key has no bucket yet.
func (k *Keyed) Peek(key string) time.Duration {
	if k == nil || k.rate.Unlimited {
		return 0
	}
	now := k.now()
	l := k.limiter(key, now, false)
	if l == nil {
		return 0
	}
	missing := 1 - l.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(missing / k.rate.PerSecond * float64(time.Second))
}

// limiter returns key's bucket, creating it when create is set.
func (k *Keyed) limiter(key string, now time.Time, create bool) *rate.Limiter {
	s := &k.shard[maphash.String(k.seed, key)%shards]
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.m[key]
	if l != nil || !create {
		return l
	}
	if len(s.m) >= maxKeys/shards {
		k.evict(s.m, now)
	}
	l = rate.NewLimiter(rate.Limit(k.rate.PerSecond), k.rate.Burst)
	s.m[key] = l
	return l
}

// evict drops the full buckets of m, which behave as new ones would, or
// when none is full, one eighth of m (map order: arbitrary keys).
func (k *Keyed) evict(m map[string]*rate.Limiter, now time.Time) {
	burst := float64(k.rate.Burst)
	for key, l := range m {
		if l.TokensAt(now) >= burst {
			delete(m, key)
		}
	}
	if len(m) < maxKeys/shards {
		return
	}
	drop := len(m) / 8
	for key := range m {
		if drop == 0 {
			break
		}
		delete(m, key)
		drop--
	}
}

// NewLogSampler returns buckets for deciding which refusals to log: the
// first of a key, then at most one a minute, so that a flood of refused
// requests does not become a flood of log lines.
func NewLogSampler(now func() time.Time) *Keyed {
	return NewKeyed(Rate{PerSecond: 1.0 / 60, Burst: 1}, now)
}

// Window is a limit on attempts counted in fixed windows: at most Attempts
// in each Period. The zero Window means the default of the field that
// holds it.
type Window struct {
	Attempts int
	Period   time.Duration
	// Unlimited turns the limit off.
	Unlimited bool
}

// Or returns w, or def when w is the zero Window.
func (w Window) Or(def Window) Window {
	if w == (Window{}) {
		return def
	}
	return w
}

// Validate reports a Window that cannot be used, naming it field.
func (w Window) Validate(field string) error {
	if w.Unlimited {
		return nil
	}
	if w.Attempts <= 0 || w.Period <= 0 {
		return fmt.Errorf("%s: a window needs positive Attempts and Period (set Unlimited to turn it off)", field)
	}
	return nil
}

// Counter counts attempts for Shared; store.RateStore (every Store) is
// one.
type Counter interface {
	CountAttempt(ctx context.Context, key string, start, end time.Time) (int64, error)
}

// Shared limits attempts per key in the Store, so that every app instance
// counts against one allowance: for the limits that guard a secret (a
// portal link), where an attacker spreading requests over instances must
// not get more tries.
type Shared struct {
	c   Counter
	w   Window
	now func() time.Time
}

// NewShared returns the limit w counted in c. now is the clock (time.Now
// when nil).
func NewShared(c Counter, w Window, now func() time.Time) *Shared {
	if now == nil {
		now = time.Now
	}
	return &Shared{c: c, w: w, now: now}
}

// ErrKeyTooLong is returned by Shared.Allow for a key the Store cannot
// hold.
var ErrKeyTooLong = errors.New("limits: key too long")

// Allow counts one attempt of key. It returns 0 when the attempt may go on,
// else how long until the window ends, or the Store's error.
func (s *Shared) Allow(ctx context.Context, key string) (time.Duration, error) {
	if s == nil || s.w.Unlimited {
		return 0, nil
	}
	if len(key) > 200 {
		return 0, ErrKeyTooLong
	}
	now := s.now().UTC()
	start := now.Truncate(s.w.Period)
	end := start.Add(s.w.Period)
	n, err := s.c.CountAttempt(ctx, key, start, end)
	if err != nil {
		return 0, err
	}
	if n > int64(s.w.Attempts) {
		return end.Sub(now), nil
	}
	return 0, nil
}

// SetRetryAfter sets the Retry-After header of a 429 answer to d in whole
// seconds, rounded up, at least 1.
func SetRetryAfter(w http.ResponseWriter, d time.Duration) {
	secs := int64(math.Ceil(d.Seconds()))
	w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
}
