package ssokit

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// TestCleanup: Cleanup removes expired login requests and consumed
// assertion ids, only while holding the cleanup lease, and events past
// EventRetention only once every durable consumer has processed them.
func TestCleanup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil)
	b := e.browser()
	b.startSAML(t, "connection="+connSAML) // abandoned
	id := b.startSAML(t, "connection="+connSAML)
	if c := b.postSAML(connSAML, respSpec{InResponseTo: id, Key: idpKey, Now: e.clock()}.build(t), id).Code; c != http.StatusSeeOther {
		t.Fatalf("login: %d\n%s", c, e.logs)
	}
	if n, err := e.sso.Cleanup(ctx, "i1"); err != nil || n != 0 {
		t.Fatalf("Cleanup before expiry = %d, %v; want 0", n, err)
	}
	if ok, _ := e.st.AcquireLease(ctx, cleanupLease, "i2", e.clock(), e.clock().Add(2*time.Hour)); ok {
		t.Fatal("i2 took the lease i1 holds")
	}
	e.advance(2 * time.Hour)
	if ok, _ := e.st.AcquireLease(ctx, cleanupLease, "i2", e.clock(), e.clock().Add(time.Hour)); !ok {
		t.Fatal("lease")
	}
	if n, err := e.sso.Cleanup(ctx, "i1"); err != nil || n != 0 {
		t.Fatalf("Cleanup without the lease = %d, %v; want 0", n, err)
	}
	e.advance(2 * time.Hour)
	// The abandoned request and the consumed assertion id.
	if n, err := e.sso.Cleanup(ctx, "i1"); err != nil || n != 2 {
		t.Fatalf("Cleanup after expiry = %d, %v; want 2", n, err)
	}

	out, err := e.st.AppendEvents(ctx, store.Event{ID: "evt_1", Type: "x", CreatedAt: e.clock()}, store.Event{ID: "evt_2", Type: "x", CreatedAt: e.clock()})
	if err != nil {
		t.Fatal(err)
	}
	last := out[1].Cursor
	if err := e.st.SetConsumerCursor(ctx, "crm-sync", 0); err != nil {
		t.Fatal(err)
	}
	e.advance(91 * 24 * time.Hour)
	if n, err := e.sso.Cleanup(ctx, "i1"); err != nil || n != 0 {
		t.Fatalf("Cleanup with an undelivered consumer = %d, %v; want 0", n, err)
	}
	if err := e.st.SetConsumerCursor(ctx, "crm-sync", last); err != nil {
		t.Fatal(err)
	}
	if n, err := e.sso.Cleanup(ctx, "i1"); err != nil || n != int(last)-1 {
		t.Fatalf("Cleanup past retention = %d, %v; want %d (all events but the newest)", n, err, last-1)
	}
	if evs := e.events(); len(evs) != 1 || evs[0].Cursor != last {
		t.Fatalf("events left: %+v", evs)
	}
}

// TestCleanupKeepsEvents: a negative EventRetention keeps every event.
func TestCleanupKeepsEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, func(c *Config) { c.EventRetention = -1 })
	if _, err := e.st.AppendEvents(ctx, store.Event{ID: "evt_1", Type: "x", CreatedAt: e.clock()}, store.Event{ID: "evt_2", Type: "x", CreatedAt: e.clock()}); err != nil {
		t.Fatal(err)
	}
	e.advance(10 * 365 * 24 * time.Hour)
	if n, err := e.sso.Cleanup(ctx, "i1"); err != nil || n != 0 {
		t.Fatalf("Cleanup = %d, %v; want 0", n, err)
	}
}
