package domains

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/onboardkit/onboardkit/store"
)

func TestNewConfig(t *testing.T) {
	e := newTestEnv(t, nil)
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no store", Config{}},
		{"negative timeout", Config{Store: e.st, LookupTimeout: -1}},
		{"negative checks", Config{Store: e.st, RemovedRecordChecks: -1}},
		{"bad prefix", Config{Store: e.st, RecordPrefix: "Bad Prefix"}},
		{"empty prefix label", Config{Store: e.st, RecordPrefix: "a..b"}},
		{"claim too short", Config{Store: e.st, LookupTimeout: time.Minute, ClaimTimeout: time.Minute}},
		{"bad blocked domain", Config{Store: e.st, BlockedDomains: []string{"not a domain"}}},
	} {
		if _, err := New(tc.cfg); err == nil {
			t.Errorf("%s: New succeeded", tc.name)
		}
	}
	s, err := New(Config{Store: e.st})
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.LookupTimeout != 5*time.Second || s.cfg.PendingTimeout != 7*24*time.Hour ||
		s.cfg.RecheckInterval != 24*time.Hour || s.cfg.PendingCheckInterval != 5*time.Minute ||
		s.cfg.RemovedRecordChecks != 3 || s.cfg.RecordPrefix != "_onboardkit-verification" {
		t.Errorf("defaults not applied: %+v", s.cfg)
	}
}

func TestAddAndRecord(t *testing.T) {
	e := newTestEnv(t, nil)
	e.org(t, "org_a")
	d, err := e.svc.Add(context.Background(), "org_a", "Example.COM.", store.DomainDNSTXT, "portal:s1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "example.com" || d.State != store.DomainPending || d.Method != store.DomainDNSTXT {
		t.Fatalf("added %+v", d)
	}
	if len(d.Challenge) < 40 {
		t.Errorf("challenge %q too short", d.Challenge)
	}
	if want := e.clock.Now().Add(5 * time.Minute); !d.NextCheckAt.Equal(want) {
		t.Errorf("NextCheckAt = %v, want %v", d.NextCheckAt, want)
	}
	name, value := e.svc.Record(d)
	if name != "_onboardkit-verification.example.com" || value != d.Challenge {
		t.Errorf("Record = %q %q", name, value)
	}
	evs := e.eventsFor(t, d.ID, EventCreated)
	if len(evs) != 1 || evs[0].OrgID != "org_a" || evs[0].Actor != "portal:s1" || !evs[0].CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("created events = %+v", evs)
	}
	if m := eventData(t, evs[0]); m["method"] != "dns_txt" || m["name"] != "example.com" {
		t.Errorf("event data %v", m)
	}

	// Another domain gets another challenge.
	d2, err := e.svc.Add(context.Background(), "org_a", "example.org", store.DomainDNSTXT, "")
	if err != nil {
		t.Fatal(err)
	}
	if d2.Challenge == d.Challenge {
		t.Error("challenges repeat")
	}
	// A manual domain is never scheduled for DNS.
	m, err := e.svc.Add(context.Background(), "org_a", "manual.example", store.DomainManual, "operator:ann")
	if err != nil {
		t.Fatal(err)
	}
	if !m.NextCheckAt.IsZero() {
		t.Errorf("manual domain scheduled at %v", m.NextCheckAt)
	}
}

var longName = strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 50) + ".com"

