package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/onboardkit/onboardkit/store"
)

// PullQuery selects a page of events.
type PullQuery struct {
	// After is the cursor to read after: 0 for the beginning, else the
	// NextCursor of the previous page.
	After int64
	// Limit is the page size. 0 means 100; above 1000 is an error.
	Limit int
	// Types keeps events whose type equals one of these or starts with one
	// of these followed by "."; empty keeps all.
	Types []string
	// OrgID keeps the events of one organization; empty keeps all.
	OrgID string
	// Latest starts from the newest event instead of After: the page holds
	// no events and its NextCursor is the outbox's last cursor, to poll
	// from for what happens next. ("after=latest" in URL parameters.)
	Latest bool
}

// Query parameters of the pull API, shared by every API that serves the
// outbox (the pull handler and the management API's /events), so that one
// vocabulary names the feed everywhere.
const (
	ParamAfter  = "after"  // a cursor, or "latest"
	ParamLimit  = "limit"  // page size
	ParamTypes  = "types"  // event types or type prefixes, comma-separated or repeated
	ParamOrgID  = "org_id" // one organization's events
	AfterLatest = "latest" // the value of after that starts from the newest event
)

// Page is one page of events, as the pull API returns it:
//
//	{"events": [...], "next_cursor": 42, "has_more": false}
//
// Pass NextCursor as the next query's After. When the query is filtered,
// NextCursor may be beyond the cursor of the last event returned: events in
// between did not match and need not be read again. When HasMore is false
// the reader has caught up; poll again later with the same NextCursor.
type Page struct {
	Events     []Envelope `json:"events"`
	NextCursor int64      `json:"next_cursor"`
	HasMore    bool       `json:"has_more"`
}

// ErrBadQuery wraps the reason a pull query was refused.
var ErrBadQuery = errors.New("events: bad query")

const defaultPullLimit = 100

// Pull reads one page of events from st. It is what the pull handler serves,
// for hosts that expose events through their own API.
func Pull(ctx context.Context, st store.EventStore, q PullQuery) (*Page, error) {
	if st == nil {
		return nil, errors.New("events: Pull needs a store")
	}
	if q.After < 0 {
		return nil, fmt.Errorf("%w: after must not be negative", ErrBadQuery)
	}
	switch {
	case q.Limit == 0:
		q.Limit = defaultPullLimit
	case q.Limit < 0 || q.Limit > maxBatch:
		return nil, fmt.Errorf("%w: limit must be between 1 and %d", ErrBadQuery, maxBatch)
	}
	for _, t := range q.Types {
		if !validType(t) {
			return nil, fmt.Errorf("%w: invalid event type %q", ErrBadQuery, t)
		}
	}
	// See deliverBatch: the last cursor read before listing lets a short
	// page of a filtered query skip the events that did not match.
	last, err := st.LastEventCursor(ctx)
	if err != nil {
		return nil, fmt.Errorf("events: reading the last cursor: %w", err)
	}
	if q.Latest {
		return &Page{Events: []Envelope{}, NextCursor: max(last, q.After)}, nil
	}
	evs, err := st.ListEvents(ctx, store.EventQuery{After: q.After, OrgID: q.OrgID, Types: q.Types, Limit: q.Limit + 1})
	if err != nil {
		return nil, fmt.Errorf("events: listing events: %w", err)
	}
	page := &Page{Events: make([]Envelope, 0, min(len(evs), q.Limit)), NextCursor: q.After}
	if len(evs) > q.Limit {
		evs = evs[:q.Limit]
		page.HasMore = true
	}
	for _, e := range evs {
		page.Events = append(page.Events, NewEnvelope(e))
		page.NextCursor = e.Cursor
	}
	if !page.HasMore && last > page.NextCursor {
		page.NextCursor = last
	}
	return page, nil
}

