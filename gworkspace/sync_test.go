package gworkspace

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/onboardkit/onboardkit/gworkspace/gwsim"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/store"
)

// seed gives the simulator three users beside the admin and two groups,
// one nested in the other.
func seed(e *env) (alice, bob, carol, eng, all string) {
	alice = e.sim.PutUser(gwsim.User{ID: "2001", PrimaryEmail: "alice@" + simDomain, GivenName: "Alice", FamilyName: "A"})
	bob = e.sim.PutUser(gwsim.User{ID: "2002", PrimaryEmail: "bob@" + simDomain, GivenName: "Bob", FamilyName: "B"})
	carol = e.sim.PutUser(gwsim.User{ID: "2003", PrimaryEmail: "carol@" + simDomain, GivenName: "Carol", FamilyName: "C"})
	eng = e.sim.PutGroup(gwsim.Group{ID: "g1", Email: "eng@" + simDomain, Name: "Engineering"})
	all = e.sim.PutGroup(gwsim.Group{ID: "g2", Email: "all@" + simDomain, Name: "Everyone"})
	e.sim.SetMembers(eng, gwsim.Member{ID: alice, Type: "USER"}, gwsim.Member{ID: bob, Type: "USER"})
	e.sim.SetMembers(all, gwsim.Member{ID: eng, Type: "GROUP"}, gwsim.Member{ID: carol, Type: "USER"})
	return
}

func TestSyncFirstThenChanges(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		e := newEnv(t, st, nil)
		alice, bob, carol, eng, all := seed(e)

		stats := e.sync()
		if stats.Users != 4 || stats.Groups != 2 || stats.UsersCreated != 4 || stats.GroupsCreated != 2 || stats.MembershipsAdded != 4 {
			t.Fatalf("first sync stats = %s", jsonOf(stats))
		}
		want := `{"Users":{"admin@example.com":true,"alice@example.com":true,"bob@example.com":true,"carol@example.com":true},` +
			`"Groups":{"Engineering":["alice@example.com","bob@example.com"],"Everyone":["Engineering","carol@example.com"]}}`
		if got := jsonOf(e.snapshot()); got != want {
			t.Fatalf("after the first sync:\n got %s\nwant %s", got, want)
		}
		got := types(e.events())
		if jsonOf(got) != `{"directory.group.created":2,"directory.membership.added":4,"directory.user.created":4}` {
			t.Fatalf("first sync events = %v", got)
		}
		for _, ev := range e.eventsSince(0) {
			if ev.Actor != Actor(e.dir.ID) || ev.OrgID != e.dir.OrgID {
				t.Fatalf("event %s has actor %q, org %q", ev.Type, ev.Actor, ev.OrgID)
			}
		}

		stats = e.sync()
		if stats.Writes() != 0 || stats.MembershipsAdded+stats.MembershipsRemoved != 0 {
			t.Fatalf("no-change sync wrote: %s", jsonOf(stats))
		}
		if evs := e.events(); len(evs) != 0 {
			t.Fatalf("no-change sync appended %d events", len(evs))
		}

		e.sim.UpdateUser(bob, func(u *gwsim.User) { u.FamilyName = "Builder" })
		e.sim.UpdateUser(carol, func(u *gwsim.User) { u.Suspended = true })
		e.sim.DeleteUser(alice)
		e.sim.SetMembers(eng)
		e.sim.SetMembers(all, gwsim.Member{ID: eng, Type: "GROUP"}, gwsim.Member{ID: carol, Type: "USER"}, gwsim.Member{ID: bob, Type: "USER"})
		stats = e.sync()
		want = `{"Users":{"admin@example.com":true,"bob@example.com":true,"carol@example.com":false},` +
			`"Groups":{"Engineering":[],"Everyone":["Engineering","bob@example.com","carol@example.com"]}}`
		if got := jsonOf(e.snapshot()); got != want {
			t.Fatalf("after the changes:\n got %s\nwant %s", got, want)
		}
		got = types(e.events())
		if jsonOf(got) != `{"directory.membership.added":1,"directory.membership.removed":2,"directory.user.deactivated":1,"directory.user.deleted":1,"directory.user.updated":1}` {
			t.Fatalf("events of the changes = %v (stats %s)", got, jsonOf(stats))
		}

		e.sim.UpdateUser(carol, func(u *gwsim.User) { u.Suspended = false })
		e.sim.DeleteGroup(eng)
		e.sync()
		got = types(e.events())
		if jsonOf(got) != `{"directory.group.deleted":1,"directory.membership.removed":1,"directory.user.reactivated":1}` {
			t.Fatalf("events of reactivation and group deletion = %v", got)
		}
		status, err := e.s.Status(context.Background(), e.dir.ID)
		if err != nil || status.LastError != "" || status.LastSuccessAt.IsZero() || status.Syncing || !status.HasKey {
			t.Fatalf("Status = %+v, %v", status, err)
		}
	})
}

