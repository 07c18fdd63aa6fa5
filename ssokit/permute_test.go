package ssokit

import (
	"net/http"
	"testing"

	"github.com/beevik/etree"

	"github.com/onboardkit/onboardkit/store"
)

// TestSAMLPermutations moves every signature under every other element and
// plants a forged assertion under every element of a response whose
// Response and Assertion are both signed, in the spirit of crewjam's
// wrapping permutation tests: no variant may log anyone in.
func TestSAMLPermutations(t *testing.T) {
	t.Parallel()
	keys(t)
	post := func(raw []byte) (int, int) {
		// A fresh store per variant, so that the replay cache cannot hide
		// a structural acceptance; IdP-initiated, so that only the XML and
		// signature checks decide.
		e := newEnv(t, nil)
		e.updateConn(connSAML, func(c *store.Connection) { c.SAML.AllowIdPInitiated = true })
		w := e.browser().postSAML(connSAML, raw, "")
		return w.Code, len(e.logins())
	}
	base := respSpec{SignResponse: true, SignAssertion: true}.build(t)
	if code, n := post(base); code != http.StatusSeeOther || n != 1 {
		t.Fatalf("unmodified response refused: %d", code)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(base); err != nil {
		t.Fatal(err)
	}
	var paths [][]int // element positions, as child indexes from the root
	var walk func(el *etree.Element, path []int)
	walk = func(el *etree.Element, path []int) {
		paths = append(paths, append([]int(nil), path...))
		for i, c := range el.ChildElements() {
			walk(c, append(path, i))
		}
	}
	walk(doc.Root(), nil)
	at := func(d *etree.Document, path []int) *etree.Element {
		el := d.Root()
		for _, i := range path {
			el = el.ChildElements()[i]
		}
		return el
	}
	variants := 0
	try := func(name string, mutate func(d *etree.Document) bool) {
		d := etree.NewDocument()
		d.ReadFromBytes(base)
		if !mutate(d) {
			return
		}
		raw, err := d.WriteToBytes()
		if err != nil {
			t.Fatal(err)
		}
		variants++
		if code, n := post(raw); code < 400 || n != 0 {
			t.Errorf("%s: accepted (%d)", name, code)
		}
	}
	for _, sp := range paths {
		if at(doc, sp).Tag != "Signature" {
			continue
		}
		for _, dst := range paths {
			try("move signature", func(d *etree.Document) bool {
				sig := at(d, sp)
				parent := at(d, dst)
				if sig == parent || sig.Parent() == parent || isAncestor(sig, parent) {
					return false
				}
				sig.Parent().RemoveChild(sig)
				parent.AddChild(sig)
				return true
			})
		}
	}
	for _, dst := range paths {
		try("forged assertion", func(d *etree.Document) bool {
			a := d.FindElement("//Assertion")
			forged := unsignedCopy(a)
			setNameID(forged, "admin@example.com")
			forged.CreateAttr("ID", "_forged")
			at(d, dst).AddChild(forged)
			return true
		})
		try("forged assertion with the signed ID", func(d *etree.Document) bool {
			a := d.FindElement("//Assertion")
			forged := unsignedCopy(a)
			setNameID(forged, "admin@example.com")
			at(d, dst).AddChild(forged)
			return true
		})
	}
	if variants < 100 {
		t.Fatalf("only %d variants", variants)
	}
	t.Logf("%d variants refused", variants)
}

func isAncestor(a, el *etree.Element) bool {
	for p := el.Parent(); p != nil; p = p.Parent() {
		if p == a {
			return true
		}
	}
	return false
}
