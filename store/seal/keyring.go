package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// KeySize is the size of a host key and of a data key: 256 bits.
const KeySize = 32

// A Keyring holds the host's key-encryption keys. It wraps the data key of
// each sealed value under its primary key and unwraps data keys wrapped
// under any key it still holds. AESKeyring keeps the keys in memory; a host
// with a KMS implements Keyring over it (Wrap and Unwrap are its encrypt
// and decrypt calls, ad its encryption context), so that the host key never
// enters the process.
//
// Implementations must be safe for concurrent use.
type Keyring interface {
	// PrimaryKeyID names the key Wrap uses. A value whose data key is
	// wrapped under another key is resealed by Store.ResealSecrets.
	PrimaryKeyID() string

	// Wrap encrypts and authenticates dataKey and ad under the primary
	// key and returns that key's id with the wrapped key.
	Wrap(ctx context.Context, dataKey, ad []byte) (keyID string, wrapped []byte, err error)

	// Unwrap reverses Wrap for a data key wrapped under keyID. It fails
	// with an error wrapping ErrUnknownKey when the keyring no longer
	// holds keyID, and ErrOpen when wrapped or ad were altered.
	Unwrap(ctx context.Context, keyID string, wrapped, ad []byte) ([]byte, error)
}

var (
	// ErrUnknownKey: a value is sealed under a key the keyring does not
	// hold (it was dropped before every value was resealed).
	ErrUnknownKey = errors.New("seal: sealed under a key the keyring does not hold")
	// ErrOpen: a sealed value or its associated data was altered, or it
	// is not a sealed value.
	ErrOpen = errors.New("seal: sealed value does not open")
	// ErrNoKeyring: a sealed value was read by a store opened without a
	// keyring.
	ErrNoKeyring = errors.New("seal: a sealed value was read but the store has no keyring")
)

// Key is one host key of an AESKeyring: 32 random bytes and the id that
// sealed values record. Its String and LogValue show only the id.
type Key struct {
	// ID names the key in every value sealed under it: 1 to 32 ASCII
	// letters, digits, '-' or '_'. Never reuse an id for another secret.
	ID string
	// Secret is the 32-byte key.
	Secret []byte
}

// String returns the key's id, never its secret.
func (k Key) String() string { return "seal.Key(" + k.ID + ")" }

// LogValue keeps the secret out of structured logs.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

// GenerateKey returns a new key with id and 32 bytes from r (crypto/rand
// when nil).
func GenerateKey(id string, r io.Reader) (Key, error) {
	if r == nil {
		r = rand.Reader
	}
	if !validKeyID(id) {
		return Key{}, fmt.Errorf("seal: key id %q: want 1 to 32 letters, digits, '-' or '_'", id)
	}
	k := Key{ID: id, Secret: make([]byte, KeySize)}
	if _, err := io.ReadFull(r, k.Secret); err != nil {
		return Key{}, fmt.Errorf("seal: reading randomness: %w", err)
	}
	return k, nil
}

// Encode returns k as "id:base64", the form ParseKeys reads. It is the
// secret: keep it where the host keeps its other secrets.
func (k Key) Encode() string { return k.ID + ":" + base64.StdEncoding.EncodeToString(k.Secret) }

// ParseKeys reads a comma-separated list of "id:base64" keys (as from an
// environment variable), the primary key first:
//
//	ONBOARDKIT_KEYS=k2:BASE64-OF-32-BYTES,k1:BASE64-OF-32-BYTES
//
// Errors never contain key material.
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		id, b64, ok := strings.Cut(part, ":")
		if !ok || !validKeyID(id) {
			return nil, fmt.Errorf("seal: key %d: want id:base64 with an id of 1 to 32 letters, digits, '-' or '_'", i+1)
		}
		secret, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(secret) != KeySize {
			return nil, fmt.Errorf("seal: key %q: want the standard base64 of %d bytes", id, KeySize)
		}
		keys = append(keys, Key{ID: id, Secret: secret})
	}
	return keys, nil
}

func validKeyID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// AESKeyring is a Keyring over host keys held in memory: a data key is
// wrapped with AES-256-GCM under the primary key, with a random nonce and
// the value's associated data.
type AESKeyring struct {
	primary string
	keys    map[string]cipher.AEAD
	rand    io.Reader
}

// NewAESKeyring returns a keyring over keys, the first being the primary.
// To rotate, put the new key first and keep the old ones after it until
// Store.ResealSecrets reports nothing left under them.
func NewAESKeyring(keys ...Key) (*AESKeyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("seal: a keyring needs at least one key")
	}
	kr := &AESKeyring{primary: keys[0].ID, keys: map[string]cipher.AEAD{}, rand: rand.Reader}
	for _, k := range keys {
		if !validKeyID(k.ID) {
			return nil, fmt.Errorf("seal: key id %q: want 1 to 32 letters, digits, '-' or '_'", k.ID)
		}
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("seal: key %q holds %d bytes, want %d", k.ID, len(k.Secret), KeySize)
		}
		if _, dup := kr.keys[k.ID]; dup {
			return nil, fmt.Errorf("seal: key id %q given twice", k.ID)
		}
		aead, err := newGCM(k.Secret)
		if err != nil {
			return nil, err
		}
		kr.keys[k.ID] = aead
	}
	return kr, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return cipher.NewGCM(block)
}

// PrimaryKeyID returns the id of the first key.
func (kr *AESKeyring) PrimaryKeyID() string { return kr.primary }

// Wrap seals dataKey under the primary key.
func (kr *AESKeyring) Wrap(_ context.Context, dataKey, ad []byte) (string, []byte, error) {
	aead := kr.keys[kr.primary]
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(dataKey)+aead.Overhead())
	if _, err := io.ReadFull(kr.rand, out); err != nil {
		return "", nil, fmt.Errorf("seal: reading randomness: %w", err)
	}
	return kr.primary, aead.Seal(out, out, dataKey, ad), nil
}

// Unwrap opens a data key wrapped under keyID.
func (kr *AESKeyring) Unwrap(_ context.Context, keyID string, wrapped, ad []byte) ([]byte, error) {
	aead, ok := kr.keys[keyID]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKey, keyID)
	}
	n := aead.NonceSize()
	if len(wrapped) < n+aead.Overhead() {
		return nil, ErrOpen
	}
	dk, err := aead.Open(nil, wrapped[:n], wrapped[n:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return dk, nil
}

// NewEphemeralKeyring returns an AESKeyring over one random key made here
// and kept nowhere else: what it seals opens only in this process, until
// the keyring is dropped. It suits in-memory stores and tests; a database
// needs a key that outlives the process.
func NewEphemeralKeyring() *AESKeyring {
	k, err := GenerateKey("ephemeral", nil)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	kr, err := NewAESKeyring(k)
	if err != nil {
		panic(err)
	}
	return kr
}
