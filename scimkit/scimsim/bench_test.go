package scimsim_test

import (
	"fmt"
	"testing"

	"github.com/onboardkit/onboardkit/scimkit/scimsim"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// BenchmarkFullSync provisions 200 users and 5 groups per iteration through
// scimkit on memstore over loopback HTTP, and reports users per second
// (BenchmarkProvision10k does 10,000 users on every Store).
func BenchmarkFullSync(b *testing.B) {
	for _, d := range []scimsim.Dialect{scimsim.Okta, scimsim.Entra} {
		for _, conc := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/concurrency=%d", d, conc), func(b *testing.B) {
				benchProvision(b, memstore.New(), d, scimsim.SyncSpec{Users: 200, Groups: 5, Concurrency: conc})
			})
		}
	}
}
