package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// badEvent is an event a Store must refuse (its Data is not JSON): passing it
// with a write proves the write validates events before changing anything.
func (f *fixture) badEvent() store.Event {
	e := f.ev("bad.event", "", "")
	e.Data = json.RawMessage(`{not json`)
	return e
}

var loginEventTests = []subtest{
	{"ConsumeLoginRequestEvents", func(f *fixture) {
		mk := func(id string, expires time.Time) {
			f.Helper()
			f.ok(f.s.CreateLoginRequest(f.ctx, &store.LoginRequest{ID: id, ConnectionID: "conn_1", Protocol: store.ProtocolSAML, CreatedAt: t0, ExpiresAt: expires}), "CreateLoginRequest")
		}
		mk("req_1", at(time.Hour))
		c := f.lastCursor()
		_, err := f.s.ConsumeLoginRequest(f.ctx, "req_1", store.LoginRequestMatch{}, at(time.Minute), f.badEvent())
		f.is(err, store.ErrInvalid, "ConsumeLoginRequest with an invalid event")
		f.noEventsSince(c, "ConsumeLoginRequest with an invalid event")
		got, err := f.s.ConsumeLoginRequest(f.ctx, "req_1", store.LoginRequestMatch{}, at(time.Minute), f.ev("login.started", "org_1", "req_1"))
		f.ok(err, "ConsumeLoginRequest with an event (the invalid call must not have consumed it)")
		if got.ID != "req_1" {
			f.Fatalf("ConsumeLoginRequest returned %q", got.ID)
		}
		f.wantEventTypes(c, "ConsumeLoginRequest", "login.started")

		c = f.lastCursor()
		_, err = f.s.ConsumeLoginRequest(f.ctx, "req_1", store.LoginRequestMatch{}, at(time.Minute), f.ev("login.started", "org_1", "req_1"))
		f.is(err, store.ErrNotFound, "second ConsumeLoginRequest")
		mk("req_2", at(time.Minute))
		_, err = f.s.ConsumeLoginRequest(f.ctx, "req_2", store.LoginRequestMatch{}, at(time.Minute), f.ev("login.started", "org_1", "req_2"))
		f.is(err, store.ErrExpired, "ConsumeLoginRequest of an expired request")
		_, err = f.s.ConsumeLoginRequest(f.ctx, "req_2", store.LoginRequestMatch{}, t0)
		f.is(err, store.ErrNotFound, "an expired request is removed all the same")
		f.noEventsSince(c, "failed ConsumeLoginRequest calls")
	}},
	{"ConsumeLoginRequestMatch", func(f *fixture) {
		mk := func(id, connID string, binding []byte) {
			f.Helper()
			f.ok(f.s.CreateLoginRequest(f.ctx, &store.LoginRequest{ID: id, ConnectionID: connID, Protocol: store.ProtocolOIDC, Binding: binding, CreatedAt: t0, ExpiresAt: at(time.Hour)}), "CreateLoginRequest %s", id)
		}
		mk("req_1", "conn_1", []byte("browser 1"))
		mk("req_unbound", "conn_1", nil)
		c := f.lastCursor()
		for _, tc := range []struct {
			id    string
			match store.LoginRequestMatch
		}{
			{"req_1", store.LoginRequestMatch{ConnectionID: "conn_2", Binding: []byte("browser 1")}},
			{"req_1", store.LoginRequestMatch{ConnectionID: "conn_1", Binding: []byte("browser 2")}},
			{"req_1", store.LoginRequestMatch{ConnectionID: "conn_1"}},
			{"req_unbound", store.LoginRequestMatch{ConnectionID: "conn_1"}},
			{"req_unbound", store.LoginRequestMatch{ConnectionID: "conn_1", Binding: []byte("browser 1")}},
		} {
			got, err := f.s.ConsumeLoginRequest(f.ctx, tc.id, tc.match, at(time.Minute), f.ev("login.callback", "org_1", tc.id))
			f.is(err, store.ErrMismatch, "ConsumeLoginRequest(%s, %+v)", tc.id, tc.match)
			if got == nil || got.ID != tc.id || got.ConnectionID != "conn_1" {
				f.Fatalf("ConsumeLoginRequest(%s, %+v) returned %+v with ErrMismatch, want the request", tc.id, tc.match, got)
			}
		}
		f.noEventsSince(c, "mismatched ConsumeLoginRequest calls")
		_, err := f.s.ConsumeLoginRequest(f.ctx, "req_missing", store.LoginRequestMatch{ConnectionID: "conn_1", Binding: []byte("browser 1")}, at(time.Minute))
		f.is(err, store.ErrNotFound, "conditional ConsumeLoginRequest of an unknown id")
		got, err := f.s.ConsumeLoginRequest(f.ctx, "req_1", store.LoginRequestMatch{ConnectionID: "conn_1", Binding: []byte("browser 1")}, at(time.Minute), f.ev("login.callback", "org_1", "req_1"))
		f.ok(err, "ConsumeLoginRequest of a matching request (the mismatched calls must have left it)")
		if got.ID != "req_1" || string(got.Binding) != "browser 1" {
			f.Fatalf("ConsumeLoginRequest returned %+v", got)
		}
		f.wantEventTypes(c, "conditional ConsumeLoginRequest", "login.callback")
		_, err = f.s.ConsumeLoginRequest(f.ctx, "req_1", store.LoginRequestMatch{ConnectionID: "conn_1", Binding: []byte("browser 1")}, at(time.Minute))
		f.is(err, store.ErrNotFound, "second conditional ConsumeLoginRequest")
		mk("req_2", "conn_1", []byte("browser 1"))
		_, err = f.s.ConsumeLoginRequest(f.ctx, "req_2", store.LoginRequestMatch{ConnectionID: "conn_1", Binding: []byte("browser 1")}, at(2*time.Hour))
		f.is(err, store.ErrExpired, "conditional ConsumeLoginRequest of an expired request")
		_, err = f.s.ConsumeLoginRequest(f.ctx, "req_2", store.LoginRequestMatch{}, t0)
		f.is(err, store.ErrNotFound, "an expired matching request is removed all the same")
	}},
	{"ConsumeAssertionIDEvents", func(f *fixture) {
		exp := at(5 * time.Minute)
		c := f.lastCursor()
		f.is(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_a1", exp, t0, f.badEvent()), store.ErrInvalid, "ConsumeAssertionID with an invalid event")
		f.noEventsSince(c, "ConsumeAssertionID with an invalid event")
		f.ok(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_a1", exp, t0, f.ev("login.succeeded", "org_1", "conn_1"), f.ev("login.audit", "org_1", "conn_1")),
			"ConsumeAssertionID with events (the invalid call must not have recorded the id)")
		f.wantEventTypes(c, "ConsumeAssertionID", "login.succeeded", "login.audit")
		c = f.lastCursor()
		f.is(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_a1", exp, at(time.Minute), f.ev("login.succeeded", "org_1", "conn_1")),
			store.ErrAlreadyExists, "replay with events")
		f.noEventsSince(c, "a replayed assertion id")
		f.ok(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_a2", exp, t0), "ConsumeAssertionID without events")
		f.noEventsSince(c, "ConsumeAssertionID without events")
	}},
}

var completeLoginTests = []subtest{
	completeLoginFactsTest,
	{"AllOrNothing", func(f *fixture) {
		org := f.mkOrg()
		conn := f.mkConn(org.ID, store.ProtocolSAML)
		mkReq := func(id string, expires time.Time) {
			f.Helper()
			f.ok(f.s.CreateLoginRequest(f.ctx, &store.LoginRequest{ID: id, ConnectionID: conn.ID, OrgID: org.ID, Protocol: store.ProtocolSAML,
				Binding: []byte("binding"), ReturnTo: "/app", Test: true, CreatedAt: t0, ExpiresAt: expires}), "CreateLoginRequest %s", id)
		}
		mkReq("req_1", at(time.Hour))
		lc := store.LoginCompletion{ConnectionID: conn.ID, ConnectionVersion: conn.Version, RequestID: "req_1", Binding: []byte("binding"),
			AssertionID: "_a1", AssertionExpiresAt: at(time.Hour), Now: at(time.Minute)}
		succeeded := func(*store.LoginFacts) ([]store.Event, error) {
			return []store.Event{f.ev("login.succeeded", org.ID, conn.ID)}, nil
		}
		// refusedUnseen is the accept of a call whose checks must fail:
		// accept is only called once they pass.
		refusedUnseen := func(what string) func(*store.LoginFacts) ([]store.Event, error) {
			return func(*store.LoginFacts) ([]store.Event, error) {
				f.Errorf("%s: accept was called although a check failed", what)
				return nil, errProbe
			}
		}
		c := f.lastCursor()
		nothingWritten := func(what string) {
			f.Helper()
			f.noEventsSince(c, what)
			// The request is still pending and the assertion id unused.
			if _, err := f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, RequestID: "req_1", Binding: []byte("binding"), AssertionID: "_a1", AssertionExpiresAt: at(time.Hour), Now: at(time.Minute)},
				func(*store.LoginFacts) ([]store.Event, error) { return nil, errProbe }); !errors.Is(err, errProbe) {
				f.Fatalf("after %s: the request or the assertion id was written (probe got %v)", what, err)
			}
		}

		// Invalid calls.
		for name, bad := range map[string]store.LoginCompletion{
			"no connection": {RequestID: "req_1", Now: t0},
			"no now":        {ConnectionID: conn.ID, RequestID: "req_1"},
			"no expiry":     {ConnectionID: conn.ID, AssertionID: "_a1", Now: t0},
		} {
			_, err := f.s.CompleteLogin(f.ctx, bad, succeeded)
			f.is(err, store.ErrInvalid, "CompleteLogin with %s", name)
		}
		_, err := f.s.CompleteLogin(f.ctx, lc, nil)
		f.is(err, store.ErrInvalid, "CompleteLogin without accept")
		_, err = f.s.CompleteLogin(f.ctx, lc, func(*store.LoginFacts) ([]store.Event, error) { return []store.Event{f.badEvent()}, nil })
		f.is(err, store.ErrInvalid, "CompleteLogin whose accept returns an invalid event")
		nothingWritten("an invalid event")

		// A changed or removed connection.
		stale := lc
		stale.ConnectionVersion = conn.Version + 1
		_, err = f.s.CompleteLogin(f.ctx, stale, refusedUnseen("another connection version"))
		f.is(err, store.ErrConflict, "CompleteLogin with another connection version")
		gone := lc
		gone.ConnectionID = "conn_missing"
		_, err = f.s.CompleteLogin(f.ctx, gone, refusedUnseen("a missing connection"))
		f.is(err, store.ErrConflict, "CompleteLogin of a missing connection at a version")
		nothingWritten("a version conflict")

		// The request of another browser, or of another connection, is
		// left pending and returned with ErrMismatch.
		elsewhere := lc
		elsewhere.Binding = []byte("another browser")
		got, err := f.s.CompleteLogin(f.ctx, elsewhere, refusedUnseen("another browser's request"))
		f.is(err, store.ErrMismatch, "CompleteLogin of another browser's request")
		if got == nil || got.ID != "req_1" || string(got.Binding) != "binding" {
			f.Fatalf("CompleteLogin of another browser's request returned %+v, want the request", got)
		}
		unbound := lc
		unbound.Binding = nil
		_, err = f.s.CompleteLogin(f.ctx, unbound, refusedUnseen("a request without a binding"))
		f.is(err, store.ErrMismatch, "CompleteLogin without a binding")
		conn2 := f.mkConn(org.ID, store.ProtocolSAML)
		foreign := lc
		foreign.ConnectionID, foreign.ConnectionVersion = conn2.ID, conn2.Version
		got, err = f.s.CompleteLogin(f.ctx, foreign, refusedUnseen("another connection's request"))
		f.is(err, store.ErrMismatch, "CompleteLogin of another connection's request")
		if got == nil || got.ConnectionID != conn.ID {
			f.Fatalf("CompleteLogin of another connection's request returned %+v, want the request", got)
		}
		nothingWritten("a mismatched request")

		// accept refuses.
		refused := errors.New("refused by accept")
		var seen *store.LoginRequest
		_, err = f.s.CompleteLogin(f.ctx, lc, func(lf *store.LoginFacts) ([]store.Event, error) { seen = lf.Request; return nil, refused })
		if !errors.Is(err, refused) {
			f.Fatalf("CompleteLogin returned %v, want accept's error", err)
		}
		if seen == nil || seen.ID != "req_1" || seen.ConnectionID != conn.ID || string(seen.Binding) != "binding" || !seen.Test || seen.ReturnTo != "/app" {
			f.Fatalf("accept got %+v, want the pending request", seen)
		}
		nothingWritten("accept's refusal")

		// Success.
		got, err = f.s.CompleteLogin(f.ctx, lc, succeeded)
		f.ok(err, "CompleteLogin")
		if got == nil || got.ID != "req_1" || !got.ExpiresAt.Equal(at(time.Hour)) {
			f.Fatalf("CompleteLogin returned %+v", got)
		}
		f.wantEventTypes(c, "CompleteLogin", "login.succeeded")
		c = f.lastCursor()
		_, err = f.s.ConsumeLoginRequest(f.ctx, "req_1", store.LoginRequestMatch{}, at(time.Minute))
		f.is(err, store.ErrNotFound, "the completed request")
		f.is(f.s.ConsumeAssertionID(f.ctx, conn.ID, "_a1", at(time.Hour), at(time.Minute)), store.ErrAlreadyExists, "the completed assertion id")

		// A replayed assertion id with a fresh request leaves the request.
		mkReq("req_2", at(time.Hour))
		replay := lc
		replay.RequestID = "req_2"
		_, err = f.s.CompleteLogin(f.ctx, replay, refusedUnseen("a replay"))
		f.is(err, store.ErrAlreadyExists, "CompleteLogin with a used assertion id")
		f.noEventsSince(c, "a replay")
		r2, err := f.s.ConsumeLoginRequest(f.ctx, "req_2", store.LoginRequestMatch{}, at(time.Minute))
		f.ok(err, "the request of a refused replay is still pending")
		f.equal("request", r2.ID, "req_2")

		// Unknown and expired requests.
		_, err = f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, RequestID: "req_missing", Binding: []byte("binding"), Now: t0}, refusedUnseen("an unknown request"))
		f.is(err, store.ErrNotFound, "CompleteLogin of an unknown request")
		mkReq("req_3", at(time.Minute))
		_, err = f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, RequestID: "req_3", Binding: []byte("binding"), AssertionID: "_a3", AssertionExpiresAt: at(time.Hour), Now: at(time.Minute)}, refusedUnseen("an expired request"))
		f.is(err, store.ErrExpired, "CompleteLogin of an expired request")
		f.noEventsSince(c, "unknown and expired requests")
		f.ok(f.s.ConsumeAssertionID(f.ctx, conn.ID, "_a3", at(time.Hour), at(time.Minute)), "the assertion id of an expired request stays unused")
		_, err = f.s.ConsumeLoginRequest(f.ctx, "req_3", store.LoginRequestMatch{}, at(time.Minute))
		f.is(err, store.ErrExpired, "the expired request is left for ConsumeLoginRequest or DeleteExpired")

		// An assertion id whose expiry passed is no replay.
		_, err = f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, AssertionID: "_a1", AssertionExpiresAt: at(3 * time.Hour), Now: at(time.Hour)},
			func(*store.LoginFacts) ([]store.Event, error) { return nil, nil })
		f.ok(err, "CompleteLogin of an assertion id at its old expiry")
		_, err = f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, AssertionID: "_a1", AssertionExpiresAt: at(3 * time.Hour), Now: at(2 * time.Hour)}, refusedUnseen("a replay before the new expiry"))
		f.is(err, store.ErrAlreadyExists, "CompleteLogin of the assertion id before its new expiry")

		// No request (IdP-initiated), no version: accept gets nil.
		called := false
		got, err = f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, AssertionID: "_a4", AssertionExpiresAt: at(time.Hour), Now: t0},
			func(lf *store.LoginFacts) ([]store.Event, error) {
				called = true
				if lf.Request != nil || lf.Domain != nil || lf.DirectoryUsers != nil {
					return nil, fmt.Errorf("accept got %+v, want no facts", lf)
				}
				return nil, nil
			})
		f.ok(err, "CompleteLogin without a request")
		if got != nil || !called {
			f.Fatalf("CompleteLogin without a request returned %+v (accept called: %v)", got, called)
		}
		f.noEventsSince(c, "CompleteLogin whose accept returned no events")
		// The version check alone, after the connection changed.
		_, err = f.s.UpdateConnection(f.ctx, conn.ID, func(x *store.Connection) ([]store.Event, error) { x.Name = "Renamed"; return nil, nil })
		f.ok(err, "UpdateConnection")
		_, err = f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, ConnectionVersion: conn.Version, Now: t0}, succeeded)
		f.is(err, store.ErrConflict, "CompleteLogin at the version before an update")
		_, err = f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, ConnectionVersion: conn.Version + 1, Now: t0}, succeeded)
		f.ok(err, "CompleteLogin at the current version")
		f.wantEventTypes(c, "CompleteLogin with the version check alone", "login.succeeded")
	}},
}

