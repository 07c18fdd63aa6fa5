package scimkit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/limits"
)

// BenchmarkNoisyNeighbour: one directory provisions users at a steady 25
// creates per second (faster than Okta or Entra ID push) while another
// directory of the same Server floods it with creates from four
// connections at full speed, on durable SQLite. It reports the quiet
// directory's latency percentiles:
//
//   - alone: nobody floods;
//   - flood: the flood, with the default limits (the flooder gets 429
//     past 50 requests per second);
//   - flood-unlimited: the flood with the limits off, to show what they
//     prevent.
//
// Run with a fixed count, e.g. -bench NoisyNeighbour -benchtime 400x.
func BenchmarkNoisyNeighbour(b *testing.B) {
	for _, mode := range []string{"alone", "flood", "flood-unlimited"} {
		b.Run(mode, func(b *testing.B) {
			e := newBenchEnvConfig(b, testStores()["sqlite"](b), func(c *Config) {
				if mode == "flood-unlimited" {
					c.Limits = Limits{PerDirectory: limits.Rate{Unlimited: true}}
				}
			})
			ctx := context.Background()
			quiet, err := e.srv.CreateDirectory(ctx, "org_bench", DirectoryOptions{Active: true})
			if err != nil {
				b.Fatal(err)
			}
			quietTok, _, err := e.srv.CreateToken(ctx, quiet.ID, TokenOptions{})
			if err != nil {
				b.Fatal(err)
			}
			var stop atomic.Bool
			var wg sync.WaitGroup
			var created, refused atomic.Int64
			if mode != "alone" {
				for g := range 4 {
					wg.Go(func() {
						c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
						defer c.CloseIdleConnections()
						for i := 0; !stop.Load(); i++ {
							status := post(c, e.hs.URL+"/scim/"+e.dir.ID+"/Users", e.token, userBody(1_000_000*(g+1)+i))
							switch status {
							case http.StatusCreated:
								created.Add(1)
							case http.StatusTooManyRequests:
								refused.Add(1)
							}
						}
					})
				}
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer client.CloseIdleConnections()
			lat := make([]time.Duration, 0, b.N)
			tick := time.NewTicker(40 * time.Millisecond)
			defer tick.Stop()
			start := time.Now()
			b.ResetTimer()
			for i := range b.N {
				<-tick.C
				t0 := time.Now()
				if s := post(client, e.hs.URL+"/scim/"+quiet.ID+"/Users", quietTok, userBody(i)); s != http.StatusCreated {
					b.Fatalf("quiet directory's create %d: status %d", i, s)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			stop.Store(true)
			wg.Wait()
			secs := time.Since(start).Seconds()
			slices.Sort(lat)
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
			b.ReportMetric(pct(0.50), "p50-µs")
			b.ReportMetric(pct(0.99), "p99-µs")
			b.ReportMetric(float64(created.Load())/secs, "flood-creates/s")
			b.ReportMetric(float64(refused.Load())/secs, "flood-429/s")
		})
	}
}

// post sends one SCIM create and returns the status.
func post(c *http.Client, u, token, body string) int {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		panic(fmt.Sprint(err))
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := c.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}
