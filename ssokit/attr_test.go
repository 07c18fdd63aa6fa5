package ssokit

import (
	"testing"

	"github.com/beevik/etree"
)

// TestAttrValueIgnoresPrefixed: a SAML or XML-DSig attribute is read only
// in no namespace; x:ID, x:Recipient and the like never stand in for it,
// wherever they come in the element (etree's SelectAttrValue takes the
// first of any prefix).
func TestAttrValueIgnoresPrefixed(t *testing.T) {
	for _, tc := range []struct{ xml, want string }{
		{`<a xmlns:x="urn:x" x:ID="evil" ID="good"/>`, "good"},
		{`<a xmlns:x="urn:x" ID="good" x:ID="evil"/>`, "good"},
		{`<a xmlns:x="urn:x" x:ID="evil"/>`, ""},
		{`<a/>`, ""},
	} {
		doc := etree.NewDocument()
		if err := doc.ReadFromString(tc.xml); err != nil {
			t.Fatal(err)
		}
		if got := attrValue(doc.Root(), "ID"); got != tc.want {
			t.Errorf("%s: ID = %q, want %q", tc.xml, got, tc.want)
		}
	}
}
