package storetest

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// workers is how many goroutines race in each concurrency test.
const workers = 50

// browserOf is the binding call i of a race presents: every other call
// comes from another browser than the one that started the login.
func browserOf(i int) []byte {
	if i%2 == 1 {
		return []byte("another browser")
	}
	return []byte("browser")
}

// fromBrowserOf checks the outcome err of call i of a race whose calls
// present browserOf(i): a call from another browser never takes the
// request, and one from the right browser is never refused as
// mismatched.
func fromBrowserOf(i int, err error) error {
	switch {
	case i%2 == 1 && err == nil:
		return errors.New("a call from another browser took the login request")
	case i%2 == 0 && errors.Is(err, store.ErrMismatch):
		return fmt.Errorf("a call from the right browser was refused: %w", err)
	}
	return err
}

// race runs fn(i) for i in [0, n) on n goroutines released together, and
// returns their errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// outcomes counts nil errors and fails the test on an error that is neither
// nil nor one of allowed.
func outcomes(t *testing.T, what string, errs []error, allowed ...error) (wins int) {
	t.Helper()
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || errors.Is(err, a)
		}
		if !ok {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
	}
	return wins
}

var concurrencyTests = []subtest{
	{"RedeemEmbeddedLink", func(f *fixture) {
		org := f.mkOrg()
		l := f.mkLink(org.ID, store.LinkEmbedded, at(time.Minute))
		sessions := make([]*store.PortalSession, workers)
		for i := range sessions {
			sessions[i] = f.newSession(at(6 * time.Hour))
		}
		c := f.lastCursor()
		errs := race(workers, func(i int) error {
			_, err := f.s.RedeemPortalLink(f.ctx, l.Digest, at(time.Second), sessions[i], f.ev("portal.session.created", org.ID, sessions[i].ID))
			return err
		})
		if wins := outcomes(f.T, "RedeemPortalLink", errs, store.ErrUsed); wins != 1 {
			f.Fatalf("%d concurrent redemptions of one embedded link succeeded, want exactly 1", wins)
		}
		live := 0
		for _, s := range sessions {
			if _, err := f.s.GetPortalSession(f.ctx, s.Digest, at(time.Second)); err == nil {
				live++
			}
		}
		if live != 1 {
			f.Fatalf("%d sessions stored, want 1", live)
		}
		if n := len(f.eventsAfter(c)); n != 1 {
			f.Fatalf("%d events appended, want 1", n)
		}
	}},
	{"ConsumeAssertionID", func(f *fixture) {
		errs := race(workers, func(int) error {
			return f.s.ConsumeAssertionID(f.ctx, "conn_1", "_assertion", at(time.Hour), t0)
		})
		if wins := outcomes(f.T, "ConsumeAssertionID", errs, store.ErrAlreadyExists); wins != 1 {
			f.Fatalf("%d concurrent ConsumeAssertionID calls succeeded, want exactly 1", wins)
		}
	}},
	{"ConsumeLoginRequest", func(f *fixture) {
		f.ok(f.s.CreateLoginRequest(f.ctx, &store.LoginRequest{ID: "req_1", ConnectionID: "conn_1", Protocol: store.ProtocolSAML, CreatedAt: t0, ExpiresAt: at(time.Hour)}), "CreateLoginRequest")
		errs := race(workers, func(int) error {
			r, err := f.s.ConsumeLoginRequest(f.ctx, "req_1", store.LoginRequestMatch{}, at(time.Minute))
			if err == nil && r.ID != "req_1" {
				return fmt.Errorf("consumed %q", r.ID)
			}
			return err
		})
		if wins := outcomes(f.T, "ConsumeLoginRequest", errs, store.ErrNotFound); wins != 1 {
			f.Fatalf("%d concurrent ConsumeLoginRequest calls succeeded, want exactly 1", wins)
		}
	}},
	{"CompleteLoginRequest", func(f *fixture) {
		conn := f.mkConn(f.mkOrg().ID, store.ProtocolSAML)
		f.ok(f.s.CreateLoginRequest(f.ctx, &store.LoginRequest{ID: "req_1", ConnectionID: conn.ID, Protocol: store.ProtocolSAML, Binding: []byte("browser"), CreatedAt: t0, ExpiresAt: at(time.Hour)}), "CreateLoginRequest")
		c := f.lastCursor()
		errs := race(workers, func(i int) error {
			// Each call has its own assertion id: only the request is
			// shared. Every other call comes from another browser.
			_, err := f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, ConnectionVersion: conn.Version, RequestID: "req_1", Binding: browserOf(i),
				AssertionID: fmt.Sprintf("_a%d", i), AssertionExpiresAt: at(time.Hour), Now: at(time.Minute)},
				func(*store.LoginFacts) ([]store.Event, error) {
					return []store.Event{f.ev("login.succeeded", "org_1", "conn_1")}, nil
				})
			return fromBrowserOf(i, err)
		})
		if wins := outcomes(f.T, "CompleteLogin of one request", errs, store.ErrNotFound, store.ErrMismatch); wins != 1 {
			f.Fatalf("%d concurrent CompleteLogin calls consumed one request, want exactly 1", wins)
		}
		if n := len(f.eventsAfter(c)); n != 1 {
			f.Fatalf("%d events appended, want 1", n)
		}
	}},
	{"ConsumeLoginRequestMatch", func(f *fixture) {
		// Half the callers present another browser's binding: they are
		// refused and leave the request; of the rest exactly one gets it.
		f.ok(f.s.CreateLoginRequest(f.ctx, &store.LoginRequest{ID: "req_1", ConnectionID: "conn_1", Protocol: store.ProtocolOIDC, Binding: []byte("browser"), CreatedAt: t0, ExpiresAt: at(time.Hour)}), "CreateLoginRequest")
		errs := race(workers, func(i int) error {
			_, err := f.s.ConsumeLoginRequest(f.ctx, "req_1", store.LoginRequestMatch{ConnectionID: "conn_1", Binding: browserOf(i)}, at(time.Minute))
			return fromBrowserOf(i, err)
		})
		if wins := outcomes(f.T, "conditional ConsumeLoginRequest", errs, store.ErrNotFound, store.ErrMismatch); wins != 1 {
			f.Fatalf("%d concurrent conditional ConsumeLoginRequest calls succeeded, want exactly 1", wins)
		}
	}},
	{"CompleteLoginAssertion", func(f *fixture) {
		c := f.lastCursor()
		errs := race(workers, func(int) error {
			_, err := f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: "conn_1", AssertionID: "_assertion", AssertionExpiresAt: at(time.Hour), Now: t0},
				func(*store.LoginFacts) ([]store.Event, error) {
					return []store.Event{f.ev("login.succeeded", "org_1", "conn_1")}, nil
				})
			return err
		})
		if wins := outcomes(f.T, "CompleteLogin of one assertion id", errs, store.ErrAlreadyExists); wins != 1 {
			f.Fatalf("%d concurrent CompleteLogin calls recorded one assertion id, want exactly 1", wins)
		}
		if n := len(f.eventsAfter(c)); n != 1 {
			f.Fatalf("%d events appended, want 1", n)
		}
	}},
	{"AcquireLease", func(f *fixture) {
		errs := race(workers, func(i int) error {
			ok, err := f.s.AcquireLease(f.ctx, "webhooks", fmt.Sprintf("instance-%d", i), t0, at(time.Minute))
			if err == nil && !ok {
				return store.ErrConflict // lost the race: expected
			}
			return err
		})
		if wins := outcomes(f.T, "AcquireLease", errs, store.ErrConflict); wins != 1 {
			f.Fatalf("%d concurrent holders of one lease, want exactly 1", wins)
		}
	}},
	{"CountAttempt", func(f *fixture) {
		counts := make([]int64, workers)
		errs := race(workers, func(i int) error {
			var err error
			counts[i], err = f.s.CountAttempt(f.ctx, "redeem:192.0.2.1", t0, at(time.Minute))
			return err
		})
		outcomes(f.T, "CountAttempt", errs)
		seen := map[int64]bool{}
		for i, n := range counts {
			if errs[i] == nil && (n < 1 || n > workers || seen[n]) {
				f.Fatalf("concurrent CountAttempt calls returned %v: each must get its own count in 1..%d", counts, workers)
			}
			seen[n] = true
		}
	}},
	{"UpdateDomainLosesNothing", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDomain(org.ID, "acme.example", store.DomainPending)
		_, err := f.s.UpdateDomain(f.ctx, d.ID, func(x *store.Domain) ([]store.Event, error) {
			x.Failure = "0"
			return nil, nil
		})
		f.ok(err, "UpdateDomain")
		c := f.lastCursor()
		errs := race(workers, func(int) error {
			_, err := f.s.UpdateDomain(f.ctx, d.ID, func(x *store.Domain) ([]store.Event, error) {
				n, err := strconv.Atoi(x.Failure)
				if err != nil {
					return nil, err
				}
				x.Failure = strconv.Itoa(n + 1)
				return []store.Event{f.ev("domain.checked", org.ID, d.ID)}, nil
			})
			return err
		})
		outcomes(f.T, "UpdateDomain", errs)
		got, err := f.s.GetDomain(f.ctx, d.ID)
		f.ok(err, "GetDomain")
		if got.Failure != strconv.Itoa(workers) {
			f.Fatalf("after %d concurrent increments the counter is %s", workers, got.Failure)
		}
		if n := len(f.eventsAfter(c)); n != workers {
			f.Fatalf("%d events appended by %d updates", n, workers)
		}
	}},
	{"UpdateDirectoryUserVersions", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		u := f.mkUser(d.ID, "alice", nil)
		errs := race(workers, func(i int) error {
			_, err := f.s.UpdateDirectoryUser(f.ctx, d.ID, u.ID, func(x *store.DirectoryUser) ([]store.Event, error) {
				x.Emails = append(x.Emails, store.Email{Value: fmt.Sprintf("a%d@example.com", i)})
				return []store.Event{f.ev("directory.user.updated", org.ID, u.ID)}, nil
			})
			return err
		})
		outcomes(f.T, "UpdateDirectoryUser", errs)
		got := f.getUser(d.ID, u.ID)
		if got.Version != workers+1 || len(got.Emails) != workers {
			f.Fatalf("after %d concurrent updates: Version %d, %d emails; want %d, %d", workers, got.Version, len(got.Emails), workers+1, workers)
		}
	}},
	{"UniqueUserName", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		errs := race(workers, func(i int) error {
			name := "alice@example.com"
			if i%2 == 1 {
				name = "ALICE@example.com"
			}
			return f.s.CreateDirectoryUser(f.ctx, &store.DirectoryUser{ID: fmt.Sprintf("usr_%d", i), DirectoryID: d.ID, UserName: name, CreatedAt: t0},
				f.ev("directory.user.created", org.ID, ""))
		})
		if wins := outcomes(f.T, "CreateDirectoryUser", errs, store.ErrAlreadyExists); wins != 1 {
			f.Fatalf("%d concurrent creates of one userName succeeded, want exactly 1", wins)
		}
		_, total, err := f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{})
		f.ok(err, "ListDirectoryUsers")
		if total != 1 {
			f.Fatalf("%d users stored, want 1", total)
		}
	}},
	{"VerifiedDomainOnce", func(f *fixture) {
		orgs := make([]string, workers)
		doms := make([]*store.Domain, workers)
		for i := range orgs {
			orgs[i] = f.mkOrg().ID
			doms[i] = f.mkDomain(orgs[i], "contested.example", store.DomainPending)
		}
		errs := race(workers, func(i int) error {
			if i%2 == 0 {
				_, err := f.s.UpdateDomain(f.ctx, doms[i].ID, func(x *store.Domain) ([]store.Event, error) {
					x.State = store.DomainVerified
					return nil, nil
				})
				return err
			}
			return f.s.CreateDomain(f.ctx, &store.Domain{ID: fmt.Sprintf("dom_new_%d", i), OrgID: orgs[i], Name: "contested.example.", State: store.DomainVerified, Method: store.DomainManual, CreatedAt: t0})
		})
		// Odd workers race for another name: "contested.example." (names are
		// compared byte for byte).
		even, odd := errs[0:0], errs[0:0]
		for i, err := range errs {
			if i%2 == 0 {
				even = append(even, err)
			} else {
				odd = append(odd, err)
			}
		}
		if wins := outcomes(f.T, "UpdateDomain to verified", even, store.ErrConflict); wins != 1 {
			f.Fatalf("%d organizations verified one name, want exactly 1", wins)
		}
		if wins := outcomes(f.T, "CreateDomain verified", odd, store.ErrConflict); wins != 1 {
			f.Fatalf("%d organizations created one verified name, want exactly 1", wins)
		}
	}},
	{"TokenLimit", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		errs := race(workers, func(i int) error {
			id := fmt.Sprintf("tok_%d", i)
			return f.s.CreateDirectoryToken(f.ctx, &store.DirectoryToken{ID: id, DirectoryID: d.ID, Digest: digest(id), CreatedAt: t0})
		})
		if wins := outcomes(f.T, "CreateDirectoryToken", errs, store.ErrConflict); wins != store.MaxActiveDirectoryTokens {
			f.Fatalf("%d concurrent tokens created, want %d", wins, store.MaxActiveDirectoryTokens)
		}
	}},
	{"EventCursors", testEventCursors},
	{"EventCursorsManyOrgs", testEventCursorsManyOrgs},
}