func TestAddRules(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.BlockedDomains = []string{"Partner-Mail.example"} })
	ctx := context.Background()
	e.org(t, "org_a")
	e.org(t, "org_b")
	verified := e.add(t, "org_a", "victim.com")
	if _, err := e.svc.VerifyManually(ctx, verified.ID, "operator:ann"); err != nil {
		t.Fatal(err)
	}
	e.add(t, "org_a", "pending.com")

	for _, tc := range []struct {
		org, name string
		method    store.DomainMethod
		want      error
	}{
		{"org_b", "gmail.com", store.DomainDNSTXT, ErrConsumerDomain},
		{"org_b", "GMAIL.COM.", store.DomainDNSTXT, ErrConsumerDomain},
		{"org_b", "mail.gmail.com", store.DomainDNSTXT, ErrConsumerDomain},
		{"org_b", "outlook.com", store.DomainManual, ErrConsumerDomain},
		{"org_b", "yahoo.co.uk", store.DomainDNSTXT, ErrConsumerDomain},
		{"org_b", "partner-mail.example", store.DomainDNSTXT, ErrConsumerDomain},
		{"org_b", "x.partner-mail.example", store.DomainDNSTXT, ErrConsumerDomain},
		{"org_b", "victim.com", store.DomainDNSTXT, ErrDomainTaken},
		{"org_b", "VICTIM.com.", store.DomainManual, ErrDomainTaken},
		{"org_a", "victim.com", store.DomainDNSTXT, ErrAlreadyAdded},
		{"org_a", "pending.com", store.DomainDNSTXT, ErrAlreadyAdded},
		{"org_a", "Pending.Com", store.DomainManual, ErrAlreadyAdded},
		{"org_b", "bad domain.com", store.DomainDNSTXT, ErrInvalidDomain},
		{"org_b", "localhost", store.DomainDNSTXT, ErrInvalidDomain},
		{"org_b", "10.0.0.1", store.DomainDNSTXT, ErrInvalidDomain},
		{"org_b", "*.example.com", store.DomainDNSTXT, ErrInvalidDomain},
		{"org_b", longName, store.DomainDNSTXT, ErrInvalidDomain}, // record name over 253 octets
		{"org_nope", "fine.com", store.DomainDNSTXT, store.ErrNotFound},
		{"", "fine.com", store.DomainDNSTXT, store.ErrInvalid},
		{"org_b", "fine.com", "carrier_pigeon", store.ErrInvalid},
	} {
		_, err := e.svc.Add(ctx, tc.org, tc.name, tc.method, "portal:s")
		if !errors.Is(err, tc.want) {
			t.Errorf("Add(%q, %q) = %v, want %v", tc.org, tc.name, err, tc.want)
		}
	}

	// Another organization may hold a pending claim beside org_a's; a
	// subdomain of a verified domain is a separate name and can be added; a
	// name too long for a record can still be verified manually.
	for _, name := range []string{"pending.com", "sub.victim.com"} {
		if _, err := e.svc.Add(ctx, "org_b", name, store.DomainDNSTXT, ""); err != nil {
			t.Errorf("Add(org_b, %s): %v", name, err)
		}
	}
	if _, err := e.svc.Add(ctx, "org_b", longName, store.DomainManual, ""); err != nil {
		t.Errorf("Add(org_b, long name, manual): %v", err)
	}
	if IsConsumer("acme.com") || !IsConsumer("Hotmail.com.") || !IsConsumer("proton.me") {
		t.Error("IsConsumer misclassifies")
	}
}

