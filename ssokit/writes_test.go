package ssokit

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// writeCounter is a Store that records the writes the login path can make,
// and its reads of connections.
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

func (c *writeCounter) ConsumeLoginRequest(ctx context.Context, id string, match store.LoginRequestMatch, now time.Time, events ...store.Event) (*store.LoginRequest, error) {
	c.record("ConsumeLoginRequest")
	return c.Store.ConsumeLoginRequest(ctx, id, match, now, events...)
}

func (c *writeCounter) ConsumeAssertionID(ctx context.Context, connectionID, assertionID string, expiresAt, now time.Time, events ...store.Event) error {
	c.record("ConsumeAssertionID")
	return c.Store.ConsumeAssertionID(ctx, connectionID, assertionID, expiresAt, now, events...)
}

func (c *writeCounter) CompleteLogin(ctx context.Context, lc store.LoginCompletion, accept func(*store.LoginFacts) ([]store.Event, error)) (*store.LoginRequest, error) {
	c.record("CompleteLogin")
	return c.Store.CompleteLogin(ctx, lc, accept)
}

func (c *writeCounter) GetConnection(ctx context.Context, id string) (*store.Connection, error) {
	c.record("GetConnection")
	return c.Store.GetConnection(ctx, id)
}

func (c *writeCounter) GetVerifiedDomain(ctx context.Context, name string) (*store.Domain, error) {
	c.record("GetVerifiedDomain")
	return c.Store.GetVerifiedDomain(ctx, name)
}

func (c *writeCounter) FindDirectoryUsersByEmail(ctx context.Context, orgID, email string) ([]store.DirectoryUser, error) {
	c.record("FindDirectoryUsersByEmail")
	return c.Store.FindDirectoryUsersByEmail(ctx, orgID, email)
}

func (c *writeCounter) AppendEvents(ctx context.Context, events ...store.Event) ([]store.Event, error) {
	c.record("AppendEvents")
	return c.Store.AppendEvents(ctx, events...)
}

func (c *writeCounter) UpdateConnection(ctx context.Context, id string, fn func(*store.Connection) ([]store.Event, error)) (*store.Connection, error) {
	c.record("UpdateConnection")
	return c.Store.UpdateConnection(ctx, id, fn)
}

// TestSAMLLoginWrites checks that a successful SAML login costs one Store
// round trip once the connection is cached: one write that consumes the
// pending request, records the assertion id, reads the email's verified
// domain and directory users, and appends the success event. And that a
// replay appends no success event.
func TestSAMLLoginWrites(t *testing.T) {
	st := &writeCounter{Store: memstore.New()}
	e := newEnvWithStore(t, st, true, nil)
	b := e.browser()
	login := func(want ...string) (string, []byte) {
		t.Helper()
		id := b.startSAML(t, "connection="+connSAML)
		st.take()
		raw := respSpec{InResponseTo: id}.build(t)
		if w := b.postSAML(connSAML, raw, id); w.Code != http.StatusSeeOther {
			t.Fatalf("login: %d\n%s", w.Code, e.logs)
		}
		if got := st.take(); !slices.Equal(got, want) {
			t.Fatalf("Store calls of a login = %q, want %q", got, want)
		}
		return id, raw
	}
	login("GetConnection", "CompleteLogin")
	id, raw := login("CompleteLogin")
	if n := len(e.events(EventLoginSucceeded)); n != 2 {
		t.Fatalf("%d success events, want 2", n)
	}

	// The same response again: the request is gone and the assertion id is
	// recorded, so nothing succeeds and no success event is added.
	if w := b.postSAML(connSAML, raw, id); w.Code == http.StatusSeeOther {
		t.Fatal("replayed response accepted")
	}
	if n := len(e.events(EventLoginSucceeded)); n != 2 {
		t.Fatalf("%d success events after a replay, want 2", n)
	}
}