// testEventCursors appends events from many goroutines, directly and with
// entity writes, while a reader polls: the reader must see gap-free, strictly
// increasing cursors and, in the end, every event.
func testEventCursors(f *fixture) {
	const writers, perWriter, batchSize = 10, 20, 5
	org := f.mkOrg()
	d := f.mkDir(org.ID)
	base := f.lastCursor()
	var done sync.WaitGroup
	writeErrs := make(chan error, writers*perWriter)
	for w := range writers {
		done.Add(1)
		go func() {
			defer done.Done()
			for i := range perWriter {
				var err error
				switch i % 4 {
				case 0:
					_, err = f.s.AppendEvents(f.ctx, store.Event{ID: fmt.Sprintf("evt_w%d_%d", w, i), Type: "test.append", OrgID: org.ID, CreatedAt: t0})
				case 2:
					// Several events in one write.
					batch := make([]store.Event, batchSize)
					for j := range batch {
						batch[j] = store.Event{ID: fmt.Sprintf("evt_w%d_%d_%d", w, i, j), Type: "test.batch", OrgID: org.ID, CreatedAt: t0}
					}
					_, err = f.s.AppendEvents(f.ctx, batch...)
				default:
					err = f.s.CreateDirectoryUser(f.ctx, &store.DirectoryUser{ID: fmt.Sprintf("usr_w%d_%d", w, i), DirectoryID: d.ID, UserName: fmt.Sprintf("w%d-%d", w, i), CreatedAt: t0},
						store.Event{ID: fmt.Sprintf("evt_u%d_%d", w, i), Type: "directory.user.created", OrgID: org.ID, CreatedAt: t0})
				}
				if err != nil {
					writeErrs <- err
				}
			}
		}()
	}
	writersDone := make(chan struct{})
	go func() { done.Wait(); close(writersDone) }()

	total := writers * (perWriter + perWriter/4*(batchSize-1))
	readGapFree(f, base, total, writersDone, writeErrs)
}

