package memstore_test

import (
	"testing"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
}

func BenchmarkLookups(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return memstore.New() })
}

func BenchmarkFields(b *testing.B) {
	storetest.BenchFields(b, func(b *testing.B) store.Store { return memstore.New() })
}
