package pgstore_test

import (
	"testing"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/storetest"
)

func BenchmarkStore(b *testing.B) {
	testDSN(b)
	storetest.Bench(b, func(b *testing.B) store.Store { return newStore(b) })
}

func BenchmarkFields(b *testing.B) {
	testDSN(b)
	storetest.BenchFields(b, func(b *testing.B) store.Store { return newStore(b) })
}

func BenchmarkRoles(b *testing.B) {
	storetest.BenchRoles(b, func(b *testing.B) store.Store { return newStore(b) })
}