// readGapFree reads the events after base while writers append total of
// them, until writersDone is closed, and fails the test when a page skips
// a cursor (a gap, even one later filled), when the reader sees a number
// of events other than total, or on an error of writeErrs (which it
// closes). It returns the events in cursor order.
func readGapFree(f *fixture, base int64, total int, writersDone chan struct{}, writeErrs chan error) []store.Event {
	var got []store.Event
	last, seen := base, 0
	finished := false
	for {
		page, err := f.s.ListEvents(f.ctx, store.EventQuery{After: last, Limit: 37})
		f.ok(err, "ListEvents")
		for _, e := range page {
			if e.Cursor != last+1 {
				f.Fatalf("reader saw cursor %d after %d: cursors must be gap-free and increasing", e.Cursor, last)
			}
			last = e.Cursor
			seen++
			got = append(got, e)
		}
		if seen >= total || len(page) > 0 {
			if seen >= total {
				break
			}
			continue
		}
		if finished {
			break
		}
		select {
		case <-writersDone:
			finished = true // one more poll sees what the last writes left
		case <-time.After(time.Millisecond):
		}
	}
	<-writersDone
	close(writeErrs)
	for err := range writeErrs {
		f.Fatalf("concurrent write: %v", err)
	}
	if seen != total {
		f.Fatalf("reader saw %d events, want %d", seen, total)
	}
	if c := f.lastCursor(); c != base+int64(total) {
		f.Fatalf("LastEventCursor = %d, want %d", c, base+int64(total))
	}
	return got
}

