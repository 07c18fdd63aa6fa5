package gworkspace

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// A Sealer encrypts secrets before they reach the Store and decrypts them
// when they are read back. The associated data binds a sealed value to the
// record it belongs to: a value sealed for one directory does not open for
// another. Implementations must be safe for concurrent use.
//
// NewAESGCMSealer is the provided implementation; a host that keeps its keys
// in a KMS implements Sealer over it.
type Sealer interface {
	// Seal encrypts and authenticates plaintext and associatedData.
	Seal(plaintext, associatedData []byte) ([]byte, error)
	// Open reverses Seal. It fails when sealed or associatedData were
	// altered, or sealed was made under another key.
	Open(sealed, associatedData []byte) ([]byte, error)
}

// sealVersion is the first byte of a value sealed by NewAESGCMSealer.
const sealVersion = 1

// ErrUnseal is returned by Open when a sealed value does not open.
var ErrUnseal = errors.New("gworkspace: sealed value does not open under this key")

type aesGCMSealer struct {
	aead cipher.AEAD
	rand io.Reader
}

// NewAESGCMSealer returns a Sealer that uses AES-256-GCM under key, which
// must be 32 bytes from a secure random source, kept by the host outside
// the Store (an environment variable, a secrets manager). Each value gets a
// random 96-bit nonce; the sealed form is a version byte, the nonce and the
// ciphertext with its tag.
func NewAESGCMSealer(key []byte) (Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("gworkspace: AES-256-GCM needs a 32-byte key, got %d bytes", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &aesGCMSealer{aead: aead, rand: rand.Reader}, nil
}

func (s *aesGCMSealer) Seal(plaintext, associatedData []byte) ([]byte, error) {
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	out[0] = sealVersion
	if _, err := io.ReadFull(s.rand, out[1:]); err != nil {
		return nil, fmt.Errorf("gworkspace: reading randomness: %w", err)
	}
	return s.aead.Seal(out, out[1:], plaintext, associatedData), nil
}

func (s *aesGCMSealer) Open(sealed, associatedData []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrUnseal
	}
	out, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], associatedData)
	if err != nil {
		return nil, ErrUnseal
	}
	return out, nil
}

// plainSealer keeps values as they are: Config.InsecureStoreKeysUnsealed.
type plainSealer struct{}

func (plainSealer) Seal(p, _ []byte) ([]byte, error) { return append([]byte{0}, p...), nil }

func (plainSealer) Open(s, _ []byte) ([]byte, error) {
	if len(s) == 0 || s[0] != 0 {
		return nil, ErrUnseal
	}
	return append([]byte{}, s[1:]...), nil
}

// keyAAD is the associated data of a directory's sealed key.
func keyAAD(directoryID string) []byte {
	return []byte("onboardkit/gworkspace/service-account-key/" + directoryID)
}
