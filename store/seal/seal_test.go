package seal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func testKeyring(t testing.TB, ids ...string) *AESKeyring {
	t.Helper()
	var keys []Key
	for _, id := range ids {
		keys = append(keys, Key{ID: id, Secret: []byte(strings.Repeat(id, KeySize)[:KeySize])})
	}
	kr, err := NewAESKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestSealOpen(t *testing.T) {
	ctx := context.Background()
	s := New(testKeyring(t, "a"))
	v, err := s.Seal(ctx, "the secret", "connection/c1/oidc.client_secret")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(v, "the secret") || !strings.HasPrefix(v, "sealed:v1:a:") || KeyID(v) != "a" {
		t.Fatalf("sealed form %q", v)
	}
	// A fresh Sealer (no cache) opens it under the same key.
	fresh := New(testKeyring(t, "a"))
	if p, err := fresh.Open(ctx, v, "connection/c1/oidc.client_secret"); err != nil || p != "the secret" {
		t.Fatalf("Open = %q, %v", p, err)
	}
	// Another record's or field's associated data: no, cached or not.
	for _, o := range []*Sealer{s, New(testKeyring(t, "a"))} {
		for _, ad := range []string{"connection/c2/oidc.client_secret", "connection/c1/saml.sp_key", ""} {
			if _, err := o.Open(ctx, v, ad); !errors.Is(err, ErrOpen) {
				t.Fatalf("Open with ad %q: %v, want ErrOpen", ad, err)
			}
		}
	}
	// Another key with the same id: no.
	other, _ := NewAESKeyring(Key{ID: "a", Secret: make([]byte, KeySize)})
	if _, err := New(other).Open(ctx, v, "connection/c1/oidc.client_secret"); !errors.Is(err, ErrOpen) {
		t.Fatalf("Open under another key: %v", err)
	}
	// A key the keyring lacks, and no keyring at all.
	if _, err := New(testKeyring(t, "b")).Open(ctx, v, "connection/c1/oidc.client_secret"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Open without the key: %v", err)
	}
	if _, err := New(nil).Open(ctx, v, "connection/c1/oidc.client_secret"); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("Open without a keyring: %v", err)
	}
	// Every altered byte is refused.
	for i := len("sealed:v1:a:"); i < len(v); i++ {
		b := []byte(v)
		b[i] ^= 1
		if p, err := fresh.Open(ctx, string(b), "connection/c1/oidc.client_secret"); err == nil && p != "the secret" {
			t.Fatalf("altered byte %d opened to %q", i, p)
		} else if err == nil {
			// base64url's last character may carry unused bits.
			continue
		} else if strings.Contains(err.Error(), "the secret") {
			t.Fatal("an error holds the plaintext")
		}
	}
	// Two seals of one value differ (fresh data key and nonce).
	v2, _ := s.Seal(ctx, "the secret", "connection/c1/oidc.client_secret")
	if v2 == v {
		t.Fatal("two seals are equal")
	}
	// Empty stays empty; unsealed values pass through (rows written before
	// sealing).
	if e, _ := s.Seal(ctx, "", "x"); e != "" {
		t.Fatalf("Seal(\"\") = %q", e)
	}
	if p, err := s.Open(ctx, "legacy plaintext", "x"); err != nil || p != "legacy plaintext" {
		t.Fatalf("Open of plaintext = %q, %v", p, err)
	}
}

func TestCurrentAndReseal(t *testing.T) {
	ctx := context.Background()
	a := New(testKeyring(t, "a"))
	v, _ := a.Seal(ctx, "x", "ad")
	ba := New(testKeyring(t, "b", "a"))
	if ba.Current(v) || ba.Current("plain") || !ba.Current("") || !a.Current(v) || !New(nil).Current("plain") {
		t.Fatal("Current")
	}
	w, changed, err := ba.Reseal(ctx, v, "ad")
	if err != nil || !changed || KeyID(w) != "b" {
		t.Fatalf("Reseal = %q, %v, %v", w, changed, err)
	}
	if p, err := New(testKeyring(t, "b")).Open(ctx, w, "ad"); err != nil || p != "x" {
		t.Fatalf("Open after Reseal = %q, %v", p, err)
	}
	if _, changed, _ := ba.Reseal(ctx, w, "ad"); changed {
		t.Fatal("Reseal of a current value changed it")
	}
}

