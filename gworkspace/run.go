package gworkspace

import (
	"context"
	"errors"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// Run syncs every active Google directory when it is due, until ctx is
// done, and returns ctx's error. The host starts it once per app instance,
// in its own goroutine:
//
//	go syncer.Run(ctx)
//
// Every PollInterval it lists the directories with a Google configuration
// and syncs, one after the other, those that are active, have a key and an
// admin email, and are due: never synced, SyncInterval past the last sync,
// asked for with SyncNow, or interrupted (a checkpoint left by an instance
// that stopped mid-sync). Instances share the work through the Store's
// leases: a directory another instance is syncing is skipped.
func (s *Syncer) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	s.beat.Start(s.now())
	defer s.beat.Stop()
	for {
		s.beat.Tick(s.now())
		s.RunDue(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Heartbeat reports whether Run runs and when it last made progress (a
// poll, or a page of a sync), for a readiness check (package health).
func (s *Syncer) Heartbeat() (running bool, last time.Time) { return s.beat.Heartbeat() }

// RunDue syncs the directories that are due now, as one poll of Run does.
// It returns how many syncs it ran (successful or not).
func (s *Syncer) RunDue(ctx context.Context) int {
	list, err := s.st.ListGoogleDirectories(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.WarnContext(ctx, "gworkspace: listing directories", "err", err)
		}
		return 0
	}
	n := 0
	for i := range list {
		g := &list[i]
		if ctx.Err() != nil {
			return n
		}
		if !s.due(g) {
			continue
		}
		d, err := s.st.GetDirectory(ctx, g.DirectoryID)
		if err != nil || d.State != store.DirectoryActive || d.Provider != Provider {
			continue
		}
		if _, err := s.SyncDirectory(ctx, g.DirectoryID); errors.Is(err, ErrBusy) {
			continue
		}
		n++
	}
	return n
}

func (s *Syncer) due(g *store.GoogleDirectory) bool {
	if len(g.Key) == 0 || g.AdminEmail == "" {
		return false
	}
	now := s.now()
	switch {
	case g.LastSyncAt.IsZero():
		return true
	case !g.SyncRequestedAt.IsZero():
		return true
	case len(g.Checkpoint) > 0 && g.LastError == "":
		return true // interrupted, not failed
	}
	return !now.Before(g.LastSyncAt.Add(s.interval(g)))
}
