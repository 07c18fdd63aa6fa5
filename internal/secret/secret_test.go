package secret

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

func TestNewIsRandomAndWellFormed(t *testing.T) {
	a, err := New(nil, "okp_")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(nil, "okp_")
	if a == b {
		t.Fatal("two secrets are equal")
	}
	if !Valid(a, "okp_") || len(a) != len("okp_")+43 {
		t.Fatalf("malformed secret %q", a)
	}
	for _, bad := range []string{"", "okp_", "okp_" + strings.Repeat("A", 42), "oks_" + a[4:], a + "x", "okp_" + strings.Repeat("*", 43), a[:len(a)-1] + "\n", "okp_\n" + a[5:], a[:len(a)-1] + "B"} {
		if Valid(bad, "okp_") {
			t.Errorf("Valid(%q) = true", bad)
		}
	}
}

func TestNewUsesTheGivenReader(t *testing.T) {
	r := bytes.NewReader(bytes.Repeat([]byte{0xff}, 32))
	s, err := New(r, "")
	if err != nil {
		t.Fatal(err)
	}
	if s != strings.Repeat("_", 42)+"8" {
		t.Fatalf("got %q", s)
	}
	if _, err := New(bytes.NewReader(nil), ""); err == nil {
		t.Fatal("short randomness was accepted")
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestDigestAndEqual(t *testing.T) {
	want := sha256.Sum256([]byte("abc"))
	if !Equal(Digest("abc"), want[:]) {
		t.Fatal("digest mismatch")
	}
	if Equal(Digest("abc"), Digest("abd")) {
		t.Fatal("different secrets compare equal")
	}
	if _, err := NewID(failingReader{}, "org"); err == nil {
		t.Fatal("NewID ignored a failing reader")
	}
	id, err := NewID(nil, "org")
	if err != nil || !strings.HasPrefix(id, "org_") || len(id) != 4+26 {
		t.Fatalf("NewID = %q, %v", id, err)
	}
	if Hint("abcdef") != "cdef" || Hint("ab") != "" {
		t.Fatal("hint")
	}
}
