package memstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// CreateAPIKey stores k with its events.
func (s *Store) CreateAPIKey(ctx context.Context, k *store.APIKey, events ...store.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := k.Validate(); err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
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
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(digest) == 0 {
		return nil, invalid("digest is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.apiKeyByDigest[string(digest)]
	if !ok {
		return nil, notFound("API key")
	}
	out := cloneAPIKey(s.apiKeys[id])
	return &out, nil
}

// ListAPIKeys returns every key, newest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]store.APIKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]store.APIKey, 0, len(s.apiKeys))
	for _, k := range s.apiKeys {
		out = append(out, cloneAPIKey(k))
	}
	slices.SortFunc(out, func(a, b store.APIKey) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out, nil
}

// RevokeAPIKey marks the key revoked at now, keeping an earlier revocation.
// Its events are appended only when the revocation time changed.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, now time.Time, events ...store.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := requireIDs("API key id", id); err != nil {
		return err
	}
	if err := requireTime("now", now); err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	now = utc(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.apiKeys[id]
	if !ok {
		return notFound("API key %q", id)
	}
	if !k.RevokedAt.IsZero() && !k.RevokedAt.After(now) {
		return nil
	}
	c := cloneAPIKey(k)
	c.RevokedAt = now
	s.apiKeys[id] = &c
	s.appendLocked(events)
	return nil
}

// TouchAPIKey records that the key was used at now.
func (s *Store) TouchAPIKey(ctx context.Context, id string, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := requireIDs("API key id", id); err != nil {
		return err
	}
	if err := requireTime("now", now); err != nil {
		return err
	}
	now = utc(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.apiKeys[id]; ok && now.After(k.LastUsedAt) {
		c := cloneAPIKey(k)
		c.LastUsedAt = now
		s.apiKeys[id] = &c
	}
	return nil
}
