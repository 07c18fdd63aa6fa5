package events

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/store/memstore"
)

func TestPullPages(t *testing.T) {
	st := memstore.New()
	appendEvents(t, st, 5, "org_1", "directory.user.created", "connection.activated")
	appendEvents(t, st, 3, "org_2", "portal.link.created")
	ctx := context.Background()

	tests := []struct {
		name      string
		q         PullQuery
		cursors   []int64
		next      int64
		more      bool
		wantError bool
	}{
		{"first page", PullQuery{Limit: 3}, []int64{1, 2, 3}, 3, true, false},
		{"second page", PullQuery{After: 3, Limit: 3}, []int64{4, 5, 6}, 6, true, false},
		{"last page exact", PullQuery{After: 6, Limit: 2}, []int64{7, 8}, 8, false, false},
		{"caught up", PullQuery{After: 8}, nil, 8, false, false},
		{"filtered skips ahead", PullQuery{Types: []string{"connection"}}, []int64{2, 4}, 8, false, false},
		{"filtered page", PullQuery{Types: []string{"directory.user"}, Limit: 2}, []int64{1, 3}, 3, true, false},
		{"org", PullQuery{OrgID: "org_2", After: 2}, []int64{6, 7, 8}, 8, false, false},
		{"negative after", PullQuery{After: -1}, nil, 0, false, true},
		{"limit too big", PullQuery{Limit: 5000}, nil, 0, false, true},
		{"bad type", PullQuery{Types: []string{"a..b"}}, nil, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Pull(ctx, st, tt.q)
			if tt.wantError {
				if !errors.Is(err, ErrBadQuery) {
					t.Fatalf("err = %v, want ErrBadQuery", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, e := range p.Events {
				got = append(got, e.Cursor)
			}
			if !equalInts(got, tt.cursors) || p.NextCursor != tt.next || p.HasMore != tt.more {
				t.Fatalf("got %v next=%d more=%v, want %v next=%d more=%v", got, p.NextCursor, p.HasMore, tt.cursors, tt.next, tt.more)
			}
		})
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPullHandler(t *testing.T) {
	st := memstore.New()
	appendEvents(t, st, 4, "org_1", "directory.user.created", "directory.group.created")
	h, err := NewPullHandler(PullConfig{Store: st, MaxLimit: 50, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, query string
		status              int
		errContains         string
		cursors             []int64
		next                int64
	}{
		{"all", "GET", "", 200, "", []int64{1, 2, 3, 4}, 4},
		{"after and limit", "GET", "after=1&limit=2", 200, "", []int64{2, 3}, 3},
		{"types comma", "GET", "types=directory.group,portal", 200, "", []int64{2, 4}, 4},
		{"types repeated", "GET", "types=directory.group&types=directory.user", 200, "", []int64{1, 2, 3, 4}, 4},
		{"org", "GET", "org_id=org_2", 200, "", nil, 4},
		{"latest", "GET", "after=latest", 200, "", nil, 4},
		{"latest filtered", "GET", "after=latest&types=portal&limit=1", 200, "", nil, 4},
		{"after Latest", "GET", "after=Latest", 400, "after", nil, 0},
		{"unknown param ignored", "GET", "foo=bar", 200, "", []int64{1, 2, 3, 4}, 4},
		{"after not a number", "GET", "after=abc", 400, "after", nil, 0},
		{"after negative", "GET", "after=-3", 400, "after", nil, 0},
		{"limit zero", "GET", "limit=0", 400, "limit", nil, 0},
		{"limit above max", "GET", "limit=51", 400, "limit", nil, 0},
		{"limit float", "GET", "limit=1.5", 400, "limit", nil, 0},
		{"bad type", "GET", "types=Directory%20User", 400, "types", nil, 0},
		{"empty org", "GET", "org_id=", 400, "org_id", nil, 0},
		{"two orgs", "GET", "org_id=a&org_id=b", 400, "org_id", nil, 0},
		{"post", "POST", "", 405, "method", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, httptest.NewRequest(tt.method, "/events?"+tt.query, nil))
			if rr.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rr.Code, tt.status, rr.Body)
			}
			if ct := rr.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
			if tt.status != 200 {
				var body struct{ Error string }
				if err := json.Unmarshal(rr.Body.Bytes(), &body); err != nil || !strings.Contains(body.Error, tt.errContains) {
					t.Fatalf("error body %s does not name %q", rr.Body, tt.errContains)
				}
				return
			}
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(rr.Body.Bytes(), &raw); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"events", "next_cursor", "has_more"} {
				if _, ok := raw[k]; !ok {
					t.Fatalf("response lacks %q: %s", k, rr.Body)
				}
			}
			if string(raw["events"]) == "null" {
				t.Fatal("events must be [] when empty, not null")
			}
			var p Page
			if err := json.Unmarshal(rr.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, e := range p.Events {
				got = append(got, e.Cursor)
			}
			if !equalInts(got, tt.cursors) || p.NextCursor != tt.next {
				t.Fatalf("got %v next %d, want %v next %d", got, p.NextCursor, tt.cursors, tt.next)
			}
		})
	}
}

func TestPullHandlerHidesStoreErrors(t *testing.T) {
	st := &flakyStore{Store: memstore.New()}
	st.fails.Store(1)
	h, err := NewPullHandler(PullConfig{Store: st, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/", nil))
	if rr.Code != 500 || strings.Contains(rr.Body.String(), "connection reset") {
		t.Fatalf("got %d %s", rr.Code, rr.Body)
	}
}

func TestEnvelopeShape(t *testing.T) {
	st := memstore.New()
	evs := appendEvents(t, st, 1, "org_9", "directory.user.created")
	b, err := MarshalEvent(evs[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "type", "cursor", "org_id", "subject", "actor", "data", "created_at"} {
		if _, ok := m[k]; !ok {
			t.Errorf("envelope lacks %q: %s", k, b)
		}
	}
	if len(m) != 8 {
		t.Errorf("envelope has unexpected fields: %s", b)
	}
	if m["created_at"] != "2026-03-01T12:00:00Z" || m["cursor"] != float64(1) || m["org_id"] != "org_9" {
		t.Errorf("envelope values: %s", b)
	}
	var back Envelope
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Event(); got.ID != evs[0].ID || string(got.Data) != string(evs[0].Data) || !got.CreatedAt.Equal(evs[0].CreatedAt) {
		t.Errorf("round trip: %+v vs %+v", got, evs[0])
	}
	e := evs[0]
	e.Data = nil
	if b, _ := MarshalEvent(e); !strings.Contains(string(b), `"data":null`) {
		t.Errorf("nil data: %s", b)
	}
}

func FuzzParsePullQuery(f *testing.F) {
	for _, s := range []string{"after=1&limit=2", "types=a.b,c&org_id=x", "after=latest", "after=-1", "limit=99999999999999999999", "types=%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.RawQuery = q
		pq, err := ParsePullQuery(r, 0)
		if err != nil {
			if !errors.Is(err, ErrBadQuery) {
				t.Fatalf("error not wrapping ErrBadQuery: %v", err)
			}
			return
		}
		if pq.After < 0 || pq.Limit < 1 || pq.Limit > 1000 {
			t.Fatalf("accepted out-of-range query %+v", pq)
		}
		for _, ty := range pq.Types {
			if !validType(ty) {
				t.Fatalf("accepted bad type %q", ty)
			}
		}
	})
}
