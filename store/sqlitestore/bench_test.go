package sqlitestore_test

import (
	"testing"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/storetest"
)

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return newStore(b) })
}

func BenchmarkFields(b *testing.B) {
	storetest.BenchFields(b, func(b *testing.B) store.Store { return newStore(b) })
}

func BenchmarkRoles(b *testing.B) {
	storetest.BenchRoles(b, func(b *testing.B) store.Store { return newStore(b) })
}
