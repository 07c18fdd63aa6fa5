package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

var eventTests = []subtest{
	{"AppendList", func(f *fixture) {
		if c := f.lastCursor(); c != 0 {
			f.Fatalf("LastEventCursor of an empty Store = %d, want 0", c)
		}
		evs, err := f.s.ListEvents(f.ctx, store.EventQuery{})
		f.ok(err, "ListEvents of an empty Store")
		if len(evs) != 0 {
			f.Fatalf("ListEvents of an empty Store: %d", len(evs))
		}
		in := []store.Event{
			{ID: "evt_1", Type: "directory.user.created", OrgID: "org_1", Subject: "usr_1", Actor: "scim:dir_1", Data: json.RawMessage(`{"userName": "alice"}`), CreatedAt: t0.In(elsewhere)},
			{ID: "evt_2", Type: "directory.user.updated", OrgID: "org_2", Subject: "usr_2", Actor: "system", CreatedAt: at(time.Second)},
		}
		out, err := f.s.AppendEvents(f.ctx, in...)
		f.ok(err, "AppendEvents")
		want := normalized(in).([]store.Event)
		want[0].Cursor, want[1].Cursor = 1, 2
		f.utcOnly("AppendEvents", out)
		f.equal("AppendEvents result", out, want)
		got, err := f.s.ListEvents(f.ctx, store.EventQuery{})
		f.ok(err, "ListEvents")
		f.utcOnly("ListEvents", got)
		f.equal("ListEvents", got, want)
		if c := f.lastCursor(); c != 2 {
			f.Fatalf("LastEventCursor = %d, want 2", c)
		}
		// Copies.
		in[0].Data[2] = 'X'
		got[0].Data[1], got[0].Type = 'X', "mutated"
		again, err := f.s.ListEvents(f.ctx, store.EventQuery{})
		f.ok(err, "ListEvents")
		f.equal("events after mutating copies", again, want)

		out, err = f.s.AppendEvents(f.ctx, f.ev("a", "", ""))
		f.ok(err, "AppendEvents")
		if len(out) != 1 || out[0].Cursor != 3 {
			f.Fatalf("third event: %+v, want cursor 3", out)
		}
		out, err = f.s.AppendEvents(f.ctx)
		f.ok(err, "AppendEvents of nothing")
		if len(out) != 0 || f.lastCursor() != 3 {
			f.Fatalf("AppendEvents of nothing appended %d", len(out))
		}

		// A large batch keeps its order and gets consecutive cursors.
		batch := make([]store.Event, 75)
		for i := range batch {
			batch[i] = store.Event{ID: fmt.Sprintf("evt_b%02d", i), Type: "batch", OrgID: "org_1", Subject: fmt.Sprintf("s%d", i),
				Data: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)), CreatedAt: at(time.Duration(i) * time.Second)}
		}
		out, err = f.s.AppendEvents(f.ctx, batch...)
		f.ok(err, "AppendEvents of 75 events")
		listed := f.eventsAfter(3)
		if len(out) != len(batch) || len(listed) != len(batch) {
			f.Fatalf("AppendEvents of 75 returned %d, listed %d", len(out), len(listed))
		}
		for i := range batch {
			want := batch[i]
			want.Cursor = int64(4 + i)
			want.CreatedAt = want.CreatedAt.UTC()
			f.equal(fmt.Sprintf("batch event %d as returned", i), out[i], want)
			f.equal(fmt.Sprintf("batch event %d as listed", i), listed[i], want)
		}
		if c := f.lastCursor(); c != 78 {
			f.Fatalf("LastEventCursor after the batch = %d, want 78", c)
		}
	}},
	{"Invalid", func(f *fixture) {
		f.mkOrg()
		c := f.lastCursor()
		for name, e := range map[string]store.Event{
			"no id":   {Type: "t", CreatedAt: t0},
			"no type": {ID: "evt_x", CreatedAt: t0},
			"no time": {ID: "evt_x", Type: "t"},
		} {
			_, err := f.s.AppendEvents(f.ctx, f.ev("ok", "", ""), e)
			f.is(err, store.ErrInvalid, "AppendEvents with an event with %s", name)
		}
		f.noEventsSince(c, "AppendEvents of a batch with an invalid event")
		_, err := f.s.ListEvents(f.ctx, store.EventQuery{After: -1})
		f.is(err, store.ErrInvalid, "ListEvents after a negative cursor")
		_, err = f.s.GetConsumerCursor(f.ctx, "")
		f.is(err, store.ErrInvalid, "GetConsumerCursor(\"\")")
		f.is(f.s.SetConsumerCursor(f.ctx, "", 1), store.ErrInvalid, "SetConsumerCursor(\"\")")
		f.is(f.s.SetConsumerCursor(f.ctx, "c", -1), store.ErrInvalid, "SetConsumerCursor to a negative cursor")
	}},
	{"Query", func(f *fixture) {
		var batch []store.Event
		types := []string{"directory.user.created", "directory.users.synced", "directory.userx", "directory.user", "directory.group.created", "connection.activated"}
		for i := range 12 {
			e := f.ev(types[i%len(types)], fmt.Sprintf("org_%d", i%2), "s")
			batch = append(batch, e)
		}
		_, err := f.s.AppendEvents(f.ctx, batch...)
		f.ok(err, "AppendEvents")
		cursors := func(q store.EventQuery) []int64 {
			evs, err := f.s.ListEvents(f.ctx, q)
			f.ok(err, "ListEvents %+v", q)
			var cs []int64
			for _, e := range evs {
				cs = append(cs, e.Cursor)
			}
			return cs
		}
		for _, tc := range []struct {
			q    store.EventQuery
			want []int64
		}{
			{store.EventQuery{After: 9}, []int64{10, 11, 12}},
			{store.EventQuery{After: 12}, nil},
			{store.EventQuery{After: 100}, nil},
			{store.EventQuery{Limit: 3}, []int64{1, 2, 3}},
			{store.EventQuery{After: 2, Limit: 2}, []int64{3, 4}},
			{store.EventQuery{OrgID: "org_1"}, []int64{2, 4, 6, 8, 10, 12}},
			{store.EventQuery{OrgID: "org_1", After: 4, Limit: 2}, []int64{6, 8}},
			{store.EventQuery{OrgID: "org_missing"}, nil},
			{store.EventQuery{Types: []string{"directory.user"}}, []int64{1, 4, 7, 10}},
			{store.EventQuery{Types: []string{"directory.user.created"}}, []int64{1, 7}},
			{store.EventQuery{Types: []string{"directory"}}, []int64{1, 2, 3, 4, 5, 7, 8, 9, 10, 11}},
			{store.EventQuery{Types: []string{"connection", "directory.group"}}, []int64{5, 6, 11, 12}},
			{store.EventQuery{Types: []string{"directory.u"}}, nil},
			{store.EventQuery{Types: []string{"directory.user"}, OrgID: "org_0", After: 1}, []int64{7}},
		} {
			if got := cursors(tc.q); !slices.Equal(got, tc.want) {
				f.Errorf("ListEvents %+v = %v, want %v", tc.q, got, tc.want)
			}
		}
		// The default limit is 100.
		var more []store.Event
		for range 100 {
			more = append(more, f.ev("bulk", "", ""))
		}
		_, err = f.s.AppendEvents(f.ctx, more...)
		f.ok(err, "AppendEvents")
		if got := cursors(store.EventQuery{}); len(got) != 100 || got[0] != 1 || got[99] != 100 {
			f.Fatalf("ListEvents with the default limit: %d events", len(got))
		}
		if got := cursors(store.EventQuery{After: 100, Limit: -5}); len(got) != 12 || got[0] != 101 {
			f.Fatalf("ListEvents with a negative limit: %d events", len(got))
		}
	}},
	{"QueryNewestFirst", func(f *fixture) {
		var batch []store.Event
		types := []string{"directory.user.created", "directory.users.synced", "directory.userx", "directory.user", "directory.group.created", "connection.activated"}
		for i := range 12 {
			batch = append(batch, f.ev(types[i%len(types)], fmt.Sprintf("org_%d", i%2), "s"))
		}
		_, err := f.s.AppendEvents(f.ctx, batch...)
		f.ok(err, "AppendEvents")
		cursors := func(q store.EventQuery) []int64 {
			evs, err := f.s.ListEvents(f.ctx, q)
			f.ok(err, "ListEvents %+v", q)
			var cs []int64
			for _, e := range evs {
				cs = append(cs, e.Cursor)
			}
			return cs
		}
		for _, tc := range []struct {
			q    store.EventQuery
			want []int64
		}{
			{store.EventQuery{Descending: true, Limit: 3}, []int64{12, 11, 10}},
			{store.EventQuery{Descending: true}, []int64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
			{store.EventQuery{Descending: true, Before: 4}, []int64{3, 2, 1}},
			{store.EventQuery{Descending: true, Before: 1}, nil},
			{store.EventQuery{Descending: true, Before: 100, Limit: 2}, []int64{12, 11}},
			{store.EventQuery{Descending: true, After: 5, Before: 10}, []int64{9, 8, 7, 6}},
			{store.EventQuery{Descending: true, After: 9, Limit: 2}, []int64{12, 11}},
			{store.EventQuery{Descending: true, After: 12}, nil},
			{store.EventQuery{Descending: true, OrgID: "org_1", Before: 8, Limit: 2}, []int64{6, 4}},
			{store.EventQuery{Descending: true, Types: []string{"directory.user"}}, []int64{10, 7, 4, 1}},
			{store.EventQuery{Descending: true, Types: []string{"connection"}, OrgID: "org_1", Before: 12}, []int64{6}},
			{store.EventQuery{Before: 4}, []int64{1, 2, 3}},
			{store.EventQuery{After: 3, Before: 6}, []int64{4, 5}},
			{store.EventQuery{After: 5, Before: 5}, nil},
		} {
			if got := cursors(tc.q); !slices.Equal(got, tc.want) {
				f.Errorf("ListEvents %+v = %v, want %v", tc.q, got, tc.want)
			}
		}
		_, err = f.s.ListEvents(f.ctx, store.EventQuery{Descending: true, Before: -1})
		f.is(err, store.ErrInvalid, "ListEvents before a negative cursor")

		// Paging older by Before while events are appended between pages
		// reads every event up to the first page's newest once, in order.
		write := func(n int) {
			var more []store.Event
			for range n {
				more = append(more, f.ev("bulk", "org_0", ""))
			}
			_, err := f.s.AppendEvents(f.ctx, more...)
			f.ok(err, "AppendEvents")
		}
		var older []int64
		before := int64(0)
		for {
			page := cursors(store.EventQuery{Descending: true, Before: before, Limit: 5})
			write(3)
			if len(page) == 0 {
				break
			}
			older = append(older, page...)
			before = page[len(page)-1]
		}
		for i, c := range older {
			if c != older[0]-int64(i) || older[len(older)-1] != 1 {
				f.Fatalf("paging older: %v", older)
			}
		}
		// Paging newer by After from the oldest, while events are
		// appended, reads every event once, in order, up to the last.
		var newer []int64
		after := int64(0)
		for {
			page := cursors(store.EventQuery{After: after, Limit: 7})
			if len(page) == 0 {
				break
			}
			if len(newer) < 40 {
				write(2)
			}
			newer = append(newer, page...)
			after = page[len(page)-1]
		}
		for i, c := range newer {
			if c != int64(i)+1 {
				f.Fatalf("paging newer: %v", newer)
			}
		}
		if last := f.lastCursor(); int64(len(newer)) != last {
			f.Fatalf("paging newer read %d events of %d", len(newer), last)
		}
	}},
	{"GapFree", func(f *fixture) {
		// Events appended by entity writes share the outbox's sequence.
		org := f.mkOrg()
		_, err := f.s.AppendEvents(f.ctx, f.ev("a", org.ID, ""))
		f.ok(err, "AppendEvents")
		f.ok(f.s.CreateDirectory(f.ctx, &store.Directory{ID: "dir_1", OrgID: org.ID, State: store.DirectoryActive, CreatedAt: t0},
			f.ev("b", org.ID, ""), f.ev("c", org.ID, "")), "CreateDirectory")
		f.is(f.s.CreateDirectory(f.ctx, &store.Directory{ID: "dir_1", OrgID: org.ID, State: store.DirectoryActive, CreatedAt: t0},
			f.ev("x", org.ID, "")), store.ErrAlreadyExists, "duplicate CreateDirectory")
		_, err = f.s.AppendEvents(f.ctx, f.ev("d", org.ID, ""))
		f.ok(err, "AppendEvents")
		evs := f.eventsAfter(0)
		var got []string
		for i, e := range evs {
			if e.Cursor != int64(i+1) {
				f.Fatalf("event %d has cursor %d: cursors must be gap-free from 1", i, e.Cursor)
			}
			got = append(got, e.Type)
		}
		if want := []string{"a", "b", "c", "d"}; !slices.Equal(got, want) {
			f.Fatalf("events %v, want %v", got, want)
		}
	}},
	{"ConsumerCursors", func(f *fixture) {
		c, err := f.s.GetConsumerCursor(f.ctx, "webhooks")
		f.ok(err, "GetConsumerCursor")
		if c != 0 {
			f.Fatalf("cursor of a new consumer = %d, want 0", c)
		}
		f.ok(f.s.SetConsumerCursor(f.ctx, "webhooks", 5), "SetConsumerCursor")
		f.ok(f.s.SetConsumerCursor(f.ctx, "webhooks", 3), "SetConsumerCursor backwards")
		f.ok(f.s.SetConsumerCursor(f.ctx, "subscriber", 2), "SetConsumerCursor")
		for consumer, want := range map[string]int64{"webhooks": 5, "subscriber": 2, "other": 0} {
			c, err := f.s.GetConsumerCursor(f.ctx, consumer)
			f.ok(err, "GetConsumerCursor")
			if c != want {
				f.Fatalf("cursor of %s = %d, want %d", consumer, c, want)
			}
		}
		f.ok(f.s.SetConsumerCursor(f.ctx, "webhooks", 9), "SetConsumerCursor forward")
		if c, _ := f.s.GetConsumerCursor(f.ctx, "webhooks"); c != 9 {
			f.Fatalf("cursor after moving forward = %d, want 9", c)
		}
	}},
}

