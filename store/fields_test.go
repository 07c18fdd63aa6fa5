package store

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzFieldMayMatch checks that MayMatch never rejects a document that
// Match accepts: the quick test on the raw text is a superset.
func FuzzFieldMayMatch(f *testing.F) {
	f.Add(`{"title":"Engineer"}`, "engineer", false, "eq")
	f.Add(`{"title":"R\u0026D \u00c9quipe"}`, "r&d é", false, "sw")
	f.Add(`{"title":"\u212a"}`, "k", false, "eq")
	f.Add(`{"title":"a\"b\\c\/d\n"}`, "\"b\\c/", true, "co")
	f.Add(`{"title":"\ud83d\ude00"}`, "😀", true, "eq")
	f.Add(`{"tags":["Red","BLUE"]}`, "blue", false, "ew")
	f.Fuzz(func(t *testing.T, doc, v string, exact bool, op string) {
		raw := []byte(doc)
		if !json.Valid(raw) {
			return
		}
		m, err := DecodeAttributes(raw)
		if err != nil {
			return
		}
		for _, path := range [][]string{{"title"}, {"tags"}} {
			fm, err := CompileField(Field{Path: path, Type: FieldString, CaseExact: exact, Op: Op(strings.ToLower(op)), Value: v})
			if err != nil {
				return
			}
			if fm.Match(m) && !fm.MayMatch(raw) {
				t.Fatalf("%s %s %q (exact %v) on %s: Match true, MayMatch false", path, op, v, exact, doc)
			}
		}
	})
}

func TestContainsFoldASCII(t *testing.T) {
	for _, text := range []string{"", "a", "Engineer 0042", "xxENGINEERyy", "engineeR", "enginee"} {
		for _, n := range []string{"a", "engineer", "r 00", "eer", "y"} {
			want := bytes.Contains(bytes.ToLower([]byte(text)), []byte(n))
			if got := containsFoldASCII([]byte(text), []byte(n)); got != want {
				t.Errorf("containsFoldASCII(%q, %q) = %v, want %v", text, n, got, want)
			}
		}
	}
}
