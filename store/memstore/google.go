package memstore

import (
	"context"
	"sort"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

func cloneGoogle(g *store.GoogleDirectory) store.GoogleDirectory {
	c := *g
	c.Key = cloneBytes(g.Key)
	c.LastStats = cloneBytes(g.LastStats)
	c.Checkpoint = cloneBytes(g.Checkpoint)
	return c
}

// GetGoogleDirectory returns the Google configuration of the directory.
func (s *Store) GetGoogleDirectory(ctx context.Context, directoryID string) (*store.GoogleDirectory, error) {
	if err := check(ctx, requireIDs("directory id", directoryID)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[directoryID]
	if !ok || ds.google == nil {
		return nil, notFound("google directory %q", directoryID)
	}
	return s.openGoogle(ctx, ds.google)
}

// openGoogle returns a copy of the stored g with its key opened.
func (s *Store) openGoogle(ctx context.Context, g *store.GoogleDirectory) (*store.GoogleDirectory, error) {
	out := cloneGoogle(g)
	if err := s.sealer.Load().OpenGoogle(ctx, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateGoogleDirectory applies fn to a copy of the directory's Google
// configuration, or to an empty one, and stores the result with fn's events.
func (s *Store) UpdateGoogleDirectory(ctx context.Context, directoryID string, fn func(*store.GoogleDirectory) ([]store.Event, error)) (*store.GoogleDirectory, error) {
	if err := check(ctx, requireIDs("directory id", directoryID)); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, invalid("nil update function")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.dirs[directoryID]
	if !ok {
		return nil, notFound("directory %q", directoryID)
	}
	g := store.GoogleDirectory{DirectoryID: directoryID}
	if ds.google != nil {
		cur, err := s.openGoogle(ctx, ds.google)
		if err != nil {
			return nil, err
		}
		g = *cur
	}
	events, err := fn(&g)
	if err != nil {
		return nil, err
	}
	if g.DirectoryID != directoryID {
		return nil, invalid("google directory: DirectoryID cannot change")
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if err := checkEvents(events); err != nil {
		return nil, err
	}
	c := cloneGoogle(&g)
	for _, t := range []*time.Time{&c.SyncRequestedAt, &c.LastSyncAt, &c.LastSuccessAt, &c.UpdatedAt} {
		*t = utc(*t)
	}
	if err := s.sealer.Load().SealGoogle(ctx, &c, ds.google); err != nil {
		return nil, err
	}
	ds.google = &c
	s.appendLocked(events)
	return s.openGoogle(ctx, &c)
}

// ListGoogleDirectories returns every Google configuration ordered by
// DirectoryID.
func (s *Store) ListGoogleDirectories(ctx context.Context) ([]store.GoogleDirectory, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []store.GoogleDirectory{}
	for _, ds := range s.dirs {
		if ds.google != nil {
			g, err := s.openGoogle(ctx, ds.google)
			if err != nil {
				return nil, err
			}
			out = append(out, *g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DirectoryID < out[j].DirectoryID })
	return out, nil
}
