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