func TestCheckAgainstDNS(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(e *testEnv, d *store.Domain)
		wantKind  CheckKind // "" = verified
		wantFound []string
	}{
		{"correct record", func(e *testEnv, d *store.Domain) { e.publish(d) }, "", nil},
		{"correct among others", func(e *testEnv, d *store.Domain) { e.publish(d, "other-vendor=1", "v=spf1") }, "", nil},
		{"long record in several strings", func(e *testEnv, d *store.Domain) {
			name, _ := e.svc.Record(d)
			e.dns.SetTXT(name, strings.Repeat("x", 300), d.Challenge)
		}, "", nil},
		{"wrong value", func(e *testEnv, d *store.Domain) {
			name, _ := e.svc.Record(d)
			e.dns.SetTXT(name, "stale-challenge", d.Challenge+"x")
		}, KindWrongValue, []string{"stale-challenge", "<challenge>x"}},
		{"value with quotes or spaces", func(e *testEnv, d *store.Domain) {
			name, _ := e.svc.Record(d)
			e.dns.SetTXT(name, " "+d.Challenge)
		}, KindWrongValue, []string{" <challenge>"}},
		{"record at the apex instead", func(e *testEnv, d *store.Domain) { e.dns.SetTXT(d.Name, d.Challenge) }, KindNoRecord, nil},
		{"missing record", func(e *testEnv, d *store.Domain) {}, KindNoRecord, nil},
		{"nxdomain", func(e *testEnv, d *store.Domain) {
			e.dns.RemoveZone(d.Name)
		}, KindNXDomain, nil},
		{"timeout", func(e *testEnv, d *store.Domain) {
			name, _ := e.svc.Record(d)
			e.dns.SetHang(name, true)
		}, KindTimeout, nil},
		{"servfail", func(e *testEnv, d *store.Domain) {
			name, _ := e.svc.Record(d)
			e.dns.SetServfail(name, true)
		}, KindServerFailure, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, func(c *Config) { c.LookupTimeout = 300 * time.Millisecond })
			e.org(t, "org_a")
			d := e.add(t, "org_a", "acme-corp.com")
			tc.setup(e, d)
			got, err := e.svc.Check(context.Background(), d.ID)
			if tc.wantKind == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				if got.State != store.DomainVerified || got.Method != store.DomainDNSTXT || got.VerifiedBy != VerifiedByDNS ||
					!got.VerifiedAt.Equal(e.clock.Now()) || got.Failure != "" {
					t.Fatalf("after Check: %+v", got)
				}
				if want := e.clock.Now().Add(24 * time.Hour); !got.NextCheckAt.Equal(want) {
					t.Errorf("NextCheckAt = %v, want %v", got.NextCheckAt, want)
				}
				evs := e.eventsFor(t, d.ID, EventVerified)
				if len(evs) != 1 {
					t.Fatalf("verified events = %d", len(evs))
				}
				if m := eventData(t, evs[0]); m["method"] != "dns_txt" || m["by"] != "dns" {
					t.Errorf("event data %v", m)
				}
				if r, err := Route(context.Background(), e.st, "x@acme-corp.com"); !errors.Is(err, ErrNoSSO) || r != nil {
					t.Errorf("Route without connection = %v, %v", r, err)
				}
				return
			}
			ce := checkErr(t, err)
			if ce.Kind != tc.wantKind {
				t.Fatalf("kind = %s (%v), want %s", ce.Kind, ce, tc.wantKind)
			}
			if ce.Record != "_onboardkit-verification.acme-corp.com" || ce.Want != d.Challenge || ce.Domain != "acme-corp.com" {
				t.Errorf("CheckError = %+v", ce)
			}
			var want []string
			for _, f := range tc.wantFound {
				want = append(want, strings.ReplaceAll(f, "<challenge>", d.Challenge))
			}
			if !slices.Equal(ce.Found, want) {
				t.Errorf("Found = %q, want %q", ce.Found, want)
			}
			if got == nil || got.State != store.DomainPending {
				t.Fatalf("after failed Check: %+v", got)
			}
			if k, msg := FailureOf(got); k != tc.wantKind || msg != ce.Error() {
				t.Errorf("FailureOf = %s %q, want %s %q", k, msg, tc.wantKind, ce.Error())
			}
			if n := len(e.events(t, "domain.verified", "domain.verification_failed")); n != 0 {
				t.Errorf("%d events after a failed check of a pending domain", n)
			}
			if ce.Kind.Temporary() != (tc.wantKind == KindTimeout || tc.wantKind == KindServerFailure) {
				t.Errorf("Temporary() = %v", ce.Kind.Temporary())
			}
		})
	}
}