// testEventCursorsManyOrgs writes 50 organizations in parallel, each its
// organization, directory, users and an update, every write with its
// event: a reader polling meanwhile sees gap-free cursors, every event
// once, and each organization's events in the order they were written.
func testEventCursorsManyOrgs(f *fixture) {
	const orgs, users = workers, 4
	base := f.lastCursor()
	writeErrs := make(chan error, orgs)
	writersDone := make(chan struct{})
	go func() {
		errs := race(orgs, func(i int) error {
			org := fmt.Sprintf("org_par_%02d", i)
			ev := func(n int) store.Event {
				return store.Event{ID: fmt.Sprintf("evt_%s_%d", org, n), Type: "test.parallel", OrgID: org, Subject: strconv.Itoa(n), CreatedAt: t0}
			}
			if err := f.s.CreateOrganization(f.ctx, &store.Organization{ID: org, Name: "Parallel " + org, CreatedAt: t0, UpdatedAt: t0}, ev(0)); err != nil {
				return err
			}
			dir := "dir_" + org
			if err := f.s.CreateDirectory(f.ctx, &store.Directory{ID: dir, OrgID: org, Provider: "okta", State: store.DirectoryActive, CreatedAt: t0, UpdatedAt: t0}, ev(1)); err != nil {
				return err
			}
			for u := range users {
				id := fmt.Sprintf("usr_%s_%d", org, u)
				if err := f.s.CreateDirectoryUser(f.ctx, &store.DirectoryUser{ID: id, DirectoryID: dir, UserName: id, Active: true, CreatedAt: t0, UpdatedAt: t0}, ev(2+u)); err != nil {
					return err
				}
			}
			_, err := f.s.UpdateOrganization(f.ctx, org, func(o *store.Organization) ([]store.Event, error) {
				o.Name += " (renamed)"
				return []store.Event{ev(2 + users)}, nil
			})
			return err
		})
		for _, err := range errs {
			if err != nil {
				writeErrs <- err
			}
		}
		close(writersDone)
	}()
	got := readGapFree(f, base, orgs*(3+users), writersDone, writeErrs)
	next := map[string]int{}
	for _, e := range got {
		if e.Subject != strconv.Itoa(next[e.OrgID]) {
			f.Fatalf("organization %s: event %s at cursor %d, want event %d next", e.OrgID, e.Subject, e.Cursor, next[e.OrgID])
		}
		next[e.OrgID]++
	}
	if len(next) != orgs {
		f.Fatalf("events of %d organizations, want %d", len(next), orgs)
	}
}

// RunConcurrency runs the concurrency tests of the conformance suite: racing
// redemptions, consumptions, lease acquisitions, updates and event appends
// must behave as if run one after another. Run includes it.
func RunConcurrency(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	for _, st := range append(append(append(append(concurrencyTests[:len(concurrencyTests):len(concurrencyTests)], contractConcurrencyTests...), sessionConcurrencyTests...), batchTests...), roleConcurrencyTest) {
		t.Run(st.name, func(t *testing.T) {
			st.fn(newFixture(t, newStore(t)))
		})
	}
}
