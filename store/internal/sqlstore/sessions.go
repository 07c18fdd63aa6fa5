package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

const userSessionCols = `id, digest, org_id, connection_id, user_id, subject, email_domain, name_id, session_index, sid, profile, created_at, last_seen_at, idle_expires_at, expires_at, ended_at, end_reason, id_token`

func scanUserSession(sc interface{ Scan(...any) error }) (store.Session, error) {
	var us store.Session
	err := sc.Scan(&us.ID, bc(&us.Digest), &us.OrgID, &us.ConnectionID, &us.UserID, &us.Subject, &us.EmailDomain,
		&us.NameID, &us.SessionIndex, &us.SID, bc((*[]byte)(&us.Profile)),
		tc(&us.CreatedAt), tc(&us.LastSeenAt), tc(&us.IdleExpiresAt), tc(&us.ExpiresAt), tc(&us.EndedAt), &us.EndReason, &us.IDToken)
	return us, err
}

// CreateSession stores the end-user session us with its events.
func (s *Store) CreateSession(ctx context.Context, us *store.Session, events ...Event) error {
	if err := us.Validate(); err != nil {
		return err
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	idle := us.IdleExpiresAt
	if idle.After(us.ExpiresAt) {
		idle = us.ExpiresAt
	}
	var profile []byte
	if len(us.Profile) > 0 {
		profile = us.Profile
	}
	sealed := *us
	if err := s.sealer.SealSession(ctx, &sealed); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if _, err := t.exec(`INSERT INTO user_sessions (`+userSessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			us.ID, us.Digest, us.OrgID, us.ConnectionID, us.UserID, us.Subject, us.EmailDomain, us.NameID, us.SessionIndex, us.SID,
			nb(profile), s.t(us.CreatedAt), s.nt(us.LastSeenAt), s.t(idle), s.t(us.ExpiresAt), nil, "", sealed.IDToken); err != nil {
			return s.wrap(err)
		}
		// The connection, the user and the domain are read after the insert (whose foreign
		// key reports an unknown organization first), with a share lock:
		// a deactivation (FOR UPDATE) either waits for this write, and
		// then ends the new session, or runs first, and this check sees
		// it.
		var state string
		err := t.queryRow(`SELECT state FROM connections WHERE id = ? AND org_id = ?`+s.d.ForShare, us.ConnectionID, us.OrgID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) || err == nil && state != string(store.ConnectionActive) {
			return fmt.Errorf("%w: connection %q is not an active connection of the organization", store.ErrConflict, us.ConnectionID)
		}
		if err != nil {
			return s.wrap(err)
		}
		if us.UserID != "" {
			var active bool
			err := t.queryRow(`SELECT active FROM directory_users WHERE id = ? AND org_id = ?`+s.d.ForShare, us.UserID, us.OrgID).Scan(&active)
			if errors.Is(err, sql.ErrNoRows) || err == nil && !active {
				return fmt.Errorf("%w: directory user %q is not an active user of the organization", store.ErrConflict, us.UserID)
			}
			if err != nil {
				return s.wrap(err)
			}
		}
		if us.EmailDomain != "" {
			var one int
			err := t.queryRow(`SELECT 1 FROM domains WHERE org_id = ? AND name = ? AND state = 'verified'`+s.d.ForShare, us.OrgID, us.EmailDomain).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: domain %q is not verified for the organization", store.ErrConflict, us.EmailDomain)
			}
			if err != nil {
				return s.wrap(err)
			}
		}
		_, err = t.appendEvents(events)
		return err
	})
}

// readByDigest checks the arguments of a lookup by a secret's digest at
// now and returns the pool to read from.
func (s *Store) readByDigest(ctx context.Context, digest []byte, now time.Time) (*stmtCache, error) {
	if len(digest) == 0 {
		return nil, invalid("digest is required")
	}
	if now.IsZero() {
		return nil, invalid("now is required")
	}
	return s.read(ctx)
}

// GetSession returns the end-user session with this digest.
func (s *Store) GetSession(ctx context.Context, digest []byte, now time.Time) (*store.Session, error) {
	r, err := s.readByDigest(ctx, digest, now)
	if err != nil {
		return nil, err
	}
	// One statement: the session and the current roles of its user.
	var roles []byte
	row := r.queryRow(ctx, `SELECT `+userSessionCols+`, (SELECT u.roles FROM directory_users u WHERE u.id = user_sessions.user_id AND u.org_id = user_sessions.org_id)
FROM user_sessions WHERE digest = ?`, digest)
	us, err := scanUserSession(scanWith{row, []any{bc(&roles)}})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("session")
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	if us.UserRoles, err = decodeRoles(us.UserID, roles); err != nil {
		return nil, err
	}
	if err := s.sealer.OpenSession(ctx, &us); err != nil {
		return nil, err
	}
	switch {
	case !us.EndedAt.IsZero():
		return &us, store.ErrRevoked
	case !us.Active(now):
		return &us, store.ErrExpired
	}
	return &us, nil
}