// completeLoginFactsTest checks the facts CompleteLogin reads for accept.
var completeLoginFactsTest = subtest{"Facts", func(f *fixture) {
	org, other := f.mkOrg(), f.mkOrg()
	conn := f.mkConn(org.ID, store.ProtocolSAML)
	mkDomain := func(id, orgID, name string, state store.DomainState) {
		f.Helper()
		f.ok(f.s.CreateDomain(f.ctx, &store.Domain{ID: id, OrgID: orgID, Name: name, State: state, Method: store.DomainManual, CreatedAt: t0, UpdatedAt: t0}), "CreateDomain %s", name)
	}
	mkDomain("dom_1", org.ID, "example.com", store.DomainVerified)
	mkDomain("dom_2", org.ID, "pending.test", store.DomainPending)
	d := &store.Directory{ID: "dir_facts", OrgID: org.ID, State: store.DirectoryActive, CreatedAt: t0}
	od := &store.Directory{ID: "dir_other", OrgID: other.ID, State: store.DirectoryActive, CreatedAt: t0}
	f.ok(f.s.CreateDirectory(f.ctx, d), "CreateDirectory")
	f.ok(f.s.CreateDirectory(f.ctx, od), "CreateDirectory")
	for _, u := range []store.DirectoryUser{
		{ID: "usr_by_name", DirectoryID: d.ID, UserName: "Jane@Example.com", Active: true, CreatedAt: t0},
		{ID: "usr_by_email", DirectoryID: d.ID, UserName: "jdoe", Emails: []store.Email{{Value: "jane@example.com", Primary: true}}, CreatedAt: t0},
		{ID: "usr_other_org", DirectoryID: od.ID, UserName: "jane@example.com", Active: true, CreatedAt: t0},
	} {
		f.ok(f.s.CreateDirectoryUser(f.ctx, &u), "CreateDirectoryUser %s", u.ID)
	}
	facts := func(lc store.LoginCompletion) *store.LoginFacts {
		f.Helper()
		lc.ConnectionID, lc.Now = conn.ID, t0
		var got *store.LoginFacts
		_, err := f.s.CompleteLogin(f.ctx, lc, func(lf *store.LoginFacts) ([]store.Event, error) { got = lf; return nil, nil })
		f.ok(err, "CompleteLogin %+v", lc)
		return got
	}
	lf := facts(store.LoginCompletion{EmailDomain: "example.com", Email: "JANE@example.com", OrgID: org.ID})
	if lf.Domain == nil || lf.Domain.ID != "dom_1" || lf.Domain.OrgID != org.ID {
		f.Fatalf("verified domain fact %+v, want dom_1", lf.Domain)
	}
	var ids []string
	for _, u := range lf.DirectoryUsers {
		ids = append(ids, u.ID)
	}
	if !slices.Equal(ids, []string{"usr_by_email", "usr_by_name"}) {
		f.Fatalf("directory users %v, want usr_by_email and usr_by_name of the organization", ids)
	}
	if lf.DirectoryUsers[0].Active || !lf.DirectoryUsers[1].Active {
		f.Fatalf("directory users lost their state: %+v", lf.DirectoryUsers)
	}
	if lf = facts(store.LoginCompletion{EmailDomain: "pending.test"}); lf.Domain != nil {
		f.Fatalf("a pending domain was given as verified: %+v", lf.Domain)
	}
	if lf = facts(store.LoginCompletion{EmailDomain: "unknown.test", Email: "nobody@example.com", OrgID: org.ID}); lf.Domain != nil || len(lf.DirectoryUsers) != 0 {
		f.Fatalf("facts of unknown names: %+v", lf)
	}
	_, err := f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, Now: t0, Email: "jane@example.com"}, func(*store.LoginFacts) ([]store.Event, error) { return nil, nil })
	f.is(err, store.ErrInvalid, "CompleteLogin with an email but no organization")
}}

