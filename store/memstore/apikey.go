package memstore

import (
	"context"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// CreateAPIKey stores k with its events.
func (s *Store) CreateAPIKey(ctx context.Context, k *store.APIKey, events ...store.Event) error {
	if err := check(ctx, k.Validate(), checkEvents(events)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.apiKeys[k.ID]; ok {
		return exists("API key %q", k.ID)
	}
	if _, ok := s.apiKeyByDigest[string(k.Digest)]; ok {
		return exists("API key digest")
	}
	c := cloneAPIKey(k)
	c.CreatedAt, c.LastUsedAt, c.RevokedAt = utc(c.CreatedAt), utc(c.LastUsedAt), utc(c.RevokedAt)
	s.apiKeys[k.ID] = &c
	s.apiKeyByDigest[string(k.Digest)] = k.ID
	s.appendLocked(events)
	return nil
}

// GetAPIKeyByDigest returns the key with digest, whatever its state.
func (s *Store) GetAPIKeyByDigest(ctx context.Context, digest []byte) (*store.APIKey, error) {
	if err := check(ctx, requireDigest(digest)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return byDigestLocked(s.apiKeys, s.apiKeyByDigest, digest, cloneAPIKey, "API key")
}

// ListAPIKeys returns every key, newest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]store.APIKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := rows(s.apiKeys, func(*store.APIKey) bool { return true }, cloneAPIKey,
		newestFirst(func(k *store.APIKey) (time.Time, string) { return k.CreatedAt, k.ID }))
	if out == nil {
		out = []store.APIKey{}
	}
	return out, nil
}

// RevokeAPIKey marks the key revoked at now, keeping an earlier revocation.
// Its events are appended only when the revocation time changed.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, now time.Time, events ...store.Event) error {
	if err := check(ctx, requireIDs("API key id", id), requireTime("now", now), checkEvents(events)); err != nil {
		return err
	}
	now = utc(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch found, changed := revokeLocked(s.apiKeys, id, now, cloneAPIKey, func(k *store.APIKey) *time.Time { return &k.RevokedAt }); {
	case !found:
		return notFound("API key %q", id)
	case changed:
		s.appendLocked(events)
	}
	return nil
}

// TouchAPIKey records that the key was used at now.
func (s *Store) TouchAPIKey(ctx context.Context, id string, now time.Time) error {
	if err := check(ctx, requireIDs("API key id", id), requireTime("now", now)); err != nil {
		return err
	}
	now = utc(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	touchLocked(s.apiKeys, id, now, cloneAPIKey, func(k *store.APIKey) *time.Time { return &k.LastUsedAt })
	return nil
}
