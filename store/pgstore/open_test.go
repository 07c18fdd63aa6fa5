package pgstore_test

import (
	"database/sql"
	"fmt"
	"strings"
	"sync"
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
			s, err := pgstore.Open(t.Context(), tt.dsn)
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
		wg.Go(func() { stores[i], errs[i] = pgstore.Open(t.Context(), dsn) })
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
	s, err := pgstore.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOrganization(t.Context(), &store.Organization{ID: "org_1", Name: "Acme", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = pgstore.Open(t.Context(), dsn)
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
	done := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				e := store.Event{ID: fmt.Sprintf("evt_%d_%d", w, i), Type: "test.event", CreatedAt: now}
				if _, err := s.AppendEvents(ctx, e, e2(e)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	var last int64
	seen := 0
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		evs, err := s.ListEvents(ctx, store.EventQuery{After: last, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Cursor != last+1 {
				t.Fatalf("reader at %d saw cursor %d: a gap", last, e.Cursor)
			}
			last = e.Cursor
			seen++
		}
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