// errProbe is returned by the accept function of calls that only probe
// whether CompleteLogin's checks pass.
var errProbe = errors.New("probe")

var connectionVersionTests = []subtest{
	{"Version", func(f *fixture) {
		org := f.mkOrg()
		c := f.mkConn(org.ID, store.ProtocolSAML)
		if c.Version != 1 {
			f.Fatalf("CreateConnection left Version %d on its argument, want 1", c.Version)
		}
		got, err := f.s.GetConnection(f.ctx, c.ID)
		f.ok(err, "GetConnection")
		if got.Version != 1 {
			f.Fatalf("stored Version %d after create, want 1", got.Version)
		}
		for want := int64(2); want <= 4; want++ {
			up, err := f.s.UpdateConnection(f.ctx, c.ID, func(x *store.Connection) ([]store.Event, error) {
				if x.Version != want-1 {
					return nil, fmt.Errorf("function saw Version %d, want %d", x.Version, want-1)
				}
				x.Name = fmt.Sprintf("Okta %d", want)
				return nil, nil
			})
			f.ok(err, "UpdateConnection")
			if up.Version != want {
				f.Fatalf("UpdateConnection returned Version %d, want %d", up.Version, want)
			}
		}
		_, err = f.s.UpdateConnection(f.ctx, c.ID, func(x *store.Connection) ([]store.Event, error) {
			x.Version = 100
			return nil, nil
		})
		f.is(err, store.ErrInvalid, "UpdateConnection changing Version")
		_, err = f.s.UpdateConnection(f.ctx, c.ID, func(x *store.Connection) ([]store.Event, error) { return nil, errFn })
		f.is(err, errFn, "UpdateConnection whose function fails")
		got, err = f.s.GetConnection(f.ctx, c.ID)
		f.ok(err, "GetConnection")
		if got.Version != 4 {
			f.Fatalf("Version %d after failed updates, want 4", got.Version)
		}
		list, err := f.s.ListConnections(f.ctx, org.ID)
		f.ok(err, "ListConnections")
		if len(list) != 1 || list[0].Version != 4 {
			f.Fatalf("ListConnections = %+v, want one connection with Version 4", list)
		}
	}},
}