// TestCheckTCPFallback publishes a record too large for a UDP answer, so the
// resolver must retry over TCP.
func TestCheckTCPFallback(t *testing.T) {
	e := newTestEnv(t, nil)
	e.org(t, "org_a")
	d := e.add(t, "org_a", "big.example")
	var others []string
	for i := 0; i < 20; i++ {
		others = append(others, strings.Repeat("v", 200))
	}
	e.publish(d, others...)
	got, err := e.svc.Check(context.Background(), d.ID)
	if err != nil || got.State != store.DomainVerified {
		t.Fatalf("Check = %+v, %v", got, err)
	}
	name, _ := e.svc.Record(d)
	if e.dns.Count(name, dns.TypeTXT) < 2 {
		t.Errorf("expected a UDP and a TCP query, got %d", e.dns.Count(name, dns.TypeTXT))
	}
}

func TestPendingLifecycle(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.PendingTimeout = time.Hour; c.PendingCheckInterval = 20 * time.Minute })
	e.org(t, "org_a")
	d := e.add(t, "org_a", "slow.example")
	late := e.add(t, "org_a", "late.example")
	name, _ := e.svc.Record(d)

	if n := runOnce(t, e.svc); n != 0 {
		t.Fatalf("checked %d domains before they were due", n)
	}
	for i := 1; i <= 2; i++ {
		e.clock.Add(20 * time.Minute)
		if n := runOnce(t, e.svc); n != 2 {
			t.Fatalf("round %d: checked %d, want 2", i, n)
		}
		got := e.get(t, d.ID)
		if got.State != store.DomainPending || !got.CheckedAt.Equal(e.clock.Now()) {
			t.Fatalf("round %d: %+v", i, got)
		}
		if k, _ := FailureOf(got); k != KindNoRecord {
			t.Errorf("round %d: failure %q", i, got.Failure)
		}
		if e.dns.Count(name, dns.TypeTXT) != i {
			t.Errorf("round %d: %d queries", i, e.dns.Count(name, dns.TypeTXT))
		}
	}
	// The record appears just before the time limit.
	e.publish(late)
	e.clock.Add(20 * time.Minute) // exactly the time limit
	runOnce(t, e.svc)
	got := e.get(t, d.ID)
	if got.State != store.DomainFailed || !got.NextCheckAt.IsZero() {
		t.Fatalf("after the time limit: %+v", got)
	}
	if k, msg := FailureOf(got); k != KindExpired || !strings.Contains(msg, "no TXT record") {
		t.Errorf("failure %q", got.Failure)
	}
	evs := e.eventsFor(t, d.ID, EventVerificationFailed)
	if len(evs) != 1 || evs[0].Actor != ActorSystem || eventData(t, evs[0])["reason"] != "expired" {
		t.Fatalf("failed events = %+v", evs)
	}
	if g := e.get(t, late.ID); g.State != store.DomainVerified {
		t.Errorf("late domain: %+v", g)
	}
	// Failed domains are not checked again in the background...
	e.clock.Add(24 * time.Hour)
	before := e.dns.Count(name, dns.TypeTXT)
	runOnce(t, e.svc)
	if e.dns.Count(name, dns.TypeTXT) != before {
		t.Error("failed domain checked in the background")
	}
	// ... but "verify now" after publishing the record verifies them.
	if _, err := e.svc.Check(context.Background(), d.ID); !errors.As(err, new(*CheckError)) {
		t.Fatalf("Check on failed without record: %v", err)
	}
	if g := e.get(t, d.ID); g.State != store.DomainFailed {
		t.Fatalf("failed domain changed state without record: %+v", g)
	}
	e.publish(d)
	got, err := e.svc.Check(context.Background(), d.ID)
	if err != nil || got.State != store.DomainVerified {
		t.Fatalf("Check after publishing = %+v, %v", got, err)
	}
}

func TestRecordRemoved(t *testing.T) {
	forEachStore(t, func(c *Config) { c.RetryInterval = 10 * time.Minute },
		func(t *testing.T, e *testEnv, _ store.Store) { testRecordRemoved(t, e) })
}

