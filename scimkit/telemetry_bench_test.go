package scimkit

import (
	"net/http"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/internal/telemetry/telemetrytest"
	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// BenchmarkCreateUserTelemetry: POST /Users over HTTP (as
// BenchmarkCreateUser on memstore) under each telemetry setting of
// telemetrytest.Settings: "off" (no-op providers given), "global"
// (nothing configured) and "sdk" (every span sampled and exported in
// memory, metrics read by a manual reader), alternating the three in one
// run. It reports <setting>-ns/op for each and the ratios global/off and
// sdk/off.
func BenchmarkCreateUserTelemetry(b *testing.B) {
	settings := telemetrytest.Settings(b)
	envs := make([]*benchEnv, len(settings))
	for i, set := range settings {
		envs[i] = newBenchEnvConfig(b, memstore.New(), func(c *Config) {
			c.Limits = Limits{PerDirectory: limits.Rate{Unlimited: true}, Unauthenticated: limits.Rate{Unlimited: true}}
			c.TracerProvider, c.MeterProvider = set.TracerProvider, set.MeterProvider
		})
		envs[i].do(b, "POST", "/Users", userBody(-1), http.StatusCreated)
	}
	total := make([]time.Duration, len(envs))
	b.ResetTimer()
	for i := range b.N {
		for k := range envs {
			j := (i + k) % len(envs) // rotate the order
			t0 := time.Now()
			envs[j].do(b, "POST", "/Users", userBody(i), http.StatusCreated)
			total[j] += time.Since(t0)
		}
	}
	b.StopTimer()
	telemetrytest.ReportSettings(b, settings, total)
}
