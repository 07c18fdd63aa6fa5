package scimkit

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/onboardkit/onboardkit/store"
)

// TestLookalikeUserNames checks that userNames equal under NFC and case
// folding are one user: a second create is 409 uniqueness, a userName eq
// filter in any form finds the first, and the value is shown as sent.
func TestLookalikeUserNames(t *testing.T) { forEachStore(t, testLookalikeUserNames) }

func testLookalikeUserNames(t *testing.T, mk envMaker) {
	nfc := norm.NFC.String("Jörg.Müller@example.com")
	nfd := norm.NFD.String(nfc)
	if nfc == nfd {
		t.Fatal("test strings are not distinct")
	}
	for _, tc := range []struct {
		name         string
		first, other []string // created first; the look-alikes
	}{
		{"nfc then nfd", []string{nfc}, []string{nfd, strings.ToUpper(nfd), "JÖRG.MÜLLER@EXAMPLE.COM"}},
		{"nfd then nfc", []string{nfd}, []string{nfc}},
		{"greek sigma", []string{"ΟΔΥΣΣΕΥΣ"}, []string{"οδυσσευς", "οδυσσευσ", "ΟΔΥΣΣΕΥς"}},
		{"sharp s", []string{"straße@example.com"}, []string{"STRASSE@example.com", "strasse@example.com", "STRAẞE@example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mk(t, nil)
			r := e.must(201, e.do("POST", "/Users", e.token, map[string]any{
				"schemas": []string{UserSchemaURI}, "userName": tc.first[0],
				"emails": []any{map[string]any{"value": tc.first[0], "type": "work", "primary": true}},
			}))
			id := r.str("id")
			if got := r.str("userName"); got != tc.first[0] {
				t.Errorf("userName shown as %q, want %q as sent", got, tc.first[0])
			}
			for _, o := range tc.other {
				e.scimErr(e.do("POST", "/Users", e.token, map[string]any{"schemas": []string{UserSchemaURI}, "userName": o}), 409, "uniqueness")
				l := e.must(200, e.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "`+o+`"`), e.token, nil))
				if l.get("totalResults") != float64(1) || l.str("Resources", "0", "id") != id {
					t.Errorf("userName eq %q: %s, want user %s", o, l.raw, id)
				}
				if l.str("Resources", "0", "userName") != tc.first[0] {
					t.Errorf("userName eq %q shows %q, want %q as sent", o, l.str("Resources", "0", "userName"), tc.first[0])
				}
				l = e.must(200, e.do("GET", "/Users?filter="+url.QueryEscape(`emails.value eq "`+o+`"`), e.token, nil))
				if l.get("totalResults") != float64(1) {
					t.Errorf("emails.value eq %q: %s, want 1 result", o, l.raw)
				}
				found, err := e.st.FindDirectoryUsersByEmail(t.Context(), e.org.ID, o)
				if err != nil || len(found) != 1 || found[0].ID != id {
					t.Errorf("FindDirectoryUsersByEmail(%q) = %v, %v; want user %s", o, found, err, id)
				}
			}
			// Renaming the user to a look-alike of itself is no conflict.
			e.must(200, e.do("PUT", "/Users/"+id, e.token, map[string]any{"schemas": []string{UserSchemaURI}, "userName": tc.other[0]}))
		})
	}
}

// TestUnstorableSCIMText checks that NUL bytes, bytes that are not UTF-8 and
// control characters in any SCIM string are 400 invalidValue naming the
// attribute, on every Store, and that nothing is written.
func TestUnstorableSCIMText(t *testing.T) { forEachStore(t, testUnstorableSCIMText) }

func testUnstorableSCIMText(t *testing.T, mk envMaker) {
	e := mk(t, nil)
	user := func(extra string) string {
		return `{"schemas":["` + UserSchemaURI + `","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"ann@example.com"` + extra + `}`
	}
	for _, tc := range []struct {
		name, body, field string
	}{
		{"nul in userName", `{"schemas":["` + UserSchemaURI + `"],"userName":"ann\u0000@example.com"}`, "userName"},
		{"escape in userName", user(`,"userName":"a\u001b[31m"`), "userName"},
		{"invalid utf-8 in userName", "{\"schemas\":[\"" + UserSchemaURI + "\"],\"userName\":\"ann\xff@example.com\"}", "userName"},
		{"tab in givenName", user(`,"name":{"givenName":"Ann\tB"}`), "name.givenName"},
		{"invalid utf-8 in familyName", user(",\"name\":{\"familyName\":\"B\xc3\"}"), "name.familyName"},
		{"nul in email", user(`,"emails":[{"value":"a@example.com"},{"value":"b\u0000@example.com"}]`), "emails[1].value"},
		{"nul in externalId", user(`,"externalId":"x\u0000"`), "externalId"},
		{"del in displayName", user(`,"displayName":"A\u007fB"`), "displayName"},
		{"c1 in title", user(`,"title":"A\u0085B"`), "title"},
		{"nul in address", user(`,"addresses":[{"formatted":"1 Main St\n\u0000"}]`), "addresses[0].formatted"},
		{"nul in extension", user(`,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R\u0000D"}`), "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"},
		{"nul in manager", user(`,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m\u0000"}}`), "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/Users", e.token, tc.body)
			e.scimErr(r, 400, "invalidValue")
			if d := r.str("detail"); !strings.Contains(d, tc.field) {
				t.Errorf("detail %q does not name %s", d, tc.field)
			}
		})
	}
	// A multi-line address is fine.
	e.must(201, e.do("POST", "/Users", e.token, user(`,"addresses":[{"formatted":"1 Main St\r\nSpringfield\tUSA"}]`)))
	if _, n, err := e.st.ListDirectoryUsers(t.Context(), e.dir.ID, store.UserQuery{Limit: 10}); err != nil || n != 1 {
		t.Fatalf("users stored: %d, %v; want only the valid one", n, err)
	}
	u := e.must(200, e.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "ann@example.com"`), e.token, nil))
	id := u.str("Resources", "0", "id")

	// PUT and PATCH are checked the same way.
	r := e.do("PUT", "/Users/"+id, e.token, user(`,"displayName":"x\u0000"`))
	e.scimErr(r, 400, "invalidValue")
	r = e.do("PATCH", "/Users/"+id, e.token, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"name.givenName","value":"a\u0000"}]}`)
	e.scimErr(r, 400, "invalidValue")
	if !strings.Contains(r.str("detail"), "name.givenName") {
		t.Errorf("PATCH detail %q does not name name.givenName", r.str("detail"))
	}
	r = e.do("PATCH", "/Users/"+id, e.token, "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"\xfe\"}]}")
	e.scimErr(r, 400, "invalidValue")
	if !strings.Contains(r.str("detail"), "Operations[0].value") {
		t.Errorf("PATCH detail %q does not name Operations[0].value", r.str("detail"))
	}

	// Groups: displayName, externalId and member values.
	for _, tc := range []struct{ body, field string }{
		{`{"schemas":["` + GroupSchemaURI + `"],"displayName":"G\u0000"}`, "displayName"},
		{"{\"schemas\":[\"" + GroupSchemaURI + "\"],\"displayName\":\"G\xff\"}", "displayName"},
		{`{"schemas":["` + GroupSchemaURI + `"],"displayName":"G","externalId":"\u0001"}`, "externalId"},
		{`{"schemas":["` + GroupSchemaURI + `"],"displayName":"G","members":[{"value":"\u0000"}]}`, "members[0].value"},
	} {
		r := e.do("POST", "/Groups", e.token, tc.body)
		e.scimErr(r, 400, "invalidValue")
		if d := r.str("detail"); !strings.Contains(d, tc.field) {
			t.Errorf("group detail %q does not name %s", d, tc.field)
		}
	}
	// Ids and filter values: a 404 and a 400 on every Store.
	for _, p := range []string{"/Users/a%00b", "/Users/a%FFb", "/Groups/a%00", "/Groups/%FF"} {
		for _, m := range []string{"GET", "DELETE"} {
			e.scimErr(e.do(m, p, e.token, nil), 404, "")
		}
	}
	for _, f := range []string{`userName eq "a\u0000"`, "externalId eq \"a\xff\"", `emails[type eq "work"].value sw "\u0000"`} {
		r := e.do("GET", "/Users?filter="+url.QueryEscape(f), e.token, nil)
		e.scimErr(r, 400, "invalidValue")
		if !strings.Contains(r.str("detail"), "in the filter") {
			t.Errorf("filter %s: detail %q", f, r.str("detail"))
		}
	}
	g := e.must(201, e.do("POST", "/Groups", e.token, `{"schemas":["`+GroupSchemaURI+`"],"displayName":"G"}`))
	r = e.do("PATCH", "/Groups/"+g.str("id"), e.token, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"u\u0000"}]}]}`)
	if r.status != 400 {
		t.Errorf("PATCH add member with a NUL: %d %s, want 400", r.status, r.raw)
	}
}

// FuzzResourceText checks that what scimkit accepts as a user, a Store
// accepts too: no *store.TextError ever comes from the Store for a
// resource that passed the SCIM layer, and a refusal is a SCIM error.
func FuzzResourceText(f *testing.F) {
	for _, s := range []string{
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann","name":{"givenName":"A\tB"},"addresses":[{"formatted":"1\n2"}]}`,
		"{\"userName\":\"a\xffb\",\"emails\":[{\"value\":\"x\"}]}",
		`{"userName":"a\u0000","title":"\u0085"}`,
		`{"userName":"Jo\u0308rg","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m\u0001"}}`,
	} {
		f.Add(s)
	}
	users := newUserSchema(nil)
	f.Fuzz(func(t *testing.T, body string) {
		if err := checkBodyUTF8([]byte(body)); err != nil {
			mustBeSCIM(t, err)
			return
		}
		m, err := decodeObject([]byte(body))
		if err != nil {
			return
		}
		attrs, err := users.validate(m)
		if err != nil {
			mustBeSCIM(t, err)
			return
		}
		u := &store.DirectoryUser{ID: "usr", DirectoryID: "dir"}
		if applyUserAttrs(attrs, u, true) != nil {
			return
		}
		var te *store.TextError
		if err := u.Validate(); errors.As(err, &te) {
			t.Fatalf("scimkit accepted %q, the Store refuses it: %v", body, err)
		}
	})
}

// TestPatchEmailValueFilterMatchKey checks that a PATCH value filter on
// emails.value finds an address sent in another normalization form.
func TestPatchEmailValueFilterMatchKey(t *testing.T) {
	e := newTestEnv(t, nil)
	nfc := norm.NFC.String("jörg@example.com")
	r := e.must(201, e.do("POST", "/Users", e.token, map[string]any{
		"schemas": []string{UserSchemaURI}, "userName": "ann@example.com",
		"emails": []any{map[string]any{"value": nfc, "type": "work"}, map[string]any{"value": "ann@example.com", "type": "home"}},
	}))
	id := r.str("id")
	e.must(200, e.do("PATCH", "/Users/"+id, e.token, map[string]any{
		"schemas":    []string{patchOpURI},
		"Operations": []any{map[string]any{"op": "remove", "path": `emails[value eq "` + strings.ToUpper(norm.NFD.String(nfc)) + `"]`}},
	}))
	if u := e.user(id); len(u.Emails) != 1 || u.Emails[0].Value != "ann@example.com" {
		t.Errorf("emails after removing the NFD form: %+v", u.Emails)
	}
}