func testRecordRemoved(t *testing.T, e *testEnv) {
	ctx := context.Background()
	e.org(t, "org_a")
	d := e.add(t, "org_a", "acme.example")
	e.publish(d)
	if _, err := e.svc.Check(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	name, _ := e.svc.Record(d)

	// Periodic re-check with the record in place: nothing changes.
	e.clock.Add(24 * time.Hour)
	runOnce(t, e.svc)
	if g := e.get(t, d.ID); g.State != store.DomainVerified || g.Failure != "" || !g.CheckedAt.Equal(e.clock.Now()) {
		t.Fatalf("after a good re-check: %+v", g)
	}

	// The record disappears: first miss raises domain.record_removed.
	e.dns.SetTXT(name)
	e.clock.Add(24 * time.Hour)
	runOnce(t, e.svc)
	g := e.get(t, d.ID)
	if g.State != store.DomainVerified {
		t.Fatalf("unverified after one miss: %+v", g)
	}
	if k, _ := FailureOf(g); k != KindNoRecord {
		t.Errorf("failure %q", g.Failure)
	}
	if evs := e.eventsFor(t, d.ID, EventRecordRemoved); len(evs) != 1 {
		t.Fatalf("record_removed events = %d", len(evs))
	}
	if want := e.clock.Now().Add(10 * time.Minute); !g.NextCheckAt.Equal(want) {
		t.Errorf("retry at %v, want %v", g.NextCheckAt, want)
	}
	// A DNS outage does not count as a miss.
	e.dns.SetServfail(name, true)
	e.clock.Add(10 * time.Minute)
	runOnce(t, e.svc)
	e.dns.SetServfail(name, false)
	if misses := e.get(t, d.ID).CheckFailures; misses != 1 {
		t.Errorf("misses after outage = %d", misses)
	}
	// Second miss (wrong value this time): still verified.
	e.dns.SetTXT(name, "something-else")
	e.clock.Add(10 * time.Minute)
	runOnce(t, e.svc)
	if g := e.get(t, d.ID); g.State != store.DomainVerified {
		t.Fatalf("unverified after two misses: %+v", g)
	}
	// Third consecutive miss: unverified.
	e.dns.SetTXT(name)
	e.clock.Add(10 * time.Minute)
	runOnce(t, e.svc)
	g = e.get(t, d.ID)
	if g.State != store.DomainFailed || !g.VerifiedAt.IsZero() || g.VerifiedBy != "" || !g.NextCheckAt.IsZero() {
		t.Fatalf("after three misses: %+v", g)
	}
	if k, _ := FailureOf(g); k != KindRecordRemoved {
		t.Errorf("failure %q", g.Failure)
	}
	if evs := e.eventsFor(t, d.ID, EventRecordRemoved); len(evs) != 1 {
		t.Errorf("record_removed events = %d, want 1", len(evs))
	}
	evs := e.eventsFor(t, d.ID, EventUnverified)
	if len(evs) != 1 || eventData(t, evs[0])["misses"] != float64(3) {
		t.Fatalf("unverified events = %+v", evs)
	}
	if _, err := e.st.GetVerifiedDomain(ctx, "acme.example"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("still routable: %v", err)
	}
}

func TestRecordRestoredResetsMisses(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.RemovedRecordChecks = 2 })
	e.org(t, "org_a")
	d := e.add(t, "org_a", "acme.example")
	e.publish(d)
	if _, err := e.svc.Check(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	name, _ := e.svc.Record(d)
	for i := 0; i < 3; i++ { // miss, restore, miss: never two in a row
		if i%2 == 0 {
			e.dns.SetTXT(name)
		} else {
			e.publish(d)
		}
		e.clock.Add(24 * time.Hour)
		runOnce(t, e.svc)
		if g := e.get(t, d.ID); g.State != store.DomainVerified {
			t.Fatalf("step %d: %+v", i, g)
		}
	}
	if n := len(e.eventsFor(t, d.ID, EventRecordRemoved)); n != 2 {
		t.Errorf("record_removed events = %d, want 2", n)
	}
}

