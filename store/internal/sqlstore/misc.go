package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

const loginCols = `id, connection_id, org_id, protocol, binding, nonce, code_verifier, return_to, test, created_at, expires_at`

// CreateLoginRequest stores r.
func (s *Store) CreateLoginRequest(ctx context.Context, r *store.LoginRequest) error {
	if err := r.Validate(); err != nil {
		return err
	}
	_, err := s.writeOne(ctx, `INSERT INTO login_requests (`+loginCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.ConnectionID, r.OrgID, string(r.Protocol), nb(r.Binding), r.Nonce, r.CodeVerifier, r.ReturnTo, r.Test, s.t(r.CreatedAt), s.t(r.ExpiresAt))
	return err
}

// ConsumeLoginRequest removes and returns the request id: a single DELETE
// ... RETURNING, so that of concurrent callers exactly one gets the row.
//
// With a match the DELETE is guarded by the request's connection and
// binding, and a request it leaves is read back to tell ErrMismatch from
// ErrNotFound. With events it runs in a transaction that appends them only
// when the request was found unexpired; the expired request is deleted all
// the same.
func (s *Store) ConsumeLoginRequest(ctx context.Context, id string, match store.LoginRequestMatch, now time.Time, events ...Event) (*store.LoginRequest, error) {
	if id == "" {
		return nil, invalid("login request id is required")
	}
	if now.IsZero() {
		return nil, invalid("now is required")
	}
	if err := store.ValidateEvents(events); err != nil {
		return nil, err
	}
	q, args := `DELETE FROM login_requests WHERE id = ? RETURNING `+loginCols, []any{id}
	if match.ConnectionID != "" {
		q = `DELETE FROM login_requests WHERE id = ? AND connection_id = ? AND binding = ? RETURNING ` + loginCols
		args = append(args, match.ConnectionID, nb(match.Binding))
	}
	var r store.LoginRequest
	scan := func(rw *row) error {
		if err := s.scanLoginRequest(rw, &r); err != nil {
			return err
		}
		if !r.ExpiresAt.After(now) {
			return store.ErrExpired
		}
		return nil
	}
	if len(events) == 0 && match.ConnectionID == "" {
		if err := s.writeOneRow(ctx, scan, q, args...); err != nil {
			return nil, err
		}
		return &r, nil
	}
	expired := false
	err := s.write(ctx, func(t *tx) error {
		expired = false
		err := scan(t.queryRow(q, args...))
		switch {
		case errors.Is(err, store.ErrNotFound) && match.ConnectionID != "":
			return s.unmatchedLoginRequest(t, id, &r)
		case errors.Is(err, store.ErrExpired):
			// Commit the deletion, without the events.
			expired = true
			return nil
		case err != nil:
			return err
		}
		_, err = t.appendEvents(events)
		return err
	})
	switch {
	case errors.Is(err, store.ErrMismatch):
		return &r, err
	case err != nil:
		return nil, err
	case expired:
		return nil, store.ErrExpired
	}
	return &r, nil
}

// scanLoginRequest scans a row of loginCols into r; ErrNotFound when there
// is none.
func (s *Store) scanLoginRequest(rw *row, r *store.LoginRequest) error {
	err := rw.Scan(&r.ID, &r.ConnectionID, &r.OrgID, &r.Protocol, bc(&r.Binding), &r.Nonce, &r.CodeVerifier, &r.ReturnTo, &r.Test, tc(&r.CreatedAt), tc(&r.ExpiresAt))
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("login request")
	}
	if err != nil {
		return s.wrap(err)
	}
	return nil
}

// unmatchedLoginRequest tells why a guarded DELETE left the request id: it
// reads the request into r and returns ErrMismatch, or ErrNotFound when
// there is none.
func (s *Store) unmatchedLoginRequest(t *tx, id string, r *store.LoginRequest) error {
	if err := s.scanLoginRequest(t.queryRow(`SELECT `+loginCols+` FROM login_requests WHERE id = ?`, id), r); err != nil {
		return err
	}
	return fmt.Errorf("%w: login request %s is another connection's or browser's", store.ErrMismatch, id)
}

