package scimkit

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
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
// connections at full speed (raw keep-alive connections, so that the
// flooding client costs little CPU of its own), on durable SQLite. It reports the quiet
// directory's latency percentiles:
//
//   - alone: nobody floods;
//   - flood: the flood, with the default limits (the flooder gets 429
//     past 50 requests per second);
//   - flood-backoff: the flood with the default limits from a client that
//     waits as long as a 429's Retry-After says before its next request,
//     as a well-behaved SCIM client does;
//   - flood-unlimited: the flood with the limits off, to show what they
//     prevent.
//
// Run with a fixed count, e.g. -bench NoisyNeighbour -benchtime 400x.
func BenchmarkNoisyNeighbour(b *testing.B) {
	for _, mode := range []string{"alone", "flood", "flood-backoff", "flood-unlimited"} {
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
						flood(b, e, g, mode == "flood-backoff", &stop, &created, &refused)
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

// flood sends user creates to e's directory over one raw keep-alive
// connection as fast as the answers come back, until stop: a client that
// costs this process little beyond the server's own work, as a flooder on
// another machine would. With backoff it waits out a 429's Retry-After.
func flood(b *testing.B, e *benchEnv, g int, backoff bool, stop *atomic.Bool, created, refused *atomic.Int64) {
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.hs.URL, "http://"))
	if err != nil {
		b.Error(err)
		return
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	var buf []byte
	for i := 0; !stop.Load(); i++ {
		body := userBody(1_000_000*(g+1) + i)
		buf = fmt.Appendf(buf[:0], "POST /scim/%s/Users HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer %s\r\nContent-Type: application/scim+json\r\nContent-Length: %d\r\n\r\n%s",
			e.dir.ID, e.token, len(body), body)
		if _, err := conn.Write(buf); err != nil {
			return
		}
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusCreated:
			created.Add(1)
		case http.StatusTooManyRequests:
			refused.Add(1)
			if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); backoff && err == nil {
				for end := time.Now().Add(time.Duration(secs) * time.Second); time.Now().Before(end) && !stop.Load(); {
					time.Sleep(10 * time.Millisecond)
				}
			}
		}
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

// BenchmarkRefusal is the server's own cost of the answers a flooding
// directory gets, without HTTP transport: "429" once the directory is over
// its rate, against "list" (an authenticated GET /Users on memstore, the
// cheapest request served).
func BenchmarkRefusal(b *testing.B) {
	for _, mode := range []string{"429", "list"} {
		b.Run(mode, func(b *testing.B) {
			e := newBenchEnvConfig(b, testStores()["memstore"](b), func(c *Config) {
				if mode == "429" {
					c.Limits.PerDirectory = limits.Rate{PerSecond: 1e-9, Burst: 1}
				} else {
					c.Limits.PerDirectory = limits.Rate{Unlimited: true}
				}
			})
			req := httptest.NewRequest(http.MethodGet, "/"+e.dir.ID+"/Users?count=1", nil)
			req.Header.Set("Authorization", "Bearer "+e.token)
			want := map[string]int{"429": http.StatusTooManyRequests, "list": http.StatusOK}[mode]
			e.srv.ServeHTTP(httptest.NewRecorder(), req) // the one request of the 429 burst
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				w := httptest.NewRecorder()
				e.srv.ServeHTTP(w, req)
				if w.Code != want {
					b.Fatalf("status %d, want %d", w.Code, want)
				}
			}
		})
	}
}