func TestRecordRemovedKeepVerified(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.InsecureKeepVerifiedOnRemovedRecord = true; c.RemovedRecordChecks = 1 })
	e.org(t, "org_a")
	d := e.add(t, "org_a", "acme.example")
	e.publish(d)
	if _, err := e.svc.Check(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	name, _ := e.svc.Record(d)
	e.dns.SetTXT(name)
	for i := 0; i < 4; i++ {
		e.clock.Add(24 * time.Hour)
		runOnce(t, e.svc)
	}
	g := e.get(t, d.ID)
	if g.State != store.DomainVerified {
		t.Fatalf("unverified despite the keep policy: %+v", g)
	}
	if misses := g.CheckFailures; misses != 4 {
		t.Errorf("misses = %d (%q)", misses, g.Failure)
	}
	evs := e.eventsFor(t, d.ID, EventRecordRemoved)
	if len(evs) != 1 || eventData(t, evs[0])["keep_verified"] != true {
		t.Fatalf("record_removed events = %+v", evs)
	}
	if n := len(e.eventsFor(t, d.ID, EventUnverified)); n != 0 {
		t.Errorf("%d unverified events", n)
	}
}

func TestVerifyManually(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	e.org(t, "org_a")
	d := e.add(t, "org_a", "acme.example")
	if _, err := e.svc.VerifyManually(ctx, d.ID, ""); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("no actor: %v", err)
	}
	if _, err := e.svc.VerifyManually(ctx, "dom_missing", "operator:ann"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing domain: %v", err)
	}
	e.clock.Add(time.Minute)
	got, err := e.svc.VerifyManually(ctx, d.ID, "operator:ann")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.DomainVerified || got.Method != store.DomainManual || got.VerifiedBy != "operator:ann" ||
		!got.VerifiedAt.Equal(e.clock.Now()) || !got.NextCheckAt.IsZero() {
		t.Fatalf("after VerifyManually: %+v", got)
	}
	evs := e.eventsFor(t, d.ID, EventVerified)
	if len(evs) != 1 || evs[0].Actor != "operator:ann" || !evs[0].CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("verified events = %+v", evs)
	}
	if m := eventData(t, evs[0]); m["method"] != "manual" || m["by"] != "operator:ann" {
		t.Errorf("event data %v", m)
	}
	if _, err := e.svc.VerifyManually(ctx, d.ID, "operator:bob"); !errors.Is(err, ErrNotPending) {
		t.Errorf("second VerifyManually: %v", err)
	}
	// Never re-checked by DNS, in the background or on demand.
	name, _ := e.svc.Record(d)
	e.clock.Add(30 * 24 * time.Hour)
	runOnce(t, e.svc)
	if _, err := e.svc.Check(ctx, d.ID); err != nil {
		t.Errorf("Check of a manual domain: %v", err)
	}
	if n := e.dns.Count(name, dns.TypeTXT); n != 0 {
		t.Errorf("%d DNS queries for a manually verified domain", n)
	}
	if g := e.get(t, d.ID); g.State != store.DomainVerified {
		t.Errorf("manual domain changed: %+v", g)
	}
}

func TestRemove(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	e.org(t, "org_a")
	d := e.add(t, "org_a", "acme.example")
	if _, err := e.svc.VerifyManually(ctx, d.ID, "operator:ann"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Remove(ctx, d.ID, "portal:s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.GetDomain(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("still there: %v", err)
	}
	if _, err := e.st.GetVerifiedDomain(ctx, d.Name); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("still verified: %v", err)
	}
	evs := e.eventsFor(t, d.ID, EventDeleted)
	if len(evs) != 1 || evs[0].Actor != "portal:s1" || eventData(t, evs[0])["state"] != "verified" {
		t.Fatalf("deleted events = %+v", evs)
	}
	if err := e.svc.Remove(ctx, d.ID, "portal:s1"); err != nil {
		t.Errorf("second Remove: %v", err)
	}
	if n := len(e.eventsFor(t, d.ID, EventDeleted)); n != 1 {
		t.Errorf("deleted events after second Remove = %d", n)
	}
	// Once removed, another organization may claim the name.
	e.org(t, "org_b")
	if _, err := e.svc.Add(ctx, "org_b", "acme.example", store.DomainDNSTXT, ""); err != nil {
		t.Errorf("Add after Remove: %v", err)
	}
}