// PullConfig configures the pull handler.
type PullConfig struct {
	// Store holds the outbox. Required.
	Store store.EventStore

	// MaxLimit caps the limit parameter. Default and maximum 1000.
	MaxLimit int

	// Logger receives Store errors (the client sees a generic 500).
	// Default slog.Default().
	Logger *slog.Logger
}

// PullHandler serves the pull API. It does no authentication of its own: the
// host mounts it behind its own auth.
type PullHandler struct {
	cfg PullConfig
}

// NewPullHandler validates cfg and returns the pull API handler:
//
//	GET ?after=<cursor>&limit=<n>&types=<t1,t2>&org_id=<org id>
//
// answers 200 with a Page as JSON. after defaults to 0, and "latest"
// starts from the newest event (no events, and the cursor to poll from);
// limit defaults to 100; types may be repeated or comma-separated. A malformed parameter answers 400
// with {"error": "..."} naming it; other methods answer 405.
//
// The handler does not authenticate: events carry every organization's
// directory changes, so mount it only behind the host's own authentication
// (for example an operator API key), and pin "org_id" from the caller's identity
// when a caller may see only one organization.
func NewPullHandler(cfg PullConfig) (*PullHandler, error) {
	if cfg.Store == nil {
		return nil, errors.New("events: PullConfig.Store is required")
	}
	switch {
	case cfg.MaxLimit == 0:
		cfg.MaxLimit = maxBatch
	case cfg.MaxLimit < 0 || cfg.MaxLimit > maxBatch:
		return nil, fmt.Errorf("events: PullConfig.MaxLimit must be between 1 and %d", maxBatch)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &PullHandler{cfg: cfg}, nil
}

// ParsePullQuery reads a PullQuery from URL parameters, as the pull handler
// does. maxLimit caps limit (1000 when <= 0). Errors wrap ErrBadQuery and
// name the parameter.
func ParsePullQuery(r *http.Request, maxLimit int) (PullQuery, error) {
	if maxLimit <= 0 || maxLimit > maxBatch {
		maxLimit = maxBatch
	}
	v := r.URL.Query()
	var q PullQuery
	if s := v.Get(ParamAfter); s == AfterLatest {
		q.Latest = true
	} else if s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return q, fmt.Errorf("%w: after must be a non-negative integer cursor or \"latest\"", ErrBadQuery)
		}
		q.After = n
	}
	q.Limit = defaultPullLimit
	if s := v.Get(ParamLimit); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return q, fmt.Errorf("%w: limit must be an integer between 1 and %d", ErrBadQuery, maxLimit)
		}
		q.Limit = n
	}
	for _, s := range v[ParamTypes] {
		for _, t := range strings.Split(s, ",") {
			t = strings.TrimSpace(t)
			if t == "" {
				continue
			}
			if !validType(t) {
				return q, fmt.Errorf("%w: types: invalid event type %q", ErrBadQuery, t)
			}
			q.Types = append(q.Types, t)
		}
	}
	if len(q.Types) > 50 {
		return q, fmt.Errorf("%w: types: at most 50 types", ErrBadQuery)
	}
	if vals := v[ParamOrgID]; len(vals) > 0 {
		if len(vals) > 1 {
			return q, fmt.Errorf("%w: org_id may be given once", ErrBadQuery)
		}
		if vals[0] == "" || len(vals[0]) > 200 {
			return q, fmt.Errorf("%w: org_id must be an organization id", ErrBadQuery)
		}
		q.OrgID = vals[0]
	}
	return q, nil
}

// ServeHTTP answers GET ?after=&limit=&types=&org_id= with a page of events.
func (h *PullHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
		return
	}
	q, err := ParsePullQuery(r, h.cfg.MaxLimit)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": strings.TrimPrefix(err.Error(), ErrBadQuery.Error()+": ")})
		return
	}
	page, err := Pull(r.Context(), h.cfg.Store, q)
	if err != nil {
		h.cfg.Logger.Error("events: pull failed", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
