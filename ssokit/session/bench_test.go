package session_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkRequireLogin measures RequireLogin on a warm session against
// the bare handler: within CacheTTL a request reads nothing from the
// Store (reads/op reports it).
func BenchmarkRequireLogin(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	b.Run("bare", func(b *testing.B) {
		r := httptest.NewRequest("GET", "https://app.example.com/app/home", nil)
		b.ReportAllocs()
		for b.Loop() {
			ok.ServeHTTP(httptest.NewRecorder(), r)
		}
	})
	for _, be := range backends[:2] {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			w := newWorld(b, st, "acme")
			clk := &clock{t: t0}
			cs := &counting{Store: st}
			a := newApp(b, cs, clk, w, nil) // default CacheTTL; the test clock stays within it
			br := newBrowser()
			rec := br.do(b, a, "GET", "/test/login", "", nil)
			if rec.Code != http.StatusSeeOther {
				b.Fatal(rec.Code)
			}
			h := a.m.RequireLogin(ok)
			r := httptest.NewRequest("GET", "https://app.example.com/app/home", nil)
			for _, c := range br.jar {
				r.AddCookie(c)
			}
			h.ServeHTTP(httptest.NewRecorder(), r) // warm
			reads := cs.reads.Load()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != http.StatusNoContent {
					b.Fatal(rec.Code)
				}
			}
			b.ReportMetric(float64(cs.reads.Load()-reads)/float64(b.N), "reads/op")
		})
	}
}
