// Package telemetry holds what onboardkit's packages share to emit
// OpenTelemetry traces and metrics: the span and metric names, the
// attribute keys, and the instruments built once when a kit is created.
//
// Only the OpenTelemetry API is used: the host brings the SDK and its
// exporters, through each kit's Config.TracerProvider and
// Config.MeterProvider or through the otel globals. With neither, every
// call here is a no-op: a span that does not record and instruments whose
// Enabled is false, checked before any attribute is built.
//
// Attributes follow the OpenTelemetry semantic conventions where one
// exists (http.request.method, http.response.status_code, http.route,
// error.type, server.address); product attributes are under onboardkit.*.
// They carry ids, protocols, operations, reasons and status codes only:
// never an email, a user name, a token, a secret or a SAML/OIDC payload.
//
// The names are documented in docs/operations.md ("Telemetry"); a name
// changed here must be changed there.
package telemetry

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of every tracer and meter.
const ScopeName = "github.com/onboardkit/onboardkit"

// Attribute keys of the OpenTelemetry semantic conventions.
const (
	HTTPRequestMethod      = attribute.Key("http.request.method")
	HTTPResponseStatusCode = attribute.Key("http.response.status_code")
	HTTPRoute              = attribute.Key("http.route")
	ErrorType              = attribute.Key("error.type")
	ServerAddress          = attribute.Key("server.address")
)

// Product attribute keys.
const (
	OrgID            = attribute.Key("onboardkit.organization.id")
	ConnectionID     = attribute.Key("onboardkit.connection.id")
	DirectoryID      = attribute.Key("onboardkit.directory.id")
	Protocol         = attribute.Key("onboardkit.sso.protocol")
	LoginTest        = attribute.Key("onboardkit.sso.test")
	LoginResult      = attribute.Key("onboardkit.login.result")
	LoginReason      = attribute.Key("onboardkit.login.reason")
	SCIMOperation    = attribute.Key("onboardkit.scim.operation")
	SCIMResourceType = attribute.Key("onboardkit.scim.resource_type")
	EventType        = attribute.Key("onboardkit.event.type")
	EventID          = attribute.Key("onboardkit.event.id")
	Consumer         = attribute.Key("onboardkit.events.consumer")
	APIKeyID         = attribute.Key("onboardkit.api_key.id")
	MgmtAPIOperation = attribute.Key("onboardkit.mgmtapi.operation")
)

// Login results (LoginResult).
const (
	ResultSucceeded = "succeeded"
	ResultRefused   = "refused"
	ResultError     = "error"
)

// Span names.
const (
	SpanSSOStart         = "onboardkit.sso.start"
	SpanSSOIdPRedirect   = "onboardkit.sso.idp_redirect"
	SpanSSOACS           = "onboardkit.sso.acs"
	SpanSSOCallback      = "onboardkit.sso.oidc_callback"
	SpanSSOVerify        = "onboardkit.sso.verify"
	SpanSSOCommit        = "onboardkit.sso.commit"
	SpanSCIMRequest      = "onboardkit.scim.request"
	SpanPortalRequest    = "onboardkit.portal.request"
	SpanDashboardRequest = "onboardkit.dashboard.request"
	SpanMgmtAPIRequest   = "onboardkit.mgmtapi.request"
	SpanWebhookDeliver   = "onboardkit.webhook.deliver"
)

// Metric names.
const (
	MetricLogins             = "onboardkit.sso.logins"
	MetricLoginDuration      = "onboardkit.sso.login.duration"
	MetricSCIMRequests       = "onboardkit.scim.requests"
	MetricSCIMDuration       = "onboardkit.scim.request.duration"
	MetricPortalRequests     = "onboardkit.portal.requests"
	MetricPortalDuration     = "onboardkit.portal.request.duration"
	MetricDashboardRequests  = "onboardkit.dashboard.requests"
	MetricDashboardDuration  = "onboardkit.dashboard.request.duration"
	MetricMgmtAPIRequests    = "onboardkit.mgmtapi.requests"
	MetricMgmtAPIDuration    = "onboardkit.mgmtapi.request.duration"
	MetricEventsProduced     = "onboardkit.events.produced"
	MetricEventsDelivered    = "onboardkit.events.delivered"
	MetricEventsFailed       = "onboardkit.events.delivery_failures"
	MetricEventsDeliveryLag  = "onboardkit.events.delivery.lag"
	MetricWebhookDuration    = "onboardkit.webhook.duration"
	unitSeconds              = "s"
	unitRequests             = "{request}"
	unitEvents               = "{event}"
	unitLogins               = "{login}"
	unitDeliveries           = "{delivery}"
	descriptionLoginDuration = "Time to answer an ACS or OIDC callback request."
)

