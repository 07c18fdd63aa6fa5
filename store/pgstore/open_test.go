package pgstore_test

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/pgstore"
)

func TestOpenBadDSN(t *testing.T) {
	tests := []struct{ name, dsn, want string }{
		{"empty", "", "DSN is required"},
		{"unparsable", "postgres://%zz", "pgstore"},
		{"refused", "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", "connecting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := pgstore.Open(t.Context(), tt.dsn, pgstore.Options{Keyring: testKeyring})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open(%q) = %v, want an error mentioning %q", tt.dsn, err, tt.want)
			}
		})
	}
}

// TestConcurrentOpen starts four instances at once on one fresh schema:
// the advisory lock makes exactly one apply the migrations.
func TestConcurrentOpen(t *testing.T) {
	dsn := freshSchema(t)
	const n = 4
	var wg sync.WaitGroup
	stores := make([]*pgstore.Store, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			stores[i], errs[i] = pgstore.Open(t.Context(), dsn, pgstore.Options{Keyring: testKeyring})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
		}
	}
	for _, s := range stores {
		if s != nil {
			defer s.Close()
		}
	}
	if t.Failed() {
		return
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var count, distinct int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&count, &distinct); err != nil {
		t.Fatal(err)
	}
	if count == 0 || count != distinct {
		t.Errorf("schema_migrations has %d rows for %d versions", count, distinct)
	}
	// Every instance sees the others' writes.
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, s := range stores {
		if err := s.CreateOrganization(t.Context(), &store.Organization{ID: fmt.Sprintf("org_%d", i), Name: "x", CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	orgs, _, err := stores[0].ListOrganizations(t.Context(), store.OrganizationQuery{})
	if err != nil || len(orgs) != n {
		t.Errorf("ListOrganizations = %d organizations, %v; want %d", len(orgs), err, n)
	}
}

func TestReopen(t *testing.T) {
	dsn := freshSchema(t)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOrganization(t.Context(), &store.Organization{ID: "org_1", Name: "Acme", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = pgstore.Open(t.Context(), dsn, pgstore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.GetOrganization(t.Context(), "org_1"); err != nil {
		t.Errorf("organization lost on reopen: %v", err)
	}
}

// TestCursorsVisibleInOrder checks the outbox promise under concurrent
// writers: a reader following the cursor never sees a gap, so no event
// can appear behind its position.
func TestCursorsVisibleInOrder(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	const writers, perWriter = 8, 40
	var wg sync.WaitGroup
	var stop atomic.Bool
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := 0; i < perWriter && !stop.Load(); i++ {
				e := store.Event{ID: fmt.Sprintf("evt_%d_%d", w, i), Type: "test.event", CreatedAt: now}
				if _, err := s.AppendEvents(ctx, e, e2(e)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var last int64
	seen := 0
	for finished := false; !finished && !stop.Load(); {
		select {
		case <-done:
			finished = true
		default:
		}
		evs, err := s.ListEvents(ctx, store.EventQuery{After: last, Limit: 1000})
		if err != nil {
			t.Error(err)
			stop.Store(true)
			break
		}
		for _, e := range evs {
			if e.Cursor != last+1 {
				t.Errorf("reader at %d saw cursor %d: a gap", last, e.Cursor)
				stop.Store(true)
				break
			}
			last = e.Cursor
			seen++
		}
	}
	<-done
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	evs, err := s.ListEvents(ctx, store.EventQuery{After: last, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	seen += len(evs)
	if want := writers * perWriter * 2; seen != want {
		t.Errorf("reader saw %d events, want %d", seen, want)
	}
}

func e2(e store.Event) store.Event {
	e.ID += "_b"
	return e
}

// TestUnstorableText checks that text PostgreSQL cannot hold (a NUL, bytes
// that are not UTF-8) is refused as invalid input, in writes and filters,
// rather than failing as a server error.
func TestUnstorableText(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.CreateOrganization(ctx, &store.Organization{ID: "org", Name: "Org", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDirectory(ctx, &store.Directory{ID: "dir", OrgID: "org", State: store.DirectoryActive, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"a\x00b", "a\xffb"} {
		err := s.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: "usr", DirectoryID: "dir", UserName: bad, CreatedAt: now})
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("CreateDirectoryUser with userName %q = %v, want ErrInvalid", bad, err)
		}
		_, _, err = s.ListDirectoryUsers(ctx, "dir", store.UserQuery{Filter: store.Compare{Attr: store.AttrExternalID, Op: store.OpEq, Value: bad}, Limit: 1})
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("filter externalId eq %q = %v, want ErrInvalid", bad, err)
		}
	}
}
