package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestMatchKey(t *testing.T) {
	for _, set := range [][]string{
		{"J\u00f6rg.M\u00fcller@example.com", "Jo\u0308rg.Mu\u0308ller@example.com", "J\u00d6RG.M\u00dcLLER@EXAMPLE.COM", "JO\u0308RG.MU\u0308LLER@example.com"},
		{"\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3", "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c2", "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c3"},
		{"stra\u00dfe", "STRASSE", "Strasse", "STRA\u1e9eE"},
		{"Alice@Example.COM", "alice@example.com"},
		{"\u212b", "\u00c5", "A\u030a", "\u00e5"},  // Ångström sign, Å, A + ring
		{"\u1fb3", "\u03b1\u0345", "\u03b1\u03b9"}, // ᾳ: ypogegrammeni folds to iota
	} {
		want := MatchKey(set[0])
		if !norm.NFC.IsNormalString(want) {
			t.Errorf("MatchKey(%q) = %q is not NFC", set[0], want)
		}
		for _, s := range set[1:] {
			if got := MatchKey(s); got != want {
				t.Errorf("MatchKey(%q) = %q, want %q (as MatchKey(%q))", s, got, want, set[0])
			}
		}
	}
	for _, pair := range [][2]string{
		{"\uff21", "A"}, // full-width: a compatibility form, not the same letter
		{"\u0131", "i"}, // dotless i
		{"jorg", "j\u00f6rg"},
	} {
		if MatchKey(pair[0]) == MatchKey(pair[1]) {
			t.Errorf("MatchKey(%q) == MatchKey(%q)", pair[0], pair[1])
		}
	}
}

func TestValidateText(t *testing.T) {
	for _, tc := range []struct {
		s          string
		line, text string // the reason expected, "" for none
	}{
		{"Ann", "", ""},
		{"\u5f20\u4f1f \u00e9 \u200b \u202e \ufffd", "", ""},
		{"a\x00b", "U+0000", "U+0000"},
		{"a\tb", "U+0009", ""},
		{"a\r\nb", "U+000D", ""},
		{"a\x1bb", "U+001B", "U+001B"},
		{"a\x7fb", "U+007F", "U+007F"},
		{"a\u0085b", "U+0085", "U+0085"},
		{"a\xffb", "UTF-8", "UTF-8"},
		{"\xed\xa0\x80", "UTF-8", "UTF-8"}, // a surrogate
	} {
		for _, c := range []struct {
			fn   func(string, string) error
			want string
		}{{ValidateLine, tc.line}, {ValidateText, tc.text}} {
			err := c.fn("field", tc.s)
			var te *TextError
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%q: %v, want nil", tc.s, err)
			case c.want != "" && (!errors.As(err, &te) || !errors.Is(err, ErrInvalid) || te.Field != "field" || !strings.Contains(te.Reason, c.want)):
				t.Errorf("%q: %v, want a TextError about %s", tc.s, err, c.want)
			}
		}
	}
}

func TestValidateJSONText(t *testing.T) {
	for _, tc := range []struct {
		doc, field string // field "" for valid
	}{
		{`{"a":"b\n\t\r","c":[1,true,null,{"d":"\u00e9"}]}`, ""},
		{`{"a":"\\u0000"}`, ""}, // an escaped backslash, then text
		{`{"a":"b\u0000"}`, "x.a"},
		{`{"a":[{"b":"\u001b"}]}`, "x.a[0].b"},
		{`{"urn:ext:2.0:User":{"manager":{"value":"\b"}}}`, "x.urn:ext:2.0:User.manager.value"},
		{"{\"a\":\"\x7f\"}", "x.a"},
		{"{\"a\":\"\u0085\"}", "x.a"},
		{"{\"a\":\"\xff\"}", "x"},
	} {
		err := ValidateJSONText("x", []byte(tc.doc))
		var te *TextError
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", tc.doc, err)
		case tc.field != "" && (!errors.As(err, &te) || te.Field != tc.field):
			t.Errorf("%s: %v, want a TextError naming %s", tc.doc, err, tc.field)
		}
	}
	// A top-level URN member's attributes follow a colon.
	var v any
	_ = json.Unmarshal([]byte(`{"urn:ext:2.0:User":{"manager":{"value":"\b"}}}`), &v)
	err := ValidateJSONValue("", v, nil)
	var te *TextError
	if !errors.As(err, &te) || te.Field != "urn:ext:2.0:User:manager.value" {
		t.Errorf("extension path: %v", err)
	}
}

// FuzzMatchKey checks that the key is idempotent, NFC, the same for the
// NFC and NFD forms of a string, keeps valid text valid; and that the text
// rules agree with their definition.
func FuzzMatchKey(f *testing.F) {
	for _, s := range []string{"", "Alice", "J\u00f6rg", "Jo\u0308rg", "\u03a3\u03c2", "stra\u00dfe", "\u1fb3", "\u0345\u0301", "a\x00b", "\xff", "\u212b", `{"a":"\u0000"}`, `["\\u0001","\b"]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := MatchKey(s)
		if !utf8.ValidString(s) {
			// No key is stored for such a string: ValidateLine refuses it.
			if ValidateLine("f", s) == nil {
				t.Fatalf("ValidateLine accepted %q", s)
			}
			return
		}
		if MatchKey(k) != k {
			t.Fatalf("MatchKey not idempotent on %q: %q then %q", s, k, MatchKey(k))
		}
		if !norm.NFC.IsNormalString(k) {
			t.Fatalf("MatchKey(%q) = %q is not NFC", s, k)
		}
		if a, b := MatchKey(norm.NFC.String(s)), MatchKey(norm.NFD.String(s)); a != k || b != k {
			t.Fatalf("MatchKey(%q) = %q, of its NFC %q, of its NFD %q", s, k, a, b)
		}
		if ValidateLine("f", s) == nil && ValidateLine("f", k) != nil {
			t.Fatalf("MatchKey(%q) = %q is not valid text", s, k)
		}
		for _, multi := range []bool{false, true} {
			want := true
			for _, r := range s {
				if unicode.IsControl(r) && !(multi && (r == '\t' || r == '\n' || r == '\r')) {
					want = false
				}
			}
			got := checkText("f", s, multi) == nil
			if got != want {
				t.Fatalf("checkText(%q, %v) ok = %v, want %v", s, multi, got, want)
			}
		}
		// The raw scan of a JSON document agrees with decoding it.
		doc, _ := json.Marshal(map[string]any{"a": s, "b": []any{s}})
		var v any
		if err := json.Unmarshal(doc, &v); err != nil {
			t.Fatal(err)
		}
		walked := WalkJSONStrings("", v, func(_, s string, _ bool) error { return ValidateText("f", s) }) == nil
		if jsonTextOK(doc) != walked {
			t.Fatalf("jsonTextOK(%s) = %v, decoding says %v", doc, !walked, walked)
		}
		if raw := []byte(s); json.Valid(raw) && json.Unmarshal(raw, &v) == nil {
			walked := WalkJSONStrings("", v, func(_, s string, _ bool) error { return ValidateText("f", s) }) == nil
			if jsonTextOK(raw) != walked {
				t.Fatalf("jsonTextOK(%s) = %v, decoding says %v", raw, !walked, walked)
			}
		}
	})
}

func BenchmarkMatchKey(b *testing.B) {
	for _, s := range []string{"alice.liddell@example.com", "J\u00f6rg.M\u00fcller@example.com"} {
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				MatchKey(s)
			}
		})
	}
}
