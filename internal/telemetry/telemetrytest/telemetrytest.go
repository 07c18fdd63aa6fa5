// Package telemetrytest records what onboardkit's packages emit through
// OpenTelemetry, with the SDK's in-memory span recorder and manual metric
// reader, for tests.
package telemetrytest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/onboardkit/onboardkit/internal/telemetry"
)

// Recorder holds a TracerProvider and a MeterProvider of the SDK whose
// spans and metrics a test reads.
type Recorder struct {
	TracerProvider *sdktrace.TracerProvider
	MeterProvider  *sdkmetric.MeterProvider
	spans          *tracetest.SpanRecorder
	reader         *sdkmetric.ManualReader
}

// New returns a Recorder that samples every span; it is shut down when
// the test ends.
func New(t testing.TB) *Recorder {
	r := &Recorder{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	r.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	r.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	t.Cleanup(func() {
		_ = r.TracerProvider.Shutdown(context.Background())
		_ = r.MeterProvider.Shutdown(context.Background())
	})
	return r
}

// Spans returns the ended spans, in the order they ended.
func (r *Recorder) Spans() []sdktrace.ReadOnlySpan { return r.spans.Ended() }

// Named returns the ended spans called name.
func (r *Recorder) Named(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range r.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// Span returns the only ended span called name, failing the test when
// there is not exactly one.
func (r *Recorder) Span(t testing.TB, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	got := r.Named(name)
	if len(got) != 1 {
		t.Fatalf("%d spans %q, want 1; spans: %s", len(got), name, r.names())
	}
	return got[0]
}

func (r *Recorder) names() string {
	var b strings.Builder
	for _, s := range r.spans.Ended() {
		fmt.Fprintf(&b, "%s ", s.Name())
	}
	return b.String()
}

// Attr returns the value of attribute key of span s, "" when absent, in
// its text form.
func Attr(s sdktrace.ReadOnlySpan, key attribute.Key) string {
	for _, kv := range s.Attributes() {
		if kv.Key == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// ChildOf reports whether s's parent is p.
func ChildOf(s, p sdktrace.ReadOnlySpan) bool {
	return s.Parent().SpanID() == p.SpanContext().SpanID() && s.SpanContext().TraceID() == p.SpanContext().TraceID()
}

// Collect reads the metrics recorded so far.
func (r *Recorder) Collect(t testing.TB) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	return rm
}

// matches reports whether set holds every attribute of want.
func matches(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		v, ok := set.Value(kv.Key)
		if !ok || v != kv.Value {
			return false
		}
	}
	return true
}

// Sum returns the total of counter name over the data points whose
// attributes include want.
func (r *Recorder) Sum(t testing.TB, name string, want ...attribute.KeyValue) int64 {
	t.Helper()
	var n int64
	for _, m := range r.metrics(t, name) {
		sum, ok := m.Data.(metricdata.Sum[int64])
		if !ok {
			t.Fatalf("metric %s is a %T, not an int64 sum", name, m.Data)
		}
		for _, dp := range sum.DataPoints {
			if matches(dp.Attributes, want) {
				n += dp.Value
			}
		}
	}
	return n
}

// Produced returns the count of events of type typ produced
// (onboardkit.events.produced), of every type for "".
func (r *Recorder) Produced(t testing.TB, typ string) int64 {
	t.Helper()
	if typ == "" {
		return r.Sum(t, telemetry.MetricEventsProduced)
	}
	return r.Sum(t, telemetry.MetricEventsProduced, telemetry.EventType.String(typ))
}

// Observations returns how many values histogram name recorded over the
// data points whose attributes include want, and their sum.
func (r *Recorder) Observations(t testing.TB, name string, want ...attribute.KeyValue) (count uint64, sum float64) {
	t.Helper()
	for _, m := range r.metrics(t, name) {
		h, ok := m.Data.(metricdata.Histogram[float64])
		if !ok {
			t.Fatalf("metric %s is a %T, not a float64 histogram", name, m.Data)
		}
		for _, dp := range h.DataPoints {
			if matches(dp.Attributes, want) {
				count += dp.Count
				sum += dp.Sum
			}
		}
	}
	return count, sum
}

func (r *Recorder) metrics(t testing.TB, name string) []metricdata.Metrics {
	t.Helper()
	var out []metricdata.Metrics
	for _, sm := range r.Collect(t).ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				out = append(out, m)
			}
		}
	}
	return out
}

// Values returns every text the spans and metrics carry besides their
// names: attribute values of spans, span events and metric data points,
// and status descriptions.
func (r *Recorder) Values(t testing.TB) []string {
	t.Helper()
	var out []string
	add := func(kvs []attribute.KeyValue) {
		for _, kv := range kvs {
			out = append(out, string(kv.Key)+"="+kv.Value.Emit())
		}
	}
	for _, s := range r.spans.Ended() {
		add(s.Attributes())
		for _, e := range s.Events() {
			out = append(out, e.Name)
			add(e.Attributes)
		}
		out = append(out, s.Status().Description)
	}
	for _, sm := range r.Collect(t).ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					add(dp.Attributes.ToSlice())
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					add(dp.Attributes.ToSlice())
				}
			}
		}
	}
	return out
}

// NoLeak fails the test when a span or metric value contains one of
// secrets (compared case-insensitively).
func (r *Recorder) NoLeak(t testing.TB, secrets ...string) {
	t.Helper()
	values := r.Values(t)
	if len(values) == 0 {
		t.Fatal("nothing recorded to check")
	}
	for _, v := range values {
		for _, s := range secrets {
			if s != "" && strings.Contains(strings.ToLower(v), strings.ToLower(s)) {
				t.Errorf("telemetry value %q contains %q", v, s)
			}
		}
	}
}

// Setting is one way a host configures telemetry, for benchmarks that
// compare them in one run.
type Setting struct {
	Name           string
	TracerProvider trace.TracerProvider // nil: the global one
	MeterProvider  metric.MeterProvider // nil: the global one
}

// Settings returns the settings benchmarks compare: "off" (the API's
// no-op providers, given explicitly), "global" (nothing given and no
// global set: what a host that configures nothing gets) and "sdk" (the
// SDK sampling every span into a batch processor with an in-memory
// exporter, and metrics into a manual reader). The SDK providers are shut
// down when b ends.
func Settings(b testing.TB) []Setting {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewInMemoryExporter()), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	return []Setting{
		{Name: "off", TracerProvider: tracenoop.NewTracerProvider(), MeterProvider: metricnoop.NewMeterProvider()},
		{Name: "global"},
		{Name: "sdk", TracerProvider: tp, MeterProvider: mp},
	}
}

// ReportSettings reports a benchmark's total time under each setting
// (in the order of Settings) as <name>-ns/op, and the ratios of the
// others to the first as <name>/<first>.
func ReportSettings(b *testing.B, settings []Setting, total []time.Duration) {
	for i, s := range settings {
		b.ReportMetric(float64(total[i].Nanoseconds())/float64(b.N), s.Name+"-ns/op")
		if i > 0 && total[0] > 0 {
			b.ReportMetric(float64(total[i])/float64(total[0]), s.Name+"/"+settings[0].Name)
		}
	}
}
