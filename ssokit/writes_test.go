package ssokit

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// writeCounter is a Store that records the writes the login path can make.
type writeCounter struct {
	store.Store
	mu     sync.Mutex
	writes []string
}

func (c *writeCounter) record(name string) {
	c.mu.Lock()
	c.writes = append(c.writes, name)
	c.mu.Unlock()
}

func (c *writeCounter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.writes
	c.writes = nil
	return w
}

func (c *writeCounter) CreateLoginRequest(ctx context.Context, r *store.LoginRequest) error {
	c.record("CreateLoginRequest")
	return c.Store.CreateLoginRequest(ctx, r)
}

func (c *writeCounter) ConsumeLoginRequest(ctx context.Context, id string, now time.Time, events ...store.Event) (*store.LoginRequest, error) {
	c.record("ConsumeLoginRequest")
	return c.Store.ConsumeLoginRequest(ctx, id, now, events...)
}

func (c *writeCounter) ConsumeAssertionID(ctx context.Context, connectionID, assertionID string, expiresAt, now time.Time, events ...store.Event) error {
	c.record("ConsumeAssertionID")
	return c.Store.ConsumeAssertionID(ctx, connectionID, assertionID, expiresAt, now, events...)
}

func (c *writeCounter) AppendEvents(ctx context.Context, events ...store.Event) ([]store.Event, error) {
	c.record("AppendEvents")
	return c.Store.AppendEvents(ctx, events...)
}

func (c *writeCounter) UpdateConnection(ctx context.Context, id string, fn func(*store.Connection) ([]store.Event, error)) (*store.Connection, error) {
	c.record("UpdateConnection")
	return c.Store.UpdateConnection(ctx, id, fn)
}

// TestSAMLLoginWrites checks that a successful SAML login costs two Store
// writes, the success event riding on the replay-cache write, and that a
// replay appends no success event.
func TestSAMLLoginWrites(t *testing.T) {
	st := &writeCounter{Store: memstore.New()}
	e := newEnvWithStore(t, st, true, nil)
	b := e.browser()
	id := b.startSAML(t, "connection="+connSAML)
	st.take()
	raw := respSpec{InResponseTo: id}.build(t)
	if w := b.postSAML(connSAML, raw, id); w.Code != http.StatusSeeOther {
		t.Fatalf("login: %d\n%s", w.Code, e.logs)
	}
	got := st.take()
	if len(got) != 2 || got[0] != "ConsumeLoginRequest" || got[1] != "ConsumeAssertionID" {
		t.Fatalf("writes of a login = %q, want ConsumeLoginRequest, ConsumeAssertionID", got)
	}
	if n := len(e.events(EventLoginSucceeded)); n != 1 {
		t.Fatalf("%d success events, want 1", n)
	}

	// The same response again: the request is gone and the assertion id is
	// recorded, so nothing succeeds and no success event is added.
	if w := b.postSAML(connSAML, raw, id); w.Code == http.StatusSeeOther {
		t.Fatal("replayed response accepted")
	}
	if n := len(e.events(EventLoginSucceeded)); n != 1 {
		t.Fatalf("%d success events after a replay, want 1", n)
	}
}
