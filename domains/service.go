package domains

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/store"
)

// Event types written by the Service, each in the same Store write as the
// change it records.
const (
	EventCreated            = "domain.created"
	EventVerified           = "domain.verified"
	EventVerificationFailed = "domain.verification_failed"
	EventRecordRemoved      = "domain.record_removed"
	EventUnverified         = "domain.unverified"
	EventDeleted            = "domain.deleted"
)

// ActorSystem is the actor of events caused by the background verifier.
const ActorSystem = "system"

// VerifiedByDNS is the VerifiedBy of domains verified by a DNS check.
const VerifiedByDNS = "dns"

// Config configures a Service. Only Store is required; the zero value of every
// other field selects the documented default.
type Config struct {
	// Store keeps domains and events. Required.
	Store Store

	// Resolver looks up TXT records. Default: net.DefaultResolver. Every
	// lookup runs under LookupTimeout whatever the Resolver does.
	Resolver Resolver

	// LookupTimeout bounds each DNS lookup. Default: 5s.
	LookupTimeout time.Duration

	// Now is the clock. Default: time.Now.
	Now func() time.Time

	// Rand is the source of challenges and ids. Default: crypto/rand.Reader.
	Rand io.Reader

	// Logger receives operational messages (DNS outages, Store errors).
	// Default: slog.Default().
	Logger *slog.Logger

	// RecordPrefix is the first label(s) of the TXT record name: the record
	// of example.com is published at "<RecordPrefix>.example.com".
	// Default: "_onboardkit-verification".
	RecordPrefix string

	// PendingTimeout is how long a pending DNS domain may wait for its
	// record before it fails (counted from its creation). Pending manual
	// domains wait for an operator without limit. Default: 7 days.
	PendingTimeout time.Duration

	// PendingCheckInterval is how often the background verifier looks for
	// the record of a pending DNS domain. Default: 5 minutes.
	PendingCheckInterval time.Duration

	// RecheckInterval is how often the record of a domain verified by DNS is
	// checked again. Default: 24 hours.
	RecheckInterval time.Duration

	// RetryInterval is how soon a verified domain is checked again after its
	// record was missing or DNS failed. Default: 1 hour.
	RetryInterval time.Duration

	// RemovedRecordChecks is the number of consecutive re-checks that must
	// find the record missing before a verified domain is unverified.
	// Default: 3.
	RemovedRecordChecks int

	// InsecureKeepVerifiedOnRemovedRecord keeps a verified domain verified
	// when its record disappears: the domain.record_removed event is still
	// written, and the host decides. Default: false (the domain is
	// unverified after RemovedRecordChecks misses).
	InsecureKeepVerifiedOnRemovedRecord bool

	// BlockedDomains are refused by Add in addition to the built-in list of
	// consumer mail domains (see IsConsumer); subdomains are refused too.
	// Default: none.
	BlockedDomains []string

	// PollInterval is how often Run looks for due domains. Default: 30s.
	PollInterval time.Duration

	// BatchSize is how many due domains Run loads at a time. Default: 100.
	BatchSize int

	// Concurrency is how many domains Run checks at once. Default: 4.
	Concurrency int

	// ClaimTimeout is how long a background verifier holds a domain it is
	// checking; if the verifier dies, another takes the domain over after
	// that time. It must exceed 3*LookupTimeout. Default: 2 minutes.
	ClaimTimeout time.Duration
}

// Service manages the domains of organizations: it adds them, verifies them
// by DNS or by an operator, checks them in the background and removes them.
// It is safe for concurrent use, and several Services (on several app
// instances) may share one Store.
type Service struct {
	cfg      Config
	resolver Resolver
	blocked  map[string]bool
}

