package events

import (
	"encoding/json"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// Envelope is the stable JSON shape of an event, as the pull API returns it
// and as a webhook body carries it:
//
//	{
//	  "id": "evt_4f1c...",
//	  "type": "directory.user.created",
//	  "cursor": 42,
//	  "org_id": "org_...",
//	  "subject": "usr_...",
//	  "actor": "scim:dir_...",
//	  "data": { ... },
//	  "created_at": "2026-01-02T15:04:05.123456Z"
//	}
//
// "data" is the event's JSON payload as the kit that wrote it defined it, or
// null when it has none. "created_at" is RFC 3339 in UTC. Fields are never
// removed or renamed; new fields may be added, so receivers should ignore
// fields they do not know.
type Envelope struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Cursor    int64           `json:"cursor"`
	OrgID     string          `json:"org_id"`
	Subject   string          `json:"subject"`
	Actor     string          `json:"actor"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
}

// NewEnvelope converts a stored event into its JSON shape.
func NewEnvelope(e store.Event) Envelope {
	data := e.Data
	if len(data) == 0 || !json.Valid(data) {
		// A Store never holds invalid JSON from the kits; an event appended
		// by a host with a malformed payload is delivered with null data
		// rather than breaking the whole response.
		data = json.RawMessage("null")
	}
	return Envelope{
		ID:        e.ID,
		Type:      e.Type,
		Cursor:    e.Cursor,
		OrgID:     e.OrgID,
		Subject:   e.Subject,
		Actor:     e.Actor,
		Data:      data,
		CreatedAt: e.CreatedAt.UTC(),
	}
}

// Event converts the envelope back into a store.Event, for receivers that
// want the same type the in-process subscriber hands out.
func (v Envelope) Event() store.Event {
	var data json.RawMessage
	if len(v.Data) > 0 && string(v.Data) != "null" {
		data = append(json.RawMessage(nil), v.Data...)
	}
	return store.Event{
		Cursor:    v.Cursor,
		ID:        v.ID,
		Type:      v.Type,
		OrgID:     v.OrgID,
		Subject:   v.Subject,
		Actor:     v.Actor,
		Data:      data,
		CreatedAt: v.CreatedAt.UTC(),
	}
}

// MarshalEvent returns the JSON encoding of e's Envelope: the exact body a
// webhook carries.
func MarshalEvent(e store.Event) ([]byte, error) {
	return json.Marshal(NewEnvelope(e))
}