// insertAssertionSQL records an assertion id, or renews one whose expiry
// has passed; no row is affected for a replay.
const insertAssertionSQL = `INSERT INTO assertion_ids (connection_id, assertion_id, expires_at) VALUES (?, ?, ?)
ON CONFLICT (connection_id, assertion_id) DO UPDATE SET expires_at = excluded.expires_at WHERE assertion_ids.expires_at <= ?`

// ConsumeAssertionID records an assertion id unless it is recorded and
// unexpired. The upsert replaces only an expired row, so of concurrent
// callers exactly one inserts or replaces it.
//
// With events it runs in a transaction that appends them only when the id
// was recorded.
func (s *Store) ConsumeAssertionID(ctx context.Context, connectionID, assertionID string, expiresAt, now time.Time, events ...Event) error {
	if connectionID == "" || assertionID == "" {
		return invalid("connection id and assertion id are required")
	}
	if expiresAt.IsZero() || now.IsZero() {
		return invalid("expiry and now are required")
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	const q = insertAssertionSQL
	replay := fmt.Errorf("%w: assertion id already used", store.ErrAlreadyExists)
	if len(events) == 0 {
		n, err := s.writeOne(ctx, q, connectionID, assertionID, s.t(expiresAt), s.t(now))
		if err != nil {
			return err
		}
		if n == 0 {
			return replay
		}
		return nil
	}
	return s.write(ctx, func(t *tx) error {
		n, err := t.execN(q, connectionID, assertionID, s.t(expiresAt), s.t(now))
		if err != nil {
			return s.wrap(err)
		}
		if n == 0 {
			return replay
		}
		_, err = t.appendEvents(events)
		return err
	})
}

// CompleteLogin checks the connection's version, consumes the request and
// records the assertion id, then appends accept's events: one transaction.
func (s *Store) CompleteLogin(ctx context.Context, c store.LoginCompletion, accept func(*store.LoginFacts) ([]Event, error)) (*store.LoginRequest, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if accept == nil {
		return nil, invalid("accept function is required")
	}
	var req, mismatched *store.LoginRequest
	err := s.write(ctx, func(t *tx) error {
		req, mismatched = nil, nil
		checkVersion := func() error {
			var v int64
			err := t.queryRow(`SELECT version FROM connections WHERE id = ?`+s.d.ForShare, c.ConnectionID).Scan(&v)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return s.wrap(err)
			}
			if err != nil || v != c.ConnectionVersion {
				return fmt.Errorf("%w: connection %s is no longer at version %d", store.ErrConflict, c.ConnectionID, c.ConnectionVersion)
			}
			return nil
		}
		if c.ConnectionVersion != 0 && c.RequestID == "" {
			if err := checkVersion(); err != nil {
				return err
			}
		}
		if c.RequestID != "" {
			// With a version to check, the request is consumed only if the
			// connection is at it: one statement on the way to a login,
			// and a second to tell the failures apart. The connection row
			// is share-locked until commit, so an update waits for the
			// login rather than slip in before it completes.
			q, args := `DELETE FROM login_requests WHERE id = ? AND connection_id = ? AND binding = ?`, []any{c.RequestID, c.ConnectionID, nb(c.Binding)}
			if c.ConnectionVersion != 0 {
				q += ` AND EXISTS (SELECT 1 FROM connections WHERE id = ? AND version = ?` + s.d.ForShare + `)`
				args = append(args, c.ConnectionID, c.ConnectionVersion)
			}
			var r store.LoginRequest
			err := s.scanLoginRequest(t.queryRow(q+` RETURNING `+loginCols, args...), &r)
			if errors.Is(err, store.ErrNotFound) {
				if c.ConnectionVersion != 0 {
					if err := checkVersion(); err != nil {
						return err
					}
				}
				if err := s.unmatchedLoginRequest(t, c.RequestID, &r); errors.Is(err, store.ErrMismatch) {
					mismatched = &r
					return err
				} else if err != nil {
					return err
				}
			}
			if err != nil {
				return err
			}
			if !r.ExpiresAt.After(c.Now) {
				return store.ErrExpired
			}
			req = &r
		}
		if c.AssertionID != "" {
			n, err := t.execN(insertAssertionSQL, c.ConnectionID, c.AssertionID, s.t(c.AssertionExpiresAt), s.t(c.Now))
			if err != nil {
				return s.wrap(err)
			}
			if n == 0 {
				return fmt.Errorf("%w: assertion id already used", store.ErrAlreadyExists)
			}
		}
		facts := &store.LoginFacts{}
		if req != nil {
			cp := *req
			cp.Binding = slices.Clone(req.Binding)
			facts.Request = &cp
		}
		if c.EmailDomain != "" {
			d, err := scanDomain(t.queryRow(verifiedDomainSQL, c.EmailDomain))
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return s.wrap(err)
			}
			if err == nil {
				facts.Domain = &d
			}
		}
		if c.Email != "" && matchable(c.Email) {
			rows, err := t.query(usersByEmailSQL, usersByEmailArgs(c.OrgID, c.Email)...)
			if facts.DirectoryUsers, err = s.usersByEmail(rows, err); err != nil {
				return err
			}
			if facts.Deprovisioned, err = t.deprovisioned(c.OrgID, c.Email); err != nil {
				return err
			}
		}
		if c.OrgFacts && c.OrgID != "" {
			p, err := t.policyOf(c.OrgID)
			if err != nil {
				return err
			}
			facts.Policy = p
			rows, err := t.query(`SELECT org_id, source, value, role FROM role_mappings WHERE org_id = ? AND source = ? ORDER BY source, value, role`, c.OrgID, string(store.RoleFromIdPGroup))
			if facts.RoleMappings, err = collectRows(rows, err, scanRoleMapping); err != nil {
				return s.wrap(err)
			}
			if facts.AttributeMappings, err = t.attributeMappings(c.OrgID); err != nil {
				return err
			}
		}
		events, err := accept(facts)
		if err != nil {
			return err
		}
		if err := store.ValidateEvents(events); err != nil {
			return err
		}
		_, err = t.appendEvents(events)
		return err
	})
	if err != nil {
		return mismatched, err
	}
	return req, nil
}

