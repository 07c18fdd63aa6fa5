package ssokit

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkSAMLVerify measures what the ACS does to a response's XML
// alone: reading it, its hygiene and shape checks, the signature and the
// identity read from the verified element (no HTTP, no Store). Its
// allocs/op are the ACS's XML allocations.
func BenchmarkSAMLVerify(b *testing.B) {
	for _, tc := range []struct {
		name string
		spec respSpec
	}{
		{"assertion-signed", respSpec{Attrs: benchAttrs}},
		{"response-signed", respSpec{Attrs: benchAttrs, SignResponse: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := newEnv(b, nil)
			conn, err := e.st.GetConnection(b.Context(), connSAML)
			if err != nil {
				b.Fatal(err)
			}
			sp, err := e.sso.samlSPFor(conn)
			if err != nil {
				b.Fatal(err)
			}
			raw := tc.spec.build(b)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				pr, le := parseSAMLResponse(raw)
				if le != nil {
					b.Fatal(le)
				}
				res, le := e.sso.verifySAMLResponse(sp, pr, testNow)
				if le != nil {
					b.Fatal(le)
				}
				if res.NameID == "" {
					b.Fatal("no NameID")
				}
			}
		})
	}
}

// BenchmarkSAMLHostileNames is the costliest unsigned document the name
// checks see under the size limits: 790 elements with 31 attributes of one
// local name under 31 prefixes each (duplicates unless every prefix is
// told apart). Anyone may post it to an ACS; its cost must stay that of a
// parse, not grow with attributes² × declarations per element.
func BenchmarkSAMLHostileNames(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"`)
	for i := range 15 {
		fmt.Fprintf(&sb, ` xmlns:p%d="urn:p%d"`, i, i)
	}
	sb.WriteString(`><samlp:Extensions`)
	for i := 15; i < 31; i++ {
		fmt.Fprintf(&sb, ` xmlns:p%d="urn:p%d"`, i, i)
	}
	sb.WriteString(`>`)
	for range 790 {
		sb.WriteString(`<E`)
		for i := range 31 {
			fmt.Fprintf(&sb, ` p%d:k=""`, i)
		}
		sb.WriteString(`/>`)
	}
	sb.WriteString(`</samlp:Extensions></samlp:Response>`)
	raw := []byte(sb.String())
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, le := parseSAMLResponse(raw); le == nil || le.Reason != ReasonStructure {
			b.Fatalf("refused with %v, want no assertion", le)
		}
	}
}
