package events

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/internal/telemetry/telemetrytest"
	"github.com/onboardkit/onboardkit/store/memstore"
)

func TestTelemetryWebhook(t *testing.T) {
	rec := telemetrytest.New(t)
	st := memstore.New()
	clock := newClock()
	secret, _ := NewWebhookSecret(nil)
	rc := &receiver{t: t, secret: secret, now: clock.Now, failures: 1}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	evs := appendEvents(t, st, 2, "org_1", "directory.user.created", "directory.user.deactivated")
	clock.Add(90 * time.Second) // each event is delivered 90 s after it was created, by the clock
	ws, err := NewWebhookSender(WebhookConfig{
		Store: st, Name: "webhook:crm", URL: srv.URL + "/hooks/onboardkit", Secret: secret,
		InsecureAllowPrivateTargets: true, Now: clock.Now, PollInterval: time.Millisecond,
		Backoff: Backoff{Initial: time.Millisecond, Max: 2 * time.Millisecond}, Logger: quietLogger(),
		TracerProvider: rec.TracerProvider, MeterProvider: rec.MeterProvider,
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runAsync(t, ws.Run)
	waitFor(t, "two deliveries, recorded", func() bool {
		c, _ := st.GetConsumerCursor(context.Background(), "webhook:crm")
		return rc.count() == 2 && c == 2 && ws.Status().Delivered == 2
	})
	stop()

	spans := rec.Named(telemetry.SpanWebhookDeliver)
	if len(spans) != 3 {
		t.Fatalf("%d delivery spans, want 3 (a failure, two deliveries)", len(spans))
	}
	for i, sp := range spans {
		want := evs[0]
		if i == 2 {
			want = evs[1]
		}
		if telemetrytest.Attr(sp, telemetry.EventID) != want.ID || telemetrytest.Attr(sp, telemetry.EventType) != want.Type ||
			telemetrytest.Attr(sp, telemetry.Consumer) != "webhook:crm" || telemetrytest.Attr(sp, telemetry.OrgID) != "org_1" ||
			telemetrytest.Attr(sp, telemetry.ServerAddress) != "127.0.0.1" || telemetrytest.Attr(sp, telemetry.HTTPRequestMethod) != "POST" {
			t.Errorf("span %d attributes = %v", i, sp.Attributes())
		}
		status, code, errType := "204", codes.Unset, ""
		if i == 0 {
			status, code, errType = "503", codes.Error, "503"
		}
		if telemetrytest.Attr(sp, telemetry.HTTPResponseStatusCode) != status || sp.Status().Code != code ||
			telemetrytest.Attr(sp, telemetry.ErrorType) != errType {
			t.Errorf("span %d: status %v, attributes %v", i, sp.Status(), sp.Attributes())
		}
	}
	consumer := telemetry.Consumer.String("webhook:crm")
	if n := rec.Sum(t, telemetry.MetricEventsDelivered, consumer); n != 2 {
		t.Errorf("delivered = %d", n)
	}
	if n := rec.Sum(t, telemetry.MetricEventsDelivered, consumer, telemetry.EventType.String("directory.user.deactivated")); n != 1 {
		t.Errorf("deactivations delivered = %d", n)
	}
	if n := rec.Sum(t, telemetry.MetricEventsFailed, consumer, telemetry.ErrorType.String("503"), telemetry.EventType.String(evs[0].Type)); n != 1 {
		t.Errorf("failures = %d", n)
	}
	n, sum := rec.Observations(t, telemetry.MetricEventsDeliveryLag, consumer)
	if n != 2 || sum < 179.9 || sum > 180 {
		t.Errorf("lag: %d observations summing to %v s, want 2 of about 90 s", n, sum)
	}
	if n, _ := rec.Observations(t, telemetry.MetricWebhookDuration, consumer); n != 3 {
		t.Errorf("webhook attempts timed = %d", n)
	}
	if n, _ := rec.Observations(t, telemetry.MetricWebhookDuration, consumer, telemetry.ErrorType.String("503")); n != 1 {
		t.Errorf("failed webhook attempts timed = %d", n)
	}
	rec.NoLeak(t, secret, secret[len(SecretPrefix):], "/hooks", `"n"`)
}

func TestTelemetryWebhookTransportFailure(t *testing.T) {
	rec := telemetrytest.New(t)
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close() // nothing listens there any more
	secret, _ := NewWebhookSecret(nil)
	ev := appendEvents(t, memstore.New(), 1, "org_1")[0]
	ws, err := NewWebhookSender(WebhookConfig{
		Store: memstore.New(), Name: "w", URL: url, Secret: secret, InsecureAllowPrivateTargets: true,
		Logger: quietLogger(), TracerProvider: rec.TracerProvider, MeterProvider: rec.MeterProvider,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.send(context.Background(), ev); err == nil {
		t.Fatal("a delivery to a closed port succeeded")
	}
	sp := rec.Span(t, telemetry.SpanWebhookDeliver)
	if sp.Status().Code != codes.Error || telemetrytest.Attr(sp, telemetry.ErrorType) != "transport" ||
		telemetrytest.Attr(sp, telemetry.HTTPResponseStatusCode) != "" {
		t.Errorf("span: status %v, attributes %v", sp.Status(), sp.Attributes())
	}
}

// TestWebhookInstrumentsOnce checks that a webhook and its subscriber
// share one set of delivery instruments: each is created once.
func TestWebhookInstrumentsOnce(t *testing.T) {
	mp := &countingMeters{made: map[string]int{}}
	secret, _ := NewWebhookSecret(nil)
	_, err := NewWebhookSender(WebhookConfig{
		Store: memstore.New(), Name: "webhook:crm", URL: "https://crm.example.com/hooks", Secret: secret,
		Logger: quietLogger(), MeterProvider: mp,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(mp.made) == 0 {
		t.Fatal("no instrument created")
	}
	for name, n := range mp.made {
		if n != 1 {
			t.Errorf("instrument %s created %d times, want once", name, n)
		}
	}
}

// countingMeters is a no-op MeterProvider that counts the instruments
// created by name.
type countingMeters struct {
	noop.MeterProvider
	mu   sync.Mutex
	made map[string]int
}

func (p *countingMeters) Meter(string, ...metric.MeterOption) metric.Meter {
	return countingMeter{p: p}
}

func (p *countingMeters) count(name string) {
	p.mu.Lock()
	p.made[name]++
	p.mu.Unlock()
}

type countingMeter struct {
	noop.Meter
	p *countingMeters
}

func (m countingMeter) Int64Counter(name string, opts ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	m.p.count(name)
	return m.Meter.Int64Counter(name, opts...)
}

func (m countingMeter) Float64Histogram(name string, opts ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	m.p.count(name)
	return m.Meter.Float64Histogram(name, opts...)
}
