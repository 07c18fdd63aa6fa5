package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Session is an end-user session of the host application, started by a
// verified SSO login. The browser's cookie carries only a 256-bit random
// session id; the Store keeps its SHA-256 digest, so that a database dump
// reveals no usable session.
//
// A session is active until it expires (idle or absolute) or ends. Ending
// a session (a logout, or the revocation of the access it stands for) sets
// EndedAt and EndReason and appends a "session.ended" event; the row stays
// until DeleteExpired removes it after its absolute expiry.
type Session struct {
	ID           string // row id ("ses_..."); not a secret
	Digest       []byte // SHA-256 of the session id the cookie carries; 32 bytes
	OrgID        string
	ConnectionID string
	// UserID is the directory user the login matched, "" when the user is
	// not provisioned by a directory.
	UserID string
	// UserRoles are the roles the Store computed for the directory user
	// UserID (DirectoryUser.Roles) when GetSession read the session, so
	// that a live session follows the user's role changes; nil when
	// UserID is empty or the user has no role. Not stored with the
	// session.
	UserRoles []string
	// Subject is the IdP's identifier of the person: the SAML NameID or the
	// OIDC sub. With ConnectionID it names the person across logins.
	Subject string
	// EmailDomain is the lower-case domain of the profile's email, used to
	// end the organization's sessions of that domain when it stops being
	// verified. "" when the profile has no email.
	EmailDomain  string
	NameID       string // SAML NameID, for Single Logout
	SessionIndex string // SAML SessionIndex, for Single Logout
	SID          string // OIDC sid claim, for back-channel logout
	// IDToken is the raw OIDC ID token of the login, sent back to the
	// provider as id_token_hint at logout. The Store seals it at rest under
	// the host's keyring (see store/seal) and returns it opened.
	IDToken string
	// Profile is the verified profile as JSON, opaque to the Store.
	Profile       json.RawMessage
	CreatedAt     time.Time
	LastSeenAt    time.Time
	IdleExpiresAt time.Time // moved forward by TouchSession, never past ExpiresAt
	ExpiresAt     time.Time // absolute expiry
	EndedAt       time.Time // zero while the session has not ended
	EndReason     string    // one of the SessionEnded... reasons, or the caller's
}

// Active reports whether the session has not ended and is not expired at
// now.
func (s *Session) Active(now time.Time) bool {
	return s.EndedAt.IsZero() && s.IdleExpiresAt.After(now) && s.ExpiresAt.After(now)
}

// SessionEventEnded is the type of the event appended for each session that
// ends. Its Subject is the session's ID and its Data holds "reason",
// "connection_id" and "user_id".
const SessionEventEnded = "session.ended"

// Reasons a session ends, as recorded in EndReason and the event's data.
// Callers of EndSessions may use others.
const (
	SessionEndedLogout                = "logout"                 // the user signed out
	SessionEndedUserDeactivated       = "user_deactivated"       // the directory set active=false
	SessionEndedUserDeleted           = "user_deleted"           // the directory deleted the user
	SessionEndedDirectoryDeleted      = "directory_deleted"      // the user's directory was deleted
	SessionEndedConnectionDeactivated = "connection_deactivated" // the connection left the active state
	SessionEndedConnectionDeleted     = "connection_deleted"
	SessionEndedOrganizationDeleted   = "organization_deleted"
	SessionEndedDomainUnverified      = "domain_unverified" // the email's domain stopped being verified
	SessionEndedRevoked               = "revoked"           // an operator or IT admin ended it
	SessionEndedIdPLogout             = "idp_logout"        // SAML SLO or OIDC back-channel logout
)

// SessionSelector selects the active sessions EndSessions ends: those that
// match every non-empty field. It must name a scope: at least one of ID,
// SessionDigest, OrgID or ConnectionID. Subject, NameID, SessionIndex and
// SID are identifiers of one IdP and require ConnectionID; UserID requires
// OrgID. Each such selection is served by an index.
type SessionSelector struct {
	ID            string
	SessionDigest []byte
	OrgID         string
	ConnectionID  string
	UserID        string
	Subject       string
	NameID        string
	SessionIndex  string
	SID           string
}

// SessionEnd says why and by whom sessions end.
type SessionEnd struct {
	Reason string    // required, e.g. SessionEndedLogout
	Actor  string    // as Event.Actor; "system" when empty
	At     time.Time // required: EndedAt and the events' time
}

// Validate checks a selector before EndSessions.
func (q *SessionSelector) Validate() error {
	if q.ID == "" && len(q.SessionDigest) == 0 && q.OrgID == "" && q.ConnectionID == "" {
		return invalid("session selector: one of id, digest, organization or connection is required")
	}
	if q.ConnectionID == "" && (q.Subject != "" || q.NameID != "" || q.SessionIndex != "" || q.SID != "") {
		return invalid("session selector: subject, NameID, SessionIndex and sid require a connection")
	}
	if q.OrgID == "" && q.UserID != "" {
		return invalid("session selector: user requires an organization")
	}
	if len(q.SessionDigest) != 0 && len(q.SessionDigest) != 32 {
		return invalid("session selector: digest must be 32 bytes")
	}
	return nil
}

// Match reports whether s is selected by q, ignoring whether s is active.
func (q *SessionSelector) Match(s *Session) bool {
	eq := func(want, got string) bool { return want == "" || want == got }
	return eq(q.ID, s.ID) && (len(q.SessionDigest) == 0 || string(q.SessionDigest) == string(s.Digest)) &&
		eq(q.OrgID, s.OrgID) && eq(q.ConnectionID, s.ConnectionID) && eq(q.UserID, s.UserID) &&
		eq(q.Subject, s.Subject) && eq(q.NameID, s.NameID) && eq(q.SessionIndex, s.SessionIndex) && eq(q.SID, s.SID)
}