var domainFailureTests = []subtest{
	{"FailureFields", func(f *fixture) {
		org := f.mkOrg()
		now := f.tick()
		d := &store.Domain{
			ID: f.id("dom"), OrgID: org.ID, Name: "acme.example", State: store.DomainPending, Method: store.DomainDNSTXT,
			Failure: "no TXT record", FailureKind: "missing", CheckFailures: 2, CreatedAt: now, UpdatedAt: now,
		}
		f.ok(f.s.CreateDomain(f.ctx, d), "CreateDomain")
		got, err := f.s.GetDomain(f.ctx, d.ID)
		f.ok(err, "GetDomain")
		f.equal("domain with failure fields", got, d)
		up, err := f.s.UpdateDomain(f.ctx, d.ID, func(x *store.Domain) ([]store.Event, error) {
			x.FailureKind, x.CheckFailures = "mismatch", x.CheckFailures+1
			return nil, nil
		})
		f.ok(err, "UpdateDomain")
		if up.FailureKind != "mismatch" || up.CheckFailures != 3 {
			f.Fatalf("UpdateDomain stored kind %q count %d, want mismatch 3", up.FailureKind, up.CheckFailures)
		}
		list, err := f.s.ListDomains(f.ctx, org.ID)
		f.ok(err, "ListDomains")
		if len(list) != 1 || list[0].FailureKind != "mismatch" || list[0].CheckFailures != 3 {
			f.Fatalf("ListDomains = %+v", list)
		}
		_, err = f.s.UpdateDomain(f.ctx, d.ID, func(x *store.Domain) ([]store.Event, error) {
			x.CheckFailures = -1
			return nil, nil
		})
		f.is(err, store.ErrInvalid, "UpdateDomain with a negative failure count")
	}},
}

