package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// Features are stored normalised, joined with commas (feature names are
// fixed identifiers without commas).
func encodeFeatures(fs store.Features) string {
	n := fs.Normalize()
	parts := make([]string, len(n))
	for i, f := range n {
		parts[i] = string(f)
	}
	return strings.Join(parts, ",")
}

func decodeFeatures(s string) store.Features {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	fs := make(store.Features, len(parts))
	for i, p := range parts {
		fs[i] = store.Feature(p)
	}
	return fs
}

type featuresCol struct{ fs *store.Features }

func (c featuresCol) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case nil:
	default:
		return errors.New("sqlstore: cannot scan features")
	}
	*c.fs = decodeFeatures(s)
	return nil
}

const linkCols = `id, org_id, kind, features, digest, created_by, created_at, expires_at, used_at, revoked_at`

func scanLink(r interface{ Scan(...any) error }) (store.PortalLink, error) {
	var l store.PortalLink
	err := r.Scan(&l.ID, &l.OrgID, &l.Kind, featuresCol{&l.Features}, bc(&l.Digest), &l.CreatedBy,
		tc(&l.CreatedAt), tc(&l.ExpiresAt), tc(&l.UsedAt), tc(&l.RevokedAt))
	return l, err
}

func scanLinkRows(r *sql.Rows) (store.PortalLink, error) { return scanLink(r) }

// CreatePortalLink stores l and its events.
func (s *Store) CreatePortalLink(ctx context.Context, l *store.PortalLink, events ...Event) error {
	if err := l.Validate(); err != nil {
		return err
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if _, err := t.exec(`INSERT INTO portal_links (`+linkCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.ID, l.OrgID, string(l.Kind), encodeFeatures(l.Features), l.Digest, l.CreatedBy,
			s.t(l.CreatedAt), s.t(l.ExpiresAt), s.nt(l.UsedAt), s.nt(l.RevokedAt)); err != nil {
			return s.wrap(err)
		}
		_, err := t.appendEvents(events)
		return err
	})
}

