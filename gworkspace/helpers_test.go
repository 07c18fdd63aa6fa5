package gworkspace

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/gworkspace/gwsim"
	"github.com/onboardkit/onboardkit/internal/teststores"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/seal"
)

// testKeyring seals the secrets of every Store a test of this package
// opens, so that two instances or a reopened file open each other's.
var testKeyring = seal.NewEphemeralKeyring()

func testStores() map[string]teststores.Opener { return teststores.All(testKeyring, "gworkspace") }

func forEachStore(t *testing.T, test func(t *testing.T, st store.Store)) {
	names := []string{}
	stores := testStores()
	for n := range stores {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) { test(t, stores[name](t)) })
	}
}

// env is a Google directory on a Store, synced from a simulator.
type env struct {
	t      testing.TB
	st     store.Store
	sim    *gwsim.Server
	srv    *httptest.Server
	s      *Syncer
	dir    *store.Directory
	key    *gwsim.Key
	admin  string
	mu     sync.Mutex
	waits  []time.Duration
	cursor int64
}

const simDomain = "example.com"

func newEnv(t testing.TB, st store.Store, mod func(*Config)) *env {
	ctx := context.Background()
	e := &env{t: t, st: st, sim: gwsim.New(simDomain)}
	e.srv = httptest.NewServer(e.sim)
	t.Cleanup(e.srv.Close)
	org := &store.Organization{ID: "org_1", Name: "Example", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := st.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	e.dir = &store.Directory{ID: "dir_1", OrgID: org.ID, Provider: Provider, Name: "Google", State: store.DirectoryActive, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := st.CreateDirectory(ctx, e.dir); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: st, Endpoint: e.srv.URL, TokenURL: e.srv.URL + "/token", HTTPClient: e.srv.Client(),
		Logger: slog.New(slog.DiscardHandler)}
	if mod != nil {
		mod(&cfg)
	}
	var err error
	e.s, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.s.sleep = e.sleep
	e.admin = "admin@" + simDomain
	e.sim.PutUser(gwsim.User{ID: "1000", PrimaryEmail: e.admin, GivenName: "Ada", FamilyName: "Admin", IsAdmin: true})
	e.key, err = e.sim.NewServiceAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	e.sim.Delegate(e.key.ClientID, Scopes...)
	if err := e.s.Configure(ctx, e.dir.ID, Settings{AdminEmail: e.admin}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.PutKey(ctx, e.dir.ID, e.key.JSON); err != nil {
		t.Fatal(err)
	}
	if e.cursor, err = st.LastEventCursor(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) sleep(ctx context.Context, d time.Duration) error {
	e.mu.Lock()
	e.waits = append(e.waits, d)
	e.mu.Unlock()
	return ctx.Err()
}

func (e *env) sync() *Stats {
	e.t.Helper()
	st, err := e.s.SyncDirectory(context.Background(), e.dir.ID)
	if err != nil {
		e.t.Fatalf("SyncDirectory: %v", err)
	}
	return st
}

// events returns the types of the events appended since the last call.
func (e *env) events() []store.Event {
	e.t.Helper()
	evs, err := e.st.ListEvents(context.Background(), store.EventQuery{After: e.cursor, Limit: 100000})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(evs) > 0 {
		e.cursor = evs[len(evs)-1].Cursor
	}
	return evs
}

func types(evs []store.Event) map[string]int {
	m := map[string]int{}
	for _, ev := range evs {
		m[ev.Type]++
	}
	return m
}

// snapshot is the directory as the Store holds it: users by userName with
// active flag, groups by name with member userNames.
type snapshot struct {
	Users  map[string]bool
	Groups map[string][]string
}

func (e *env) snapshot() snapshot {
	e.t.Helper()
	ctx := context.Background()
	us, _, err := e.st.ListDirectoryUsers(ctx, e.dir.ID, store.UserQuery{Limit: 100000})
	if err != nil {
		e.t.Fatal(err)
	}
	names := map[string]string{}
	s := snapshot{Users: map[string]bool{}, Groups: map[string][]string{}}
	for _, u := range us {
		s.Users[u.UserName] = u.Active
		names[u.ID] = u.UserName
	}
	gs, _, err := e.st.ListDirectoryGroups(ctx, e.dir.ID, store.GroupQuery{Limit: 100000})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, g := range gs {
		names[g.ID] = g.DisplayName
	}
	for _, g := range gs {
		ms, err := e.st.ListGroupMembers(ctx, e.dir.ID, g.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		list := []string{}
		for _, m := range ms {
			list = append(list, names[m.ID])
		}
		slices.Sort(list)
		s.Groups[g.DisplayName] = list
	}
	return s
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

var _ = http.StatusOK