var portalRevocationTests = []subtest{
	{"RevokeEndsSessions", func(f *fixture) {
		org := f.mkOrg()
		a := f.mkLink(org.ID, store.LinkShareable, at(24*time.Hour))
		b := f.mkLink(org.ID, store.LinkShareable, at(24*time.Hour))
		var fromA []*store.PortalSession
		for range 2 {
			ps := f.newSession(at(time.Hour))
			_, err := f.s.RedeemPortalLink(f.ctx, a.Digest, at(time.Minute), ps)
			f.ok(err, "RedeemPortalLink")
			fromA = append(fromA, ps)
		}
		fromB := f.newSession(at(time.Hour))
		_, err := f.s.RedeemPortalLink(f.ctx, b.Digest, at(time.Minute), fromB)
		f.ok(err, "RedeemPortalLink")

		c := f.lastCursor()
		f.ok(f.s.RevokePortalLink(f.ctx, a.ID, at(2*time.Minute), f.ev("portal.link.revoked", org.ID, a.ID)), "RevokePortalLink")
		f.wantEventTypes(c, "RevokePortalLink", "portal.link.revoked")
		for _, ps := range fromA {
			_, err := f.s.GetPortalSession(f.ctx, ps.Digest, at(3*time.Minute))
			f.is(err, store.ErrNotFound, "session of a revoked link")
		}
		_, err = f.s.GetPortalSession(f.ctx, fromB.Digest, at(3*time.Minute))
		f.ok(err, "session of another link")
		c = f.lastCursor()
		f.ok(f.s.RevokePortalLink(f.ctx, a.ID, at(4*time.Minute), f.ev("portal.link.revoked", org.ID, a.ID)), "second RevokePortalLink")
		f.noEventsSince(c, "revoking a revoked link")
	}},
	{"DeletePortalSessionEvents", func(f *fixture) {
		org := f.mkOrg()
		l := f.mkLink(org.ID, store.LinkShareable, at(24*time.Hour))
		ps := f.newSession(at(time.Hour))
		_, err := f.s.RedeemPortalLink(f.ctx, l.Digest, at(time.Minute), ps)
		f.ok(err, "RedeemPortalLink")
		c := f.lastCursor()
		f.is(f.s.DeletePortalSession(f.ctx, ps.ID, f.badEvent()), store.ErrInvalid, "DeletePortalSession with an invalid event")
		_, err = f.s.GetPortalSession(f.ctx, ps.Digest, at(time.Minute))
		f.ok(err, "session after a refused logout")
		f.ok(f.s.DeletePortalSession(f.ctx, ps.ID, f.ev("portal.session.ended", org.ID, ps.ID)), "DeletePortalSession")
		f.wantEventTypes(c, "DeletePortalSession", "portal.session.ended")
		_, err = f.s.GetPortalSession(f.ctx, ps.Digest, at(time.Minute))
		f.is(err, store.ErrNotFound, "session after logout")
		c = f.lastCursor()
		f.ok(f.s.DeletePortalSession(f.ctx, ps.ID, f.ev("portal.session.ended", org.ID, ps.ID)), "second DeletePortalSession")
		f.noEventsSince(c, "deleting an absent session")
	}},
	{"DeletePortalSessions", func(f *fixture) {
		org, other := f.mkOrg(), f.mkOrg()
		mk := func(orgID string) *store.PortalSession {
			f.Helper()
			l := f.mkLink(orgID, store.LinkShareable, at(24*time.Hour))
			ps := f.newSession(at(time.Hour))
			_, err := f.s.RedeemPortalLink(f.ctx, l.Digest, at(time.Minute), ps)
			f.ok(err, "RedeemPortalLink")
			return ps
		}
		mine := []*store.PortalSession{mk(org.ID), mk(org.ID)}
		theirs := mk(other.ID)
		c := f.lastCursor()
		_, err := f.s.DeletePortalSessions(f.ctx, org.ID, f.badEvent())
		f.is(err, store.ErrInvalid, "DeletePortalSessions with an invalid event")
		n, err := f.s.DeletePortalSessions(f.ctx, org.ID, f.ev("portal.sessions.ended", org.ID, org.ID))
		f.ok(err, "DeletePortalSessions")
		if n != 2 {
			f.Fatalf("DeletePortalSessions removed %d, want 2", n)
		}
		f.wantEventTypes(c, "DeletePortalSessions", "portal.sessions.ended")
		for _, ps := range mine {
			_, err := f.s.GetPortalSession(f.ctx, ps.Digest, at(time.Minute))
			f.is(err, store.ErrNotFound, "session after DeletePortalSessions")
		}
		_, err = f.s.GetPortalSession(f.ctx, theirs.Digest, at(time.Minute))
		f.ok(err, "another organization's session")
		n, err = f.s.DeletePortalSessions(f.ctx, org.ID)
		f.ok(err, "second DeletePortalSessions")
		if n != 0 {
			f.Fatalf("second DeletePortalSessions removed %d, want 0", n)
		}
		n, err = f.s.DeletePortalSessions(f.ctx, "org_missing")
		if err != nil || n != 0 {
			f.Fatalf("DeletePortalSessions of an unknown organization = %d, %v", n, err)
		}
		_, err = f.s.DeletePortalSessions(f.ctx, "")
		f.is(err, store.ErrInvalid, "DeletePortalSessions(\"\")")
	}},
}