// requestBuckets are the bucket boundaries of request durations, in
// seconds (the semantic conventions' http.server.request.duration ones).
var requestBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// lagBuckets are the bucket boundaries of delivery lags, in seconds: from
// an in-process subscriber's milliseconds to a webhook receiver down for
// hours.
var lagBuckets = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 12 * 3600, 24 * 3600}

// Tracer returns the tracer of tp, or of the global provider when tp is
// nil.
func Tracer(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return tp.Tracer(ScopeName)
}

// Meter returns the meter of mp, or of the global provider when mp is nil.
func Meter(mp metric.MeterProvider) metric.Meter {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	return mp.Meter(ScopeName)
}

// Seconds returns the time since start in seconds, for a duration
// histogram.
func Seconds(start time.Time) float64 { return time.Since(start).Seconds() }

// Route is the http.route of a request that matched the ServeMux pattern
// pattern: its path (GET /l/{token} gives /l/{token}, never the token;
// GET /{$} gives /), or "unmatched" for none or the catch-all "/".
func Route(pattern string) attribute.KeyValue {
	if pattern == "" || pattern == "/" {
		return HTTPRoute.String("unmatched")
	}
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	return HTTPRoute.String(strings.TrimSuffix(pattern, "{$}"))
}

// Fail marks sp as failed with errType (a low-cardinality class: a reason,
// a status code), in its status and its error.type attribute.
func Fail(sp trace.Span, errType string) {
	if !sp.IsRecording() {
		return
	}
	sp.SetAttributes(ErrorType.String(errType))
	sp.SetStatus(codes.Error, errType)
}

// StartRequest starts span name as a child of r's context. The returned
// request carries the span, and the span its attributes kv, only when it
// records, so that a no-op tracer costs no request copy and no option.
func StartRequest(tr trace.Tracer, r *http.Request, name string, kv ...attribute.KeyValue) (*http.Request, trace.Span) {
	ctx, sp := tr.Start(r.Context(), name)
	if sp.IsRecording() {
		sp.SetAttributes(kv...)
		r = r.WithContext(ctx)
	}
	return r, sp
}

// Logins are the instruments of SSO logins.
type Logins struct {
	Tracer   trace.Tracer
	count    metric.Int64Counter
	duration metric.Float64Histogram
}

// NewLogins builds the login instruments of tp and mp (the globals when
// nil).
func NewLogins(tp trace.TracerProvider, mp metric.MeterProvider) (*Logins, error) {
	m := Meter(mp)
	l := &Logins{Tracer: Tracer(tp)}
	var err error
	if l.count, err = m.Int64Counter(MetricLogins, metric.WithUnit(unitLogins),
		metric.WithDescription("Completed ACS and OIDC callback requests, by protocol, result and reason.")); err != nil {
		return nil, err
	}
	if l.duration, err = m.Float64Histogram(MetricLoginDuration, metric.WithUnit(unitSeconds),
		metric.WithDescription(descriptionLoginDuration), metric.WithExplicitBucketBoundaries(requestBuckets...)); err != nil {
		return nil, err
	}
	return l, nil
}

// Record counts one finished login with its result and reason ("" on
// success), and its duration since start.
func (l *Logins) Record(ctx context.Context, start time.Time, protocol, result, reason string) {
	if !l.count.Enabled(ctx) && !l.duration.Enabled(ctx) {
		return
	}
	kv := []attribute.KeyValue{Protocol.String(protocol), LoginResult.String(result)}
	if reason != "" {
		kv = append(kv, LoginReason.String(reason))
	}
	opt := metric.WithAttributes(kv...)
	l.count.Add(ctx, 1, opt)
	l.duration.Record(ctx, Seconds(start), opt)
}

