package portal

import "encoding/json"

// UI event types posted to the parent window when the portal runs in an
// iframe. See the package documentation for their payloads.
const (
	UIEventLoadSuccess       = "PORTAL_LOAD_SUCCESS"
	UIEventLoadFailure       = "PORTAL_LOAD_FAILURE"
	UIEventSessionWarning    = "PORTAL_SESSION_WARNING"
	UIEventSessionExpiry     = "PORTAL_SESSION_EXPIRY"
	UIEventSSOEnabled        = "ORGANIZATION_SSO_ENABLED"
	UIEventSSODisabled       = "ORGANIZATION_SSO_DISABLED"
	UIEventDirectoryEnabled  = "ORGANIZATION_DIRECTORY_ENABLED"
	UIEventDirectoryDisabled = "ORGANIZATION_DIRECTORY_DISABLED"
)

// UIEvent is a message a page asks the script to post to the parent window
// once it has loaded: a page that has just changed state (activated an SSO
// connection, say) adds UIEvent{Type: UIEventSSOEnabled, Data:
// {"connectionId": id}} to its view. The layout renders each as a hidden
// element with data-portal-event and data-portal-event-data attributes,
// which portal.js turns into {type, data} messages, adding
// data.organizationId from the session.
type UIEvent struct {
	Type string            // one of the UIEvent... constants
	Data map[string]string // the message's data, without organizationId
}

// dataJSON is the event's data as a JSON object, for the attribute.
func (e UIEvent) dataJSON() string {
	if len(e.Data) == 0 {
		return "{}"
	}
	b, err := json.Marshal(e.Data)
	if err != nil {
		return "{}"
	}
	return string(b)
}
