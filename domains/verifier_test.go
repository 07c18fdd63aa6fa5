package domains

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/onboardkit/onboardkit/store"
)

// TestConcurrentVerifiers runs two background verifiers (two app instances)
// on one Store at once over many due domains: each domain must be looked up
// once per due time, and every result must be recorded exactly once.
func TestConcurrentVerifiers(t *testing.T) {
	forEachStore(t, func(c *Config) {
		c.PollInterval = 2 * time.Millisecond
		c.BatchSize = 7
		c.Concurrency = 3
	}, testConcurrentVerifiers)
}

func testConcurrentVerifiers(t *testing.T, e *testEnv, other store.Store) {
	svc2 := e.newService(t, func(c *Config) { c.Store = other; c.Concurrency = 5; c.BatchSize = 11 })
	ctx := context.Background()
	for _, o := range []string{"org_a", "org_b", "org_c"} {
		e.org(t, o)
	}
	const n = 60
	var good, wrong []*store.Domain
	for i := 0; i < n; i++ {
		org := []string{"org_a", "org_b", "org_c"}[i%3]
		d := e.add(t, org, fmt.Sprintf("d%02d.example", i))
		if i%3 == 2 {
			name, _ := e.svc.Record(d)
			e.dns.SetTXT(name, "not-the-challenge")
			wrong = append(wrong, d)
		} else {
			e.publish(d)
			good = append(good, d)
		}
	}
	// Two organizations claim one name and both publish their record.
	ca := e.add(t, "org_a", "contested.example")
	cb := e.add(t, "org_b", "contested.example")
	cname, _ := e.svc.Record(ca)
	e.dns.SetTXT(cname, ca.Challenge, cb.Challenge)

	runBoth := func(round int, done func() bool) {
		t.Helper()
		rctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, s := range []*Service{e.svc, svc2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.Run(rctx)
			}()
		}
		stopped := make(chan struct{})
		stop := func() {
			cancel()
			go func() { wg.Wait(); close(stopped) }()
			select {
			case <-stopped:
			case <-time.After(time.Minute):
				t.Fatalf("round %d: Run did not return after its context ended", round)
			}
		}
		deadline := time.Now().Add(time.Minute)
		for !done() {
			if time.Now().After(deadline) {
				stop()
				t.Fatalf("round %d: verifiers did not finish", round)
			}
			time.Sleep(5 * time.Millisecond)
		}
		// Let both keep polling for a while: nothing more may happen.
		time.Sleep(50 * time.Millisecond)
		stop()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: Run %d returned %v", round, i, err)
			}
		}
	}
	checkedAt := func(ds []*store.Domain, at time.Time) bool {
		for _, d := range ds {
			if !e.get(t, d.ID).CheckedAt.Equal(at) {
				return false
			}
		}
		return true
	}

	// Round 1: everything is due.
	e.clock.Add(5 * time.Minute)
	now1 := e.clock.Now()
	runBoth(1, func() bool {
		return checkedAt(good, now1) && checkedAt(wrong, now1) &&
			e.get(t, ca.ID).State != store.DomainPending && e.get(t, cb.ID).State != store.DomainPending
	})
	for _, d := range good {
		g := e.get(t, d.ID)
		if g.State != store.DomainVerified || !g.NextCheckAt.Equal(now1.Add(24*time.Hour)) {
			t.Errorf("%s: %+v", d.Name, g)
		}
		name, _ := e.svc.Record(d)
		if q := e.dns.Count(name, dns.TypeTXT); q != 1 {
			t.Errorf("%s: %d lookups, want 1", d.Name, q)
		}
		if evs := e.eventsFor(t, d.ID, EventVerified); len(evs) != 1 {
			t.Errorf("%s: %d verified events", d.Name, len(evs))
		}
	}
	for _, d := range wrong {
		g := e.get(t, d.ID)
		if k, _ := FailureOf(g); g.State != store.DomainPending || k != KindWrongValue || !g.NextCheckAt.Equal(now1.Add(5*time.Minute)) {
			t.Errorf("%s: %+v", d.Name, g)
		}
		name, _ := e.svc.Record(d)
		if q := e.dns.Count(name, dns.TypeTXT); q != 1 {
			t.Errorf("%s: %d lookups, want 1", d.Name, q)
		}
	}
	// Exactly one of the contested claims won, the other was told once.
	ga, gb := e.get(t, ca.ID), e.get(t, cb.ID)
	winner, loser := ga, gb
	if gb.State == store.DomainVerified {
		winner, loser = gb, ga
	}
	if winner.State != store.DomainVerified || loser.State != store.DomainFailed {
		t.Fatalf("contested: %+v / %+v", ga, gb)
	}
	if n := len(e.eventsFor(t, winner.ID, EventVerified)); n != 1 {
		t.Errorf("winner has %d verified events", n)
	}
	if evs := e.eventsFor(t, loser.ID, EventVerificationFailed); len(evs) != 1 || eventData(t, evs[0])["reason"] != "taken" {
		t.Errorf("loser events %+v", evs)
	}
	if n := len(e.eventsFor(t, loser.ID, EventVerified)); n != 0 {
		t.Errorf("loser has %d verified events", n)
	}
	if q := e.dns.Count(cname, dns.TypeTXT); q > 2 {
		t.Errorf("contested record looked up %d times", q)
	}

	// Round 2: only the pending domains are due again.
	e.clock.Add(5 * time.Minute)
	now2 := e.clock.Now()
	runBoth(2, func() bool { return checkedAt(wrong, now2) })
	for _, d := range wrong {
		name, _ := e.svc.Record(d)
		if q := e.dns.Count(name, dns.TypeTXT); q != 2 {
			t.Errorf("%s: %d lookups after round 2, want 2", d.Name, q)
		}
	}
	for _, d := range good {
		name, _ := e.svc.Record(d)
		if q := e.dns.Count(name, dns.TypeTXT); q != 1 {
			t.Errorf("%s: re-checked before its interval (%d lookups)", d.Name, q)
		}
	}
}

