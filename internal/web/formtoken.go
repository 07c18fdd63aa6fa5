package web

import (
	"encoding/hex"
	"io"
	"net/url"
)

// FormTokenField is the form field that carries a form's one-time token.
const FormTokenField = "idem"

// NewFormToken returns a fresh one-time token (128 random bits, 32 hex
// characters) for a form that creates something, read from rnd; "" when
// rnd fails. Posted in FormTokenField, it becomes the creation's
// idempotency key (FormIdempotencyKey), so that a double click or a re-sent
// POST creates nothing more.
func NewFormToken(rnd io.Reader) string {
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return ""
	}
	return hex.EncodeToString(b[:])
}

// ValidFormToken reports whether t has the shape NewFormToken gives.
func ValidFormToken(t string) bool {
	if len(t) != 32 {
		return false
	}
	_, err := hex.DecodeString(t)
	return err == nil
}

// FormIdempotencyKey is the creation key of a posted form: scope, ":" and
// the form's token; "" when the form carries no valid token (the creation
// then has no key). scope names the surface and, where there is one, the
// session, so that a token copied into another session's form creates
// there.
func FormIdempotencyKey(scope string, form url.Values) string {
	t := form.Get(FormTokenField)
	if !ValidFormToken(t) {
		return ""
	}
	return scope + ":" + t
}
