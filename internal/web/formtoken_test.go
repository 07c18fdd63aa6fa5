package web

import (
	"bytes"
	"crypto/rand"
	"errors"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"
)

func TestFormToken(t *testing.T) {
	a, b := NewFormToken(rand.Reader), NewFormToken(rand.Reader)
	if !ValidFormToken(a) || a == b {
		t.Fatalf("tokens %q %q", a, b)
	}
	if got := NewFormToken(iotest.ErrReader(errors.New("no entropy"))); got != "" {
		t.Fatalf("a failing reader gave %q", got)
	}
	if got := NewFormToken(bytes.NewReader(make([]byte, 8))); got != "" {
		t.Fatalf("a short reader gave %q", got)
	}
	for _, bad := range []string{"", "abc", strings.Repeat("g", 32), strings.Repeat("a", 31), strings.Repeat("a", 64)} {
		if ValidFormToken(bad) {
			t.Errorf("ValidFormToken(%q)", bad)
		}
		if k := FormIdempotencyKey("s", url.Values{FormTokenField: {bad}}); k != "" {
			t.Errorf("key %q from token %q", k, bad)
		}
	}
	if k := FormIdempotencyKey("portal:s1", url.Values{FormTokenField: {a}}); k != "portal:s1:"+a {
		t.Fatalf("key %q", k)
	}
}