var loginRequestTests = []subtest{
	{"CreateConsume", func(f *fixture) {
		r := &store.LoginRequest{
			ID: "req_1", ConnectionID: "conn_1", OrgID: "org_1", Protocol: store.ProtocolOIDC, Binding: digest("cookie"),
			Nonce: "n", CodeVerifier: "v", ReturnTo: "/app", Test: true, CreatedAt: t0.In(elsewhere), ExpiresAt: at(10 * time.Minute).In(elsewhere),
		}
		f.ok(f.s.CreateLoginRequest(f.ctx, r), "CreateLoginRequest")
		want := normalized(r)
		r.Binding[0] ^= 0xff
		f.is(f.s.CreateLoginRequest(f.ctx, r), store.ErrAlreadyExists, "CreateLoginRequest with a taken id")
		got, err := f.s.ConsumeLoginRequest(f.ctx, "req_1", store.LoginRequestMatch{}, at(time.Minute))
		f.ok(err, "ConsumeLoginRequest")
		f.utcOnly("ConsumeLoginRequest", got)
		f.equal("ConsumeLoginRequest", got, want)
		_, err = f.s.ConsumeLoginRequest(f.ctx, "req_1", store.LoginRequestMatch{}, at(time.Minute))
		f.is(err, store.ErrNotFound, "second ConsumeLoginRequest")
		_, err = f.s.ConsumeLoginRequest(f.ctx, "req_missing", store.LoginRequestMatch{}, at(time.Minute))
		f.is(err, store.ErrNotFound, "ConsumeLoginRequest of an unknown id")
		// Once consumed, the id may be used again.
		f.ok(f.s.CreateLoginRequest(f.ctx, &store.LoginRequest{ID: "req_1", ConnectionID: "conn_1", Protocol: store.ProtocolSAML, CreatedAt: t0, ExpiresAt: at(time.Hour)}), "CreateLoginRequest reusing a consumed id")
	}},
	{"Expired", func(f *fixture) {
		for _, now := range []time.Time{at(10 * time.Minute), at(11 * time.Minute)} {
			f.ok(f.s.CreateLoginRequest(f.ctx, &store.LoginRequest{ID: "req_1", ConnectionID: "conn_1", Protocol: store.ProtocolSAML, CreatedAt: t0, ExpiresAt: at(10 * time.Minute)}), "CreateLoginRequest")
			_, err := f.s.ConsumeLoginRequest(f.ctx, "req_1", store.LoginRequestMatch{}, now)
			f.is(err, store.ErrExpired, "ConsumeLoginRequest at %v", now)
			_, err = f.s.ConsumeLoginRequest(f.ctx, "req_1", store.LoginRequestMatch{}, t0)
			f.is(err, store.ErrNotFound, "ConsumeLoginRequest after an expired one was consumed")
		}
	}},
	{"Invalid", func(f *fixture) {
		good := store.LoginRequest{ID: "req_1", ConnectionID: "conn_1", Protocol: store.ProtocolSAML, CreatedAt: t0, ExpiresAt: at(time.Hour)}
		for name, mod := range map[string]func(*store.LoginRequest){
			"no id":            func(r *store.LoginRequest) { r.ID = "" },
			"no connection":    func(r *store.LoginRequest) { r.ConnectionID = "" },
			"unknown protocol": func(r *store.LoginRequest) { r.Protocol = "cas" },
			"no expiry":        func(r *store.LoginRequest) { r.ExpiresAt = time.Time{} },
		} {
			r := good
			mod(&r)
			f.is(f.s.CreateLoginRequest(f.ctx, &r), store.ErrInvalid, "CreateLoginRequest with %s", name)
		}
		f.is(f.s.CreateLoginRequest(f.ctx, nil), store.ErrInvalid, "CreateLoginRequest(nil)")
		_, err := f.s.ConsumeLoginRequest(f.ctx, "", store.LoginRequestMatch{}, t0)
		f.is(err, store.ErrInvalid, "ConsumeLoginRequest(\"\")")
		_, err = f.s.ConsumeLoginRequest(f.ctx, "req_1", store.LoginRequestMatch{}, t0)
		f.is(err, store.ErrNotFound, "login request after invalid creates")
	}},
}

