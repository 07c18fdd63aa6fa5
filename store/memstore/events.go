package memstore

import (
	"context"

	"github.com/onboardkit/onboardkit/store"
)

// AppendEvents appends events, assigning cursors, and returns them with
// Cursor set.
func (s *Store) AppendEvents(ctx context.Context, events ...store.Event) ([]store.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkEvents(events); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appendLocked(events), nil
}

// ListEvents returns up to q.Limit events after q.After matching q, in cursor
// order.
func (s *Store) ListEvents(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if q.After < 0 {
		return nil, invalid("negative cursor %d", q.After)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Event
	start := len(s.events)
	if q.After < int64(len(s.events)) {
		start = int(q.After)
	}
	for i := start; i < len(s.events) && len(out) < limit; i++ {
		e := &s.events[i]
		if q.OrgID != "" && e.OrgID != q.OrgID {
			continue
		}
		if !store.MatchesTypes(e.Type, q.Types) {
			continue
		}
		out = append(out, cloneEvent(e))
	}
	return out, nil
}

// LastEventCursor returns the highest cursor, 0 when there are no events.
func (s *Store) LastEventCursor(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.events)), nil
}

// GetConsumerCursor returns the cursor consumer has processed up to.
func (s *Store) GetConsumerCursor(ctx context.Context, consumer string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := requireIDs("consumer", consumer); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.consumers[consumer], nil
}

// SetConsumerCursor moves consumer's cursor forward to cursor; a lower value
// is ignored.
func (s *Store) SetConsumerCursor(ctx context.Context, consumer string, cursor int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := requireIDs("consumer", consumer); err != nil {
		return err
	}
	if cursor < 0 {
		return invalid("negative cursor %d", cursor)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cursor > s.consumers[consumer] {
		s.consumers[consumer] = cursor
	}
	return nil
}
