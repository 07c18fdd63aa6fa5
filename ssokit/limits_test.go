package ssokit

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

func addCondition(tag string) func(a *etree.Element) {
	return func(a *etree.Element) {
		c := a.SelectElement("Conditions").CreateElement(tag)
		if tag == "saml:ProxyRestriction" {
			c.CreateElement("saml:Audience").SetText("https://other.example")
		}
	}
}

func TestSAMLConditionsAndLimits(t *testing.T) {
	keys(t)
	values := func(n int) func(s *respSpec) {
		return func(s *respSpec) {
			vs := make([]string, n)
			for i := range vs {
				vs[i] = fmt.Sprintf("group-%d", i)
			}
			s.SignResponse, s.SignAssertion = true, true
			s.Attrs = append(s.Attrs, attr{Name: "groups", Values: vs})
		}
	}
	cases := []attack{
		{name: "ProxyRestriction", want: ReasonCondition, spec: func(s *respSpec) { s.MutateAssertion = addCondition("saml:ProxyRestriction") }},
		{name: "unknown Condition", want: ReasonCondition, spec: func(s *respSpec) { s.MutateAssertion = addCondition("saml:Condition") }},
		{name: "condition of a foreign namespace", want: ReasonCondition, spec: func(s *respSpec) {
			s.MutateAssertion = func(a *etree.Element) {
				a.SelectElement("Conditions").CreateElement("x:Delegation").CreateAttr("xmlns:x", "urn:example:x")
			}
		}},
		{name: "a second AudienceRestriction without us", want: ReasonAudience, spec: func(s *respSpec) {
			s.MutateAssertion = func(a *etree.Element) {
				a.SelectElement("Conditions").CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText("https://other.example")
			}
		}},
		{name: "one attribute value over the limit, signed", want: ReasonMalformed, spec: values(maxAttributeValues + 1)},
		{name: "thousands of namespace declarations", want: ReasonMalformed, raw: func(t *testing.T, e *env, id string) []byte {
			raw := respSpec{InResponseTo: id}.build(t)
			var decls strings.Builder
			for i := range 4000 {
				fmt.Fprintf(&decls, ` xmlns:p%d="urn:p%d"`, i, i)
			}
			return bytes.Replace(raw, []byte("<samlp:Response "), []byte("<samlp:Response"+decls.String()+" "), 1)
		}},
		{name: "17 namespace declarations on one element", want: ReasonMalformed, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				for i := range maxNSDeclsPerElement + 1 {
					d.Root().CreateAttr(fmt.Sprintf("xmlns:q%d", i), "urn:q")
				}
			}
		}},
		{name: "namespace declarations piled up along a path", want: ReasonMalformed, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				el := d.Root()
				for i := range maxNSInScope/8 + 1 {
					el = el.CreateElement("samlp:Extensions")
					for j := range 8 {
						el.CreateAttr(fmt.Sprintf("xmlns:q%d_%d", i, j), "urn:q")
					}
				}
			}
		}},
		{name: "too many elements", want: ReasonMalformed, spec: func(s *respSpec) {
			s.MutateDoc = func(d *etree.Document) {
				ex := d.Root().CreateElement("samlp:Extensions")
				for range maxXMLElements {
					ex.CreateElement("x")
				}
			}
		}},
	}
	runAttacks(t, cases)
}

// TestSAMLLimitsAccepted: what the limits still let through verifies, so
// the documented limits, not goxmldsig's traversal limit, decide.
func TestSAMLLimitsAccepted(t *testing.T) {
	keys(t)
	for _, tc := range []struct {
		name string
		spec func(s *respSpec)
	}{
		{"OneTimeUse", func(s *respSpec) { s.MutateAssertion = addCondition("saml:OneTimeUse") }},
		{"attribute values at the limit, response and assertion signed", func(s *respSpec) {
			vs := make([]string, maxAttributeValues-1) // plus the email
			for i := range vs {
				vs[i] = fmt.Sprintf("group-%d", i)
			}
			s.SignResponse, s.SignAssertion = true, true
			s.Attrs = []attr{{Name: "email", Values: []string{"jane@example.com"}}, {Name: "groups", Values: vs}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			b := e.browser()
			id := b.startSAML(t, "connection="+connSAML)
			spec := respSpec{InResponseTo: id}
			tc.spec(&spec)
			w := b.postSAML(connSAML, spec.build(t), id)
			if len(e.logins()) != 1 {
				t.Fatalf("status %d\n%s", w.Code, e.logs)
			}
		})
	}
}

// TestSAMLSeveralEmails: with several email attributes, or several values,
// the first name of the provider's list wins and its first value is used;
// the domain check applies to that one only, so a second value in another
// organization's domain cannot be picked up.
func TestSAMLSeveralEmails(t *testing.T) {
	keys(t)
	cases := []struct {
		name  string
		attrs []attr
		want  string
		ok    bool
	}{
		{"email before mail", []attr{{Name: "mail", Values: []string{"other@example.com"}}, {Name: "email", Values: []string{"jane@example.com"}}}, "jane@example.com", true},
		{"several values: the first", []attr{{Name: "email", Values: []string{"jane@example.com", "ceo@orgb.example"}}}, "jane@example.com", true},
		{"several values, first foreign: refused", []attr{{Name: "email", Values: []string{"ceo@orgb.example", "jane@example.com"}}}, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			b := e.browser()
			id := b.startSAML(t, "connection="+connSAML)
			b.postSAML(connSAML, respSpec{InResponseTo: id, NameID: "00u-jane", NameIDFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", Attrs: tc.attrs}.build(t), id)
			ls := e.logins()
			if !tc.ok {
				if len(ls) != 0 || !strings.Contains(e.logs.String(), "reason="+string(ReasonEmailOutsideDomains)) {
					t.Fatalf("logins %+v\n%s", ls, e.logs)
				}
				return
			}
			if len(ls) != 1 || ls[0].Email != tc.want {
				t.Fatalf("logins %+v\n%s", ls, e.logs)
			}
		})
	}
}
