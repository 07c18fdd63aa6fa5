package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

const dirCols = `id, org_id, provider, name, state, created_at, updated_at`

func scanDir(r interface{ Scan(...any) error }) (store.Directory, error) {
	var d store.Directory
	err := r.Scan(&d.ID, &d.OrgID, &d.Provider, &d.Name, &d.State, tc(&d.CreatedAt), tc(&d.UpdatedAt))
	return d, err
}

func scanDirRows(r *sql.Rows) (store.Directory, error) { return scanDir(r) }

// CreateDirectory stores d and its events.
func (s *Store) CreateDirectory(ctx context.Context, d *store.Directory, events ...Event) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if _, err := t.exec(`INSERT INTO directories (`+dirCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			d.ID, d.OrgID, d.Provider, d.Name, string(d.State), s.t(d.CreatedAt), s.t(d.UpdatedAt)); err != nil {
			return s.wrap(err)
		}
		_, err := t.appendEvents(events)
		return err
	})
}

// GetDirectory returns the directory with id.
func (s *Store) GetDirectory(ctx context.Context, id string) (*store.Directory, error) {
	if id == "" {
		return nil, invalid("directory id is required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	d, err := scanDir(r.queryRow(ctx, `SELECT `+dirCols+` FROM directories WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("directory")
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	return &d, nil
}

// ListDirectories returns the organization's directories.
func (s *Store) ListDirectories(ctx context.Context, orgID string) ([]store.Directory, error) {
	if orgID == "" {
		return nil, invalid("organization id is required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.query(ctx, `SELECT `+dirCols+` FROM directories WHERE org_id = ? ORDER BY created_at, id`, orgID)
	out, err := collectRows(rows, err, scanDirRows)
	if err != nil {
		return nil, s.wrap(err)
	}
	if out == nil {
		out = []store.Directory{}
	}
	return out, nil
}

// UpdateDirectory changes the directory id with fn.
func (s *Store) UpdateDirectory(ctx context.Context, id string, fn func(*store.Directory) ([]Event, error)) (*store.Directory, error) {
	if err := updateArgs("directory", id, fn); err != nil {
		return nil, err
	}
	var out store.Directory
	err := s.write(ctx, func(t *tx) error {
		cur, err := lockRow(t, "directory", `SELECT `+dirCols+` FROM directories WHERE id = ?`, id, scanDir)
		if err != nil {
			return err
		}
		d, events, err := edit(cur, fn, func(cur, d *store.Directory) bool {
			return d.ID == cur.ID && d.OrgID == cur.OrgID && d.CreatedAt.Equal(cur.CreatedAt)
		}, "directory: ID, OrgID and CreatedAt cannot change")
		if err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE directories SET provider = ?, name = ?, state = ?, updated_at = ? WHERE id = ?`,
			d.Provider, d.Name, string(d.State), s.t(d.UpdatedAt), id); err != nil {
			return s.wrap(err)
		}
		if _, err := t.appendEvents(events); err != nil {
			return err
		}
		out = d
		out.UpdatedAt = norm(d.UpdatedAt)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteDirectory removes the directory and everything in it.
func (s *Store) DeleteDirectory(ctx context.Context, id string, events ...Event) error {
	if id == "" {
		return invalid("directory id is required")
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		// The sessions of the directory's users end before the users go.
		if _, err := t.endSessionsWhere(`ended_at IS NULL AND org_id = (SELECT org_id FROM directories WHERE id = ?)
AND user_id IN (SELECT id FROM directory_users WHERE directory_id = ?)`, []any{id, id},
			store.CauseEnd(store.SessionEndedDirectoryDeleted, events, time.Time{})); err != nil {
			return err
		}
		n, err := t.execN(`DELETE FROM directories WHERE id = ?`, id)
		if err != nil || n == 0 {
			// Deleting what is absent changes nothing and tells nothing.
			return s.wrap(err)
		}
		_, err = t.appendEvents(events)
		return err
	})
}

const tokenCols = `id, directory_id, digest, hint, created_at, expires_at, revoked_at, last_used_at`

func scanToken(r interface{ Scan(...any) error }) (store.DirectoryToken, error) {
	var k store.DirectoryToken
	err := r.Scan(&k.ID, &k.DirectoryID, bc(&k.Digest), &k.Hint, tc(&k.CreatedAt), tc(&k.ExpiresAt), tc(&k.RevokedAt), tc(&k.LastUsedAt))
	return k, err
}

func scanTokenRows(r *sql.Rows) (store.DirectoryToken, error) { return scanToken(r) }

// CreateDirectoryToken stores k, refusing a third active token.
func (s *Store) CreateDirectoryToken(ctx context.Context, k *store.DirectoryToken, events ...Event) error {
	if err := k.Validate(); err != nil {
		return err
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		// Locking the directory row serializes token creation per
		// directory, so two concurrent creations cannot both see one
		// active token and make three.
		var id string
		err := t.queryRow(`SELECT id FROM directories WHERE id = ?`+s.d.ForUpdate, k.DirectoryID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("directory")
		}
		if err != nil {
			return s.wrap(err)
		}
		at := s.t(k.CreatedAt)
		var active int
		if err := t.queryRow(`SELECT COUNT(*) FROM directory_tokens WHERE directory_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`,
			k.DirectoryID, at).Scan(&active); err != nil {
			return s.wrap(err)
		}
		if active >= store.MaxActiveDirectoryTokens {
			return fmt.Errorf("%w: the directory already has %d active tokens", store.ErrConflict, active)
		}
		if _, err := t.exec(`INSERT INTO directory_tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.DirectoryID, k.Digest, k.Hint, at, s.nt(k.ExpiresAt), s.nt(k.RevokedAt), s.nt(k.LastUsedAt)); err != nil {
			return s.wrap(err)
		}
		_, err = t.appendEvents(events)
		return err
	})
}

const authTokenSQL = `SELECT t.id, t.directory_id, t.digest, t.hint, t.created_at, t.expires_at, t.revoked_at, t.last_used_at,
 d.id, d.org_id, d.provider, d.name, d.state, d.created_at, d.updated_at
FROM directory_tokens t JOIN directories d ON d.id = t.directory_id WHERE t.digest = ?`

// AuthenticateDirectoryToken returns the token whose digest is digest and
// its directory, with one join on the digest's unique index.
func (s *Store) AuthenticateDirectoryToken(ctx context.Context, digest []byte) (*store.DirectoryToken, *store.Directory, error) {
	if len(digest) == 0 {
		return nil, nil, invalid("digest is required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, nil, err
	}
	var k store.DirectoryToken
	var d store.Directory
	err = r.queryRow(ctx, authTokenSQL, digest).
		Scan(&k.ID, &k.DirectoryID, bc(&k.Digest), &k.Hint, tc(&k.CreatedAt), tc(&k.ExpiresAt), tc(&k.RevokedAt), tc(&k.LastUsedAt),
			&d.ID, &d.OrgID, &d.Provider, &d.Name, &d.State, tc(&d.CreatedAt), tc(&d.UpdatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, notFound("directory token")
	}
	if err != nil {
		return nil, nil, s.wrap(err)
	}
	return &k, &d, nil
}

// GetDirectoryTokenByDigest returns the token whose digest is digest.
func (s *Store) GetDirectoryTokenByDigest(ctx context.Context, digest []byte) (*store.DirectoryToken, error) {
	if len(digest) == 0 {
		return nil, invalid("digest is required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	k, err := scanToken(r.queryRow(ctx, `SELECT `+tokenCols+` FROM directory_tokens WHERE digest = ?`, digest))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("directory token")
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	return &k, nil
}

// ListDirectoryTokens returns the directory's tokens, newest first.
func (s *Store) ListDirectoryTokens(ctx context.Context, directoryID string) ([]store.DirectoryToken, error) {
	if directoryID == "" {
		return nil, invalid("directory id is required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.query(ctx, `SELECT `+tokenCols+` FROM directory_tokens WHERE directory_id = ? ORDER BY created_at DESC, id DESC`, directoryID)
	out, err := collectRows(rows, err, scanTokenRows)
	if err != nil {
		return nil, s.wrap(err)
	}
	if out == nil {
		out = []store.DirectoryToken{}
	}
	return out, nil
}

// RevokeDirectoryToken marks the token revoked, keeping an earlier time.
func (s *Store) RevokeDirectoryToken(ctx context.Context, id string, now time.Time, events ...Event) error {
	return s.revoke(ctx, "directory_tokens", "directory token", id, now, events)
}

// TouchDirectoryToken records that the token was used at now. Uses less
// than a minute after the last one recorded by this Store are not written.
func (s *Store) TouchDirectoryToken(ctx context.Context, id string, now time.Time) error {
	return s.touchUse(ctx, "directory_tokens", "directory token", "token:", id, now)
}