// TouchSession records a use of the session and moves its idle expiry.
func (s *Store) TouchSession(ctx context.Context, id string, now, idleExpiresAt time.Time) error {
	if id == "" {
		return invalid("session id is required")
	}
	if now.IsZero() || idleExpiresAt.IsZero() {
		return invalid("now and idle expiry are required")
	}
	at, idle := s.t(now), s.t(idleExpiresAt)
	_, err := s.writeOne(ctx, `UPDATE user_sessions SET
last_seen_at = CASE WHEN last_seen_at IS NULL OR last_seen_at < ? THEN ? ELSE last_seen_at END,
idle_expires_at = CASE WHEN ? > expires_at THEN expires_at WHEN ? > idle_expires_at THEN ? ELSE idle_expires_at END
WHERE id = ? AND ended_at IS NULL AND idle_expires_at > ? AND expires_at > ?`,
		at, at, idle, idle, idle, id, at, at)
	return err
}

// EndSessions ends the active sessions sel selects.
func (s *Store) EndSessions(ctx context.Context, sel store.SessionSelector, end store.SessionEnd) (int, error) {
	if err := sel.Validate(); err != nil {
		return 0, err
	}
	if err := end.Validate(); err != nil {
		return 0, err
	}
	var n int
	err := s.write(ctx, func(t *tx) error {
		var err error
		n, err = t.endSessions(sel, end)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// selectorWhere returns the condition and arguments selecting the active
// sessions of sel.
func selectorWhere(sel store.SessionSelector) (string, []any) {
	conds := []string{"ended_at IS NULL"}
	var args []any
	add := func(col string, v any) {
		conds = append(conds, col+" = ?")
		args = append(args, v)
	}
	for _, c := range []struct{ col, v string }{
		{"id", sel.ID}, {"org_id", sel.OrgID}, {"connection_id", sel.ConnectionID}, {"user_id", sel.UserID},
		{"subject", sel.Subject}, {"name_id", sel.NameID}, {"session_index", sel.SessionIndex}, {"sid", sel.SID},
	} {
		if c.v != "" {
			add(c.col, c.v)
		}
	}
	if len(sel.SessionDigest) > 0 {
		add("digest", sel.SessionDigest)
	}
	return strings.Join(conds, " AND "), args
}

// endSessions ends the active sessions sel selects inside the write t and
// appends one event per session, in id order. The caller validated sel
// and end.
func (t *tx) endSessions(sel store.SessionSelector, end store.SessionEnd) (int, error) {
	where, args := selectorWhere(sel)
	return t.endSessionsWhere(where, args, end)
}

// endSessionsWhere ends the sessions matched by where (which must include
// "ended_at IS NULL") with args, appending their events in id order.
func (t *tx) endSessionsWhere(where string, args []any, end store.SessionEnd) (int, error) {
	end.At = norm(end.At)
	rows, err := t.query(`UPDATE user_sessions SET ended_at = ?, end_reason = ? WHERE `+where+
		` RETURNING id, org_id, connection_id, user_id`, append([]any{t.s.t(end.At), end.Reason}, args...)...)
	ended, err := collectRows(rows, err, func(r *sql.Rows) (store.Session, error) {
		var us store.Session
		err := r.Scan(&us.ID, &us.OrgID, &us.ConnectionID, &us.UserID)
		return us, err
	})
	if err != nil {
		return 0, t.s.wrap(err)
	}
	if len(ended) == 0 {
		return 0, nil
	}
	slices.SortFunc(ended, func(a, b store.Session) int { return strings.Compare(a.ID, b.ID) })
	events := make([]Event, len(ended))
	for i := range ended {
		events[i] = store.SessionEndedEvent(&ended[i], end)
	}
	if _, err := t.appendEvents(events); err != nil {
		return 0, err
	}
	return len(ended), nil
}

// ListSessions returns the sessions sel selects that have not ended.
func (s *Store) ListSessions(ctx context.Context, sel store.SessionSelector) ([]store.Session, error) {
	if err := sel.Validate(); err != nil {
		return nil, err
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	where, args := selectorWhere(sel)
	rows, err := r.query(ctx, `SELECT `+userSessionCols+` FROM user_sessions WHERE `+where+` ORDER BY created_at, id`, args...)
	out, err := collectRows(rows, err, func(r *sql.Rows) (store.Session, error) { return scanUserSession(r) })
	if err != nil {
		return nil, s.wrap(err)
	}
	for i := range out {
		if err := s.sealer.OpenSession(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scanWith scans a row into the destinations of a scan function followed
// by extra ones, for a statement that selects more columns than it reads.
type scanWith struct {
	r     interface{ Scan(...any) error }
	extra []any
}

func (w scanWith) Scan(dest ...any) error { return w.r.Scan(append(dest, w.extra...)...) }
