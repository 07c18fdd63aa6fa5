package scimkit

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// EventRequestRefused records SCIM requests to a directory that were
// refused before they reached its users and groups, so that the
// organization's IT admin can see why their identity provider's
// provisioning fails. Data: "reason" (one of the Refusal... constants),
// "status" (the HTTP status answered), "method", "path" (without the
// query string), "count" (the refusals of this reason on this directory
// since the Server's previous such event, this one included) and
// "user_agent" (cut to 200 bytes). Never a token or a part of one.
//
// Only requests to a directory that exists are recorded, and a Server
// writes at most one such event per directory and reason every
// RefusalRecordInterval, counting the others into the next one: junk
// sent by anyone costs at most a few reads and never floods the outbox.
// The events are kept, like all events, for the event retention.
const EventRequestRefused = "directory.request_refused"

// Reasons of an EventRequestRefused.
const (
	RefusalNoToken           = "token_missing"         // no bearer token, or not one scimkit issued
	RefusalTokenInQuery      = "token_in_query"        // a token in the query string
	RefusalUnknownToken      = "token_unknown"         // no such token (mistyped, or of a deleted directory)
	RefusalRevokedToken      = "token_revoked"         // revoked or expired
	RefusalOtherDirectory    = "token_other_directory" // a token of another directory
	RefusalDirectoryInactive = "directory_inactive"    // the directory is not active
)

// RefusalRecordInterval is the shortest time between two
// EventRequestRefused events of one Server for one directory and reason.
const RefusalRecordInterval = 15 * time.Minute

// maxRefusalKeys bounds the (directory, reason) pairs a Server tracks.
const maxRefusalKeys = 1024

type refusalKey struct{ dir, reason string }

type refusalEntry struct {
	count int       // refusals not yet recorded
	last  time.Time // when the last event was due; zero before the first
}

// refusals coalesces refused requests into EventRequestRefused events.
type refusals struct {
	mu      sync.Mutex
	entries map[refusalKey]*refusalEntry
}

// due counts one refusal and reports whether an event is due now, with
// the count it carries.
func (rs *refusals) due(k refusalKey, now time.Time) (int, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.entries == nil {
		rs.entries = map[refusalKey]*refusalEntry{}
	}
	e := rs.entries[k]
	if e == nil {
		if len(rs.entries) >= maxRefusalKeys {
			for key, old := range rs.entries {
				if now.Sub(old.last) >= RefusalRecordInterval && old.count == 0 {
					delete(rs.entries, key)
				}
			}
			if len(rs.entries) >= maxRefusalKeys {
				return 0, false
			}
		}
		e = &refusalEntry{}
		rs.entries[k] = e
	}
	e.count++
	if !e.last.IsZero() && now.Sub(e.last) < RefusalRecordInterval {
		return 0, false
	}
	n := e.count
	e.count, e.last = 0, now
	return n, true
}

// forget drops k: a path naming no directory must not hold a slot that
// real directories' refusals need.
func (rs *refusals) forget(k refusalKey) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	delete(rs.entries, k)
}

func (rs *refusals) size() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.entries)
}

// refused records a refused request to the directory of the path when an
// event is due; d is that directory when the caller has read it.
func (s *Server) refused(r *http.Request, dirID, reason string, status int, d *store.Directory) {
	if dirID == "" || len(dirID) > 200 {
		return
	}
	now := s.now()
	key := refusalKey{dirID, reason}
	n, ok := s.refusals.due(key, now)
	if !ok {
		return
	}
	ctx := context.WithoutCancel(r.Context())
	if d == nil || d.ID != dirID {
		var err error
		if d, err = s.st.GetDirectory(ctx, dirID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				s.refusals.forget(key)
			} else {
				s.log.WarnContext(ctx, "scimkit: reading the directory of a refused request", "directory", dirID, "err", err)
			}
			return
		}
	}
	ua := r.UserAgent()
	if len(ua) > 200 {
		ua = ua[:200]
	}
	ids, err := s.newEventIDs()
	if err != nil {
		return
	}
	ev := s.event(ids, EventRequestRefused, d.OrgID, d.ID, "system", map[string]any{
		"reason": reason, "status": status, "method": r.Method, "path": r.URL.Path, "count": n, "user_agent": ua,
	})
	if _, err := s.st.AppendEvents(ctx, ev); err != nil {
		s.log.WarnContext(ctx, "scimkit: recording a refused request", "directory", dirID, "err", err)
	}
}
