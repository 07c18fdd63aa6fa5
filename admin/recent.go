package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// recentPage and recentPages bound the reading of RecentEvents.
const (
	recentPage  = 500
	recentPages = 40
)

// RecentEvents returns the organization's events of these types (as in
// store.EventQuery.Types) created at or after since, oldest first: the
// newest limit of them (limit <= 0 means 100). It finds the first event
// of that time by a binary search on the cursor (events are appended in
// time order, up to the clock skew of app instances), then reads
// forward, at most 20,000 events of these types. The portal's "what went
// wrong" page reads refused logins and SCIM requests with it.
func (a *Admin) RecentEvents(ctx context.Context, orgID string, types []string, since time.Time, limit int) ([]store.Event, error) {
	if limit <= 0 {
		limit = 100
	}
	start, err := a.cursorAt(ctx, since)
	if err != nil {
		return nil, err
	}
	var out []store.Event
	after := start
	for range recentPages {
		evs, err := a.st.ListEvents(ctx, store.EventQuery{After: after, OrgID: orgID, Types: types, Limit: recentPage})
		if err != nil {
			return nil, fmt.Errorf("admin: listing events: %w", err)
		}
		for _, ev := range evs {
			if !ev.CreatedAt.Before(since) {
				out = append(out, ev)
			}
		}
		if len(out) > limit {
			out = append(out[:0], out[len(out)-limit:]...)
		}
		if len(evs) < recentPage {
			break
		}
		after = evs[len(evs)-1].Cursor
	}
	return out, nil
}

// cursorAt returns a cursor after which every event created at or after t
// lies: the cursor before the first event (of any organization) created
// at or after t, found by a binary search.
func (a *Admin) cursorAt(ctx context.Context, t time.Time) (int64, error) {
	last, err := a.st.LastEventCursor(ctx)
	if err != nil {
		return 0, fmt.Errorf("admin: reading the event cursor: %w", err)
	}
	lo, hi := int64(0), last // the answer is in [lo, hi]
	for lo < hi {
		mid := lo + (hi-lo)/2
		evs, err := a.st.ListEvents(ctx, store.EventQuery{After: mid, Limit: 1})
		if err != nil {
			return 0, fmt.Errorf("admin: listing events: %w", err)
		}
		if len(evs) == 0 || !evs[0].CreatedAt.Before(t) {
			hi = mid
		} else {
			lo = evs[0].Cursor
		}
	}
	return lo, nil
}