var authenticateTokenTests = []subtest{
	{"AuthenticateDirectoryToken", func(f *fixture) {
		org1, org2 := f.mkOrg(), f.mkOrg()
		d1, d2 := f.mkDir(org1.ID), f.mkDir(org2.ID)
		t1 := f.mkToken(d1.ID, at(time.Minute), time.Time{})
		t2 := f.mkToken(d2.ID, at(time.Minute), at(time.Hour))
		for _, c := range []struct {
			tok *store.DirectoryToken
			dir *store.Directory
		}{{t1, d1}, {t2, d2}} {
			gotT, gotD, err := f.s.AuthenticateDirectoryToken(f.ctx, c.tok.Digest)
			f.ok(err, "AuthenticateDirectoryToken")
			f.utcOnly("AuthenticateDirectoryToken", gotT)
			f.utcOnly("AuthenticateDirectoryToken", gotD)
			f.equal("token", gotT, c.tok)
			f.equal("directory of the token", gotD, c.dir)
		}
		// The caller judges state: a revoked token is returned as it is.
		f.ok(f.s.RevokeDirectoryToken(f.ctx, t1.ID, at(2*time.Minute)), "RevokeDirectoryToken")
		gotT, gotD, err := f.s.AuthenticateDirectoryToken(f.ctx, t1.Digest)
		f.ok(err, "AuthenticateDirectoryToken of a revoked token")
		if gotT.RevokedAt.IsZero() || gotD.ID != d1.ID || gotD.OrgID != org1.ID {
			f.Fatalf("revoked token: %+v in %+v", gotT, gotD)
		}
		gotT.Digest[0] ^= 0xff
		gotD.Name = "mutated"
		again, againD, err := f.s.AuthenticateDirectoryToken(f.ctx, t1.Digest)
		f.ok(err, "AuthenticateDirectoryToken after mutating copies")
		if again.Digest[0] != t1.Digest[0] || againD.Name != d1.Name {
			f.Fatal("AuthenticateDirectoryToken returned values shared with the Store")
		}
		_, _, err = f.s.AuthenticateDirectoryToken(f.ctx, digest("unknown"))
		f.is(err, store.ErrNotFound, "AuthenticateDirectoryToken of an unknown digest")
		_, _, err = f.s.AuthenticateDirectoryToken(f.ctx, nil)
		f.is(err, store.ErrInvalid, "AuthenticateDirectoryToken(nil)")
		f.ok(f.s.DeleteDirectory(f.ctx, d2.ID), "DeleteDirectory")
		_, _, err = f.s.AuthenticateDirectoryToken(f.ctx, t2.Digest)
		f.is(err, store.ErrNotFound, "token of a deleted directory")
	}},
	{"CreateSetsArgument", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		now := f.tick()
		u := &store.DirectoryUser{ID: f.id("usr"), DirectoryID: d.ID, OrgID: "org_bogus", UserName: "alice", Version: 7, CreatedAt: now, UpdatedAt: now}
		f.ok(f.s.CreateDirectoryUser(f.ctx, u), "CreateDirectoryUser")
		if u.OrgID != org.ID || u.Version != 1 {
			f.Fatalf("CreateDirectoryUser left OrgID %q Version %d on its argument, want %q 1", u.OrgID, u.Version, org.ID)
		}
		f.equal("stored user", f.getUser(d.ID, u.ID), u)
		g := &store.DirectoryGroup{ID: f.id("grp"), DirectoryID: d.ID, DisplayName: "Admins", Version: 9, CreatedAt: now, UpdatedAt: now}
		f.ok(f.s.CreateDirectoryGroup(f.ctx, g, nil, nil), "CreateDirectoryGroup")
		if g.OrgID != org.ID || g.Version != 1 {
			f.Fatalf("CreateDirectoryGroup left OrgID %q Version %d on its argument, want %q 1", g.OrgID, g.Version, org.ID)
		}
		got, err := f.s.GetDirectoryGroup(f.ctx, d.ID, g.ID)
		f.ok(err, "GetDirectoryGroup")
		f.equal("stored group", got, g)
	}},
	{"EmailIndexFollowsUsers", func(f *fixture) {
		// The lookups by email must follow a user's changes and deletion,
		// including duplicate addresses that differ in case or type.
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		u := f.mkUser(d.ID, "alice", func(u *store.DirectoryUser) {
			u.Emails = []store.Email{{Value: "Alice@Old.example", Type: "work"}, {Value: "alice@old.example", Type: "home"}, {Value: "a@keep.example"}}
		})
		find := func(email string) []string {
			f.Helper()
			got, err := f.s.FindDirectoryUsersByEmail(f.ctx, org.ID, email)
			f.ok(err, "FindDirectoryUsersByEmail")
			ids := []string{}
			for _, x := range got {
				ids = append(ids, x.ID)
			}
			return ids
		}
		filter := func(email string) int {
			f.Helper()
			_, total, err := f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{Filter: store.Compare{Attr: store.AttrEmail, Op: store.OpEq, Value: email}, Limit: 10})
			f.ok(err, "ListDirectoryUsers")
			return total
		}
		if got := find("alice@old.example"); len(got) != 1 || got[0] != u.ID {
			f.Fatalf("FindDirectoryUsersByEmail(old) = %v", got)
		}
		_, err := f.s.UpdateDirectoryUser(f.ctx, d.ID, u.ID, func(x *store.DirectoryUser) ([]store.Event, error) {
			x.Emails = []store.Email{{Value: "alice@new.example", Type: "work"}, {Value: "a@keep.example"}}
			return nil, nil
		})
		f.ok(err, "UpdateDirectoryUser")
		if got := find("alice@old.example"); len(got) != 0 {
			f.Fatalf("old email still finds %v", got)
		}
		if n := filter("alice@old.example"); n != 0 {
			f.Fatalf("filter on the old email matches %d users", n)
		}
		if got := find("ALICE@new.example"); len(got) != 1 {
			f.Fatalf("new email finds %v", got)
		}
		if n := filter("a@keep.example"); n != 1 {
			f.Fatalf("filter on the kept email matches %d users", n)
		}
		f.ok(f.s.DeleteDirectoryUser(f.ctx, d.ID, u.ID, nil), "DeleteDirectoryUser")
		if got := find("alice@new.example"); len(got) != 0 {
			f.Fatalf("email of a deleted user finds %v", got)
		}
		// The same id and address again, in the same directory.
		f.ok(f.s.CreateDirectoryUser(f.ctx, &store.DirectoryUser{ID: u.ID, DirectoryID: d.ID, UserName: "alice", CreatedAt: t0,
			Emails: []store.Email{{Value: "alice@new.example"}}}), "CreateDirectoryUser again")
		if n := filter("alice@new.example"); n != 1 {
			f.Fatalf("filter after re-creation matches %d users", n)
		}
	}},
	{"EventIDsNotChecked", func(f *fixture) {
		// Event ids are unique by the caller's construction; a Store need
		// not check them, and a reused id must not fail the write.
		org := f.mkOrg()
		e := f.ev("organization.updated", org.ID, org.ID)
		c := f.lastCursor()
		_, err := f.s.AppendEvents(f.ctx, e)
		f.ok(err, "AppendEvents")
		_, err = f.s.UpdateOrganization(f.ctx, org.ID, func(o *store.Organization) ([]store.Event, error) {
			o.Name = "Renamed"
			return []store.Event{e}, nil
		})
		f.ok(err, "UpdateOrganization with a reused event id")
		if n := len(f.eventsAfter(c)); n != 2 {
			f.Fatalf("%d events appended, want 2", n)
		}
	}},
}

