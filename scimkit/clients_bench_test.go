package scimkit

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkCreateUserClients: POST /Users over HTTP with keep-alive on
// durable SQLite (synchronous=FULL, the default), from one client and from
// four clients of the same directory at once, each client one connection
// that sends its next create when the last one is answered. Every
// iteration runs both, 200 creates each, so that their ratio comes from
// one run on the same machine load. Metrics: creates/s of each and
// x4/x1, the four clients' rate over the one client's.
//
// Run with a fixed count, e.g. -bench CreateUserClients -benchtime 5x.
func BenchmarkCreateUserClients(b *testing.B) {
	const perPhase = 200
	e := newBenchEnv(b, testStores()["sqlite"](b))
	u := e.hs.URL + "/scim/" + e.dir.ID + "/Users"
	var next atomic.Int64
	run := func(clients int) time.Duration {
		var wg sync.WaitGroup
		start := time.Now()
		for range clients {
			wg.Go(func() {
				c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
				defer c.CloseIdleConnections()
				for range perPhase / clients {
					if s := post(c, u, e.token, userBody(int(next.Add(1)))); s != http.StatusCreated {
						b.Errorf("create: status %d", s)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	run(4) // warm up connections, statements and the page cache
	var one, four time.Duration
	b.ResetTimer()
	for b.Loop() {
		one += run(1)
		four += run(4)
	}
	r1 := float64(perPhase*b.N) / one.Seconds()
	r4 := float64(perPhase*b.N) / four.Seconds()
	b.ReportMetric(r1, "creates/s-x1")
	b.ReportMetric(r4, "creates/s-x4")
	b.ReportMetric(r4/r1, "x4/x1")
}
