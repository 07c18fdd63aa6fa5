package ssokit

import (
	"context"
	"net/http"
	"testing"

	"github.com/onboardkit/onboardkit/internal/pgtest"
	"github.com/onboardkit/onboardkit/internal/teststores"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/pgstore"
)

func TestSQLiteStore(t *testing.T) {
	t.Parallel()
	e := newEnvWithStore(t, teststores.SQLite(t, testKeyring), true, nil)
	e.updateConn(connSAML, func(c *store.Connection) { c.SAML.AllowIdPInitiated = true })
	b := e.browser()
	id := b.startSAML(t, "connection="+connSAML)
	if w := b.postSAML(connSAML, respSpec{InResponseTo: id}.build(t), id); w.Code != http.StatusSeeOther {
		t.Fatalf("SP-initiated: %d\n%s", w.Code, e.logs)
	}
	raw := respSpec{}.build(t)
	if w := e.browser().postSAML(connSAML, raw, ""); w.Code != http.StatusSeeOther {
		t.Fatalf("IdP-initiated: %d\n%s", w.Code, e.logs)
	}
	assertRefusedAfter(t, e, e.browser().postSAML(connSAML, raw, ""), ReasonReplayed, 2)
}

// TestTwoInstancesPostgres runs two app instances on one PostgreSQL
// database: a login started on one completes on the other, and a response
// replayed to the second instance is refused.
func TestTwoInstancesPostgres(t *testing.T) {
	dsn := pgtest.Schema(t, pgtest.DSN(t), "ssokit")
	ctx := context.Background()
	open := func() store.Store {
		st, err := pgstore.Open(ctx, dsn, pgstore.Options{Keyring: testKeyring})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	st1 := open()
	e1 := newEnvWithStore(t, st1, true, nil)
	e1.updateConn(connSAML, func(c *store.Connection) { c.SAML.AllowIdPInitiated = true })
	e2 := newEnvWithStore(t, open(), false, nil)

	// Started on instance 1, completed on instance 2 (same browser).
	b := e1.browser()
	id := b.startSAML(t, "connection="+connSAML)
	raw := respSpec{InResponseTo: id}.build(t)
	b.h = e2.sso
	if w := b.postSAML(connSAML, raw, id); w.Code != http.StatusSeeOther || len(e2.logins()) != 1 {
		t.Fatalf("cross-instance login: %d\n%s", w.Code, e2.logs)
	}
	// The same response replayed to instance 1: the request is gone.
	b.h = e1.sso
	assertRefusedAfter(t, e1, b.postSAML(connSAML, raw, id), ReasonRequestUnknown, 0)

	// An IdP-initiated response accepted by instance 1 and replayed to
	// instance 2 from another browser: the replay cache is shared.
	idp := respSpec{}.build(t)
	if w := e1.browser().postSAML(connSAML, idp, ""); w.Code != http.StatusSeeOther {
		t.Fatalf("IdP-initiated on instance 1: %d\n%s", w.Code, e1.logs)
	}
	assertRefusedAfter(t, e2, e2.browser().postSAML(connSAML, idp, ""), ReasonReplayed, 1)

	// Both instances write to the one outbox.
	evs, err := st1.ListEvents(ctx, store.EventQuery{Types: []string{EventLoginSucceeded}})
	if err != nil || len(evs) != 2 {
		t.Fatalf("login events: %d %v", len(evs), err)
	}
}