var brandingUpdateTests = []subtest{
	{"UpdateBranding", func(f *fixture) {
		org := f.mkOrg()
		c := f.lastCursor()
		got, err := f.s.UpdateBranding(f.ctx, org.ID, func(b *store.Branding) ([]store.Event, error) {
			f.equal("UpdateBranding argument when none exists", b, &store.Branding{Scope: org.ID})
			b.AccentColor, b.UpdatedAt = "#112233", t0.In(elsewhere)
			return []store.Event{f.ev("branding.updated", org.ID, org.ID)}, nil
		})
		f.ok(err, "UpdateBranding creating")
		want := &store.Branding{Scope: org.ID, AccentColor: "#112233", UpdatedAt: t0}
		f.utcOnly("UpdateBranding", got)
		f.equal("UpdateBranding result", got, want)
		f.wantEventTypes(c, "UpdateBranding", "branding.updated")

		got, err = f.s.UpdateBranding(f.ctx, org.ID, func(b *store.Branding) ([]store.Event, error) {
			f.equal("UpdateBranding argument", b, want)
			b.Logo, b.UpdatedAt = &store.Asset{ContentType: "image/png", Data: []byte("png")}, at(time.Hour)
			return nil, nil
		})
		f.ok(err, "UpdateBranding of the logo only")
		want.Logo, want.UpdatedAt = &store.Asset{ContentType: "image/png", Data: []byte("png")}, at(time.Hour)
		f.equal("UpdateBranding result", got, want)
		stored, err := f.s.GetBranding(f.ctx, org.ID)
		f.ok(err, "GetBranding")
		f.equal("branding after UpdateBranding", stored, want)

		c = f.lastCursor()
		_, err = f.s.UpdateBranding(f.ctx, org.ID, func(b *store.Branding) ([]store.Event, error) {
			b.AccentColor = "#000000"
			return []store.Event{f.ev("branding.updated", org.ID, org.ID)}, errFn
		})
		f.is(err, errFn, "UpdateBranding whose function fails")
		_, err = f.s.UpdateBranding(f.ctx, org.ID, func(b *store.Branding) ([]store.Event, error) {
			b.AccentColor = "red"
			return nil, nil
		})
		f.is(err, store.ErrInvalid, "UpdateBranding to an invalid colour")
		_, err = f.s.UpdateBranding(f.ctx, org.ID, func(b *store.Branding) ([]store.Event, error) {
			b.Scope = ""
			return nil, nil
		})
		f.is(err, store.ErrInvalid, "UpdateBranding changing the scope")
		_, err = f.s.UpdateBranding(f.ctx, org.ID, nil)
		f.is(err, store.ErrInvalid, "UpdateBranding with a nil function")
		_, err = f.s.UpdateBranding(f.ctx, "org_missing", func(b *store.Branding) ([]store.Event, error) { return nil, nil })
		f.is(err, store.ErrNotFound, "UpdateBranding of an unknown organization")
		_, err = f.s.GetBranding(f.ctx, "org_missing")
		f.is(err, store.ErrNotFound, "branding of an unknown organization")
		_, err = f.s.UpdateBranding(f.ctx, "", func(b *store.Branding) ([]store.Event, error) { return nil, errFn })
		f.is(err, errFn, "UpdateBranding host-wide whose function fails")
		_, err = f.s.GetBranding(f.ctx, "")
		f.is(err, store.ErrNotFound, "host-wide branding after a failed first update")
		stored, err = f.s.GetBranding(f.ctx, org.ID)
		f.ok(err, "GetBranding")
		f.equal("branding after failed updates", stored, want)
		f.noEventsSince(c, "failed UpdateBranding calls")

		c = f.lastCursor()
		f.ok(f.s.DeleteBranding(f.ctx, org.ID, f.ev("branding.deleted", org.ID, org.ID)), "DeleteBranding")
		f.wantEventTypes(c, "DeleteBranding", "branding.deleted")
		_, err = f.s.GetBranding(f.ctx, org.ID)
		f.is(err, store.ErrNotFound, "GetBranding after delete")
		c = f.lastCursor()
		f.ok(f.s.DeleteBranding(f.ctx, org.ID, f.ev("branding.deleted", org.ID, org.ID)), "second DeleteBranding")
		f.noEventsSince(c, "deleting absent branding")
	}},
}

