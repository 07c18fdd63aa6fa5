// Package soak drives a Store through many logins and portal visits and
// checks that the cleanup the kits run (DeleteExpired, DeleteEvents) brings
// the flow tables back to their live size. The sqlitestore and pgstore
// tests run it with their own row counts and sizes.
package soak

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// FlowTables are the tables of expiring flow state.
var FlowTables = []string{"login_requests", "assertion_ids", "portal_links", "portal_sessions"}

// Tables are the tables the soak grows: the flow tables and the outbox.
var Tables = append(append([]string(nil), FlowTables...), "events")

// Size returns how many logins and portal visits a soak makes: small by
// default, 200,000 when ONBOARDKIT_SOAK is set (or its value when it is a
// number above 1).
func Size() int {
	v := os.Getenv("ONBOARDKIT_SOAK")
	if v == "" {
		return 2000
	}
	if n, err := strconv.Atoi(v); err == nil && n > 1 {
		return n
	}
	return 200_000
}

// Backend is what a soak needs from a store's test: the Store, the row
// count of a table and, where it means something, the database's size.
type Backend struct {
	Store   store.Store
	Count   func(table string) int64
	Size    func() string // "" when not applicable
	Workers int           // concurrent clients; default 4
}

var start = time.Date(2031, 5, 1, 9, 0, 0, 0, time.UTC)

