package seal

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"sync"
)

// prefix starts every sealed value; the rest is
// "<key id>:<wrapped data key>:<nonce and ciphertext>", both base64url.
const prefix = "sealed:v1:"

// maxCached bounds the opened values a Sealer keeps; past it the cache is
// emptied and refills from the next reads.
const maxCached = 8192

// A Sealer seals and opens the secrets a Store keeps, under the data keys
// its Keyring wraps. Each sealed value has its own random 256-bit data key:
// AES-256-GCM with a random nonce and the value's associated data (the
// record's kind, id and field), so that a value copied into another record
// or field does not open. The wrapped data key and the id of the host key
// that wrapped it travel in the value, so that a host key can be rotated
// while the old one still opens what it sealed.
//
// Opened values are cached by their sealed form: reading a record whose
// secret was opened before costs one map lookup and no unwrap (no KMS call).
//
// A Sealer without a Keyring (New(nil)) is the insecure mode: values are
// kept as they are, and a sealed value does not open (ErrNoKeyring).
type Sealer struct {
	kr    Keyring
	rand  io.Reader
	mu    sync.RWMutex
	cache map[string]cached // sealed value -> opened
}

type cached struct{ ad, plain string }

// New returns a Sealer over kr; nil kr keeps values unsealed.
func New(kr Keyring) *Sealer { return &Sealer{kr: kr, rand: rand.Reader, cache: map[string]cached{}} }

// Insecure reports whether the Sealer keeps values unsealed.
func (s *Sealer) Insecure() bool { return s.kr == nil }

// IsSealed reports whether v has the form of a sealed value.
func IsSealed(v string) bool { return strings.HasPrefix(v, prefix) }

// KeyID returns the id of the host key v's data key is wrapped under, ""
// when v is not sealed.
func KeyID(v string) string {
	if !IsSealed(v) {
		return ""
	}
	id, _, _ := strings.Cut(v[len(prefix):], ":")
	return id
}

// Seal returns plain sealed with associated data ad. "" stays "".
func (s *Sealer) Seal(ctx context.Context, plain, ad string) (string, error) {
	if plain == "" || s.kr == nil {
		return plain, nil
	}
	dk := make([]byte, KeySize)
	if _, err := io.ReadFull(s.rand, dk); err != nil {
		return "", fmt.Errorf("seal: reading randomness: %w", err)
	}
	aead, err := newGCM(dk)
	if err != nil {
		return "", err
	}
	keyID, wrapped, err := s.kr.Wrap(ctx, dk, []byte(ad))
	if err != nil {
		return "", fmt.Errorf("seal: wrapping a data key: %w", err)
	}
	if !validKeyID(keyID) {
		return "", fmt.Errorf("seal: the keyring returned the key id %q", keyID)
	}
	ct := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := io.ReadFull(s.rand, ct); err != nil {
		return "", fmt.Errorf("seal: reading randomness: %w", err)
	}
	ct = aead.Seal(ct, ct, []byte(plain), []byte(ad))
	enc := base64.RawURLEncoding
	v := prefix + keyID + ":" + enc.EncodeToString(wrapped) + ":" + enc.EncodeToString(ct)
	s.remember(v, ad, plain)
	return v, nil
}

// Open returns the plaintext of v, sealed with associated data ad. A value
// that is not sealed (written before sealing, or by a store without a
// keyring) is returned as it is. Errors wrap ErrOpen, ErrUnknownKey or
// ErrNoKeyring and never contain the value.
func (s *Sealer) Open(ctx context.Context, v, ad string) (string, error) {
	if !IsSealed(v) {
		return v, nil
	}
	s.mu.RLock()
	c, ok := s.cache[v]
	s.mu.RUnlock()
	if ok && c.ad == ad {
		return c.plain, nil
	}
	if s.kr == nil {
		return "", ErrNoKeyring
	}
	parts := strings.Split(v[len(prefix):], ":")
	if len(parts) != 3 {
		return "", fmt.Errorf("%w: %s: malformed", ErrOpen, ad)
	}
	enc := base64.RawURLEncoding
	wrapped, err1 := enc.DecodeString(parts[1])
	ct, err2 := enc.DecodeString(parts[2])
	if err1 != nil || err2 != nil {
		return "", fmt.Errorf("%w: %s: malformed", ErrOpen, ad)
	}
	dk, err := s.kr.Unwrap(ctx, parts[0], wrapped, []byte(ad))
	if err != nil {
		return "", fmt.Errorf("seal: %s: %w", ad, err)
	}
	aead, err := newGCM(dk)
	if err != nil {
		return "", err
	}
	n := aead.NonceSize()
	if len(ct) < n+aead.Overhead() {
		return "", fmt.Errorf("%w: %s", ErrOpen, ad)
	}
	plain, err := aead.Open(nil, ct[:n], ct[n:], []byte(ad))
	if err != nil {
		return "", fmt.Errorf("%w: %s", ErrOpen, ad)
	}
	s.remember(v, ad, string(plain))
	return string(plain), nil
}

func (s *Sealer) remember(v, ad, plain string) {
	s.mu.Lock()
	if len(s.cache) >= maxCached {
		clear(s.cache)
	}
	s.cache[v] = cached{ad: ad, plain: plain}
	s.mu.Unlock()
}

// Current reports whether v needs no resealing: it is empty, or sealed
// under the keyring's primary key. Without a keyring every value is
// current.
func (s *Sealer) Current(v string) bool {
	if v == "" || s.kr == nil {
		return true
	}
	return IsSealed(v) && KeyID(v) == s.kr.PrimaryKeyID()
}

// keep seals plain, reusing prev (the sealed value stored before) when it
// is current and opens to plain, so that an update that does not change a
// secret does not seal it again.
func (s *Sealer) keep(ctx context.Context, plain, ad, prev string) (string, error) {
	if prev != "" && s.Current(prev) && IsSealed(prev) {
		if p, err := s.Open(ctx, prev, ad); err == nil && p == plain {
			return prev, nil
		}
	}
	return s.Seal(ctx, plain, ad)
}

// Reseal returns v sealed under the primary key with associated data ad:
// v itself and false when it is current, else its plaintext sealed again
// and true.
func (s *Sealer) Reseal(ctx context.Context, v, ad string) (string, bool, error) {
	if s.Current(v) {
		return v, false, nil
	}
	plain, err := s.Open(ctx, v, ad)
	if err != nil {
		return v, false, err
	}
	out, err := s.Seal(ctx, plain, ad)
	if err != nil {
		return v, false, err
	}
	return out, true, nil
}