// blockingResolver holds the lookup of one name until released, then answers
// with a stale value: a verifier that stalls past its claim.
type blockingResolver struct {
	Resolver
	name    string
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if name == b.name+"." {
		b.once.Do(func() { close(b.started) })
		<-b.release
		return []string{"stale-answer"}, nil
	}
	return b.Resolver.LookupTXT(ctx, name)
}

// TestStalledVerifierLosesClaim: a verifier that stalls past ClaimTimeout
// loses the domain to another, and its late result is dropped instead of
// overwriting the newer one.
func TestStalledVerifierLosesClaim(t *testing.T) {
	for _, verified := range []bool{false, true} {
		t.Run(fmt.Sprintf("verified=%v", verified), func(t *testing.T) { testStalledVerifier(t, verified) })
	}
}

func testStalledVerifier(t *testing.T, verified bool) {
	e := newTestEnv(t, nil)
	e.org(t, "org_a")
	d := e.add(t, "org_a", "acme.example")
	e.publish(d)
	name, _ := e.svc.Record(d)
	if verified {
		// A re-check of a verified domain: the state does not change, only
		// the claim tells the stale result apart.
		if _, err := e.svc.Check(context.Background(), d.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(24*time.Hour - 5*time.Minute)
	}
	before := e.dns.Count(name, dns.TypeTXT)
	br := &blockingResolver{Resolver: e.dns.Resolver(), name: name, started: make(chan struct{}), release: make(chan struct{})}
	// A long LookupTimeout: the stall outlives the claim, not the lookup.
	stalled := e.newService(t, func(c *Config) { c.Resolver = br; c.LookupTimeout = time.Hour; c.ClaimTimeout = 4 * time.Hour })

	e.clock.Add(5 * time.Minute)
	type result struct {
		n   int
		err error
	}
	res := make(chan result, 1)
	go func() {
		n, err := stalled.RunOnce(context.Background())
		res <- result{n, err}
	}()
	<-br.started
	// While the claim holds, the other verifier leaves the domain alone.
	if n := runOnce(t, e.svc); n != 0 {
		t.Fatalf("second verifier checked %d claimed domains", n)
	}
	if q := e.dns.Count(name, dns.TypeTXT); q != before {
		t.Fatalf("claimed domain looked up %d times", q-before)
	}
	// The claim expires; the other verifier takes over and verifies.
	e.clock.Add(4 * time.Hour)
	if n := runOnce(t, e.svc); n != 1 {
		t.Fatalf("second verifier checked %d, want 1", n)
	}
	close(br.release)
	r := <-res
	if r.err != nil || r.n != 0 {
		t.Fatalf("stalled verifier: checked %d, err %v", r.n, r.err)
	}
	g := e.get(t, d.ID)
	if g.State != store.DomainVerified || g.Failure != "" {
		t.Fatalf("stale result overwrote the domain: %+v", g)
	}
	if n := len(e.eventsFor(t, d.ID, EventRecordRemoved)); n != 0 {
		t.Errorf("stale result wrote %d record_removed events", n)
	}
	if n := len(e.eventsFor(t, d.ID, EventVerified)); n != 1 {
		t.Errorf("%d verified events", n)
	}
}

// TestCheckDuringBackgroundClaim: a "verify now" while a verifier holds the
// domain wins; the verifier's later result is dropped.
func TestCheckDuringBackgroundClaim(t *testing.T) {
	e := newTestEnv(t, nil)
	e.org(t, "org_a")
	d := e.add(t, "org_a", "acme.example")
	e.publish(d)
	name, _ := e.svc.Record(d)
	br := &blockingResolver{Resolver: e.dns.Resolver(), name: name, started: make(chan struct{}), release: make(chan struct{})}
	bg := e.newService(t, func(c *Config) { c.Resolver = br })
	e.clock.Add(5 * time.Minute)
	done := make(chan int, 1)
	go func() {
		n, _ := bg.RunOnce(context.Background())
		done <- n
	}()
	<-br.started
	if g, err := e.svc.Check(context.Background(), d.ID); err != nil || g.State != store.DomainVerified {
		t.Fatalf("Check = %+v, %v", g, err)
	}
	close(br.release)
	if n := <-done; n != 0 {
		t.Errorf("background verifier recorded %d results", n)
	}
	if g := e.get(t, d.ID); g.State != store.DomainVerified || g.Failure != "" {
		t.Fatalf("after both: %+v", g)
	}
	if n := len(e.eventsFor(t, d.ID, EventRecordRemoved)); n != 0 {
		t.Errorf("%d record_removed events", n)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.PollInterval = time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- e.svc.Run(ctx) }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Run = %v", err)
	}
}