func TestFirstToVerifyWins(t *testing.T) {
	forEachStore(t, nil, func(t *testing.T, e *testEnv, _ store.Store) { testFirstToVerifyWins(t, e) })
}

func testFirstToVerifyWins(t *testing.T, e *testEnv) {
	ctx := context.Background()
	e.org(t, "org_a")
	e.org(t, "org_b")
	e.org(t, "org_c")
	a := e.add(t, "org_a", "contested.example")
	b := e.add(t, "org_b", "contested.example")
	c := e.add(t, "org_c", "contested.example")
	if a.Challenge == b.Challenge {
		t.Fatal("same challenge for two organizations")
	}
	// Both publish; org_b verifies first.
	name, _ := e.svc.Record(a)
	e.dns.SetTXT(name, a.Challenge, b.Challenge)
	if g, err := e.svc.Check(ctx, b.ID); err != nil || g.State != store.DomainVerified {
		t.Fatalf("org_b Check = %+v, %v", g, err)
	}
	for _, loser := range []*store.Domain{a, c} {
		g := e.get(t, loser.ID)
		if g.State != store.DomainFailed || !g.NextCheckAt.IsZero() {
			t.Fatalf("loser %s: %+v", loser.OrgID, g)
		}
		if k, _ := FailureOf(g); k != KindTaken {
			t.Errorf("loser failure %q", g.Failure)
		}
		evs := e.eventsFor(t, loser.ID, EventVerificationFailed)
		if len(evs) != 1 || evs[0].OrgID != loser.OrgID || eventData(t, evs[0])["reason"] != "taken" {
			t.Fatalf("loser events = %+v", evs)
		}
	}
	// org_a's "verify now" is told the name is taken; nothing changes.
	if _, err := e.svc.Check(ctx, a.ID); !errors.Is(err, ErrDomainTaken) {
		t.Errorf("org_a Check = %v, want ErrDomainTaken", err)
	}
	if _, err := e.svc.VerifyManually(ctx, a.ID, "operator:ann"); !errors.Is(err, ErrDomainTaken) {
		t.Errorf("org_a VerifyManually = %v, want ErrDomainTaken", err)
	}
	if v, err := e.st.GetVerifiedDomain(ctx, "contested.example"); err != nil || v.OrgID != "org_b" {
		t.Fatalf("verified holder = %+v, %v", v, err)
	}
	if n := len(e.eventsFor(t, a.ID, EventVerificationFailed)); n != 1 {
		t.Errorf("org_a told %d times", n)
	}
}

// TestVerifyRaceConflict covers the path where the Store itself refuses the
// second verification (the other claim was not failed in time).
func TestVerifyRaceConflict(t *testing.T) {
	forEachStore(t, nil, func(t *testing.T, e *testEnv, _ store.Store) { testVerifyRaceConflict(t, e) })
}