// GetBranding returns the branding of scope.
func (s *Store) GetBranding(ctx context.Context, scope string) (*store.Branding, error) {
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	var b store.Branding
	var logoType, favType sql.NullString
	var logo, fav []byte
	err = r.queryRow(ctx, `SELECT scope, accent_color, logo_type, logo_data, favicon_type, favicon_data, updated_at FROM brandings WHERE scope = ?`, scope).
		Scan(&b.Scope, &b.AccentColor, &logoType, bc(&logo), &favType, bc(&fav), tc(&b.UpdatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("branding")
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	if logoType.Valid {
		b.Logo = &store.Asset{ContentType: logoType.String, Data: logo}
	}
	if favType.Valid {
		b.Favicon = &store.Asset{ContentType: favType.String, Data: fav}
	}
	return &b, nil
}

func assetCols(a *store.Asset) (any, any) {
	if a == nil {
		return nil, nil
	}
	return a.ContentType, a.Data
}

// PutBranding creates or replaces the branding of b.Scope.
func (s *Store) PutBranding(ctx context.Context, b *store.Branding, events ...Event) error {
	if err := b.Validate(); err != nil {
		return err
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if err := t.brandingScopeExists(b.Scope); err != nil {
			return err
		}
		if err := t.putBranding(b); err != nil {
			return err
		}
		_, err := t.appendEvents(events)
		return err
	})
}

func (t *tx) brandingScopeExists(scope string) error {
	if scope == "" {
		return nil
	}
	return t.exists(`SELECT 1 FROM organizations WHERE id = ?`, scope, "organization")
}

func (t *tx) putBranding(b *store.Branding) error {
	lt, ld := assetCols(b.Logo)
	ft, fd := assetCols(b.Favicon)
	if _, err := t.exec(`INSERT INTO brandings (scope, accent_color, logo_type, logo_data, favicon_type, favicon_data, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (scope) DO UPDATE SET accent_color = excluded.accent_color, logo_type = excluded.logo_type, logo_data = excluded.logo_data,
 favicon_type = excluded.favicon_type, favicon_data = excluded.favicon_data, updated_at = excluded.updated_at`,
		b.Scope, b.AccentColor, lt, ld, ft, fd, t.s.t(b.UpdatedAt)); err != nil {
		return t.s.wrap(err)
	}
	return nil
}

const brandingCols = `scope, accent_color, logo_type, logo_data, favicon_type, favicon_data, updated_at`

func scanBranding(r interface{ Scan(...any) error }) (*store.Branding, error) {
	var b store.Branding
	var logoType, favType sql.NullString
	var logo, fav []byte
	if err := r.Scan(&b.Scope, &b.AccentColor, &logoType, bc(&logo), &favType, bc(&fav), tc(&b.UpdatedAt)); err != nil {
		return nil, err
	}
	if logoType.Valid {
		b.Logo = &store.Asset{ContentType: logoType.String, Data: logo}
	}
	if favType.Valid {
		b.Favicon = &store.Asset{ContentType: favType.String, Data: fav}
	}
	return &b, nil
}

// UpdateBranding changes the branding of scope with fn, creating it when
// absent.
func (s *Store) UpdateBranding(ctx context.Context, scope string, fn func(*store.Branding) ([]Event, error)) (*store.Branding, error) {
	if fn == nil {
		return nil, invalid("update function is required")
	}
	var out *store.Branding
	err := s.write(ctx, func(t *tx) error {
		if err := t.brandingScopeExists(scope); err != nil {
			return err
		}
		if s.d.ForUpdate != "" {
			// An absent row cannot be locked: make sure it exists, empty,
			// so that concurrent first updates serialize on its lock
			// instead of both starting from nothing. A rollback removes
			// it again.
			if _, err := t.exec(`INSERT INTO brandings (scope, updated_at) VALUES (?, ?) ON CONFLICT (scope) DO NOTHING`, scope, s.t(time.Time{})); err != nil {
				return s.wrap(err)
			}
		}
		cur, err := scanBranding(t.queryRow(`SELECT `+brandingCols+` FROM brandings WHERE scope = ?`+s.d.ForUpdate, scope))
		if errors.Is(err, sql.ErrNoRows) {
			cur, err = &store.Branding{Scope: scope}, nil
		}
		if err != nil {
			return s.wrap(err)
		}
		b := *cur
		b.Logo, b.Favicon = cloneAsset(cur.Logo), cloneAsset(cur.Favicon)
		events, err := fn(&b)
		if err != nil {
			return err
		}
		if b.Scope != scope {
			return invalid("branding: scope cannot change")
		}
		if err := b.Validate(); err != nil {
			return err
		}
		if err := store.ValidateEvents(events); err != nil {
			return err
		}
		if err := t.putBranding(&b); err != nil {
			return err
		}
		if _, err := t.appendEvents(events); err != nil {
			return err
		}
		b.UpdatedAt = norm(b.UpdatedAt)
		b.Logo, b.Favicon = cloneAsset(b.Logo), cloneAsset(b.Favicon)
		out = &b
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func cloneAsset(a *store.Asset) *store.Asset {
	if a == nil {
		return nil
	}
	return &store.Asset{ContentType: a.ContentType, Data: cloneBytes(a.Data)}
}

// DeleteBranding removes the branding of scope, appending events only when
// it existed.
func (s *Store) DeleteBranding(ctx context.Context, scope string, events ...Event) error {
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	if len(events) == 0 {
		_, err := s.writeOne(ctx, `DELETE FROM brandings WHERE scope = ?`, scope)
		return err
	}
	return s.write(ctx, func(t *tx) error {
		n, err := t.execN(`DELETE FROM brandings WHERE scope = ?`, scope)
		if err != nil || n == 0 {
			return s.wrap(err)
		}
		_, err = t.appendEvents(events)
		return err
	})
}

const apiKeyCols = `id, name, digest, hint, created_at, last_used_at, revoked_at`

func scanAPIKey(r interface{ Scan(...any) error }) (store.APIKey, error) {
	var k store.APIKey
	err := r.Scan(&k.ID, &k.Name, bc(&k.Digest), &k.Hint, tc(&k.CreatedAt), tc(&k.LastUsedAt), tc(&k.RevokedAt))
	return k, err
}

// CreateAPIKey stores k.
func (s *Store) CreateAPIKey(ctx context.Context, k *store.APIKey, events ...Event) error {
	if err := k.Validate(); err != nil {
		return err
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if _, err := t.exec(`INSERT INTO api_keys (`+apiKeyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.Name, k.Digest, k.Hint, s.t(k.CreatedAt), s.nt(k.LastUsedAt), s.nt(k.RevokedAt)); err != nil {
			return s.wrap(err)
		}
		_, err := t.appendEvents(events)
		return err
	})
}

// GetAPIKeyByDigest returns the key whose digest is digest.
func (s *Store) GetAPIKeyByDigest(ctx context.Context, digest []byte) (*store.APIKey, error) {
	if len(digest) == 0 {
		return nil, invalid("digest is required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	k, err := scanAPIKey(r.queryRow(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE digest = ?`, digest))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("API key")
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	return &k, nil
}

// ListAPIKeys returns every key, newest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]store.APIKey, error) {
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.query(ctx, `SELECT `+apiKeyCols+` FROM api_keys ORDER BY created_at DESC, id DESC`)
	out, err := collectRows(rows, err, func(r *sql.Rows) (store.APIKey, error) { return scanAPIKey(r) })
	if err != nil {
		return nil, s.wrap(err)
	}
	if out == nil {
		out = []store.APIKey{}
	}
	return out, nil
}

// RevokeAPIKey marks the key revoked, keeping an earlier time.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, now time.Time, events ...Event) error {
	return s.revoke(ctx, "api_keys", "API key", id, now, events)
}

// TouchAPIKey records that the key was used at now. Uses less than a
// minute after the last one recorded by this Store are not written.
func (s *Store) TouchAPIKey(ctx context.Context, id string, now time.Time) error {
	return s.touchUse(ctx, "api_keys", "API key", "apikey:", id, now)
}

// revoke marks the row id of table (directory tokens or API keys, each a
// what) revoked at now and appends events, or, when it was revoked
// before, keeps that revocation and appends nothing.
func (s *Store) revoke(ctx context.Context, table, what, id string, now time.Time, events []Event) error {
	if err := idAt(what, id, now); err != nil {
		return err
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		n, err := t.execN(`UPDATE `+table+` SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, s.t(now), id)
		if err != nil {
			return s.wrap(err)
		}
		if n == 0 {
			// Absent, or already revoked: then the first revocation
			// stands and nothing new happened.
			return t.exists(`SELECT 1 FROM `+table+` WHERE id = ?`, id, what)
		}
		_, err = t.appendEvents(events)
		return err
	})
}

// touchUse records that the row id of table (a what) was used at now; key
// prefixes id in the Store's memory of recent uses (see touch).
func (s *Store) touchUse(ctx context.Context, table, what, key, id string, now time.Time) error {
	if err := idAt(what, id, now); err != nil {
		return err
	}
	return s.touch(ctx, key+id, `UPDATE `+table+` SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, id, now)
}

// idAt checks the id of what and the time of an operation on it.
func idAt(what, id string, now time.Time) error {
	if id == "" {
		return invalid("%s id is required", what)
	}
	if now.IsZero() {
		return invalid("now is required")
	}
	return nil
}

// AcquireLease takes or renews the lease name for holder.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	if err := store.ValidateLease(name, holder, now, until); err != nil {
		return false, err
	}
	n, err := s.writeOne(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
		name, holder, s.t(until), s.t(now))
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// ReleaseLease frees the lease if holder holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if name == "" || holder == "" {
		return invalid("lease name and holder are required")
	}
	_, err := s.writeOne(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
	return err
}

// CountAttempt adds one to the counter of key for the window [start, end)
// and returns the window's count, in one statement: a counter of an
// earlier window starts again at 1.
func (s *Store) CountAttempt(ctx context.Context, key string, start, end time.Time) (int64, error) {
	if err := store.ValidateAttempt(key, start, end); err != nil {
		return 0, err
	}
	var n int64
	err := s.writeOneRow(ctx, func(r *row) error { return r.Scan(&n) }, `INSERT INTO attempt_counters (key, window_start, window_end, count) VALUES (?, ?, ?, 1)
ON CONFLICT (key) DO UPDATE SET
	count = CASE WHEN excluded.window_start > attempt_counters.window_start THEN 1 ELSE attempt_counters.count + 1 END,
	window_end = CASE WHEN excluded.window_start > attempt_counters.window_start THEN excluded.window_end ELSE attempt_counters.window_end END,
	window_start = CASE WHEN excluded.window_start > attempt_counters.window_start THEN excluded.window_start ELSE attempt_counters.window_start END
RETURNING count`, key, s.t(start), s.t(end))
	return n, err
}

// shareableRetention is how long an expired shareable link is kept, so that
// the portal can tell its holder it expired rather than that it never
// existed.
const shareableRetention = 30 * 24 * time.Hour

// DeleteExpired removes expired flow state, sessions and links, in
// single-statement writes of at most store.CleanupBatch rows each, so that
// other writers (one at a time on SQLite) wait for one batch at most.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	if now.IsZero() {
		return 0, invalid("now is required")
	}
	at := s.t(now)
	var total int64
	for _, q := range []struct {
		table, key, where string
		arg               any
	}{
		{"login_requests", "id", "expires_at <= ?", at},
		{"assertion_ids", "connection_id, assertion_id", "expires_at <= ?", at},
		{"portal_sessions", "id", "expires_at <= ?", at},
		{"user_sessions", "id", "expires_at <= ?", at},
		{"user_sessions", "id", "idle_expires_at <= ?", at},
		{"portal_links", "id", "kind = 'embedded' AND expires_at <= ?", at},
		{"attempt_counters", "key", "window_end <= ?", at},
		{"portal_links", "id", "kind = 'shareable' AND expires_at <= ?", s.t(now.Add(-shareableRetention))},
	} {
		stmt := `DELETE FROM ` + q.table + ` WHERE (` + q.key + `) IN (SELECT ` + q.key + ` FROM ` + q.table +
			` WHERE ` + q.where + ` LIMIT ` + strconv.Itoa(store.CleanupBatch) + `)`
		for {
			if err := ctx.Err(); err != nil {
				return int(total), err
			}
			n, err := s.writeOne(ctx, stmt, q.arg)
			if err != nil {
				return int(total), err
			}
			total += n
			if n < store.CleanupBatch {
				break
			}
		}
	}
	return int(total), nil
}

