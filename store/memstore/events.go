package memstore

import (
	"context"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// AppendEvents appends events, assigning cursors, and returns them with
// Cursor set.
func (s *Store) AppendEvents(ctx context.Context, events ...store.Event) ([]store.Event, error) {
	if err := check(ctx, checkEvents(events)); err != nil {
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
	if q.After < 0 || q.Before < 0 {
		return nil, invalid("negative cursor %d", min(q.After, q.Before))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Event
	// s.events[i] has the cursor s.eventBase+i+1: [start, end) are the
	// events after q.After and before q.Before.
	start, end := int64(len(s.events)), int64(len(s.events))
	if after := q.After - s.eventBase; after < end {
		start = max(after, 0)
	}
	if q.Before > 0 {
		end = min(end, max(q.Before-s.eventBase-1, 0))
	}
	for n := int64(0); n < end-start && len(out) < limit; n++ {
		i := start + n
		if q.Descending {
			i = end - 1 - n
		}
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
	return s.eventBase + int64(len(s.events)), nil
}

// GetConsumerCursor returns the cursor consumer has processed up to.
func (s *Store) GetConsumerCursor(ctx context.Context, consumer string) (int64, error) {
	if err := check(ctx, requireIDs("consumer", consumer)); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.consumers[consumer], nil
}

// SetConsumerCursor moves consumer's cursor forward to cursor; a lower value
// is ignored.
func (s *Store) SetConsumerCursor(ctx context.Context, consumer string, cursor int64) error {
	if err := check(ctx, requireIDs("consumer", consumer)); err != nil {
		return err
	}
	if cursor < 0 {
		return invalid("negative cursor %d", cursor)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.consumers[consumer]; !ok || cursor > c {
		s.consumers[consumer] = cursor
	}
	return nil
}

// DeleteEvents removes the events created before before that every
// consumer has processed, oldest first, keeping the newest event.
func (s *Store) DeleteEvents(ctx context.Context, before time.Time) (int, error) {
	if err := check(ctx, requireTime("before", before)); err != nil {
		return 0, err
	}
	before = utc(before)
	s.mu.Lock()
	defer s.mu.Unlock()
	stop := s.eventBase + int64(len(s.events)) // the newest event stays
	for _, c := range s.consumers {
		stop = min(stop, c+1)
	}
	n := 0
	for n < len(s.events) && s.events[n].Cursor < stop && s.events[n].CreatedAt.Before(before) {
		n++
	}
	if n == 0 {
		return 0, nil
	}
	s.events = append([]store.Event(nil), s.events[n:]...)
	s.eventBase += int64(n)
	return n, nil
}

// DeleteConsumerCursor forgets consumer's cursor.
func (s *Store) DeleteConsumerCursor(ctx context.Context, consumer string) error {
	if err := check(ctx, requireIDs("consumer", consumer)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.consumers, consumer)
	return nil
}
