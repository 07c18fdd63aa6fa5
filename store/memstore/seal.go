package memstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/onboardkit/onboardkit/store"
)

// ResealSecrets seals again under the primary key every secret sealed
// under another key or not sealed.
func (s *Store) ResealSecrets(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sealer := s.sealer.Load()
	n := 0
	var errs []error
	note := func(kind, id string, changed bool, err error) {
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("memstore: resealing %s %s: %w", kind, id, err))
		case changed:
			n++
		}
	}
	for id, c := range s.conns {
		o := cloneConn(c)
		ch, err := sealer.ResealConnection(ctx, &o)
		if ch && err == nil {
			s.conns[id] = &o
		}
		note("connection", id, ch, err)
	}
	for id, us := range s.users.byID {
		o := cloneUserSession(us)
		ch, err := sealer.ResealSession(ctx, &o)
		if ch && err == nil {
			s.users.byID[id] = &o
		}
		note("session", id, ch, err)
	}
	for id, ds := range s.dirs {
		if ds.google == nil {
			continue
		}
		o := cloneGoogle(ds.google)
		ch, err := sealer.ResealGoogle(ctx, &o)
		if ch && err == nil {
			ds.google = &o
		}
		note("google directory", id, ch, err)
	}
	return n, errors.Join(errs...)
}

var _ store.SecretStore = (*Store)(nil)
