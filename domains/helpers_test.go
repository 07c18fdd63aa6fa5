package domains

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// newClock is the tests' settable clock.
func newClock() *testkit.Clock { return testkit.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) }

type testEnv struct {
	st    store.Store
	dns   *testkit.DNSServer
	clock *testkit.Clock
	svc   *Service
	cfg   Config
}

// newTestEnv wires a memstore, a local DNS server, a fake clock and a
// Service; edit changes the Config before New.
func newTestEnv(t *testing.T, edit func(*Config)) *testEnv {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	return newTestEnvOn(t, st, edit)
}

// newTestEnvOn is newTestEnv on the given Store.
func newTestEnvOn(t *testing.T, st store.Store, edit func(*Config)) *testEnv {
	t.Helper()
	e := &testEnv{st: st, dns: testkit.NewDNSServer(t), clock: newClock()}
	e.cfg = Config{
		Store:         e.st,
		Resolver:      e.dns.Resolver(),
		LookupTimeout: 2 * time.Second,
		Now:           e.clock.Now,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if edit != nil {
		edit(&e.cfg)
	}
	svc, err := New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

// newService returns another Service on the same store, DNS and clock (a
// second app instance).
func (e *testEnv) newService(t *testing.T, edit func(*Config)) *Service {
	t.Helper()
	cfg := e.cfg
	if edit != nil {
		edit(&cfg)
	}
	svc, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func (e *testEnv) org(t *testing.T, id string) {
	t.Helper()
	err := e.st.CreateOrganization(context.Background(), &store.Organization{ID: id, Name: id, CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
}

// add adds name to org by DNS and returns it; the zone exists in DNS.
func (e *testEnv) add(t *testing.T, org, name string) *store.Domain {
	t.Helper()
	d, err := e.svc.Add(context.Background(), org, name, store.DomainDNSTXT, "portal:test")
	if err != nil {
		t.Fatalf("Add(%s, %s): %v", org, name, err)
	}
	e.dns.AddZone(d.Name)
	return d
}

// publish publishes d's correct record.
func (e *testEnv) publish(d *store.Domain, extra ...string) {
	name, value := e.svc.Record(d)
	e.dns.SetTXT(name, append([]string{value}, extra...)...)
}

func (e *testEnv) get(t *testing.T, id string) *store.Domain {
	t.Helper()
	d, err := e.st.GetDomain(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (e *testEnv) events(t *testing.T, types ...string) []store.Event {
	t.Helper()
	evs, err := e.st.ListEvents(context.Background(), store.EventQuery{Types: types, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func (e *testEnv) eventsFor(t *testing.T, subject string, types ...string) []store.Event {
	t.Helper()
	var out []store.Event
	for _, ev := range e.events(t, types...) {
		if ev.Subject == subject {
			out = append(out, ev)
		}
	}
	return out
}

func eventData(t *testing.T, ev store.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(ev.Data, &m); err != nil {
		t.Fatalf("event %s data %s: %v", ev.Type, ev.Data, err)
	}
	return m
}

func checkErr(t *testing.T, err error) *CheckError {
	t.Helper()
	var ce *CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *CheckError", err, err)
	}
	return ce
}

func runOnce(t *testing.T, s *Service) int {
	t.Helper()
	n, err := s.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
