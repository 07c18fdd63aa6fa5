package ssokit

import "testing"

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
