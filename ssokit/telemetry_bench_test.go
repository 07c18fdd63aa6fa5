package ssokit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/internal/telemetry/telemetrytest"
	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// BenchmarkACSTelemetry measures the ACS over HTTP on memstore (as
// BenchmarkACS does) under each telemetry setting of
// telemetrytest.Settings: "off" (no-op providers given), "global" (nothing
// configured) and "sdk" (every span sampled and exported in memory,
// metrics read by a manual reader), alternating the three in one run.
//
// It reports <setting>-ns/op for each and the ratios global/off and
// sdk/off.
func BenchmarkACSTelemetry(b *testing.B) {
	keys(b)
	ctx := context.Background()
	st := memstore.New()
	seedStore(b, st)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cookie, _ := secret.New(nil, bindingPrefix)

	settings := telemetrytest.Settings(b)
	handlers := make([]*SSO, len(settings))
	for i, set := range settings {
		prefix := "/" + set.Name
		sso, err := New(Config{
			Store: st, BaseURL: srv.URL + prefix,
			OnLogin: func(w http.ResponseWriter, r *http.Request, p *Profile) {
				http.Redirect(w, r, p.ReturnTo, http.StatusSeeOther)
			},
			Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
			Limits:         Limits{PerConnection: limits.Rate{Unlimited: true}}, // a benchmark posts faster than a connection may
			TracerProvider: set.TracerProvider, MeterProvider: set.MeterProvider,
		})
		if err != nil {
			b.Fatal(err)
		}
		handlers[i] = sso
		mux.Handle(prefix+"/", http.StripPrefix(prefix, sso))
	}

	prepare := func(sso *SSO, i int) (string, []byte) {
		now := time.Now()
		id := fmt.Sprintf("id_tbench_%d_%d", now.UnixNano(), i)
		if err := st.CreateLoginRequest(ctx, &store.LoginRequest{
			ID: id, ConnectionID: connSAML, OrgID: testOrg, Protocol: store.ProtocolSAML,
			Binding: secret.Digest(cookie), ReturnTo: "/", CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
		}); err != nil {
			b.Fatal(err)
		}
		raw := respSpec{
			Now: now, InResponseTo: id, ACS: sso.SAMLACSURL(connSAML), Audience: sso.SAMLEntityID(connSAML),
			NameID: "jane.doe@example.com", Attrs: benchAttrs,
			ResponseID: fmt.Sprintf("_r%d", i) + id, AssertionID: fmt.Sprintf("_a%d", i) + id,
		}.build(b)
		return id, raw
	}
	post := func(sso *SSO, id string, raw []byte) time.Duration {
		return postACS(b, client, sso.SAMLACSURL(connSAML), cookie, id, raw)
	}
	for w := 0; w < 3; w++ {
		for _, sso := range handlers {
			id, raw := prepare(sso, -1-w)
			post(sso, id, raw)
		}
	}
	total := make([]time.Duration, len(handlers))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range handlers {
			j := (i + k) % len(handlers) // rotate the order
			b.StopTimer()
			id, raw := prepare(handlers[j], i)
			b.StartTimer()
			total[j] += post(handlers[j], id, raw)
		}
	}
	b.StopTimer()
	telemetrytest.ReportSettings(b, settings, total)
}