// Produced counts the events written to the outbox. The stores count
// them, once the write that holds them is committed: every event of every
// kit (and those a store writes itself, such as a role change that a
// mapping implies) passes there exactly once.
type Produced struct{ count metric.Int64Counter }

// NewProduced builds the events-produced counter of mp (the global when
// nil).
func NewProduced(mp metric.MeterProvider) (*Produced, error) {
	c, err := Meter(mp).Int64Counter(MetricEventsProduced, metric.WithUnit(unitEvents),
		metric.WithDescription("Events written to the outbox, by type."))
	if err != nil {
		return nil, err
	}
	return &Produced{c}, nil
}

// Enabled reports whether counting does anything, so that a store keeps
// nothing for it otherwise.
func (p *Produced) Enabled(ctx context.Context) bool { return p != nil && p.count.Enabled(ctx) }

// Add counts n events whose types typ gives (typ(i) for i in [0, n)),
// with one Add per run of one type: a group change of a thousand members
// is one data point update, not a thousand.
func (p *Produced) Add(ctx context.Context, n int, typ func(i int) string) {
	if n == 0 || !p.Enabled(ctx) {
		return
	}
	for i := 0; i < n; {
		t, j := typ(i), i+1
		for j < n && typ(j) == t {
			j++
		}
		p.count.Add(ctx, int64(j-i), metric.WithAttributes(EventType.String(t)))
		i = j
	}
}

// Requests are the instruments of an HTTP surface (SCIM, the portal): a
// span per request and a counter and duration histogram by route and
// status.
type Requests struct {
	tracer   trace.Tracer
	span     string
	count    metric.Int64Counter
	duration metric.Float64Histogram
}

// NewRequests builds the request instruments named span, counter and
// histogram.
func NewRequests(tp trace.TracerProvider, mp metric.MeterProvider, span, counter, histogram, what string) (*Requests, error) {
	m := Meter(mp)
	q := &Requests{tracer: Tracer(tp), span: span}
	var err error
	if q.count, err = m.Int64Counter(counter, metric.WithUnit(unitRequests),
		metric.WithDescription(what+" requests answered, by route, method and status.")); err != nil {
		return nil, err
	}
	if q.duration, err = m.Float64Histogram(histogram, metric.WithUnit(unitSeconds),
		metric.WithDescription("Time to answer "+what+" requests."), metric.WithExplicitBucketBoundaries(requestBuckets...)); err != nil {
		return nil, err
	}
	return q, nil
}