func (e *env) eventsSince(c int64) []store.Event {
	evs, err := e.st.ListEvents(context.Background(), store.EventQuery{After: c, Limit: 100000})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// TestSameEventsAsSCIM: a user created by the sync is reported with the
// type and data shape scimkit uses.
func TestSameEventsAsSCIM(t *testing.T) {
	e := newEnv(t, testStores()["memstore"](t), nil)
	e.sync()
	evs := e.events()
	if len(evs) != 1 || evs[0].Type != scimkit.EventUserCreated {
		t.Fatalf("events = %v", types(evs))
	}
	if !bytes.Contains(evs[0].Data, []byte(`"user_name":"admin@example.com"`)) || !bytes.Contains(evs[0].Data, []byte(`"version":1`)) {
		t.Fatalf("event data = %s", evs[0].Data)
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(e *env)
		cause     Cause // "" = the sync succeeds
		testCause Cause // the cause Test reports, "" = same as cause
		detail    string
	}{
		{name: "429 with Retry-After", setup: func(e *env) { e.sim.SetFaults(gwsim.Faults{RateLimit: 2, RetryAfter: 7}) }},
		{name: "503 then success", setup: func(e *env) { e.sim.SetFaults(gwsim.Faults{ServerErrors: 3}) }},
		{name: "503 for ever", setup: func(e *env) { e.sim.SetFaults(gwsim.Faults{ServerErrors: 1000}) }, cause: CauseRateLimited},
		{name: "invalid_grant", setup: func(e *env) { e.sim.SetFaults(gwsim.Faults{InvalidGrant: true}) }, cause: CauseInvalidGrant},
		{name: "delegation missing", setup: func(e *env) { e.sim.Delegate(e.key.ClientID) }, cause: CauseDelegationMissing},
		{name: "scope missing", setup: func(e *env) { e.sim.Delegate(e.key.ClientID, ScopeUser) },
			cause: CauseDelegationMissing, testCause: CauseScopeMissing, detail: ScopeGroup + " " + ScopeMember},
		{name: "admin not an admin", setup: func(e *env) {
			e.sim.PutUser(gwsim.User{PrimaryEmail: "user@" + simDomain})
			if err := e.s.Configure(context.Background(), e.dir.ID, Settings{AdminEmail: "user@" + simDomain}); err != nil {
				e.t.Fatal(err)
			}
		}, cause: CauseNotAdmin},
		{name: "admin not a user", setup: func(e *env) {
			if err := e.s.Configure(context.Background(), e.dir.ID, Settings{AdminEmail: "nobody@" + simDomain}); err != nil {
				e.t.Fatal(err)
			}
		}, cause: CauseInvalidGrant},
		{name: "API disabled", setup: func(e *env) { e.sim.SetFaults(gwsim.Faults{APIDisabled: true}) }, cause: CauseAPIDisabled},
		{name: "unknown customer", setup: func(e *env) {
			if err := e.s.Configure(context.Background(), e.dir.ID, Settings{AdminEmail: e.admin, Customer: "C999"}); err != nil {
				e.t.Fatal(err)
			}
		}, cause: CauseBadCustomer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st store.Store) {
				testFault(t, st, tc.setup, tc.name, tc.cause, tc.testCause, tc.detail)
			})
		})
	}
}