var contractConcurrencyTests = []subtest{
	{"UpdateBrandingLosesNothing", func(f *fixture) {
		// Every worker appends its own byte to the logo, starting from no
		// branding at all: concurrent first creations must serialize too.
		org := f.mkOrg()
		errs := race(workers, func(i int) error {
			_, err := f.s.UpdateBranding(f.ctx, org.ID, func(b *store.Branding) ([]store.Event, error) {
				if b.Logo == nil {
					b.Logo = &store.Asset{ContentType: "application/octet-stream"}
				}
				b.Logo.Data = append(b.Logo.Data, byte(i))
				b.UpdatedAt = t0
				return []store.Event{f.ev("branding.updated", org.ID, org.ID)}, nil
			})
			return err
		})
		if wins := outcomes(f.T, "UpdateBranding", errs); wins != workers {
			f.Fatalf("%d of %d UpdateBranding calls succeeded", wins, workers)
		}
		b, err := f.s.GetBranding(f.ctx, org.ID)
		f.ok(err, "GetBranding")
		seen := map[byte]bool{}
		for _, x := range b.Logo.Data {
			seen[x] = true
		}
		if len(b.Logo.Data) != workers || len(seen) != workers {
			f.Fatalf("logo has %d bytes (%d distinct), want %d: updates were lost", len(b.Logo.Data), len(seen), workers)
		}
	}},
	{"UpdateDomainSerializesClaims", func(f *fixture) {
		// A claim-style update: the first to find the domain unclaimed
		// takes it; every fn sees the previous committed value, so exactly
		// one claim wins and no count is lost.
		org := f.mkOrg()
		d := f.mkDomain(org.ID, "claim.example", store.DomainPending)
		errs := race(workers, func(i int) error {
			me := fmt.Sprintf("worker-%d", i)
			got, err := f.s.UpdateDomain(f.ctx, d.ID, func(x *store.Domain) ([]store.Event, error) {
				x.CheckFailures++
				if x.VerifiedBy == "" {
					x.VerifiedBy = me
				}
				return nil, nil
			})
			if err != nil {
				return err
			}
			if got.VerifiedBy != me {
				return errFn // lost the claim
			}
			return nil
		})
		if wins := outcomes(f.T, "UpdateDomain claim", errs, errFn); wins != 1 {
			f.Fatalf("%d claims won, want exactly 1", wins)
		}
		got, err := f.s.GetDomain(f.ctx, d.ID)
		f.ok(err, "GetDomain")
		if got.CheckFailures != workers {
			f.Fatalf("CheckFailures = %d after %d increments: updates were lost", got.CheckFailures, workers)
		}
	}},
}