func TestKeys(t *testing.T) {
	k, err := GenerateKey("k1", nil)
	if err != nil {
		t.Fatal(err)
	}
	secret := k.Encode()[len("k1:"):]
	for _, shown := range []string{k.String(), fmt.Sprint(k), fmt.Sprintf("%v", []Key{k}), slogText(k)} {
		if strings.Contains(shown, secret) || !strings.Contains(shown, "k1") {
			t.Fatalf("a key shows as %q", shown)
		}
	}
	keys, err := ParseKeys(" k2:" + strings.Repeat("A", 43) + "=, " + k.Encode())
	if err != nil || len(keys) != 2 || keys[0].ID != "k2" || keys[1].ID != "k1" || string(keys[1].Secret) != string(k.Secret) {
		t.Fatalf("ParseKeys = %v, %v", keys, err)
	}
	for _, bad := range []string{"", "k1", "k1:", ":" + secret, "k 1:" + secret, "k1:" + secret[:20], "k1:!!!", strings.Repeat("k", 33) + ":" + secret} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("ParseKeys error holds the key: %v", err)
		}
	}
	if _, err := NewAESKeyring(); err == nil {
		t.Error("a keyring without keys")
	}
	if _, err := NewAESKeyring(k, k); err == nil {
		t.Error("a keyring with one id twice")
	}
	if _, err := NewAESKeyring(Key{ID: "s", Secret: make([]byte, 16)}); err == nil {
		t.Error("a 128-bit key")
	}
}

func slogText(k Key) string {
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("m", "key", k)
	return b.String()
}

// FuzzOpen: a value read from the database, however altered, opens to the
// sealed plaintext or fails; Open never panics.
func FuzzOpen(f *testing.F) {
	s := New(testKeyring(f, "a"))
	v, _ := s.Seal(context.Background(), "secret", "ad")
	f.Add(v, "ad")
	f.Add("sealed:v1:a::", "ad")
	f.Add("sealed:v1:a:AAAA:AAAA", "")
	f.Fuzz(func(t *testing.T, in, ad string) {
		fresh := New(testKeyring(t, "a"))
		p, err := fresh.Open(context.Background(), in, ad)
		if err == nil && IsSealed(in) && p != "secret" {
			t.Fatalf("%q opened to %q", in, p)
		}
	})
}

// FuzzParseKeys: ParseKeys never panics, and what it accepts makes a
// keyring or a clear error.
func FuzzParseKeys(f *testing.F) {
	f.Add("k1:" + strings.Repeat("A", 43) + "=")
	f.Add("a:b,c:d")
	f.Fuzz(func(t *testing.T, in string) {
		keys, err := ParseKeys(in)
		if err == nil {
			_, _ = NewAESKeyring(keys...)
		}
	})
}

// BenchmarkOpen compares opening a sealed value cold (unwrap and decrypt)
// with a warm read (the cache).
func BenchmarkOpen(b *testing.B) {
	ctx := context.Background()
	kr := testKeyring(b, "a")
	v, _ := New(kr).Seal(ctx, strings.Repeat("k", 1700), "connection/c1/saml.sp_key")
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			if _, err := New(kr).Open(ctx, v, "connection/c1/saml.sp_key"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("warm", func(b *testing.B) {
		s := New(kr)
		s.Open(ctx, v, "connection/c1/saml.sp_key")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Open(ctx, v, "connection/c1/saml.sp_key"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
