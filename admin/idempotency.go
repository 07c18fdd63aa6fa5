package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/onboardkit/onboardkit/store"
)

// MaxIdempotencyKeyLength is the longest idempotency key, in bytes.
const MaxIdempotencyKeyLength = 255

// idempotentID returns the id that a creation with key gets under parent
// (the organization or directory it is created in): prefix, "_" and 26 hex
// characters of SHA-256 over the three, the shape of every id. A retry with
// the same key names the same resource, which the Store then refuses to
// create twice, on every app instance; no table of keys is kept. "" when
// key is "": the kit picks a random id.
func idempotentID(prefix, parent, key string) (string, error) {
	if key == "" {
		return "", nil
	}
	if len(key) > MaxIdempotencyKeyLength {
		return "", invalidInput("idempotency_key", "the idempotency key must be at most %d characters", MaxIdempotencyKeyLength)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "", invalidInput("idempotency_key", "the idempotency key must be printable ASCII")
		}
	}
	sum := sha256.Sum256([]byte(prefix + "\x00" + parent + "\x00" + key))
	return prefix + "_" + hex.EncodeToString(sum[:13]), nil
}

// idempotentCreate returns the id that a creation with key gets under
// parent (idempotentID) and a function that returns what an earlier
// creation with that key made, nil when none (replayed).
func idempotentCreate[T any](ctx context.Context, prefix, what, parent, key string, get func(context.Context, string) (*T, error), owner func(*T) string) (string, func() (*T, error), error) {
	id, err := idempotentID(prefix, parent, key)
	if err != nil {
		return "", nil, err
	}
	return id, func() (*T, error) { return replayed(ctx, what, id, parent, get, owner) }, nil
}

// replayed returns the resource an earlier creation with the same
// idempotency key made (id, "" when there was no key), or nil when there
// is none yet. owner returns the organization or directory the resource
// belongs to, which must be parent.
func replayed[T any](ctx context.Context, what, id, parent string, get func(context.Context, string) (*T, error), owner func(*T) string) (*T, error) {
	if id == "" {
		return nil, nil
	}
	v, err := get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("admin: loading %s: %w", what, err)
	case owner(v) != parent:
		return nil, conflict(store.ErrAlreadyExists, "this idempotency key was used for another %s", what)
	}
	return v, nil
}