func testVerifyRaceConflict(t *testing.T, e *testEnv) {
	ctx := context.Background()
	e.org(t, "org_a")
	e.org(t, "org_b")
	a := e.add(t, "org_a", "contested.example")
	b := e.add(t, "org_b", "contested.example")
	// org_a wins behind the Service's back.
	if _, err := e.st.UpdateDomain(ctx, a.ID, func(d *store.Domain) ([]store.Event, error) {
		d.State, d.VerifiedAt, d.VerifiedBy = store.DomainVerified, e.clock.Now(), "test"
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	e.publish(b)
	e.clock.Add(5 * time.Minute)
	runOnce(t, e.svc) // org_b's background check finds the record, the Store refuses
	g := e.get(t, b.ID)
	if g.State != store.DomainFailed {
		t.Fatalf("org_b: %+v", g)
	}
	if k, _ := FailureOf(g); k != KindTaken {
		t.Errorf("failure %q", g.Failure)
	}
	if n := len(e.eventsFor(t, b.ID, EventVerificationFailed)); n != 1 {
		t.Errorf("org_b told %d times", n)
	}
	if n := len(e.eventsFor(t, b.ID, EventVerified)); n != 0 {
		t.Errorf("org_b has %d verified events", n)
	}
}

func TestCheckErrors(t *testing.T) {
	e := newTestEnv(t, nil)
	if _, err := e.svc.Check(context.Background(), "dom_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	e.org(t, "org_a")
	d := e.add(t, "org_a", "acme.example")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.svc.Check(ctx, d.ID); err == nil {
		t.Error("Check with a cancelled context succeeded")
	}
	if g := e.get(t, d.ID); !g.CheckedAt.IsZero() {
		t.Errorf("cancelled Check wrote %+v", g)
	}
}

// stuckResolver never returns until the test ends, whatever its context says.
type stuckResolver struct{ done chan struct{} }

func (r stuckResolver) LookupTXT(context.Context, string) ([]string, error) {
	<-r.done
	return nil, errors.New("closed")
}

func TestResolverIgnoringContextTimesOut(t *testing.T) {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	e := newTestEnv(t, func(c *Config) { c.Resolver = stuckResolver{done}; c.LookupTimeout = 50 * time.Millisecond })
	e.org(t, "org_a")
	d := e.add(t, "org_a", "acme.example")
	_, err := e.svc.Check(context.Background(), d.ID)
	if ce := checkErr(t, err); ce.Kind != KindTimeout {
		t.Errorf("kind = %s", ce.Kind)
	}
}

// txtOnly hides the LookupMX method of a resolver: only TXT lookups are
// available to tell a missing record from a missing domain.
type txtOnly struct{ r Resolver }

func (t txtOnly) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return t.r.LookupTXT(ctx, name)
}

func TestTXTOnlyResolver(t *testing.T) {
	e := newTestEnv(t, nil)
	e.svc.resolver = txtOnly{e.dns.Resolver()}
	e.org(t, "org_a")
	withSPF := e.add(t, "org_a", "spf.example") // addZone publishes an SPF record
	_, err := e.svc.Check(context.Background(), withSPF.ID)
	if ce := checkErr(t, err); ce.Kind != KindNoRecord {
		t.Errorf("domain with TXT records: kind %s", ce.Kind)
	}
	gone := e.add(t, "org_a", "gone.example")
	e.dns.RemoveZone("gone.example")
	_, err = e.svc.Check(context.Background(), gone.ID)
	if ce := checkErr(t, err); ce.Kind != KindNXDomain {
		t.Errorf("missing domain: kind %s", ce.Kind)
	}
}

func TestFailureOf(t *testing.T) {
	for _, tc := range []struct {
		d    store.Domain
		kind CheckKind
		msg  string
	}{
		{store.Domain{}, "", ""},
		{store.Domain{FailureKind: string(KindNoRecord), Failure: "no TXT record found at x"}, KindNoRecord, "no TXT record found at x"},
		{store.Domain{FailureKind: string(KindWrongValue), CheckFailures: 2, Failure: `found "a": b`}, KindWrongValue, `found "a": b`},
		{store.Domain{Failure: "set by hand: something"}, "", "set by hand: something"},
	} {
		k, msg := FailureOf(&tc.d)
		if k != tc.kind || msg != tc.msg {
			t.Errorf("FailureOf(%+v) = %q, %q", tc.d, k, msg)
		}
	}
	if k, msg := FailureOf(nil); k != "" || msg != "" {
		t.Error("FailureOf(nil)")
	}
}
