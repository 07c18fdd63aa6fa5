package scimsim

import (
	"errors"
	"testing"
)

// FuzzServerAnswers feeds arbitrary bytes to everything that reads what a
// server sends: nothing may panic, and a 2xx answer is either usable or
// refused with ErrBadResponse.
func FuzzServerAnswers(f *testing.F) {
	for _, s := range []string{
		`{"totalResults":1,"Resources":[{"id":"a","active":"False","emails":[{"type":"work","value":"x"}]}]}`,
		`{"id":"u1","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"}},"name":{"givenName":1}}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":409,"scimType":["x"]}`,
		`{"totalResults":-5,"Resources":null}`, `null`, `[]`, `"x"`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		resp := &response{status: 200, body: b}
		if l, err := decodeList(resp, "fuzz", true); err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("list error %v", err)
			}
		} else {
			for _, r := range l.Resources {
				_ = entraDiff(r, UserSpec{UserName: "u", Email: "e", MobilePhone: "p", ManagerID: "m", Department: "d"})
			}
		}
		if r, err := decodeResource(resp, "fuzz"); err == nil {
			if r.ID() == "" {
				t.Fatal("a resource without id was accepted")
			}
			_, _ = r.Active()
			_ = entraDiff(r, UserSpec{UserName: "u", GivenName: "g"})
		} else if !errors.Is(err, ErrBadResponse) {
			t.Fatalf("resource error %v", err)
		}
		_ = parseError("GET", "/Users", 400, b, 100)
		_ = notes(request{method: "GET", path: "/Users"}, 200, nil, b)
	})
}
