package gworkspace

import (
	"testing"

	"github.com/onboardkit/onboardkit/store"
)

// BenchmarkSync measures, on each Store, the first sync of a directory of
// 10,000 users and 500 groups (every user a member of one group) and a
// resync in which nothing changed. Run with -benchtime=1x; it reports the
// Directory API calls and token requests each made.
func BenchmarkSync(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		open := testStores()[name]
		if open == nil {
			continue
		}
		b.Run(name, func(b *testing.B) {
			for _, phase := range []string{"first", "nochange"} {
				b.Run(phase, func(b *testing.B) {
					var calls, tokens, writes int
					for b.Loop() {
						b.StopTimer()
						e := newEnv(b, open(b), nil)
						e.sim.Populate(10000, 500)
						if phase == "nochange" {
							e.sync()
						}
						before := e.sim.Calls()
						b.StartTimer()
						st := e.sync()
						b.StopTimer()
						after := e.sim.Calls()
						calls += after.API() - before.API()
						tokens += after.Token - before.Token
						writes += st.Writes()
						if phase == "nochange" && st.Writes() != 0 {
							b.Fatalf("no-change resync wrote %d", st.Writes())
						}
						if e.st.(store.Store) != nil {
							e.st.Close()
						}
						b.StartTimer()
					}
					b.ReportMetric(float64(calls)/float64(b.N), "api-calls/op")
					b.ReportMetric(float64(tokens)/float64(b.N), "token-calls/op")
					b.ReportMetric(float64(writes)/float64(b.N), "writes/op")
				})
			}
		})
	}
}