// New validates cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("domains: Config.Store is required")
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
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
	if cfg.RecordPrefix == "" {
		cfg.RecordPrefix = "_onboardkit-verification"
	}
	if err := checkPrefix(cfg.RecordPrefix); err != nil {
		return nil, err
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"LookupTimeout", &cfg.LookupTimeout, 5 * time.Second},
		{"PendingTimeout", &cfg.PendingTimeout, 7 * 24 * time.Hour},
		{"PendingCheckInterval", &cfg.PendingCheckInterval, 5 * time.Minute},
		{"RecheckInterval", &cfg.RecheckInterval, 24 * time.Hour},
		{"RetryInterval", &cfg.RetryInterval, time.Hour},
		{"PollInterval", &cfg.PollInterval, 30 * time.Second},
		{"ClaimTimeout", &cfg.ClaimTimeout, 2 * time.Minute},
	} {
		if *d.v < 0 {
			return nil, fmt.Errorf("domains: Config.%s must not be negative", d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if cfg.ClaimTimeout <= 3*cfg.LookupTimeout {
		return nil, errors.New("domains: Config.ClaimTimeout must exceed 3*LookupTimeout")
	}
	for _, n := range []struct {
		name string
		v    *int
		def  int
	}{
		{"RemovedRecordChecks", &cfg.RemovedRecordChecks, 3},
		{"BatchSize", &cfg.BatchSize, 100},
		{"Concurrency", &cfg.Concurrency, 4},
	} {
		if *n.v < 0 {
			return nil, fmt.Errorf("domains: Config.%s must not be negative", n.name)
		}
		if *n.v == 0 {
			*n.v = n.def
		}
	}
	s := &Service{cfg: cfg, resolver: cfg.Resolver, blocked: map[string]bool{}}
	for _, b := range cfg.BlockedDomains {
		n, err := Normalize(b)
		if err != nil {
			return nil, fmt.Errorf("domains: Config.BlockedDomains: %w", err)
		}
		s.blocked[n] = true
	}
	return s, nil
}

func checkPrefix(p string) error {
	for _, l := range strings.Split(p, ".") {
		if l == "" || len(l) > maxLabelLen {
			return fmt.Errorf("domains: Config.RecordPrefix %q: bad label length", p)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("domains: Config.RecordPrefix %q: only lower-case letters, digits, '-' and '_' are allowed", p)
			}
		}
	}
	return nil
}

// now returns the clock in UTC at the microsecond precision every Store keeps,
// so that times read back compare equal to times written.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// Record returns the TXT record that proves d: its name (without trailing
// dot) and its exact value.
func (s *Service) Record(d *store.Domain) (name, value string) {
	return s.cfg.RecordPrefix + "." + d.Name, d.Challenge
}

func (s *Service) event(typ string, d *store.Domain, actor string, now time.Time, data map[string]any) (store.Event, error) {
	id, err := secret.NewID(s.cfg.Rand, "evt")
	if err != nil {
		return store.Event{}, err
	}
	if data == nil {
		data = map[string]any{}
	}
	data["name"] = d.Name
	raw, err := json.Marshal(data)
	if err != nil {
		return store.Event{}, err
	}
	return store.Event{ID: id, Type: typ, OrgID: d.OrgID, Subject: d.ID, Actor: actor, Data: raw, CreatedAt: now}, nil
}

// Add claims the domain name for the organization orgID as pending. The name
// is normalised (Normalize). Method DNSTXT makes the background verifier
// look for the record (see Record); method Manual waits for VerifyManually.
//
// Errors: ErrInvalidDomain, ErrConsumerDomain (consumer mail providers and
// Config.BlockedDomains), ErrAlreadyAdded (the organization holds the name),
// ErrDomainTaken (another organization holds it verified), store.ErrNotFound
// (no such organization), store.ErrInvalid (empty orgID, unknown method).
// Another organization's pending claim on the same name does not prevent
// this one: the first to verify wins.
func (s *Service) Add(ctx context.Context, orgID, name string, method store.DomainMethod, actor string) (*store.Domain, error) {
	return s.AddWithID(ctx, "", orgID, name, method, actor)
}

// AddWithID is Add with the new domain's id chosen by the caller ("" for
// a random one, as Add does): an id derived from an idempotency key makes
// a retried creation fail with ErrAlreadyAdded, on every app instance,
// instead of adding the domain twice.
func (s *Service) AddWithID(ctx context.Context, id, orgID, name string, method store.DomainMethod, actor string) (*store.Domain, error) {
	if orgID == "" {
		return nil, fmt.Errorf("domains: organization id is required: %w", store.ErrInvalid)
	}
	if !method.Valid() {
		return nil, fmt.Errorf("domains: unknown verification method %q: %w", method, store.ErrInvalid)
	}
	n, err := Normalize(name)
	if err != nil {
		return nil, err
	}
	if IsConsumer(n) || underAny(n, s.blocked) {
		return nil, fmt.Errorf("%w: %s", ErrConsumerDomain, n)
	}
	if method == store.DomainDNSTXT && len(s.cfg.RecordPrefix)+1+len(n) > maxNameLen {
		return nil, fmt.Errorf("%w %q: too long for its verification record name", ErrInvalidDomain, n)
	}
	switch v, err := s.cfg.Store.GetVerifiedDomain(ctx, n); {
	case err == nil && v.OrgID == orgID:
		return nil, fmt.Errorf("%w: %s", ErrAlreadyAdded, n)
	case err == nil:
		return nil, fmt.Errorf("%w: %s", ErrDomainTaken, n)
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("domains: looking up %s: %w", n, err)
	}
	challenge, err := secret.New(s.cfg.Rand, "")
	if err != nil {
		return nil, err
	}
	if id == "" {
		if id, err = secret.NewID(s.cfg.Rand, "dom"); err != nil {
			return nil, err
		}
	}
	now := s.now()
	d := &store.Domain{
		ID: id, OrgID: orgID, Name: n,
		State: store.DomainPending, Method: method, Challenge: challenge,
		CreatedAt: now, UpdatedAt: now,
	}
	if method == store.DomainDNSTXT {
		d.NextCheckAt = now.Add(s.cfg.PendingCheckInterval)
	}
	ev, err := s.event(EventCreated, d, actorOr(actor), now, map[string]any{"method": method})
	if err != nil {
		return nil, err
	}
	switch err := s.cfg.Store.CreateDomain(ctx, d, ev); {
	case errors.Is(err, store.ErrAlreadyExists):
		return nil, fmt.Errorf("%w: %s", ErrAlreadyAdded, n)
	case errors.Is(err, store.ErrConflict):
		return nil, fmt.Errorf("%w: %s", ErrDomainTaken, n)
	case err != nil:
		return nil, fmt.Errorf("domains: adding %s: %w", n, err)
	}
	return d, nil
}

func actorOr(a string) string {
	if a == "" {
		return ActorSystem
	}
	return a
}

// VerifyManually marks the pending or failed domain id verified on the word
// of actor (an operator), who is recorded in VerifiedBy and in the
// domain.verified event. The domain's method becomes Manual and it is never
// re-checked by DNS. Other organizations' pending claims on the name fail.
//
// Errors: store.ErrInvalid (empty actor), store.ErrNotFound, ErrNotPending
// (already verified), ErrDomainTaken (another organization holds the name
// verified; this domain is then marked failed).
func (s *Service) VerifyManually(ctx context.Context, id, actor string) (*store.Domain, error) {
	if actor == "" {
		return nil, fmt.Errorf("domains: manual verification needs an actor: %w", store.ErrInvalid)
	}
	now := s.now()
	d, err := s.cfg.Store.UpdateDomain(ctx, id, func(cur *store.Domain) ([]store.Event, error) {
		if cur.State == store.DomainVerified {
			return nil, fmt.Errorf("%w: %s is already verified", ErrNotPending, cur.Name)
		}
		cur.State = store.DomainVerified
		cur.Method = store.DomainManual
		cur.VerifiedAt = now
		cur.VerifiedBy = actor
		clearFailure(cur)
		cur.NextCheckAt = time.Time{}
		cur.UpdatedAt = now
		ev, err := s.event(EventVerified, cur, actor, now, map[string]any{"method": store.DomainManual, "by": actor})
		return []store.Event{ev}, err
	})
	if errors.Is(err, store.ErrConflict) {
		s.markTaken(ctx, id, now)
		return nil, fmt.Errorf("%w: domain %s", ErrDomainTaken, id)
	}
	if err != nil {
		return nil, err
	}
	s.failOtherClaims(ctx, d, now)
	return d, nil
}

// errChanged aborts an UpdateDomain whose domain changed since it was read.
var errChanged = errors.New("domains: domain changed concurrently")

func sameClaim(a, b *store.Domain) bool {
	return a.State == b.State && a.Challenge == b.Challenge && a.Method == b.Method
}

// Check looks up the domain's record now ("verify now") and records the
// result, as the background verifier would: a pending or failed domain whose
// record is published becomes verified; a verified domain whose record is
// missing counts a miss (see the removed-record policy in the package
// documentation). A manually verified domain is returned unchanged; a
// pending manual domain whose record is found becomes verified by DNS.
//
// When DNS did not show the expected record, Check returns the updated domain
// and a *CheckError saying what DNS showed. ErrDomainTaken means another
// organization verified the name first (the domain is marked failed).
func (s *Service) Check(ctx context.Context, id string) (*store.Domain, error) {
	for attempt := 0; attempt < 3; attempt++ {
		d, err := s.cfg.Store.GetDomain(ctx, id)
		if err != nil {
			return nil, err
		}
		if d.State == store.DomainVerified && d.Method == store.DomainManual {
			return d, nil
		}
		res, err := s.lookup(ctx, d)
		if err != nil {
			return nil, err
		}
		now := s.now()
		wasVerified := d.State == store.DomainVerified
		updated, err := s.cfg.Store.UpdateDomain(ctx, id, func(cur *store.Domain) ([]store.Event, error) {
			if !sameClaim(cur, d) {
				return nil, errChanged
			}
			return s.apply(cur, res, now, ActorSystem)
		})
		switch {
		case errors.Is(err, errChanged):
			continue
		case errors.Is(err, store.ErrConflict):
			s.markTaken(ctx, id, now)
			return nil, fmt.Errorf("%w: %s", ErrDomainTaken, d.Name)
		case err != nil:
			return nil, err
		}
		if !wasVerified && updated.State == store.DomainVerified {
			s.failOtherClaims(ctx, updated, now)
		}
		if res != nil {
			return updated, res
		}
		return updated, nil
	}
	return nil, errChanged
}

// apply records a DNS result res (nil: record found) in cur and returns the
// events of the change.
func (s *Service) apply(cur *store.Domain, res *CheckError, now time.Time, actor string) ([]store.Event, error) {
	cur.CheckedAt = now
	cur.UpdatedAt = now
	var evs []store.Event
	add := func(typ string, data map[string]any) error {
		ev, err := s.event(typ, cur, actor, now, data)
		evs = append(evs, ev)
		return err
	}
	if cur.State != store.DomainVerified {
		if res == nil {
			cur.State = store.DomainVerified
			cur.Method = store.DomainDNSTXT
			cur.VerifiedAt = now
			cur.VerifiedBy = VerifiedByDNS
			clearFailure(cur)
			cur.NextCheckAt = now.Add(s.cfg.RecheckInterval)
			return evs, add(EventVerified, map[string]any{"method": store.DomainDNSTXT, "by": VerifiedByDNS})
		}
		if cur.State == store.DomainFailed {
			// A "verify now" on a failed domain: keep it failed, show the
			// latest diagnosis.
			setFailure(cur, res.Kind, 0, res.Error())
			return evs, nil
		}
		deadline := cur.CreatedAt.Add(s.cfg.PendingTimeout)
		if !now.Before(deadline) {
			cur.State = store.DomainFailed
			setFailure(cur, KindExpired, 0, fmt.Sprintf("not verified within %s; last check: %s", s.cfg.PendingTimeout, res.Error()))
			cur.NextCheckAt = time.Time{}
			return evs, add(EventVerificationFailed, map[string]any{"reason": KindExpired, "dns": res.Kind, "detail": res.Error()})
		}
		setFailure(cur, res.Kind, 0, res.Error())
		cur.NextCheckAt = minTime(now.Add(s.cfg.PendingCheckInterval), deadline)
		return evs, nil
	}

	// Verified by DNS: a re-check.
	misses := cur.CheckFailures
	switch {
	case res == nil:
		clearFailure(cur)
		cur.NextCheckAt = now.Add(s.cfg.RecheckInterval)
		return evs, nil
	case res.Kind.Temporary():
		// A DNS outage says nothing about the record: keep the miss count
		// and look again soon.
		cur.NextCheckAt = now.Add(s.cfg.RetryInterval)
		s.cfg.Logger.Warn("domains: re-check of a verified domain failed", "domain", cur.Name, "id", cur.ID, "err", res.Error())
		return evs, nil
	}
	misses++
	if misses == 1 {
		if err := add(EventRecordRemoved, map[string]any{"dns": res.Kind, "detail": res.Error(), "keep_verified": s.cfg.InsecureKeepVerifiedOnRemovedRecord}); err != nil {
			return nil, err
		}
	}
	if !s.cfg.InsecureKeepVerifiedOnRemovedRecord && misses >= s.cfg.RemovedRecordChecks {
		cur.State = store.DomainFailed
		cur.VerifiedAt = time.Time{}
		cur.VerifiedBy = ""
		cur.NextCheckAt = time.Time{}
		setFailure(cur, KindRecordRemoved, 0, fmt.Sprintf("record missing on %d consecutive checks: %s", misses, res.Error()))
		return evs, add(EventUnverified, map[string]any{"reason": KindRecordRemoved, "dns": res.Kind, "detail": res.Error(), "misses": misses})
	}
	setFailure(cur, res.Kind, misses, res.Error())
	cur.NextCheckAt = now.Add(s.cfg.RetryInterval)
	return evs, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// markTaken fails the domain id because another organization verified its
// name first, unless it is verified itself.
func (s *Service) markTaken(ctx context.Context, id string, now time.Time) {
	d, err := s.cfg.Store.GetDomain(ctx, id)
	if err != nil {
		return
	}
	// Look the winner up before the update: fn runs inside the Store's write
	// and must not call the Store.
	v, err := s.cfg.Store.GetVerifiedDomain(ctx, d.Name)
	if err != nil || v.OrgID == d.OrgID {
		return
	}
	_, err = s.cfg.Store.UpdateDomain(ctx, id, func(cur *store.Domain) ([]store.Event, error) {
		if cur.State == store.DomainVerified {
			return nil, errChanged
		}
		if cur.State == store.DomainFailed && cur.FailureKind == string(KindTaken) {
			return nil, errChanged
		}
		cur.State = store.DomainFailed
		setFailure(cur, KindTaken, 0, fmt.Sprintf("another organization verified %s first", cur.Name))
		cur.NextCheckAt = time.Time{}
		cur.UpdatedAt = now
		ev, err := s.event(EventVerificationFailed, cur, ActorSystem, now, map[string]any{"reason": KindTaken})
		return []store.Event{ev}, err
	})
	if err != nil && !errors.Is(err, errChanged) && !errors.Is(err, store.ErrNotFound) {
		s.cfg.Logger.Error("domains: marking a domain taken", "id", id, "err", err)
	}
}

// failOtherClaims fails the other organizations' pending claims on the name of
// the verified domain won, telling them with an event.
func (s *Service) failOtherClaims(ctx context.Context, won *store.Domain, now time.Time) {
	claims, err := s.cfg.Store.ListDomainsByName(ctx, won.Name)
	if err != nil {
		s.cfg.Logger.Error("domains: listing claims", "domain", won.Name, "err", err)
		return
	}
	for _, c := range claims {
		if c.ID != won.ID && c.OrgID != won.OrgID && c.State == store.DomainPending {
			s.markTaken(ctx, c.ID, now)
		}
	}
}

// Remove deletes the domain id with a domain.deleted event by actor. Removing
// an absent domain returns nil.
func (s *Service) Remove(ctx context.Context, id, actor string) error {
	d, err := s.cfg.Store.GetDomain(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.now()
	ev, err := s.event(EventDeleted, d, actorOr(actor), now, map[string]any{"state": d.State})
	if err != nil {
		return err
	}
	return s.cfg.Store.DeleteDomain(ctx, id, ev)
}

// Run is the background verifier: it checks due domains every PollInterval
// until ctx ends, then returns nil. Every app instance may run it at once:
// each due domain is claimed by one Service before its DNS lookup (see
// RunOnce).
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("domains: background verification", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce checks the domains due now (Store.ListDomainsDue) and returns how
// many it checked. For each, it claims the domain by moving NextCheckAt
// ClaimTimeout ahead in one UpdateDomain that first verifies nobody changed
// or claimed the domain since it was listed, looks up the record outside any
// Store write, then records the result in a second UpdateDomain that
// verifies the claim is still its own. A Service that loses either race
// leaves the domain alone, so concurrent verifiers never check one domain
// twice for one due time and never overwrite each other.
func (s *Service) RunOnce(ctx context.Context) (int, error) {
	var checked atomic.Int64
	for {
		now := s.now()
		due, err := s.cfg.Store.ListDomainsDue(ctx, now, s.cfg.BatchSize)
		if err != nil {
			return int(checked.Load()), err
		}
		if len(due) == 0 {
			return int(checked.Load()), nil
		}
		var claimed atomic.Int64
		sem := make(chan struct{}, s.cfg.Concurrency)
		var wg sync.WaitGroup
		for i := range due {
			if ctx.Err() != nil {
				break
			}
			d := due[i]
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				c, ok := s.process(ctx, &d, now)
				if c {
					claimed.Add(1)
				}
				if ok {
					checked.Add(1)
				}
			}()
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return int(checked.Load()), err
		}
		if claimed.Load() == 0 || len(due) < s.cfg.BatchSize {
			return int(checked.Load()), nil
		}
	}
}

// process claims, checks and updates one due domain. It reports whether it
// claimed the domain and whether it recorded a result.
func (s *Service) process(ctx context.Context, d *store.Domain, now time.Time) (claimed, checked bool) {
	noWork := false
	c, err := s.cfg.Store.UpdateDomain(ctx, d.ID, func(cur *store.Domain) ([]store.Event, error) {
		noWork = false // a Store may run fn more than once
		if !sameClaim(cur, d) || !cur.NextCheckAt.Equal(d.NextCheckAt) || cur.NextCheckAt.IsZero() || cur.NextCheckAt.After(now) {
			return nil, errChanged
		}
		if cur.State == store.DomainFailed || cur.State == store.DomainVerified && cur.Method == store.DomainManual ||
			cur.State == store.DomainPending && cur.Method == store.DomainManual {
			// Nothing for DNS to do: stop scheduling it.
			noWork = true
			cur.NextCheckAt = time.Time{}
			return nil, nil
		}
		cur.NextCheckAt = s.now().Add(s.cfg.ClaimTimeout)
		return nil, nil
	})
	if errors.Is(err, errChanged) || errors.Is(err, store.ErrNotFound) {
		return false, false
	}
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Logger.Error("domains: claiming a domain", "id", d.ID, "err", err)
		}
		return false, false
	}
	if noWork {
		return true, false
	}
	res, err := s.lookup(ctx, c)
	if err != nil {
		// ctx ended; the claim expires and another verifier takes over.
		return true, false
	}
	done := s.now()
	wasVerified := c.State == store.DomainVerified
	updated, err := s.cfg.Store.UpdateDomain(ctx, c.ID, func(cur *store.Domain) ([]store.Event, error) {
		if !sameClaim(cur, c) || !cur.NextCheckAt.Equal(c.NextCheckAt) {
			return nil, errChanged
		}
		return s.apply(cur, res, done, ActorSystem)
	})
	switch {
	case errors.Is(err, errChanged), errors.Is(err, store.ErrNotFound):
		return true, false
	case errors.Is(err, store.ErrConflict):
		s.markTaken(ctx, c.ID, done)
		return true, true
	case err != nil:
		if ctx.Err() == nil {
			s.cfg.Logger.Error("domains: recording a check", "id", c.ID, "err", err)
		}
		return true, false
	}
	if res != nil {
		s.cfg.Logger.Debug("domains: record not found", "domain", c.Name, "id", c.ID, "kind", res.Kind, "state", updated.State)
	}
	if !wasVerified && updated.State == store.DomainVerified {
		s.failOtherClaims(ctx, updated, done)
	}
	return true, true
}

// setFailure records a failure in the domain's failure fields: its kind,
// the consecutive misses of a verified domain's record (0 otherwise) and the
// message shown to admins.
func setFailure(d *store.Domain, kind CheckKind, misses int, msg string) {
	d.FailureKind, d.CheckFailures, d.Failure = string(kind), misses, msg
}

// clearFailure records a successful check.
func clearFailure(d *store.Domain) {
	d.FailureKind, d.CheckFailures, d.Failure = "", 0, ""
}

// FailureOf returns the kind and message of d's last failure, as recorded by
// the Service in d.FailureKind and d.Failure: for a pending domain the last
// DNS diagnosis, for a failed domain why it failed, for a verified domain a
// missing record not yet acted on. Both are empty when there is none; the
// kind alone is empty when the failure was not recorded by this package.
func FailureOf(d *store.Domain) (CheckKind, string) {
	if d == nil || (d.Failure == "" && d.FailureKind == "") {
		return "", ""
	}
	return CheckKind(d.FailureKind), d.Failure
}