func testFault(t *testing.T, st store.Store, setup func(*env), name string, cause, testCause Cause, detail string) {
	tc := struct {
		name             string
		setup            func(*env)
		cause, testCause Cause
		detail           string
	}{name, setup, cause, testCause, detail}
	{
		{
			e := newEnv(t, st, func(c *Config) { c.MaxRetries = 4 })
			seed(e)
			tc.setup(e)
			_, err := e.s.SyncDirectory(context.Background(), e.dir.ID)
			status, serr := e.s.Status(context.Background(), e.dir.ID)
			if serr != nil {
				t.Fatal(serr)
			}
			if tc.cause == "" {
				if err != nil {
					t.Fatalf("SyncDirectory: %v", err)
				}
				if n := len(e.snapshot().Users); n != 4 {
					t.Fatalf("synced %d users, want 4", n)
				}
				if tc.name == "429 with Retry-After" && (len(e.waits) != 2 || e.waits[0].Seconds() != 7) {
					t.Fatalf("waits = %v, want two of 7s", e.waits)
				}
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Cause != tc.cause {
				t.Fatalf("SyncDirectory error = %v, want cause %s", err, tc.cause)
			}
			if status.LastError != ae.Message() || status.LastSuccessAt.IsZero() == false {
				t.Fatalf("Status after failure: LastError %q, LastSuccessAt %v", status.LastError, status.LastSuccessAt)
			}
			if evs := e.events(); len(evs) != 0 {
				t.Fatalf("a refused sync appended %d events", len(evs))
			}
			want := tc.testCause
			if want == "" {
				want = tc.cause
			}
			e.sim.SetFaults(gwsim.Faults{})
			tc.setup(e)
			_, err = e.s.Test(context.Background(), e.dir.ID)
			if !errors.As(err, &ae) || ae.Cause != want || (tc.detail != "" && ae.Detail != tc.detail) {
				t.Fatalf("Test error = %v, want cause %s detail %q", err, want, tc.detail)
			}
		}
	}
}

func TestTestListsOneUser(t *testing.T) {
	e := newEnv(t, testStores()["memstore"](t), nil)
	seed(e)
	res, err := e.s.Test(context.Background(), e.dir.ID)
	if err != nil || res.User != e.admin {
		t.Fatalf("Test = %+v, %v", res, err)
	}
}

func TestPageTokenExpires(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		e := newEnv(t, st, func(c *Config) { c.PageSize = 3 })
		e.sim.Populate(20, 3)
		var n atomic.Int32
		e.sim.BeforeAPI(func(r *http.Request) {
			if r.URL.Query().Get("pageToken") != "" && n.Add(1) == 2 {
				e.sim.ExpirePageTokens()
			}
		})
		e.sync()
		s := e.snapshot()
		if len(s.Users) != 21 || len(s.Groups) != 3 || len(s.Groups["Group 0000"]) != 7 {
			t.Fatalf("after an expired page token: %d users, %d groups", len(s.Users), len(s.Groups))
		}
		assertNoDuplicates(t, e.eventsSince(0))
	})
}

// assertNoDuplicates fails when a subject was created twice or a
// membership added twice.
func assertNoDuplicates(t *testing.T, evs []store.Event) {
	t.Helper()
	seen := map[string]bool{}
	for _, ev := range evs {
		key := ev.Type + " " + ev.Subject
		switch ev.Type {
		case scimkit.EventMembershipAdded:
			key += " " + string(ev.Data)
		case scimkit.EventUserCreated, scimkit.EventGroupCreated:
		default:
			continue
		}
		if seen[key] {
			t.Fatalf("duplicate event %s", key)
		}
		seen[key] = true
	}
}