// Validate checks an end before EndSessions.
func (e *SessionEnd) Validate() error {
	if err := required("session end", "reason", e.Reason); err != nil {
		return err
	}
	if err := lines("session end", "reason", e.Reason, "actor", e.Actor); err != nil {
		return err
	}
	if e.At.IsZero() {
		return invalid("session end: time is required")
	}
	return nil
}

// Validate checks a session before CreateSession stores it. ID, OrgID,
// ConnectionID, a 32-byte Digest, CreatedAt, IdleExpiresAt and ExpiresAt
// are required; EndedAt must be zero.
func (s *Session) Validate() error {
	if s == nil {
		return invalid("nil session")
	}
	if err := required("session", "id", s.ID, "organization", s.OrgID, "connection", s.ConnectionID); err != nil {
		return err
	}
	if err := lines("session", "id", s.ID, "organization", s.OrgID, "connection", s.ConnectionID, "user", s.UserID,
		"subject", s.Subject, "email domain", s.EmailDomain, "NameID", s.NameID, "SessionIndex", s.SessionIndex, "sid", s.SID, "id token", s.IDToken); err != nil {
		return err
	}
	if len(s.Digest) != 32 {
		return invalid("session: digest must be 32 bytes")
	}
	if s.CreatedAt.IsZero() || s.IdleExpiresAt.IsZero() || s.ExpiresAt.IsZero() {
		return invalid("session: creation, idle and absolute expiry times are required")
	}
	if !s.EndedAt.IsZero() || s.EndReason != "" {
		return invalid("session: a new session has not ended")
	}
	if len(s.Profile) > 0 && !json.Valid(s.Profile) {
		return invalid("session: profile is not valid JSON")
	}
	return ValidateJSONText("session profile", s.Profile)
}

// SessionEndedEvent returns the event a Store appends when s ends: type
// SessionEventEnded, a fresh random id, s's organization, s.ID as subject.
func SessionEndedEvent(s *Session, end SessionEnd) Event {
	var b [16]byte
	_, _ = rand.Read(b[:])
	actor := end.Actor
	if actor == "" {
		actor = "system"
	}
	data, _ := json.Marshal(struct {
		Reason       string `json:"reason"`
		ConnectionID string `json:"connection_id"`
		UserID       string `json:"user_id,omitempty"`
	}{end.Reason, s.ConnectionID, s.UserID})
	return Event{
		ID:        "evt_" + hex.EncodeToString(b[:]),
		Type:      SessionEventEnded,
		OrgID:     s.OrgID,
		Subject:   s.ID,
		Actor:     actor,
		Data:      data,
		CreatedAt: UTC(end.At),
	}
}

// CauseEnd is the SessionEnd of sessions a Store ends because of a change
// written with events (a deactivated user, a deleted connection...): the
// actor and time of the change's first event, else "system" and now (the
// current time when now is zero).
func CauseEnd(reason string, events []Event, now time.Time) SessionEnd {
	if now.IsZero() {
		now = time.Now()
	}
	end := SessionEnd{Reason: reason, Actor: "system", At: UTC(now)}
	if len(events) > 0 {
		if events[0].Actor != "" {
			end.Actor = events[0].Actor
		}
		if !events[0].CreatedAt.IsZero() {
			end.At = events[0].CreatedAt
		}
	}
	return end
}

// SessionStore keeps end-user sessions.
type SessionStore interface {
	// CreateSession stores s. See Session.Validate for what is required.
	// ErrNotFound when the organization does not exist; ErrAlreadyExists
	// when the id or digest is taken. ErrConflict when the access the
	// session stands for was taken away since the login was accepted: a
	// ConnectionID that is not an active connection of the organization, a
	// non-empty UserID that is not an active directory user of the
	// organization, or a non-empty EmailDomain that is not a verified
	// domain of the organization. The check and the insert are one write,
	// ordered with the writes that end sessions: a deactivation racing a
	// login either refuses the session or ends it. events are appended in
	// the same write.
	CreateSession(ctx context.Context, s *Session, events ...Event) error

	// GetSession returns the session whose Digest equals digest: the lookup
	// of a request that carries a session cookie; it is indexed.
	// ErrNotFound when absent; ErrRevoked when it has ended; ErrExpired when
	// its idle or absolute expiry is at or before now. With ErrRevoked and
	// ErrExpired the session is returned too. UserRoles holds the current
	// roles of the session's directory user, read in the same statement.
	GetSession(ctx context.Context, digest []byte, now time.Time) (*Session, error)

	// TouchSession records that the session id was used at now and moves
	// its idle expiry to idleExpiresAt, capped at its absolute expiry; an
	// earlier idleExpiresAt than the stored one is ignored. An ended,
	// expired or absent session is left as it is: ErrNotFound is not
	// reported. Callers may coalesce touches.
	TouchSession(ctx context.Context, id string, now, idleExpiresAt time.Time) error

	// EndSessions ends every active session sel selects (see
	// SessionSelector): it sets EndedAt and EndReason and appends one
	// SessionEndedEvent per session, in one write, and returns how many it
	// ended. Sessions that already ended keep their first end. Selecting
	// nothing is not an error.
	EndSessions(ctx context.Context, sel SessionSelector, end SessionEnd) (int, error)

	// ListSessions returns the sessions sel selects that have not ended
	// (expired ones included), ordered by (CreatedAt, ID).
	ListSessions(ctx context.Context, sel SessionSelector) ([]Session, error)
}
