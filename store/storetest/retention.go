package storetest

import (
	"context"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// retentionTests check that DeleteExpired and DeleteEvents remove more rows
// than one batch takes, and that DeleteEvents never removes what a
// consumer still needs or the newest event.
var retentionTests = []subtest{
	{"DeleteExpiredBatches", func(f *fixture) {
		now := at(time.Hour)
		n := store.CleanupBatch*2 + 17
		for i := range n {
			f.ok(f.s.CreateLoginRequest(f.ctx, &store.LoginRequest{ID: fmt.Sprintf("req_%05d", i), ConnectionID: "conn_1", Protocol: store.ProtocolOIDC, CreatedAt: t0, ExpiresAt: at(time.Minute)}), "CreateLoginRequest")
			f.ok(f.s.ConsumeAssertionID(f.ctx, "conn_1", fmt.Sprintf("_a%05d", i), at(time.Minute), t0), "ConsumeAssertionID")
		}
		f.ok(f.s.CreateLoginRequest(f.ctx, &store.LoginRequest{ID: "req_live", ConnectionID: "conn_1", Protocol: store.ProtocolOIDC, CreatedAt: t0, ExpiresAt: at(2 * time.Hour)}), "CreateLoginRequest")
		got, err := f.s.DeleteExpired(f.ctx, now)
		f.ok(err, "DeleteExpired")
		if got != 2*n {
			f.Fatalf("DeleteExpired removed %d rows, want %d", got, 2*n)
		}
		_, err = f.s.ConsumeLoginRequest(f.ctx, "req_live", store.LoginRequestMatch{}, now)
		f.ok(err, "live request after DeleteExpired")
		_, err = f.s.ConsumeLoginRequest(f.ctx, "req_00000", store.LoginRequestMatch{}, t0)
		f.is(err, store.ErrNotFound, "expired request after DeleteExpired")
		got, err = f.s.DeleteExpired(f.ctx, now)
		f.ok(err, "second DeleteExpired")
		if got != 0 {
			f.Fatalf("second DeleteExpired removed %d rows, want 0", got)
		}
		ctx, cancel := context.WithCancel(f.ctx)
		cancel()
		_, err = f.s.DeleteExpired(ctx, now)
		f.is(err, context.Canceled, "DeleteExpired with a cancelled context")
	}},
	{"DeleteEventsByAge", func(f *fixture) {
		day := 24 * time.Hour
		var evs []store.Event
		for i := range store.CleanupBatch + 500 {
			e := f.ev("retention.old", "", "")
			e.CreatedAt = at(time.Duration(i) * time.Second)
			evs = append(evs, e)
		}
		for i := range 3 {
			e := f.ev("retention.new", "", "")
			e.CreatedAt = at(10*day + time.Duration(i)*time.Second)
			evs = append(evs, e)
		}
		f.append(evs...)
		last := f.lastCursor()
		n, err := f.s.DeleteEvents(f.ctx, at(5*day).In(elsewhere))
		f.ok(err, "DeleteEvents")
		if n != store.CleanupBatch+500 {
			f.Fatalf("DeleteEvents removed %d events, want %d", n, store.CleanupBatch+500)
		}
		left, err := f.s.ListEvents(f.ctx, store.EventQuery{})
		f.ok(err, "ListEvents")
		if len(left) != 3 || left[0].Type != "retention.new" || left[0].Cursor != last-2 {
			f.Fatalf("events left after DeleteEvents: %d, first %+v; want the 3 new ones, from cursor %d", len(left), left[0], last-2)
		}
		if c := f.lastCursor(); c != last {
			f.Fatalf("LastEventCursor after DeleteEvents = %d, want %d", c, last)
		}
		n, err = f.s.DeleteEvents(f.ctx, at(5*day))
		f.ok(err, "second DeleteEvents")
		if n != 0 {
			f.Fatalf("second DeleteEvents removed %d events, want 0", n)
		}
		// ListEvents from a removed cursor starts at the oldest one left.
		from, err := f.s.ListEvents(f.ctx, store.EventQuery{After: 5, Limit: 2})
		f.ok(err, "ListEvents after a removed cursor")
		if len(from) != 2 || from[0].Cursor != last-2 {
			f.Fatalf("ListEvents after a removed cursor: %+v", from)
		}
		// Cursors are not reused after a removal.
		out := f.append(f.ev("retention.after", "", ""))
		if out[0].Cursor != last+1 {
			f.Fatalf("event appended after DeleteEvents has cursor %d, want %d", out[0].Cursor, last+1)
		}
	}},
	{"DeleteEventsKeepsNewest", func(f *fixture) {
		f.append(f.ev("a", "", ""), f.ev("b", "", ""))
		n, err := f.s.DeleteEvents(f.ctx, at(time.Hour))
		f.ok(err, "DeleteEvents")
		if n != 1 {
			f.Fatalf("DeleteEvents removed %d events, want 1: all but the newest", n)
		}
		n, err = f.s.DeleteEvents(f.ctx, at(time.Hour))
		f.ok(err, "DeleteEvents")
		if n != 0 || f.lastCursor() != 2 {
			f.Fatalf("DeleteEvents removed the newest event (%d, last cursor %d)", n, f.lastCursor())
		}
		out := f.append(f.ev("c", "", ""))
		if out[0].Cursor != 3 {
			f.Fatalf("event appended after DeleteEvents has cursor %d, want 3", out[0].Cursor)
		}
	}},
	{"DeleteEventsKeepsUndelivered", func(f *fixture) {
		var evs []store.Event
		for range 10 {
			evs = append(evs, f.ev("x", "", ""))
		}
		f.append(evs...)
		f.ok(f.s.SetConsumerCursor(f.ctx, "fast", 9), "SetConsumerCursor")
		f.ok(f.s.SetConsumerCursor(f.ctx, "slow", 4), "SetConsumerCursor")
		f.ok(f.s.SetConsumerCursor(f.ctx, "new", 0), "SetConsumerCursor")
		n, err := f.s.DeleteEvents(f.ctx, at(time.Hour))
		f.ok(err, "DeleteEvents")
		if n != 0 {
			f.Fatalf("DeleteEvents removed %d events a consumer at cursor 0 has not processed", n)
		}
		f.ok(f.s.SetConsumerCursor(f.ctx, "new", 7), "SetConsumerCursor")
		n, err = f.s.DeleteEvents(f.ctx, at(time.Hour))
		f.ok(err, "DeleteEvents")
		if n != 4 {
			f.Fatalf("DeleteEvents removed %d events, want 4 (up to the slowest consumer's cursor)", n)
		}
		left, err := f.s.ListEvents(f.ctx, store.EventQuery{})
		f.ok(err, "ListEvents")
		if len(left) != 6 || left[0].Cursor != 5 {
			f.Fatalf("events left: %d from cursor %d, want 6 from cursor 5", len(left), left[0].Cursor)
		}
		_, err = f.s.DeleteEvents(f.ctx, time.Time{})
		f.is(err, store.ErrInvalid, "DeleteEvents with a zero time")

		// A retired consumer no longer holds retention back.
		f.ok(f.s.DeleteConsumerCursor(f.ctx, "slow"), "DeleteConsumerCursor")
		f.ok(f.s.DeleteConsumerCursor(f.ctx, "slow"), "DeleteConsumerCursor again")
		f.ok(f.s.DeleteConsumerCursor(f.ctx, "never-seen"), "DeleteConsumerCursor of an unknown consumer")
		f.is(f.s.DeleteConsumerCursor(f.ctx, ""), store.ErrInvalid, "DeleteConsumerCursor without a name")
		if c, err := f.s.GetConsumerCursor(f.ctx, "slow"); err != nil || c != 0 {
			f.Fatalf("GetConsumerCursor of a deleted consumer = %d, %v; want 0", c, err)
		}
		n, err = f.s.DeleteEvents(f.ctx, at(time.Hour))
		f.ok(err, "DeleteEvents")
		if n != 3 {
			f.Fatalf("DeleteEvents after the slow consumer was deleted removed %d events, want 3 (up to cursor 7)", n)
		}
	}},
}

// append appends events and returns them with their cursors.
func (f *fixture) append(evs ...store.Event) []store.Event {
	f.Helper()
	out, err := f.s.AppendEvents(f.ctx, evs...)
	f.ok(err, "AppendEvents")
	return out
}
