package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/onboardkit/onboardkit/store"
)

// mappingWrite is the replacement of one kind of an organization's
// mappings (role or attribute mappings).
type mappingWrite[M comparable] struct {
	what  string // "role mappings", for errors
	event string // the event type of a change
	list  func(ctx context.Context, orgID string) ([]M, error)
	set   func(ctx context.Context, orgID string, m []M, events ...store.Event) error
	data  func(next []M) any // the event's data
}

// replace writes next, sorted, as the organization's mappings with an
// event, unless they are the mappings in force. It returns the mappings
// it replaced and whether it wrote.
func (w mappingWrite[M]) replace(ctx context.Context, a *Admin, orgID string, next []M, actor string) (cur []M, changed bool, err error) {
	cur, err = w.list(ctx, orgID)
	if err != nil {
		return nil, false, fmt.Errorf("admin: listing %s: %w", w.what, err)
	}
	if slices.Equal(cur, next) {
		return cur, false, nil
	}
	ev, err := a.event(w.event, orgID, orgID, actorOr(actor), w.data(next))
	if err != nil {
		return nil, false, err
	}
	if err := w.set(ctx, orgID, next, ev); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, false, notFound("organization", orgID)
		}
		return nil, false, fmt.Errorf("admin: setting %s: %w", w.what, err)
	}
	return cur, true, nil
}