var assertionIDTests = []subtest{
	{"Replay", func(f *fixture) {
		exp := at(5 * time.Minute)
		f.ok(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_a1", exp, t0), "ConsumeAssertionID")
		f.is(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_a1", exp, at(time.Minute)), store.ErrAlreadyExists, "replayed assertion id")
		f.is(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_a1", at(time.Hour), at(5*time.Minute-time.Second)), store.ErrAlreadyExists, "replay just before the expiry")
		f.ok(f.s.ConsumeAssertionID(f.ctx, "conn_2", "_a1", exp, t0), "the same id for another connection")
		f.ok(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_A1", exp, t0), "assertion ids are case-sensitive")
		// Once expired, the id may be recorded again, until its new expiry.
		f.ok(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_a1", at(time.Hour), exp), "ConsumeAssertionID at the old expiry")
		f.is(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_a1", at(2*time.Hour), at(30*time.Minute)), store.ErrAlreadyExists, "replay before the new expiry")
	}},
	{"Invalid", func(f *fixture) {
		f.is(f.s.ConsumeAssertionID(f.ctx, "", "_a1", at(time.Hour), t0), store.ErrInvalid, "no connection")
		f.is(f.s.ConsumeAssertionID(f.ctx, "conn_1", "", at(time.Hour), t0), store.ErrInvalid, "no assertion id")
		f.is(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_a1", time.Time{}, t0), store.ErrInvalid, "no expiry")
		f.ok(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_a1", at(time.Hour), t0), "ConsumeAssertionID after invalid calls")
	}},
}
