package domains

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" = invalid
	}{
		{"example.com", "example.com"},
		{"Example.COM", "example.com"},
		{"example.com.", "example.com"},
		{"sub.Example.co.uk", "sub.example.co.uk"},
		{"a-b.example", "a-b.example"},
		{"123.example", "123.example"},
		{"bücher.example", "xn--bcher-kva.example"},
		{"BÜCHER.example", "xn--bcher-kva.example"},
		{"bu\u0308cher.example", "xn--bcher-kva.example"}, // decomposed form
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example"},
		{"münchen.de", "xn--mnchen-3ya.de"},
		{"faß.de", "xn--fa-hia.de"}, // IDNA2008: not folded to "fass"
		{"例え.テスト", "xn--r8jz45g.xn--zckzah"},
		{"пример.рф", "xn--e1afmkfd.xn--p1ai"},
		{"аррӏе.com", "xn--80ak6aa92e.com"}, // whole-script Cyrillic: allowed, never equals apple.com
		{"x.y.z.", "x.y.z"},
		{strings.Repeat("a", 63) + ".com", strings.Repeat("a", 63) + ".com"},

		{"", ""},
		{".", ""},
		{"com", ""},
		{"localhost", ""},
		{"example.com..", ""},
		{"..example.com", ""},
		{".example.com", ""},
		{"a..b.com", ""},
		{"exa mple.com", ""},
		{" example.com", ""},
		{"example.com\n", ""},
		{"example.com\r\nx", ""},
		{"ex\tample.com", ""},
		{"*.example.com", ""},
		{"a*.example.com", ""},
		{"_dmarc.example.com", ""},
		{"a_b.example.com", ""},
		{"-a.example", ""},
		{"a-.example", ""},
		{"ab--cd.example", ""},
		{"xn--.example", ""},
		{"xn--zz.example", ""},
		{strings.Repeat("a", 64) + ".com", ""},
		{strings.Repeat("abcdefghi.", 26) + "com", ""}, // 263 octets
		{"1.2.3.4", ""},
		{"1.2.3.4.", ""},
		{"[1.2.3.4]", ""},
		{"::1", ""},
		{"[::1]", ""},
		{"example.123", ""},
		{"0x7f.1", ""},
		{"user@example.com", ""},
		{"example.com/path", ""},
		{"example.com:443", ""},
		{"exa%2emple.com", ""},
		{"pаypal.com", ""},        // Cyrillic а among Latin
		{"xn--pypal-4ve.com", ""}, // the same, given as punycode
		{"gооgle.com", ""},        // two Cyrillic о
		{"αpple.com", ""},         // Greek alpha among Latin
		{"ex\u200bample.com", ""}, // zero-width space
		{"exa\u00admple.com", ""}, // soft hyphen
		{"ｅｘａｍｐｌｅ.com", ""},       // full-width letters
		{"victim。com", ""},        // ideographic full stop
		{"ⅰ.com", ""},             // compatibility mapping
		{"\xff.com", ""},
		{"a\u202eb.com", ""}, // bidi override
	} {
		got, err := Normalize(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Normalize(%q) = %q, want an error", tc.in, got)
			} else if !errors.Is(err, ErrInvalidDomain) {
				t.Errorf("Normalize(%q) error %v does not wrap ErrInvalidDomain", tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestIsConsumer(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"gmail.com", true}, {"GMail.com.", true}, {"googlemail.com", true},
		{"outlook.com", true}, {"hotmail.co.uk", true}, {"live.com", true},
		{"yahoo.com", true}, {"yahoo.co.jp", true}, {"icloud.com", true},
		{"proton.me", true}, {"gmx.de", true}, {"qq.com", true}, {"mail.ru", true},
		{"eu.gmail.com", true}, // under a consumer domain
		{"acme.com", false}, {"gmail.com.evil.example", false}, {"notgmail.com", false},
		{"example.org", false}, {"", false},
	} {
		if got := IsConsumer(tc.in); got != tc.want {
			t.Errorf("IsConsumer(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	for d := range consumerDomains {
		if n, err := Normalize(d); err != nil || n != d {
			t.Errorf("consumer list entry %q is not normalised: %q, %v", d, n, err)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"example.com", "Example.COM.", "bücher.example", "xn--bcher-kva.example", "pаypal.com",
		"1.2.3.4", "a..b", "*.x.com", "例え.テスト", "ｅｘａｍｐｌｅ．ｃｏｍ", "a\u200b.com", strings.Repeat("a.", 130)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, err := Normalize(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidDomain) {
				t.Fatalf("error %v does not wrap ErrInvalidDomain", err)
			}
			return
		}
		if len(n) > maxNameLen || !utf8.ValidString(n) || strings.ToLower(n) != n || strings.HasSuffix(n, ".") {
			t.Fatalf("Normalize(%q) = %q: not canonical", in, n)
		}
		if err := checkLDH(n); err != nil {
			t.Fatalf("Normalize(%q) = %q: %v", in, n, err)
		}
		again, err := Normalize(n)
		if err != nil || again != n {
			t.Fatalf("Normalize not idempotent: %q -> %q -> %q, %v", in, n, again, err)
		}
	})
}
