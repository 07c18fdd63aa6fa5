package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

const googleCols = `directory_id, customer, domain, admin_email, client_email, client_id, sealed_key, sync_interval_us,
 sync_requested_at, last_sync_at, last_success_at, last_error, last_stats, checkpoint, updated_at`

func scanGoogle(r interface{ Scan(...any) error }) (store.GoogleDirectory, error) {
	var g store.GoogleDirectory
	var us int64
	err := r.Scan(&g.DirectoryID, &g.Customer, &g.Domain, &g.AdminEmail, &g.ClientEmail, &g.ClientID, bc(&g.Key), &us,
		tc(&g.SyncRequestedAt), tc(&g.LastSyncAt), tc(&g.LastSuccessAt), &g.LastError, bc(&g.LastStats), bc(&g.Checkpoint), tc(&g.UpdatedAt))
	g.SyncInterval = time.Duration(us) * time.Microsecond
	return g, err
}

func scanGoogleRows(r *sql.Rows) (store.GoogleDirectory, error) { return scanGoogle(r) }

// GetGoogleDirectory returns the Google configuration of the directory.
func (s *Store) GetGoogleDirectory(ctx context.Context, directoryID string) (*store.GoogleDirectory, error) {
	if directoryID == "" {
		return nil, invalid("directory id is required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	g, err := scanGoogle(r.queryRow(ctx, `SELECT `+googleCols+` FROM google_directories WHERE directory_id = ?`, directoryID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("google directory")
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	if err := s.sealer.OpenGoogle(ctx, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// UpdateGoogleDirectory changes the directory's Google configuration with
// fn, creating it when absent.
func (s *Store) UpdateGoogleDirectory(ctx context.Context, directoryID string, fn func(*store.GoogleDirectory) ([]Event, error)) (*store.GoogleDirectory, error) {
	if directoryID == "" {
		return nil, invalid("directory id is required")
	}
	if fn == nil {
		return nil, invalid("update function is required")
	}
	var out store.GoogleDirectory
	err := s.write(ctx, func(t *tx) error {
		// Lock the directory row: it exists for every configuration, so
		// concurrent first updates serialize on it.
		var id string
		err := t.queryRow(`SELECT id FROM directories WHERE id = ?`+s.d.ForUpdate, directoryID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("directory")
		}
		if err != nil {
			return s.wrap(err)
		}
		cur, err := scanGoogle(t.queryRow(`SELECT `+googleCols+` FROM google_directories WHERE directory_id = ?`, directoryID))
		if errors.Is(err, sql.ErrNoRows) {
			cur, err = store.GoogleDirectory{DirectoryID: directoryID}, nil
		}
		if err != nil {
			return s.wrap(err)
		}
		raw := cur
		if err := s.sealer.OpenGoogle(ctx, &cur); err != nil {
			return err
		}
		g := cur
		events, err := fn(&g)
		if err != nil {
			return err
		}
		if g.DirectoryID != directoryID {
			return invalid("google directory: DirectoryID cannot change")
		}
		if err := g.Validate(); err != nil {
			return err
		}
		if err := store.ValidateEvents(events); err != nil {
			return err
		}
		sealed := g
		if err := s.sealer.SealGoogle(ctx, &sealed, &raw); err != nil {
			return err
		}
		if _, err := t.exec(`INSERT INTO google_directories (`+googleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (directory_id) DO UPDATE SET customer = excluded.customer, domain = excluded.domain, admin_email = excluded.admin_email,
 client_email = excluded.client_email, client_id = excluded.client_id, sealed_key = excluded.sealed_key,
 sync_interval_us = excluded.sync_interval_us, sync_requested_at = excluded.sync_requested_at, last_sync_at = excluded.last_sync_at,
 last_success_at = excluded.last_success_at, last_error = excluded.last_error, last_stats = excluded.last_stats,
 checkpoint = excluded.checkpoint, updated_at = excluded.updated_at`,
			g.DirectoryID, g.Customer, g.Domain, g.AdminEmail, g.ClientEmail, g.ClientID, nb(sealed.Key), int64(g.SyncInterval/time.Microsecond),
			s.nt(g.SyncRequestedAt), s.nt(g.LastSyncAt), s.nt(g.LastSuccessAt), g.LastError, nb(g.LastStats), nb(g.Checkpoint), s.t(g.UpdatedAt)); err != nil {
			return s.wrap(err)
		}
		if _, err := t.appendEvents(events); err != nil {
			return err
		}
		out = g
		out.SyncInterval = g.SyncInterval.Truncate(time.Microsecond)
		for _, p := range []*time.Time{&out.SyncRequestedAt, &out.LastSyncAt, &out.LastSuccessAt, &out.UpdatedAt} {
			*p = norm(*p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListGoogleDirectories returns every Google configuration.
func (s *Store) ListGoogleDirectories(ctx context.Context) ([]store.GoogleDirectory, error) {
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.query(ctx, `SELECT `+googleCols+` FROM google_directories ORDER BY directory_id`)
	out, err := collectRows(rows, err, scanGoogleRows)
	if err != nil {
		return nil, s.wrap(err)
	}
	for i := range out {
		if err := s.sealer.OpenGoogle(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	if out == nil {
		out = []store.GoogleDirectory{}
	}
	return out, nil
}