// Serve runs next under the request span. Once next answered (or
// panicked), describe (given the routed request, whose Pattern is set)
// adds the attributes of the span and the metrics besides the method and
// the status code. A status of 400 and above marks the span failed with
// the status code as error.type. When the span does not record and the
// metrics are disabled, next runs on w and r as they are.
func (q *Requests) Serve(w http.ResponseWriter, r *http.Request, next http.Handler, describe func(r *http.Request, kv []attribute.KeyValue) []attribute.KeyValue) {
	ctx, sp := q.tracer.Start(r.Context(), q.span)
	metrics := q.count.Enabled(ctx) || q.duration.Enabled(ctx)
	if !sp.IsRecording() && !metrics {
		defer sp.End()
		next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	if sp.IsRecording() {
		r = r.WithContext(ctx)
	}
	sw := &statusWriter{ResponseWriter: w}
	defer q.finish(ctx, sp, start, sw, r, describe)
	next.ServeHTTP(sw, r)
}

// finish ends a request span of Serve and records its metrics.
func (q *Requests) finish(ctx context.Context, sp trace.Span, start time.Time, sw *statusWriter, r *http.Request, describe func(*http.Request, []attribute.KeyValue) []attribute.KeyValue) {
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	kv := make([]attribute.KeyValue, 0, 8)
	kv = append(kv, HTTPRequestMethod.String(r.Method), HTTPResponseStatusCode.Int(status))
	kv = describe(r, kv)
	if status >= 400 {
		kv = append(kv, ErrorType.String(strconv.Itoa(status)))
		sp.SetStatus(codes.Error, strconv.Itoa(status))
	}
	if sp.IsRecording() {
		sp.SetAttributes(kv...)
	}
	sp.End()
	if q.count.Enabled(ctx) || q.duration.Enabled(ctx) {
		opt := metric.WithAttributes(kv...)
		q.count.Add(ctx, 1, opt)
		q.duration.Record(ctx, Seconds(start), opt)
	}
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Deliveries are the instruments of event delivery: to a Subscriber's
// handler and to a webhook.
type Deliveries struct {
	Tracer    trace.Tracer
	delivered metric.Int64Counter
	failed    metric.Int64Counter
	lag       metric.Float64Histogram
	webhook   metric.Float64Histogram
}

// NewDeliveries builds the delivery instruments of tp and mp (the globals
// when nil).
func NewDeliveries(tp trace.TracerProvider, mp metric.MeterProvider) (*Deliveries, error) {
	m := Meter(mp)
	d := &Deliveries{Tracer: Tracer(tp)}
	var err error
	if d.delivered, err = m.Int64Counter(MetricEventsDelivered, metric.WithUnit(unitEvents),
		metric.WithDescription("Events delivered to a consumer (its handler or webhook succeeded), by consumer and type.")); err != nil {
		return nil, err
	}
	if d.failed, err = m.Int64Counter(MetricEventsFailed, metric.WithUnit(unitDeliveries),
		metric.WithDescription("Failed delivery attempts (retried with backoff), by consumer, type and error.type.")); err != nil {
		return nil, err
	}
	if d.lag, err = m.Float64Histogram(MetricEventsDeliveryLag, metric.WithUnit(unitSeconds),
		metric.WithDescription("Time from an event's creation to its successful delivery, by consumer."),
		metric.WithExplicitBucketBoundaries(lagBuckets...)); err != nil {
		return nil, err
	}
	if d.webhook, err = m.Float64Histogram(MetricWebhookDuration, metric.WithUnit(unitSeconds),
		metric.WithDescription("Time of one webhook delivery attempt, by consumer and status."),
		metric.WithExplicitBucketBoundaries(requestBuckets...)); err != nil {
		return nil, err
	}
	return d, nil
}

// Delivered records one event of type typ delivered to consumer, created
// at created, delivered at now.
func (d *Deliveries) Delivered(ctx context.Context, consumer, typ string, created, now time.Time) {
	if d.delivered.Enabled(ctx) {
		d.delivered.Add(ctx, 1, metric.WithAttributes(Consumer.String(consumer), EventType.String(typ)))
	}
	if d.lag.Enabled(ctx) {
		d.lag.Record(ctx, max(now.Sub(created).Seconds(), 0), metric.WithAttributes(Consumer.String(consumer)))
	}
}

// Failed records one failed delivery attempt of an event of type typ to
// consumer, with errType its class.
func (d *Deliveries) Failed(ctx context.Context, consumer, typ, errType string) {
	if d.failed.Enabled(ctx) {
		d.failed.Add(ctx, 1, metric.WithAttributes(Consumer.String(consumer), EventType.String(typ), ErrorType.String(errType)))
	}
}

// WebhookAttempt records the duration since start of one webhook attempt
// to consumer that got status (0 when none came back).
func (d *Deliveries) WebhookAttempt(ctx context.Context, start time.Time, consumer string, status int, errType string) {
	if !d.webhook.Enabled(ctx) {
		return
	}
	kv := []attribute.KeyValue{Consumer.String(consumer), HTTPRequestMethod.String(http.MethodPost)}
	if status != 0 {
		kv = append(kv, HTTPResponseStatusCode.Int(status))
	}
	if errType != "" {
		kv = append(kv, ErrorType.String(errType))
	}
	d.webhook.Record(ctx, Seconds(start), metric.WithAttributes(kv...))
}
