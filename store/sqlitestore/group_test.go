package sqlitestore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/internal/sqlstore/hooktest"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// batchRig holds the write connection with a write whose function waits,
// so that the writes started meanwhile queue behind it in a known order
// and run in its batch once it is let go.
type batchRig struct {
	t       *testing.T
	s       *sqlitestore.Store
	ctx     context.Context
	release chan struct{}
	held    chan error
	waiting int // writes queued behind the held one
}

var now = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// hold creates the organization org_hold and starts the write that holds
// the connection: an update of it.
func hold(t *testing.T, s *sqlitestore.Store) *batchRig {
	r := &batchRig{t: t, s: s, ctx: t.Context(), release: make(chan struct{}), held: make(chan error, 1)}
	if err := s.CreateOrganization(r.ctx, &store.Organization{ID: "org_hold", Name: "Hold", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{})
	go func() {
		_, err := s.UpdateOrganization(r.ctx, "org_hold", func(o *store.Organization) ([]store.Event, error) {
			close(entered)
			<-r.release
			o.Name = "Held"
			return []store.Event{{ID: "evt_hold", Type: "test.hold", OrgID: o.ID, CreatedAt: now}}, nil
		})
		r.held <- err
	}()
	<-entered
	return r
}

// start runs write on a goroutine once the writes started before are
// queued, and returns where its error will be.
func (r *batchRig) start(write func() error) <-chan error {
	r.t.Helper()
	done := make(chan error, 1)
	go func() { done <- write() }()
	r.waiting++
	r.waitQueued(r.waiting)
	return done
}

// waitQueued waits until n writes are queued.
func (r *batchRig) waitQueued(n int) {
	r.t.Helper()
	for {
		waiting, _, _ := sqlitestore.GroupStats(r.s)
		if waiting == n {
			return
		}
		select {
		case <-r.ctx.Done():
			r.t.Fatalf("%d writes queued, want %d", waiting, n)
		case <-time.After(time.Millisecond):
		}
	}
}

// run lets the held write go and returns its error.
func (r *batchRig) run() error {
	close(r.release)
	return <-r.held
}

// TestGroupCommit queues writes of every outcome behind a held write and
// checks that the ones that succeed commit in its batch, in queue order,
// each seeing the writes before it, while the failed one, the one that
// panicked and the one whose caller gave up leave no trace.
func TestGroupCommit(t *testing.T) {
	s := newStore(t).(*sqlitestore.Store)
	ctx := t.Context()
	if err := s.CreateOrganization(ctx, &store.Organization{ID: "org", Name: "Org", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDirectory(ctx, &store.Directory{ID: "dir", OrgID: "org", State: store.DirectoryActive, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ev := func(name string) store.Event {
		return store.Event{ID: "evt_" + name, Type: "test." + name, OrgID: "org", CreatedAt: now}
	}
	createUser := func(ctx context.Context, id string) error {
		return s.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: id, DirectoryID: "dir", UserName: id + "@example.com", Active: true, CreatedAt: now, UpdatedAt: now}, ev(id))
	}
	groupEvents := func(name string) store.GroupEvents {
		return func(*store.DirectoryGroup, []string, []string) []store.Event { return []store.Event{ev(name)} }
	}
	base, err := s.LastEventCursor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, batches0, writes0 := sqlitestore.GroupStats(s)

	r := hold(t, s)
	// A user, then a group with that user: the second write sees the
	// first, not yet committed.
	w1 := r.start(func() error { return createUser(ctx, "usr_1") })
	w2 := r.start(func() error {
		return s.CreateDirectoryGroup(ctx, &store.DirectoryGroup{ID: "grp_2", DirectoryID: "dir", DisplayName: "Two", CreatedAt: now, UpdatedAt: now},
			[]store.MemberOp{{Kind: store.MembersAdd, IDs: []string{"usr_1"}}}, groupEvents("grp_2"))
	})
	// A group that adds usr_1 and then fails on a missing member: its
	// row, its membership and its events are undone alone. It is answered
	// once the batch committed: a caller retrying after a failure finds
	// the writes before it.
	w3 := r.start(func() error {
		err := s.CreateDirectoryGroup(ctx, &store.DirectoryGroup{ID: "grp_3", DirectoryID: "dir", DisplayName: "Three", CreatedAt: now, UpdatedAt: now},
			[]store.MemberOp{{Kind: store.MembersAdd, IDs: []string{"usr_1"}}, {Kind: store.MembersAdd, IDs: []string{"usr_missing"}}}, groupEvents("grp_3"))
		if _, gerr := s.GetDirectoryGroup(ctx, "dir", "grp_2"); gerr != nil {
			return fmt.Errorf("answered before the batch committed: grp_2: %v", gerr)
		}
		return err
	})
	// A caller that gives up while queued.
	cctx, cancel := context.WithCancel(ctx)
	w4 := r.start(func() error { return createUser(cctx, "usr_4") })
	cancel()
	if err := <-w4; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled queued write: %v, want context.Canceled", err)
	}
	r.waiting--
	r.waitQueued(r.waiting)
	// A caller that gives up once its write runs: the write goes on.
	cctx5, cancel5 := context.WithCancel(ctx)
	defer cancel5()
	w5 := r.start(func() error {
		_, err := s.UpdateDirectoryUser(cctx5, "dir", "usr_1", func(u *store.DirectoryUser) ([]store.Event, error) {
			cancel5()
			if u.Version != 1 || u.UserName != "usr_1@example.com" {
				return nil, fmt.Errorf("update of usr_1 sees version %d of %q", u.Version, u.UserName)
			}
			u.DisplayName = "Seen"
			return []store.Event{ev("usr_1_updated")}, nil
		})
		return err
	})
	// A write whose function panics: its caller gets the panic.
	w6 := r.start(func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panicked: %v", p)
			}
		}()
		_, err = s.UpdateOrganization(ctx, "org", func(o *store.Organization) ([]store.Event, error) {
			o.Name = "Panicked"
			panic("boom")
		})
		return err
	})
	w7 := r.start(func() error {
		out, err := s.AppendEvents(ctx, ev("append1"), ev("append2"))
		if err == nil && (len(out) != 2 || out[1].Cursor != out[0].Cursor+1) {
			return fmt.Errorf("AppendEvents returned %v", out)
		}
		return err
	})

	if err := r.run(); err != nil {
		t.Fatalf("held write: %v", err)
	}
	for i, w := range []<-chan error{w1, w2, w5, w7} {
		if err := <-w; err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if err := <-w3; !errors.Is(err, store.ErrNotFound) {
		t.Errorf("group with a missing member: %v, want ErrNotFound", err)
	}
	if err := <-w6; err == nil || err.Error() != "panicked: boom" {
		t.Errorf("write that panicked: %v, want its panic", err)
	}
	_, batches, writes := sqlitestore.GroupStats(s)
	if batches-batches0 != 2 || writes-writes0 != 6 {
		t.Errorf("%d batches of %d writes committed, want the organization's, then one of 5", batches-batches0, writes-writes0)
	}

	// The events of the writes that succeeded, in queue order, gap-free.
	evs, err := s.ListEvents(ctx, store.EventQuery{After: base, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, e := range evs {
		if e.Cursor != base+int64(i)+1 {
			t.Errorf("event %s has cursor %d, want %d", e.ID, e.Cursor, base+int64(i)+1)
		}
		got = append(got, e.ID)
	}
	want := fmt.Sprint([]string{"evt_hold", "evt_usr_1", "evt_grp_2", "evt_usr_1_updated", "evt_append1", "evt_append2"})
	if fmt.Sprint(got) != want {
		t.Errorf("events %v, want %v", got, want)
	}
	if u, err := s.GetDirectoryUser(ctx, "dir", "usr_1"); err != nil || u.DisplayName != "Seen" {
		t.Errorf("usr_1: %+v, %v; want the update", u, err)
	}
	if _, err := s.GetDirectoryUser(ctx, "dir", "usr_4"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("user of the cancelled write: %v, want ErrNotFound", err)
	}
	if _, err := s.GetDirectoryGroup(ctx, "dir", "grp_3"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("group of the failed write: %v, want ErrNotFound", err)
	}
	if gs, err := s.ListMemberGroups(ctx, "dir", "usr_1"); err != nil || len(gs) != 1 || gs[0].ID != "grp_2" {
		t.Errorf("groups of usr_1: %v, %v; want grp_2 alone", gs, err)
	}
	if o, err := s.GetOrganization(ctx, "org"); err != nil || o.Name != "Org" {
		t.Errorf("organization of the write that panicked: %+v, %v; want it unchanged", o, err)
	}
}

// TestGroupCommitFails makes the COMMIT of a batch fail (a deferred
// foreign key violation, checked at COMMIT): every write of the batch gets
// the error and none is kept; the next write commits.
func TestGroupCommitFails(t *testing.T) {
	s := newStore(t).(*sqlitestore.Store)
	ctx := t.Context()
	base, err := s.LastEventCursor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := hold(t, s)
	w1 := r.start(func() error {
		return s.CreateOrganization(ctx, &store.Organization{ID: "org_1", Name: "One", CreatedAt: now, UpdatedAt: now},
			store.Event{ID: "evt_1", Type: "test.one", OrgID: "org_1", CreatedAt: now})
	})
	w2 := r.start(func() error {
		return sqlitestore.Exec(ctx, s, `PRAGMA defer_foreign_keys = ON`,
			`INSERT INTO directories (id, org_id, state, created_at, updated_at) VALUES ('dir_orphan', 'org_missing', 'active', 0, 0)`)
	})
	if err := r.run(); err == nil {
		t.Error("held write committed despite the failed COMMIT")
	}
	for i, w := range []<-chan error{w1, w2} {
		if err := <-w; err == nil {
			t.Errorf("write %d committed despite the failed COMMIT", i+1)
		}
	}
	if c, err := s.LastEventCursor(ctx); err != nil || c != base {
		t.Errorf("LastEventCursor = %d, %v; want %d: the batch's events kept", c, err, base)
	}
	for _, id := range []string{"org_1"} {
		if _, err := s.GetOrganization(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("organization %s of the failed batch: %v, want ErrNotFound", id, err)
		}
	}
	if o, err := s.GetOrganization(ctx, "org_hold"); err != nil || o.Name != "Hold" {
		t.Errorf("held write's organization: %+v, %v; want it unchanged", o, err)
	}
	if err := s.CreateOrganization(ctx, &store.Organization{ID: "org_2", Name: "Two", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Errorf("write after the failed batch: %v", err)
	}
}

// TestGroupCommitHook queues organization writes whose hook fails between
// ones whose hook succeeds, in one batch: each failing write is undone
// alone, its organization and the host's row with it.
func TestGroupCommitHook(t *testing.T) {
	var calls int
	s := openHooked(t, hooktest.HostHook(&calls))
	ctx := t.Context()
	hooktest.CreateSchema(t, s)
	_, batches0, writes0 := sqlitestore.GroupStats(s)
	r := hold(t, s)
	var ws []<-chan error
	for _, name := range []string{"one", "fail create", "two", "fail create", "three"} {
		id := fmt.Sprintf("org_%d", len(ws))
		ws = append(ws, r.start(func() error { return s.CreateOrganization(ctx, hooktest.Org(id, name)) }))
	}
	if err := r.run(); err != nil {
		t.Fatal(err)
	}
	for i, w := range ws {
		if err := <-w; (err != nil) != (i%2 == 1) {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if got, want := hooktest.HostRows(t, s), "org_0=one org_2=two org_4=three org_hold=Held"; got != want {
		t.Errorf("host rows %q, want %q", got, want)
	}
	for _, id := range []string{"org_1", "org_3"} {
		if _, err := s.GetOrganization(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("organization %s refused by the hook: %v, want ErrNotFound", id, err)
		}
	}
	// org_hold's creation, then the held update and the three creates.
	if _, batches, writes := sqlitestore.GroupStats(s); batches-batches0 != 2 || writes-writes0 != 5 {
		t.Errorf("%d batches of %d writes, want 2 of 5", batches-batches0, writes-writes0)
	}
}

// queueCreates queues behind r one organization create per name, org_000,
// org_001..., each with an event carrying data, and returns where their
// errors will be. A create whose caller is told it succeeded checks at
// once, through the read pool (other connections, which see only
// committed data), that its organization and event are there.
func queueCreates(r *batchRig, names []string, data []byte) []<-chan error {
	ctx := r.ctx
	var ws []<-chan error
	for i, name := range names {
		id := fmt.Sprintf("org_%03d", i)
		ws = append(ws, r.start(func() error {
			ev := store.Event{ID: "evt_" + id, Type: "test.batch", OrgID: id, Data: data, CreatedAt: now}
			if err := r.s.CreateOrganization(ctx, hooktest.Org(id, name), ev); err != nil {
				return err
			}
			if _, err := r.s.GetOrganization(ctx, id); err != nil {
				return fmt.Errorf("told of %s before it was committed: %v", id, err)
			}
			evs, err := r.s.ListEvents(ctx, store.EventQuery{OrgID: id})
			if err != nil || len(evs) != 1 {
				return fmt.Errorf("told of %s before its event was committed: %v, %v", id, evs, err)
			}
			return nil
		}))
	}
	for i, w := range ws {
		select {
		case err := <-w:
			r.t.Fatalf("write %d answered while the held write runs: %v", i, err)
		default:
		}
	}
	return ws
}

// checkBatches runs the held write and its queue, then checks that the
// writes named "fail create" (which the hook refuses after its own row)
// left nothing while the others committed, with gap-free events, in
// batches more batches of writes more writes.
func checkBatches(r *batchRig, names []string, ws []<-chan error, batches, writes int64) {
	t, s, ctx := r.t, r.s, r.ctx
	base, err := s.LastEventCursor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, batches0, writes0 := sqlitestore.GroupStats(s)
	if err := r.run(); err != nil {
		t.Fatal(err)
	}
	var host []string
	for i, w := range ws {
		id := fmt.Sprintf("org_%03d", i)
		err := <-w
		if names[i] != "fail create" {
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
			host = append(host, id+"="+names[i])
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "host refuses") {
			t.Errorf("write %d: %v, want the hook's refusal", i, err)
		}
		if _, err := s.GetOrganization(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("organization %s of a failed write: %v, want ErrNotFound", id, err)
		}
	}
	if got, want := hooktest.HostRows(t, s), strings.Join(append(host, "org_hold=Held"), " "); got != want {
		t.Errorf("host rows %q, want %q", got, want)
	}
	evs, err := s.ListEvents(ctx, store.EventQuery{After: base, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != len(host)+1 {
		t.Errorf("%d events, want %d: the held write's and one per committed write", len(evs), len(host)+1)
	}
	for i, e := range evs {
		if e.Cursor != base+int64(i)+1 {
			t.Errorf("event %s has cursor %d, want %d", e.ID, e.Cursor, base+int64(i)+1)
		}
	}
	if _, b, w := sqlitestore.GroupStats(s); b-batches0 != batches || w-writes0 != writes {
		t.Errorf("%d batches of %d writes committed, want %d of %d", b-batches0, w-writes0, batches, writes)
	}
}

// TestGroupCommitWriteBound queues 100 creates, every tenth refused by
// the hook, behind a held write: a batch holds at most 64 committed
// writes, so the held one and the first 63 that succeed share one
// commit (the seven failures among them undone alone), and the other 27
// the next.
func TestGroupCommitWriteBound(t *testing.T) {
	var calls int
	s := openHooked(t, hooktest.HostHook(&calls))
	hooktest.CreateSchema(t, s)
	r := hold(t, s)
	names := make([]string, 100)
	for i := range names {
		names[i] = fmt.Sprintf("Org %d", i)
		if i%10 == 0 {
			names[i] = "fail create"
		}
	}
	ws := queueCreates(r, names, nil)
	checkBatches(r, names, ws, 2, 1+63+27)
}

// TestGroupCommitByteBound queues creates whose events carry 300 KiB
// each behind a held write: a batch stops taking writes once the ones it
// committed carried 1 MiB, so the held write and four creates share one
// commit, the refused one among them undone alone, and the other two the
// next.
func TestGroupCommitByteBound(t *testing.T) {
	var calls int
	s := openHooked(t, hooktest.HostHook(&calls))
	hooktest.CreateSchema(t, s)
	data := []byte(`"` + strings.Repeat("x", 300<<10) + `"`)
	names := []string{"A", "B", "fail create", "C", "D", "E", "F"}
	r := hold(t, s)
	ws := queueCreates(r, names, data)
	checkBatches(r, names, ws, 2, 1+4+2)
}
