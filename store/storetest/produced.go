package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/onboardkit/onboardkit/store"
)

// RunEventCounting checks that a Store counts the events it writes in
// onboardkit.events.produced, by type, once each and only once committed:
// the counter and the outbox agree type by type after writes that succeed,
// writes that fail (nothing counted) and concurrent writes (a database
// that shares transactions between writers counts each writer's own). open
// returns an empty Store that counts with a MeterProvider of the SDK, and
// counted, which reads that counter's total for an event type ("" for all
// types): telemetrytest.Recorder.Produced.
func RunEventCounting(t *testing.T, open func(t *testing.T) (st store.Store, counted func(t testing.TB, typ string) int64)) {
	st, counted := open(t)
	f := newFixture(t, st)
	o := f.mkOrg()

	// Several events of two types, in one write and through a record's.
	_, err := f.s.AppendEvents(f.ctx, f.ev("test.a", o.ID, "s"), f.ev("test.a", o.ID, "s"), f.ev("test.b", o.ID, "s"))
	f.ok(err, "AppendEvents")
	org := &store.Organization{ID: f.id("org"), Name: "Counted", CreatedAt: f.tick(), UpdatedAt: f.tick()}
	f.ok(f.s.CreateOrganization(f.ctx, org, f.ev("test.c", org.ID, org.ID)), "CreateOrganization")
	d := f.mkDir(o.ID)
	u1, u2 := f.mkUser(d.ID, "ann@example.com", nil), f.mkUser(d.ID, "bob@example.com", nil)
	g := &store.DirectoryGroup{ID: f.id("grp"), DirectoryID: d.ID, DisplayName: "Staff", CreatedAt: f.tick(), UpdatedAt: f.tick()}
	f.ok(f.s.CreateDirectoryGroup(f.ctx, g, []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{u1.ID, u2.ID}}},
		func(g *store.DirectoryGroup, added, _ []string) []store.Event {
			evs := []store.Event{f.ev("test.group", o.ID, g.ID)}
			for range added {
				evs = append(evs, f.ev("test.member", o.ID, g.ID))
			}
			return evs
		}), "CreateDirectoryGroup")

	// Writes that fail count nothing: a duplicate, a callback's refusal.
	dup := *org
	f.is(f.s.CreateOrganization(f.ctx, &dup, f.ev("test.failed", org.ID, org.ID)), store.ErrAlreadyExists, "duplicate CreateOrganization")
	refused := errors.New("refused")
	_, err = f.s.UpdateOrganization(f.ctx, org.ID, func(*store.Organization) ([]store.Event, error) {
		return []store.Event{f.ev("test.failed", org.ID, org.ID)}, refused
	})
	f.is(err, refused, "UpdateOrganization refused by its callback")

	// Concurrent writers, half of which fail.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			id := fmt.Sprintf("%s_c%d", org.ID, i/2) // pairs share an id: one of each fails
			c := &store.Organization{ID: id, Name: "Concurrent " + id, CreatedAt: t0, UpdatedAt: t0}
			_ = f.s.CreateOrganization(f.ctx, c, f.ev("test.concurrent", id, id))
		})
	}
	wg.Wait()

	outbox := map[string]int64{}
	for _, e := range f.eventsAfter(0) {
		outbox[e.Type]++
	}
	if outbox["test.failed"] != 0 || outbox["test.concurrent"] != 4 || outbox["test.member"] != 2 {
		t.Fatalf("outbox by type: %v", outbox)
	}
	var total int64
	for typ, n := range outbox {
		if got := counted(t, typ); got != n {
			t.Errorf("%s: counted %d, outbox holds %d", typ, got, n)
		}
		total += n
	}
	if got := counted(t, ""); got != total {
		t.Errorf("counted %d events in all, outbox holds %d", got, total)
	}
}
