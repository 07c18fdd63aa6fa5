package sqlitestore_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"modernc.org/sqlite"

	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// BenchmarkCommitSync measures a one-row durable write (an assertion id
// recorded, as a SAML login's commit records one) synced with fsync(2)
// and with fdatasync(2), Open's default, alternating the two in one run
// on one database. Metrics: the mean latency of each, and their ratio.
func BenchmarkCommitSync(b *testing.B) {
	if _, err := sqlite.Fdatasync(true); err != nil {
		b.Skip(err)
	}
	defer sqlite.Fdatasync(true)
	s, err := sqlitestore.Open(b.Context(), filepath.Join(b.TempDir(), "sync.db"), sqlitestore.Options{Keyring: testKeyring})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := b.Context()
	now := time.Now()
	var took [2]time.Duration // fsync, fdatasync
	i := 0
	for b.Loop() {
		for k, datasync := range []bool{i%2 == 0, i%2 != 0} {
			sqlite.Fdatasync(datasync)
			t := time.Now()
			if err := s.ConsumeAssertionID(ctx, "conn", fmt.Sprintf("a%d-%d", i, k), now.Add(time.Hour), now); err != nil {
				b.Fatal(err)
			}
			d := time.Since(t)
			if datasync {
				took[1] += d
			} else {
				took[0] += d
			}
		}
		i++
	}
	b.ReportMetric(float64(took[0].Microseconds())/float64(i), "fsync-us/op")
	b.ReportMetric(float64(took[1].Microseconds())/float64(i), "fdatasync-us/op")
	b.ReportMetric(float64(took[1])/float64(took[0]), "ratio")
}
