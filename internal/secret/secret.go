// Package secret generates and checks the secrets onboardkit hands out: portal
// link tokens, portal session ids, SCIM bearer tokens and API keys.
//
// A secret is 256 bits from a cryptographic random source, shown once,
// stored only as its SHA-256 digest and compared in constant time.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// Size is the number of random bytes in a secret (256 bits).
const Size = 32

// New returns a new secret: prefix followed by 43 characters of unpadded
// base64url encoding 256 random bits read from r (crypto/rand when nil).
func New(r io.Reader, prefix string) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [Size]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("secret: reading randomness: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Digest returns the SHA-256 digest of s, the only form in which a secret is
// stored.
func Digest(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

// Equal compares two digests (or any two byte strings) in constant time.
func Equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// Valid reports whether s has the shape of a secret made by New with prefix.
// It lets callers refuse garbage before touching the Store.
func Valid(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != 43 {
		return false
	}
	// Strict: the decoder must not skip CR/LF or accept non-zero padding bits.
	_, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	return err == nil && !strings.ContainsAny(rest, "\r\n")
}

// Hint returns the last four characters of s, safe to show to tell secrets
// apart.
func Hint(s string) string {
	if len(s) < 4 {
		return ""
	}
	return s[len(s)-4:]
}

// NewID returns a random identifier: prefix, "_", and 26 hex characters
// (104 bits) read from r (crypto/rand when nil). Identifiers are not secrets.
func NewID(r io.Reader, prefix string) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [13]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("secret: reading randomness: %w", err)
	}
	return prefix + "_" + hex.EncodeToString(b[:]), nil
}