// DeleteEvents removes the events created before before that every
// consumer has processed, oldest first, keeping the newest event. Each
// batch is one short write: it reads the cursors and creation times of at
// most store.CleanupBatch events from the oldest on, and deletes the
// prefix of them that may go with one range delete on the primary key.
func (s *Store) DeleteEvents(ctx context.Context, before time.Time) (int, error) {
	if before.IsZero() {
		return 0, invalid("before is required")
	}
	before = before.UTC().Truncate(time.Microsecond)
	// Events still without a cursor are numbered first, so that the
	// newest event, which stays, is the newest of all.
	if err := s.numberLeftovers(ctx, s.w); err != nil {
		return 0, err
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var n int
		err := s.write(ctx, func(t *tx) error {
			n = 0
			var last, lowest sql.NullInt64
			if err := t.queryRow(`SELECT MAX(cursor) FROM events`).Scan(&last); err != nil {
				return s.wrap(err)
			}
			if err := t.queryRow(`SELECT MIN(cursor) FROM consumer_cursors`).Scan(&lowest); err != nil {
				return s.wrap(err)
			}
			// Events with a cursor below stop may go: the newest stays,
			// and so does every event some consumer has not processed.
			stop := last.Int64
			if lowest.Valid && lowest.Int64+1 < stop {
				stop = lowest.Int64 + 1
			}
			rows, err := t.query(`SELECT cursor, created_at FROM events WHERE cursor < ? ORDER BY cursor LIMIT `+strconv.Itoa(store.CleanupBatch), stop)
			type head struct {
				cursor  int64
				created time.Time
			}
			heads, err := collectRows(rows, err, func(r *sql.Rows) (head, error) {
				var h head
				err := r.Scan(&h.cursor, tc(&h.created))
				return h, err
			})
			if err != nil {
				return s.wrap(err)
			}
			var upTo int64
			for _, h := range heads {
				if !h.created.Before(before) {
					break
				}
				upTo = h.cursor
				n++
			}
			if n == 0 {
				return nil
			}
			_, err = t.exec(`DELETE FROM events WHERE cursor <= ?`, upTo)
			return s.wrap(err)
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < store.CleanupBatch {
			return total, nil
		}
	}
}