func TestKilledSyncResumes(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		// The reference: one uninterrupted sync of the same directory.
		ref := newEnv(t, testStores()["memstore"](t), func(c *Config) { c.PageSize = 5; c.Concurrency = 2 })
		ref.sim.Populate(40, 6)
		ref.sync()
		want := jsonOf(ref.snapshot())
		wantEvents := jsonOf(types(ref.events()))
		calls := ref.sim.Calls().API()

		for _, killAt := range []int{2, 9, calls - 3} {
			e := newEnv(t, st, func(c *Config) { c.PageSize = 5; c.Concurrency = 2 })
			e.sim.Populate(40, 6)
			ctx, cancel := context.WithCancel(context.Background())
			var n atomic.Int32
			e.sim.BeforeAPI(func(*http.Request) {
				if int(n.Add(1)) == killAt {
					cancel()
				}
			})
			_, err := e.s.SyncDirectory(ctx, e.dir.ID)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("kill at call %d: SyncDirectory = %v, want context.Canceled", killAt, err)
			}
			status, _ := e.s.Status(context.Background(), e.dir.ID)
			if killAt > 2 && !status.Syncing {
				t.Fatalf("kill at call %d: no checkpoint left", killAt)
			}
			e.sim.BeforeAPI(nil)
			stats := e.sync()
			if killAt > 2 && !stats.Resumed {
				t.Fatalf("kill at call %d: the second sync did not resume", killAt)
			}
			if got := jsonOf(e.snapshot()); got != want {
				t.Fatalf("kill at call %d: after resuming:\n got %s\nwant %s", killAt, got, want)
			}
			if got := jsonOf(types(e.events())); got != wantEvents {
				t.Fatalf("kill at call %d: events %s, want %s", killAt, got, wantEvents)
			}
			assertNoDuplicates(t, e.eventsSince(0))
			st.DeleteDirectory(context.Background(), e.dir.ID)
			st.DeleteOrganization(context.Background(), e.dir.OrgID)
		}
	})
}

func TestTwoInstances(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		e := newEnv(t, st, nil)
		e.sim.Populate(30, 3)
		other, err := New(e.s.cfg)
		if err != nil {
			t.Fatal(err)
		}
		var once sync.Once
		release := make(chan struct{})
		e.sim.BeforeAPI(func(*http.Request) {
			once.Do(func() {
				// While the first instance is mid-sync, the second one
				// finds the directory leased.
				_, err := other.SyncDirectory(context.Background(), e.dir.ID)
				if !errors.Is(err, ErrBusy) {
					t.Errorf("second instance: %v, want ErrBusy", err)
				}
				if n := other.RunDue(context.Background()); n != 0 {
					t.Errorf("second instance's RunDue ran %d syncs", n)
				}
				close(release)
			})
		})
		e.sync()
		<-release
		e.sim.BeforeAPI(nil)
		if stats, err := other.SyncDirectory(context.Background(), e.dir.ID); err != nil || stats.Writes() != 0 {
			t.Fatalf("second instance after the first finished: %v, %v", stats, err)
		}
		assertNoDuplicates(t, e.eventsSince(0))
		if got := types(e.events())[scimkit.EventUserCreated]; got != 31 {
			t.Fatalf("%d users created, want 31", got)
		}
	})
}

func TestRunDue(t *testing.T) {
	e := newEnv(t, testStores()["memstore"](t), nil)
	ctx := context.Background()
	if n := e.s.RunDue(ctx); n != 1 {
		t.Fatalf("first RunDue ran %d syncs, want 1", n)
	}
	if n := e.s.RunDue(ctx); n != 0 {
		t.Fatalf("RunDue right after a sync ran %d", n)
	}
	if err := e.s.SyncNow(ctx, e.dir.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.s.RunDue(ctx); n != 1 {
		t.Fatalf("RunDue after SyncNow ran %d syncs, want 1", n)
	}
	if n := e.s.RunDue(ctx); n != 0 {
		t.Fatalf("SyncNow was not cleared: RunDue ran %d", n)
	}
	if _, err := e.st.UpdateDirectory(ctx, e.dir.ID, func(d *store.Directory) ([]store.Event, error) {
		d.State = store.DirectoryInactive
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	e.s.SyncNow(ctx, e.dir.ID)
	if n := e.s.RunDue(ctx); n != 0 {
		t.Fatalf("RunDue synced an inactive directory")
	}
}

func TestKeyIsStored(t *testing.T) {
	e := newEnv(t, testStores()["memstore"](t), nil)
	g, err := e.st.GetGoogleDirectory(context.Background(), e.dir.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The Store returns the key opened (it seals it at rest: storetest
	// checks the raw rows); the service account is named beside it.
	if !bytes.Contains(g.Key, []byte("PRIVATE KEY")) {
		t.Fatal("the stored key does not read back")
	}
	if g.ClientID != e.key.ClientID || g.ClientEmail != e.key.ClientEmail {
		t.Fatalf("stored client %s %s", g.ClientID, g.ClientEmail)
	}
	if _, err := e.s.PutKey(context.Background(), e.dir.ID, []byte(`{"type":"authorized_user"}`)); !errors.Is(err, ErrBadKey) {
		t.Fatalf("PutKey of a user credential: %v", err)
	}
}