// Run makes n logins (one in ten abandoned before the IdP answered) and n
// portal visits (an embedded link redeemed for a session), moves the clock
// past their expiry, starts a few live flows and runs DeleteExpired: the
// flow tables must hold only the live flows. The outbox keeps its events
// (they are recent); DeleteEvents with the clock past the retention then
// removes all but the newest. A second soak and cleanup then show the
// freed space reused. Row counts and sizes before and after are logged.
func Run(t *testing.T, b Backend) {
	ctx := t.Context()
	n := Size()
	workers := b.Workers
	if workers <= 0 {
		workers = 4
	}
	st := b.Store
	org := &store.Organization{ID: "org_soak", Name: "Soak", CreatedAt: start, UpdatedAt: start}
	if err := st.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	report := func(when string) map[string]int64 {
		got := map[string]int64{}
		line := when + ":"
		for _, tb := range Tables {
			got[tb] = b.Count(tb)
			line += fmt.Sprintf(" %s=%d", tb, got[tb])
		}
		if b.Size != nil {
			if s := b.Size(); s != "" {
				line += "; " + s
			}
		}
		t.Log(line)
		return got
	}

	began := time.Now()
	soakRound(t, st, workers, 1, n, start)
	t.Logf("%d logins and %d portal visits in %v", n, n, time.Since(began).Round(time.Millisecond))
	before := report("after the soak")
	abandoned := int64((n + 9) / 10)
	if want := map[string]int64{"login_requests": abandoned, "assertion_ids": int64(n) - abandoned, "portal_links": int64(n), "portal_sessions": int64(n)}; !sameCounts(before, want) {
		t.Fatalf("rows after the soak = %v, want %v", before, want)
	}

	// Past every expiry (portal sessions last 6 hours), with a few flows
	// live at that time.
	now := start.Add(time.Duration(n)*time.Millisecond + 7*time.Hour)
	const live = 5
	var liveAbandoned int64
	for i := n; i < n+live; i++ {
		if err := visit(ctx, st, 1, i, now); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			liveAbandoned++
		}
	}
	began = time.Now()
	removed, err := st.DeleteExpired(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("DeleteExpired removed %d rows in %v", removed, time.Since(began).Round(time.Millisecond))
	after := report("after DeleteExpired")
	if want := map[string]int64{"login_requests": liveAbandoned, "assertion_ids": live - liveAbandoned, "portal_links": live, "portal_sessions": live}; !sameCounts(after, want) {
		t.Fatalf("rows after DeleteExpired = %v, want the live flows %v", after, want)
	}
	if want := before["events"] + 2*live - liveAbandoned; after["events"] != want {
		t.Fatalf("DeleteExpired changed the outbox: %d events, want %d", after["events"], want)
	}

	// 90 days on, with a consumer that has processed everything.
	last, err := st.LastEventCursor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetConsumerCursor(ctx, "soak", last); err != nil {
		t.Fatal(err)
	}
	began = time.Now()
	m, err := st.DeleteEvents(ctx, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("DeleteEvents removed %d events in %v", m, time.Since(began).Round(time.Millisecond))
	if got := report("after DeleteEvents"); got["events"] != 1 {
		t.Fatalf("events after DeleteEvents = %d, want 1 (the newest)", got["events"])
	}

	// A second soak reuses the space the cleanup freed: the database
	// grows little beyond its first high-water mark.
	start2 := now.Add(24 * time.Hour)
	soakRound(t, st, workers, 2, n, start2)
	report("after a second soak")
	now2 := start2.Add(time.Duration(n)*time.Millisecond + 7*time.Hour)
	if _, err := st.DeleteExpired(ctx, now2); err != nil {
		t.Fatal(err)
	}
	if last, err = st.LastEventCursor(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.SetConsumerCursor(ctx, "soak", last); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DeleteEvents(ctx, now2); err != nil {
		t.Fatal(err)
	}
	got := report("after the second cleanup")
	if want := map[string]int64{"login_requests": 0, "assertion_ids": 0, "portal_links": 0, "portal_sessions": 0, "events": 1}; !sameCounts(got, want) {
		t.Fatalf("rows after the second cleanup = %v, want %v", got, want)
	}
}

// soakRound makes n logins and portal visits from start, one millisecond
// apart, with workers concurrent clients.
func soakRound(t *testing.T, st store.Store, workers, round, n int, start time.Time) {
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				if err := visit(ctx, st, round, i, start.Add(time.Duration(i)*time.Millisecond)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}

func sameCounts(got, want map[string]int64) bool {
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// visit is one login (abandoned when i%10 == 0) and one portal visit at
// now, as ssokit and the portal write them.
func visit(ctx context.Context, st store.Store, round, i int, now time.Time) error {
	id := fmt.Sprintf("%d-%08d", round, i)
	req := &store.LoginRequest{
		ID: "req_" + id, ConnectionID: "conn_soak", OrgID: "org_soak", Protocol: store.ProtocolSAML,
		Binding: digest("bind" + id), ReturnTo: "/", CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
	}
	if err := st.CreateLoginRequest(ctx, req); err != nil {
		return fmt.Errorf("login %d: %w", i, err)
	}
	if i%10 != 0 {
		_, err := st.CompleteLogin(ctx, store.LoginCompletion{
			ConnectionID: "conn_soak", RequestID: req.ID, Binding: req.Binding,
			AssertionID: "_a" + id, AssertionExpiresAt: now.Add(5 * time.Minute), Now: now,
		}, func(*store.LoginFacts) ([]store.Event, error) {
			return []store.Event{event("sso.login.succeeded", "usr_"+id, now)}, nil
		})
		if err != nil {
			return fmt.Errorf("login %d: %w", i, err)
		}
	}
	link := &store.PortalLink{
		ID: "link_" + id, OrgID: "org_soak", Kind: store.LinkEmbedded, Features: store.Features{store.FeatureSSO},
		Digest: digest("link" + id), CreatedBy: "operator:soak", CreatedAt: now, ExpiresAt: now.Add(time.Minute),
	}
	if err := st.CreatePortalLink(ctx, link); err != nil {
		return fmt.Errorf("portal link %d: %w", i, err)
	}
	s := &store.PortalSession{ID: "ps_" + id, Embedded: true, Digest: digest("ps" + id), CSRF: "csrf" + id, CreatedAt: now, ExpiresAt: now.Add(6 * time.Hour)}
	if _, err := st.RedeemPortalLink(ctx, link.Digest, now, s, event("portal.session.started", s.ID, now)); err != nil {
		return fmt.Errorf("portal visit %d: %w", i, err)
	}
	return nil
}

func digest(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

func event(typ, subject string, now time.Time) store.Event {
	return store.Event{ID: "evt_" + typ + subject, Type: typ, OrgID: "org_soak", Subject: subject, Actor: "soak", Data: json.RawMessage(`{}`), CreatedAt: now}
}
