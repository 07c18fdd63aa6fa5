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

// BenchmarkScale: see storetest.BenchScale (-scale.orgs, -scale.users).
func BenchmarkScale(b *testing.B) {
	storetest.BenchScale(b, func(b *testing.B) store.Store { return newStore(b) }, nil)
}
