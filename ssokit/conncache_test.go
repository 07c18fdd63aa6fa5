package ssokit

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// TestCachedConnectionChangedElsewhere changes the cached connection
// behind the handler's back, as another app instance would: the next login
// follows the stored row, whether the change should refuse it or let it
// through.
func TestCachedConnectionChangedElsewhere(t *testing.T) {
	t.Parallel()
	login := func(t *testing.T, e *env, b *browser, spec respSpec) *httptest.ResponseRecorder {
		t.Helper()
		id := b.startSAML(t, "connection="+connSAML)
		spec.InResponseTo = id
		return b.postSAML(connSAML, spec.build(t), id)
	}
	warm := func(t *testing.T) (*env, *writeCounter) {
		t.Helper()
		st := &writeCounter{Store: memstore.New()}
		e := newEnvWithStore(t, st, true, nil)
		if r := login(t, e, e.browser(), respSpec{}); r.Code != http.StatusSeeOther {
			t.Fatalf("first login: %d\n%s", r.Code, e.logs)
		}
		if r := login(t, e, e.browser(), respSpec{}); r.Code != http.StatusSeeOther {
			t.Fatalf("second login: %d\n%s", r.Code, e.logs)
		}
		st.take()
		return e, st
	}

	t.Run("deactivated, then reactivated", func(t *testing.T) {
		t.Parallel()
		e, _ := warm(t)
		b := e.browser()
		id := b.startSAML(t, "connection="+connSAML)
		e.updateConn(connSAML, func(c *store.Connection) { c.State = store.ConnectionInactive })
		assertRefusedAfter(t, e, b.postSAML(connSAML, respSpec{InResponseTo: id}.build(t), id), ReasonConnectionInactive, 2)
		// The handler now holds the inactive row; the connection comes
		// back elsewhere, and a login must not be refused for it.
		e.updateConn(connSAML, func(c *store.Connection) { c.State = store.ConnectionActive })
		if r := login(t, e, b, respSpec{}); r.Code != http.StatusSeeOther {
			t.Fatalf("login after reactivation: %d\n%s", r.Code, e.logs)
		}
	})
	t.Run("certificate rotated", func(t *testing.T) {
		t.Parallel()
		e, st := warm(t)
		e.updateConn(connSAML, func(c *store.Connection) { c.SAML.Certificates = []string{idp2Key.CertPEM} })
		r := login(t, e, e.browser(), respSpec{Key: idp2Key})
		if r.Code != http.StatusSeeOther {
			t.Fatalf("login signed with the rotated key: %d\n%s", r.Code, e.logs)
		}
		if got := st.take(); !containsAll(got, "GetConnection", "CompleteLogin") {
			t.Fatalf("Store calls %q: want the connection read again", got)
		}
		// The old key is no longer trusted, cached or not.
		r = login(t, e, e.browser(), respSpec{})
		assertRefusedAfter(t, e, r, ReasonUnknownCertificate, 3)
	})
	t.Run("changed between the checks and the write", func(t *testing.T) {
		t.Parallel()
		// The Store reports the version conflict once: the handler goes
		// through again with the stored row and succeeds.
		st := &conflictOnce{writeCounter: writeCounter{Store: memstore.New()}}
		e := newEnvWithStore(t, st, true, nil)
		st.armed = true
		if r := login(t, e, e.browser(), respSpec{}); r.Code != http.StatusSeeOther {
			t.Fatalf("login after a version conflict: %d\n%s", r.Code, e.logs)
		}
		if n := len(e.events(EventLoginSucceeded)); n != 1 {
			t.Fatalf("%d success events, want 1", n)
		}
	})
}

// conflictOnce fails the first CompleteLogin with ErrConflict.
type conflictOnce struct {
	writeCounter
	armed bool
}

func (c *conflictOnce) CompleteLogin(ctx context.Context, lc store.LoginCompletion, accept func(*store.LoginFacts) ([]store.Event, error)) (*store.LoginRequest, error) {
	if c.armed {
		c.armed = false
		return nil, fmt.Errorf("%w: test", store.ErrConflict)
	}
	return c.writeCounter.CompleteLogin(ctx, lc, accept)
}

func containsAll(got []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// TestTestFlowSurvivesVersionConflict: a test flow on a connection that is
// not active consumes its request before the final write; when that write
// finds the connection changed, the request is put back for the second
// pass, and the test still gets its result.
func TestTestFlowSurvivesVersionConflict(t *testing.T) {
	t.Parallel()
	st := &conflictOnce{writeCounter: writeCounter{Store: memstore.New()}}
	e := newEnvWithStore(t, st, true, nil)
	e.updateConn(connSAML, func(c *store.Connection) { c.State = store.ConnectionTested })
	b := e.browser()
	id := b.startTest(t, connSAML, "")
	st.armed = true
	b.postSAML(connSAML, respSpec{InResponseTo: id}.build(t), id)
	if res := e.testResults(); len(res) != 1 || res[0].Err != nil || res[0].Profile == nil {
		t.Fatalf("test results = %+v\n%s", res, e.logs)
	}
}

// TestOIDCConnectionChangedDuringExchange: the connection changes while the
// code is exchanged; the login, checked against the old row, is not
// accepted.
func TestOIDCConnectionChangedDuringExchange(t *testing.T) {
	t.Parallel()
	e, p := newOIDCEnv(t, "", nil)
	p.claims = func(map[string]any) {
		e.updateConn(connOIDC, func(c *store.Connection) { c.AllowEmailOutsideDomains = true })
	}
	w := oidcLogin(t, e, e.browser(), p, nil)
	if w.Code < 400 || len(e.logins()) != 0 {
		t.Fatalf("login accepted against a changed connection: %d, %d logins", w.Code, len(e.logins()))
	}
	if !strings.Contains(e.logs.String(), "changed during the login") {
		t.Fatalf("log lacks the cause:\n%s", e.logs)
	}
	if n := len(e.events(EventLoginSucceeded)); n != 0 {
		t.Fatalf("%d success events", n)
	}
}
