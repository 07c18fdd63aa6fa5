package storetest_test

import (
	"testing"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/storetest"
)

// A Store's conformance test is one call: Run creates a fresh Store for every
// subtest through the function it is given. This is memstore's own test; a
// custom Store opens an empty database there instead.
func ExampleRun() {
	testConformance := func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			s := memstore.New()
			t.Cleanup(func() { s.Close() })
			return s
		})
	}
	_ = testConformance // in a _test.go file: func TestConformance(t *testing.T) { ... }
}

// Bench measures the per-request lookups at 100 and 100,000 users.
func ExampleBench() {
	benchmarkLookups := func(b *testing.B) {
		storetest.Bench(b, func(b *testing.B) store.Store { return memstore.New() })
	}
	_ = benchmarkLookups // in a _test.go file: func BenchmarkLookups(b *testing.B) { ... }
}
