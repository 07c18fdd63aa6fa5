package pgstore_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/pgstore"
)

// TestLeftoverEventsNumbered: an event committed without a cursor, as
// every write but AppendEvents leaves it, is numbered by the next
// ListEvents, after the events numbered before.
func TestLeftoverEventsNumbered(t *testing.T) {
	dsn := freshSchema(t)
	s, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := s.AppendEvents(t.Context(), store.Event{ID: "evt_1", Type: "test.one", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), `INSERT INTO events (id, type, created_at) VALUES ('evt_2', 'test.two', $1)`, t0); err != nil {
		t.Fatal(err)
	}
	var pending int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM events WHERE cursor IS NULL`).Scan(&pending); err != nil || pending != 1 {
		t.Fatalf("%d events without a cursor (%v), want 1", pending, err)
	}
	evs, err := s.ListEvents(t.Context(), store.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].ID != "evt_1" || evs[0].Cursor != 1 || evs[1].ID != "evt_2" || evs[1].Cursor != 2 {
		t.Fatalf("events %+v, want evt_1 at 1 and evt_2 at 2", evs)
	}
	if c, err := s.LastEventCursor(t.Context()); err != nil || c != 2 {
		t.Fatalf("LastEventCursor = %d, %v; want 2", c, err)
	}
}
