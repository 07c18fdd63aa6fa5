package web

import (
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// A page that shows the result of a change (a secret shown once, a test
// result, the errors of a refused form with the values entered) is reached
// by a redirect after its POST, like every other change: the POST hands
// the result to the next GET of the page in a flash cookie, which the GET
// reads and deletes. The cookie is sealed (AES-256-GCM) under a key
// derived from a secret the same browser's session holds (the portal's
// session secret, the dashboard's CSRF cookie), bound to the page's path,
// and expires after FlashMaxAge: a secret it carries is never in a URL nor
// readable from the cookie, and a reload of the page shows it no more.

// FlashMaxAge bounds how long a flash waits for its page.
const FlashMaxAge = 2 * time.Minute

// maxFlashValue bounds a flash cookie's value: browsers keep cookies of
// up to 4096 bytes, name and attributes included.
const maxFlashValue = 3800

// ErrFlashTooLarge is returned by Flash.Put when the sealed value does not
// fit in a cookie.
var ErrFlashTooLarge = errors.New("web: flash too large for a cookie")

// Flash is a kind of flash cookie. Its attributes are those of the
// session it belongs to, so that it travels wherever the session does
// (inside a cross-site iframe too).
type Flash struct {
	Name        string
	Secure      bool
	SameSite    http.SameSite
	Partitioned bool
}

// flashKey derives the sealing key of the flash kind from the session's
// secret.
func (f Flash) flashKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("onboardkit flash\x00" + f.Name))
	return m.Sum(nil)
}

func (f Flash) aead(secret []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(f.flashKey(secret))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// Seal returns v (JSON-encoded, compressed) sealed under secret for the
// page at path, valid until exp.
func (f Flash) Seal(rnd io.Reader, secret []byte, path string, exp time.Time, v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	var stamp [8]byte
	binary.BigEndian.PutUint64(stamp[:], uint64(exp.Unix()))
	buf.Write(stamp[:])
	zw, _ := flate.NewWriter(&buf, flate.BestCompression)
	if _, err := zw.Write(raw); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	a, err := f.aead(secret)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, a.NonceSize())
	if _, err := io.ReadFull(rnd, nonce); err != nil {
		return "", err
	}
	out := base64.RawURLEncoding.EncodeToString(a.Seal(nonce, nonce, buf.Bytes(), []byte(path)))
	if len(out) > maxFlashValue {
		return "", ErrFlashTooLarge
	}
	return out, nil
}

// Open decodes into v a value Seal made under secret for path; false when
// it is not one, was sealed for another page or session, or has expired
// at now.
func (f Flash) Open(value string, secret []byte, path string, now time.Time, v any) bool {
	if len(value) > maxFlashValue {
		return false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return false
	}
	a, err := f.aead(secret)
	if err != nil || len(sealed) < a.NonceSize() {
		return false
	}
	plain, err := a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], []byte(path))
	if err != nil || len(plain) < 8 {
		return false
	}
	if exp := int64(binary.BigEndian.Uint64(plain[:8])); now.Unix() > exp {
		return false
	}
	// The plaintext was sealed by this server: its size is bounded by
	// maxFlashValue before decompression, and the decompressed JSON is
	// bounded too, in case a key leaked.
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(plain[8:])), 64<<10))
	if err != nil {
		return false
	}
	return json.Unmarshal(raw, v) == nil
}

// Put seals v for the next GET of path (a URL path, without query) and sets
// the cookie.
func (f Flash) Put(w http.ResponseWriter, rnd io.Reader, secret []byte, path string, now time.Time, v any) error {
	val, err := f.Seal(rnd, secret, path, now.Add(FlashMaxAge), v)
	if err != nil {
		return err
	}
	http.SetCookie(w, f.cookie(path, val, int(FlashMaxAge/time.Second)))
	return nil
}

// Take decodes into v the flash the POST before the request left for its
// page at path (the request's full URL path), and deletes it; false when
// there is none.
func (f Flash) Take(w http.ResponseWriter, r *http.Request, secret []byte, path string, now time.Time, v any) bool {
	cs := r.CookiesNamed(f.Name)
	if len(cs) == 0 {
		return false
	}
	for i, c := range cs {
		if i == 4 {
			break
		}
		if f.Open(c.Value, secret, path, now, v) {
			http.SetCookie(w, f.cookie(path, "", -1))
			return true
		}
	}
	return false
}

func (f Flash) cookie(path, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: f.Name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true,
		Secure: f.Secure || f.Partitioned, SameSite: f.SameSite, Partitioned: f.Partitioned,
	}
}
