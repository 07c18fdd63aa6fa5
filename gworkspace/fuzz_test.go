package gworkspace

import (
	"testing"

	"github.com/onboardkit/onboardkit/gworkspace/gwsim"
)

// FuzzParseKey: ParseKey never panics, and what it accepts has the fields
// it promises.
func FuzzParseKey(f *testing.F) {
	key, err := gwsim.New("example.com").NewServiceAccountKey()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(key.JSON)
	f.Add([]byte(`{"type":"service_account","client_email":"a@b","client_id":"1","private_key":"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"}`))
	f.Add([]byte(`{"type":"authorized_user"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseKey(data)
		if err != nil {
			return
		}
		if k.ClientEmail == "" || k.ClientID == "" || k.privateKey == nil || len(pemOf(k)) == 0 {
			t.Fatalf("accepted a key without its parts: %+v", k)
		}
	})
}

// FuzzOpen: a sealed value altered in any way does not open, and Open
// never panics.
func FuzzOpen(f *testing.F) {
	s, _ := NewAESGCMSealer(make([]byte, 32))
	sealed, _ := s.Seal([]byte("secret"), []byte("aad"))
	f.Add(sealed, []byte("aad"))
	f.Add([]byte{1}, []byte(""))
	f.Fuzz(func(t *testing.T, b, aad []byte) {
		out, err := s.Open(b, aad)
		if err == nil && string(out) != "secret" {
			t.Fatalf("Open accepted a forgery: %q", out)
		}
	})
}
