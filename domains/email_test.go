package domains

import (
	"errors"
	"strings"
	"testing"
)

func TestParseEmail(t *testing.T) {
	for _, tc := range []struct {
		in          string
		local, host string // host "" = invalid
	}{
		{"alice@victim.com", "alice", "victim.com"},
		{"Alice@VICTIM.COM", "Alice", "victim.com"},
		{"alice.smith+sso@mail.victim.com", "alice.smith+sso", "mail.victim.com"},
		{"o'brien@victim.com", "o'brien", "victim.com"},
		{"a!#$%&'*+-/=?^_`{|}~z@victim.com", "a!#$%&'*+-/=?^_`{|}~z", "victim.com"},
		{"josé@bücher.example", "josé", "xn--bcher-kva.example"},
		{"alice@victim.com.evil.com", "alice", "victim.com.evil.com"}, // a different domain, never victim.com

		{"a@evil.com@victim.com", "", ""},
		{"a@victim.com@evil.com", "", ""},
		{"alice", "", ""},
		{"@victim.com", "", ""},
		{"alice@", "", ""},
		{"", "", ""},
		{"alice@victim.com.", "", ""}, // trailing dot
		{"alice@victim.com..", "", ""},
		{"alice.@victim.com", "", ""},
		{".alice@victim.com", "", ""},
		{"al..ice@victim.com", "", ""},
		{"Alice <alice@victim.com>", "", ""},
		{"<alice@victim.com>", "", ""},
		{"alice@victim.com (Alice)", "", ""},
		{"alice(comment)@victim.com", "", ""},
		{`"alice"@victim.com`, "", ""},
		{`"a@b"@victim.com`, "", ""},
		{"alice @victim.com", "", ""},
		{" alice@victim.com", "", ""},
		{"alice@victim.com ", "", ""},
		{"alice@victim.com\r\nBcc: x@evil.com", "", ""},
		{"alice\n@victim.com", "", ""},
		{"ali\x00ce@victim.com", "", ""},
		{"alice\\@victim.com", "", ""},
		{"a,b@victim.com", "", ""},
		{"a;b@victim.com", "", ""},
		{"a:b@victim.com", "", ""},
		{"a[b]@victim.com", "", ""},
		{"alice@[192.0.2.1]", "", ""},
		{"alice@192.0.2.1", "", ""},
		{"alice@localhost", "", ""},
		{"alice_victim.com#EXT#@tenant.onmicrosoft.com", "", ""},
		{"alice_victim.com#ext#@tenant.onmicrosoft.com", "", ""},
		{"alice@pаypal.com", "", ""},        // Cyrillic а: homoglyph
		{"alice@xn--pypal-4ve.com", "", ""}, // the same in punycode
		{"alice@vic\u200btim.com", "", ""},  // zero-width space
		{"alice@victim。com", "", ""},        // ideographic full stop
		{"alice@ｖｉｃｔｉｍ.com", "", ""},
		{"alice@*.victim.com", "", ""},
		{"alice@victim_com", "", ""},
		{strings.Repeat("a", 65) + "@victim.com", "", ""},
		{"aaaaaaaaaa@" + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 60) + "." + strings.Repeat("e", 60) + ".com", "", ""},
		{"al\xffice@victim.com", "", ""},
		{"alice\u202e@victim.com", "", ""}, // bidi override in the local part
	} {
		e, err := ParseEmail(tc.in)
		if tc.host == "" {
			if err == nil {
				t.Errorf("ParseEmail(%q) = %+v, want an error", tc.in, e)
			} else if !errors.Is(err, ErrInvalidEmail) {
				t.Errorf("ParseEmail(%q) error %v does not wrap ErrInvalidEmail", tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseEmail(%q): %v", tc.in, err)
			continue
		}
		if e.Local != tc.local || e.Domain != tc.host || e.String() != tc.local+"@"+tc.host {
			t.Errorf("ParseEmail(%q) = %+v", tc.in, e)
		}
	}
}

func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{"alice@victim.com", "a@evil.com@victim.com", "Alice <a@b.com>", "a#EXT#@t.onmicrosoft.com",
		"a@victim.com.", "josé@bücher.example", `"q"@x.com`, "a@pаypal.com", "a@[1.2.3.4]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		e, err := ParseEmail(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidEmail) {
				t.Fatalf("error %v does not wrap ErrInvalidEmail", err)
			}
			return
		}
		s := e.String()
		if strings.Count(s, "@") != 1 || strings.ContainsAny(s, " \t\r\n<>()\"\\,;:[]") || len(s) > maxEmailLen {
			t.Fatalf("ParseEmail(%q) = %q", in, s)
		}
		if n, err := Normalize(e.Domain); err != nil || n != e.Domain {
			t.Fatalf("domain %q not normalised: %q, %v", e.Domain, n, err)
		}
		again, err := ParseEmail(s)
		if err != nil || again != e {
			t.Fatalf("round trip %q -> %+v -> %+v, %v", in, e, again, err)
		}
	})
}
