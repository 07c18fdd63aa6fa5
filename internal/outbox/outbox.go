// Package outbox builds the events that onboardkit's packages write to the
// Store's outbox in the same write as the change they record.
package outbox

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/store"
)

// Event builds an event of type typ with a fresh "evt_" id from rand, data
// encoded as JSON and CreatedAt now in UTC.
func Event(rand io.Reader, now time.Time, typ, orgID, subject, actor string, data any) (store.Event, error) {
	id, err := secret.NewID(rand, "evt")
	if err != nil {
		return store.Event{}, err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return store.Event{}, fmt.Errorf("encoding event: %w", err)
	}
	return store.Event{
		ID:        id,
		Type:      typ,
		OrgID:     orgID,
		Subject:   subject,
		Actor:     actor,
		Data:      raw,
		CreatedAt: now.UTC(),
	}, nil
}