func (s *Store) getLink(ctx context.Context, q string, arg any) (*store.PortalLink, error) {
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	l, err := scanLink(r.queryRow(ctx, q, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("portal link")
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	return &l, nil
}

// GetPortalLink returns the link with id.
func (s *Store) GetPortalLink(ctx context.Context, id string) (*store.PortalLink, error) {
	if id == "" {
		return nil, invalid("portal link id is required")
	}
	return s.getLink(ctx, `SELECT `+linkCols+` FROM portal_links WHERE id = ?`, id)
}

// GetPortalLinkByDigest returns the link whose digest is digest.
func (s *Store) GetPortalLinkByDigest(ctx context.Context, digest []byte) (*store.PortalLink, error) {
	if len(digest) == 0 {
		return nil, invalid("digest is required")
	}
	return s.getLink(ctx, `SELECT `+linkCols+` FROM portal_links WHERE digest = ?`, digest)
}

// ListPortalLinks returns the organization's links, newest first.
func (s *Store) ListPortalLinks(ctx context.Context, orgID string) ([]store.PortalLink, error) {
	if orgID == "" {
		return nil, invalid("organization id is required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.query(ctx, `SELECT `+linkCols+` FROM portal_links WHERE org_id = ? ORDER BY created_at DESC, id DESC`, orgID)
	out, err := collectRows(rows, err, scanLinkRows)
	if err != nil {
		return nil, s.wrap(err)
	}
	if out == nil {
		out = []store.PortalLink{}
	}
	return out, nil
}

// RevokePortalLink marks the link revoked, keeping an earlier revocation.
func (s *Store) RevokePortalLink(ctx context.Context, id string, now time.Time, events ...Event) error {
	if id == "" {
		return invalid("portal link id is required")
	}
	if now.IsZero() {
		return invalid("now is required")
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		n, err := t.execN(`UPDATE portal_links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, s.t(now), id)
		if err != nil {
			return s.wrap(err)
		}
		if n == 0 {
			// Absent, or already revoked: then the first revocation
			// stands and nothing new happened.
			return t.exists(`SELECT 1 FROM portal_links WHERE id = ?`, id, "portal link")
		}
		// The link's visitors are signed out with it.
		if _, err := t.exec(`DELETE FROM portal_sessions WHERE link_id = ?`, id); err != nil {
			return s.wrap(err)
		}
		_, err = t.appendEvents(events)
		return err
	})
}

// RedeemPortalLink consumes the link with digest and stores session sess.
func (s *Store) RedeemPortalLink(ctx context.Context, digest []byte, now time.Time, sess *store.PortalSession, events ...Event) (*store.PortalSession, error) {
	if len(digest) == 0 {
		return nil, invalid("digest is required")
	}
	if now.IsZero() {
		return nil, invalid("now is required")
	}
	if err := sess.Validate(); err != nil {
		return nil, err
	}
	if err := store.ValidateEvents(events); err != nil {
		return nil, err
	}
	out := *sess
	out.Digest = cloneBytes(sess.Digest)
	out.CreatedAt, out.ExpiresAt = norm(sess.CreatedAt), norm(sess.ExpiresAt)
	err := s.write(ctx, func(t *tx) error {
		// One guarded write decides the redemption: of concurrent callers
		// on one embedded link, only the first UPDATE matches; the others
		// wait for its row lock (PostgreSQL) or the write lock (SQLite)
		// and then find used_at set.
		var kind, features string
		err := t.queryRow(`UPDATE portal_links SET used_at = COALESCE(used_at, ?)
WHERE digest = ? AND revoked_at IS NULL AND expires_at > ? AND (kind = 'shareable' OR used_at IS NULL)
RETURNING id, org_id, kind, features`, s.t(now), digest, s.t(now)).Scan(&out.LinkID, &out.OrgID, &kind, &features)
		if errors.Is(err, sql.ErrNoRows) {
			return t.whyNotRedeemable(digest, now)
		}
		if err != nil {
			return s.wrap(err)
		}
		out.Features = decodeFeatures(features)
		if _, err := t.exec(`INSERT INTO portal_sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			out.ID, out.OrgID, out.LinkID, features, out.Embedded, out.Digest, out.CSRF, s.t(out.CreatedAt), s.t(out.ExpiresAt)); err != nil {
			return s.wrap(err)
		}
		_, err = t.appendEvents(events)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// whyNotRedeemable finds why the guarded UPDATE of RedeemPortalLink matched
// nothing.
func (t *tx) whyNotRedeemable(digest []byte, now time.Time) error {
	var kind string
	var expires, used, revoked time.Time
	err := t.queryRow(`SELECT kind, expires_at, used_at, revoked_at FROM portal_links WHERE digest = ?`, digest).
		Scan(&kind, tc(&expires), tc(&used), tc(&revoked))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return notFound("portal link")
	case err != nil:
		return t.s.wrap(err)
	case !revoked.IsZero():
		return store.ErrRevoked
	case !expires.After(now):
		return store.ErrExpired
	case kind != string(store.LinkShareable) && !used.IsZero():
		return store.ErrUsed
	}
	// Unreachable while the UPDATE's condition and the checks above agree.
	return t.s.wrap(errors.New("portal link not redeemable for an unknown reason"))
}

const sessionCols = `id, org_id, link_id, features, embedded, digest, csrf, created_at, expires_at`

// GetPortalSession returns the session whose digest is digest.
func (s *Store) GetPortalSession(ctx context.Context, digest []byte, now time.Time) (*store.PortalSession, error) {
	r, err := s.readByDigest(ctx, digest, now)
	if err != nil {
		return nil, err
	}
	var ps store.PortalSession
	err = r.queryRow(ctx, `SELECT `+sessionCols+` FROM portal_sessions WHERE digest = ?`, digest).
		Scan(&ps.ID, &ps.OrgID, &ps.LinkID, featuresCol{&ps.Features}, &ps.Embedded, bc(&ps.Digest), &ps.CSRF, tc(&ps.CreatedAt), tc(&ps.ExpiresAt))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("portal session")
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	if !ps.ExpiresAt.After(now) {
		return nil, store.ErrExpired
	}
	return &ps, nil
}

// DeletePortalSession removes the session with id, appending events only
// when it existed.
func (s *Store) DeletePortalSession(ctx context.Context, id string, events ...Event) error {
	if id == "" {
		return invalid("portal session id is required")
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	if len(events) == 0 {
		_, err := s.writeOne(ctx, `DELETE FROM portal_sessions WHERE id = ?`, id)
		return err
	}
	return s.write(ctx, func(t *tx) error {
		n, err := t.execN(`DELETE FROM portal_sessions WHERE id = ?`, id)
		if err != nil || n == 0 {
			return s.wrap(err)
		}
		_, err = t.appendEvents(events)
		return err
	})
}

// DeletePortalSessions removes every session of the organization and
// appends events.
func (s *Store) DeletePortalSessions(ctx context.Context, orgID string, events ...Event) (int, error) {
	if orgID == "" {
		return 0, invalid("organization id is required")
	}
	if err := store.ValidateEvents(events); err != nil {
		return 0, err
	}
	var n int64
	err := s.write(ctx, func(t *tx) error {
		var err error
		n, err = t.execN(`DELETE FROM portal_sessions WHERE org_id = ?`, orgID)
		if err != nil {
			return s.wrap(err)
		}
		_, err = t.appendEvents(events)
		return err
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}
