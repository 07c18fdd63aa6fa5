package events

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/store"
)

// Standard Webhooks headers (https://www.standardwebhooks.com).
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// SecretPrefix starts every webhook signing secret.
const SecretPrefix = "whsec_"

// DefaultTolerance is how far a webhook timestamp may be from the receiver's
// clock when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Verification outcomes, tested with errors.Is.
var (
	// ErrMissingHeaders: a webhook-id, webhook-timestamp or
	// webhook-signature header is absent or empty.
	ErrMissingHeaders = errors.New("events: webhook headers missing")
	// ErrTimestamp: the timestamp is malformed or outside the tolerance.
	ErrTimestamp = errors.New("events: webhook timestamp outside tolerance")
	// ErrSignature: no signature in the header matches the body.
	ErrSignature = errors.New("events: webhook signature mismatch")
	// ErrSecret: the secret is not "whsec_" followed by base64.
	ErrSecret = errors.New("events: malformed webhook secret")
)

// NewWebhookSecret returns a new signing secret: "whsec_" followed by the
// standard base64 encoding of 32 random bytes read from r (crypto/rand when
// nil). Give it to the receiver once, over a secure channel.
func NewWebhookSecret(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [32]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("events: reading randomness: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:]), nil
}

// decodeSecret returns the key bytes of a "whsec_<base64>" secret. The prefix
// is optional, as in the Standard Webhooks reference libraries.
func decodeSecret(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, ErrSecret
	}
	return key, nil
}

func signature(key []byte, id string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the webhook-signature header value for a message: "v1,"
// followed by the base64 HMAC-SHA256, keyed by the secret, of
// id + "." + timestamp (Unix seconds) + "." + body.
func Sign(secret, id string, timestamp time.Time, body []byte) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(signature(key, id, timestamp.Unix(), body)), nil
}

// Verify checks a received webhook: the three Standard Webhooks headers must
// be present, the timestamp within tolerance of now (DefaultTolerance when
// tolerance <= 0), and one of the space-separated "v1,<base64>" signatures
// must equal the HMAC of the exact body bytes, compared in constant time.
// Pass the raw body as read from the request, before any JSON decoding.
//
// Receivers should also remember webhook-id values they processed: a
// delivery can be repeated (at-least-once), always with the same id.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := decodeSecret(secret)
	if err != nil {
		return err
	}
	id, tsText, sigs := h.Get(HeaderWebhookID), h.Get(HeaderWebhookTimestamp), h.Get(HeaderWebhookSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: malformed timestamp", ErrTimestamp)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Unix() - ts; d > int64(tolerance/time.Second) || -d > int64(tolerance/time.Second) {
		return ErrTimestamp
	}
	want := signature(key, id, ts, body)
	ok := false
	for _, s := range strings.Fields(sigs) {
		version, enc, found := strings.Cut(s, ",")
		if !found || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			ok = true
		}
	}
	if !ok {
		return ErrSignature
	}
	return nil
}

// WebhookConfig configures a WebhookSender.
type WebhookConfig struct {
	// Store holds the outbox, the durable cursor and the lease. Required.
	Store Source

	// Name is the durable consumer name of this endpoint (for example
	// "webhook:crm"); see SubscriberConfig.Name. Required.
	Name string

	// URL is the receiver's endpoint, http or https. Required. Targets on
	// loopback, private, link-local or otherwise internal addresses are
	// refused, both in the URL and after DNS resolution, unless
	// InsecureAllowPrivateTargets is set.
	URL string

	// Secret signs every delivery: "whsec_" followed by the base64 of 24 to
	// 64 random bytes (see NewWebhookSecret). Required.
	Secret string

	// HTTPClient sends the requests. Default: a client with no proxy whose
	// dialer enforces the private-address rule. A client given here is
	// copied; redirects are never followed (a 3xx is a failed delivery), and
	// when its Transport is an *http.Transport (or nil) a copy of it gets the
	// same address check. A custom RoundTripper of another type is used as
	// it is, and then only the URL's literal host is checked.
	HTTPClient *http.Client

	// Timeout bounds each delivery attempt. Default 15s.
	Timeout time.Duration

	// UserAgent is sent with every request. Default "onboardkit-webhooks/1".
	UserAgent string

	// Types and OrgID filter the events sent; see SubscriberConfig. Default:
	// all events.
	Types []string
	OrgID string

	// PollInterval, BatchSize, LeaseDuration and Holder: see
	// SubscriberConfig (same defaults).
	PollInterval  time.Duration
	BatchSize     int
	LeaseDuration time.Duration
	Holder        string

	// Backoff is the retry schedule of a failed delivery. Default Initial
	// 5s, Max 30m. A failing endpoint holds back later events (delivery is
	// in order); it receives them once it answers 2xx again.
	Backoff Backoff

	// InsecureAllowPrivateTargets allows URLs on loopback and private
	// networks. For development and tests only: in production it lets
	// whoever configures the URL reach internal services.
	InsecureAllowPrivateTargets bool

	// Now stamps webhook-timestamp and drives leases. Default time.Now.
	Now func() time.Time

	// Rand is the source of backoff jitter and the default Holder. Default
	// crypto/rand.
	Rand io.Reader

	// Logger receives delivery failures (status code or network error,
	// never the secret or the body). Default slog.Default().
	Logger *slog.Logger

	// TracerProvider receives a span per delivery attempt
	// (onboardkit.webhook.deliver: consumer, event type and id,
	// organization, server.address, status code); see "Telemetry" in
	// docs/operations.md. Default: otel.GetTracerProvider(), a no-op unless
	// the host set one.
	TracerProvider trace.TracerProvider

	// MeterProvider receives onboardkit.webhook.duration and the delivery
	// metrics of SubscriberConfig.MeterProvider. Default:
	// otel.GetMeterProvider(), a no-op unless the host set one.
	MeterProvider metric.MeterProvider
}

// WebhookSender posts every event to a URL, signed per Standard Webhooks,
// with at-least-once delivery in cursor order. It runs a Subscriber.
type WebhookSender struct {
	sub     *Subscriber
	url     string
	key     []byte
	client  *http.Client
	timeout time.Duration
	agent   string
	now     func() time.Time
	logger  *slog.Logger
	name    string
	host    string // the URL's host, for server.address
	tel     *telemetry.Deliveries
}

// DeliveryError is a failed webhook attempt: the receiver answered StatusCode
// (not 2xx), or the request failed (StatusCode 0, Err set).
type DeliveryError struct {
	StatusCode int
	Err        error
}

// Error describes the failed delivery attempt.
func (e *DeliveryError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("events: webhook receiver answered %d", e.StatusCode)
	}
	return fmt.Sprintf("events: webhook request failed: %v", e.Err)
}

// Unwrap returns the transport error, if any.
func (e *DeliveryError) Unwrap() error { return e.Err }

// NewWebhookSender validates cfg and returns a sender. Call Run to start it.
func NewWebhookSender(cfg WebhookConfig) (*WebhookSender, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("events: WebhookConfig.URL must be an absolute http or https URL")
	}
	if !cfg.InsecureAllowPrivateTargets {
		if err := checkHost(u.Hostname()); err != nil {
			return nil, err
		}
	}
	key, err := decodeSecret(cfg.Secret)
	if err != nil || !strings.HasPrefix(cfg.Secret, SecretPrefix) {
		return nil, errors.New(`events: WebhookConfig.Secret must be "whsec_" followed by base64 (see NewWebhookSecret)`)
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, errors.New("events: WebhookConfig.Secret must hold 24 to 64 bytes")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "onboardkit-webhooks/1"
	}
	if cfg.Backoff.Initial <= 0 {
		cfg.Backoff.Initial = 5 * time.Second
	}
	if cfg.Backoff.Max <= 0 {
		cfg.Backoff.Max = 30 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	tel, err := telemetry.NewDeliveries(cfg.TracerProvider, cfg.MeterProvider)
	if err != nil {
		return nil, fmt.Errorf("events: telemetry: %w", err)
	}
	w := &WebhookSender{
		name:    cfg.Name,
		host:    u.Hostname(),
		tel:     tel,
		url:     u.String(),
		key:     key,
		client:  webhookClient(cfg.HTTPClient, cfg.InsecureAllowPrivateTargets),
		timeout: cfg.Timeout,
		agent:   cfg.UserAgent,
		now:     cfg.Now,
		logger:  cfg.Logger.With("webhook", u.Redacted()),
	}
	// The subscriber records its deliveries with the webhook's
	// instruments.
	w.sub, err = newSubscriber(SubscriberConfig{
		Store:         cfg.Store,
		Name:          cfg.Name,
		Handler:       w.send,
		Types:         cfg.Types,
		OrgID:         cfg.OrgID,
		PollInterval:  cfg.PollInterval,
		BatchSize:     cfg.BatchSize,
		Backoff:       cfg.Backoff,
		LeaseDuration: cfg.LeaseDuration,
		Holder:        cfg.Holder,
		Now:           cfg.Now,
		Rand:          cfg.Rand,
		Logger:        cfg.Logger,
		MeterProvider: cfg.MeterProvider,
	}, tel)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Run delivers until ctx ends; see Subscriber.Run.
func (w *WebhookSender) Run(ctx context.Context) error { return w.sub.Run(ctx) }

// Heartbeat reports whether Run runs and when it last went round (see
// Subscriber.Heartbeat).
func (w *WebhookSender) Heartbeat() (running bool, last time.Time) { return w.sub.Heartbeat() }

// Notify wakes the sender early; see Subscriber.Notify.
func (w *WebhookSender) Notify() { w.sub.Notify() }

// Status reports progress; see Subscriber.Status.
func (w *WebhookSender) Status() Status { return w.sub.Status() }

// send makes one delivery attempt (deliver) under an
// onboardkit.webhook.deliver span.
func (w *WebhookSender) send(ctx context.Context, e store.Event) (err error) {
	start := time.Now()
	ctx, sp := w.tel.Tracer.Start(ctx, telemetry.SpanWebhookDeliver, trace.WithSpanKind(trace.SpanKindClient))
	var status int
	defer func() {
		errType := ""
		if err != nil {
			errType = errorType(err)
		}
		if sp.IsRecording() {
			sp.SetAttributes(telemetry.Consumer.String(w.name), telemetry.EventType.String(e.Type), telemetry.EventID.String(e.ID),
				telemetry.OrgID.String(e.OrgID), telemetry.HTTPRequestMethod.String(http.MethodPost), telemetry.ServerAddress.String(w.host))
			if status != 0 {
				sp.SetAttributes(telemetry.HTTPResponseStatusCode.Int(status))
			}
			if errType != "" {
				telemetry.Fail(sp, errType)
			}
		}
		sp.End()
		w.tel.WebhookAttempt(ctx, start, w.name, status, errType)
	}()
	status, err = w.deliver(ctx, e)
	return err
}

// deliver posts e once and returns the status code received (0 for
// none).
func (w *WebhookSender) deliver(ctx context.Context, e store.Event) (int, error) {
	body, err := MarshalEvent(e)
	if err != nil {
		return 0, fmt.Errorf("events: encoding event %s: %w", e.ID, err)
	}
	ts := w.now().Unix()
	sig := "v1," + base64.StdEncoding.EncodeToString(signature(w.key, e.ID, ts, body))

	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return 0, &DeliveryError{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", w.agent)
	req.Header.Set(HeaderWebhookID, e.ID)
	req.Header.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderWebhookSignature, sig)
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may carry credentials; the logger names the redacted URL
		}
		return 0, &DeliveryError{Err: err}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, &DeliveryError{StatusCode: resp.StatusCode}
	}
	return resp.StatusCode, nil
}

// errorType classes a failed delivery for error.type: the status code the
// receiver answered, "timeout", "transport" for another request failure,
// "handler" for an error of a Subscriber's Handler.
func errorType(err error) string {
	var de *DeliveryError
	var ne net.Error
	switch {
	case errors.As(err, &de) && de.StatusCode != 0:
		return strconv.Itoa(de.StatusCode)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case de != nil:
		return "transport"
	}
	return "handler"
}

// errPrivateTarget is returned when a webhook URL resolves to an internal
// address.
var errPrivateTarget = errors.New("events: webhook target is a loopback, private or internal address (set InsecureAllowPrivateTargets for development)")

// checkHost refuses literal internal addresses and localhost names.
func checkHost(host string) error {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || h == "" {
		return errPrivateTarget
	}
	if a, err := netip.ParseAddr(h); err == nil && internalAddr(a) {
		return errPrivateTarget
	}
	return nil
}

var (
	sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork        = netip.MustParsePrefix("0.0.0.0/8")
	benchmarking       = netip.MustParsePrefix("198.18.0.0/15")
	nat64              = netip.MustParsePrefix("64:ff9b::/96")
)

// internalAddr reports whether a is not a public unicast address.
func internalAddr(a netip.Addr) bool {
	a = a.Unmap()
	if nat64.Contains(a) {
		// 64:ff9b::a.b.c.d reaches IPv4 a.b.c.d through a NAT64 gateway.
		b := a.As16()
		a = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	return !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() ||
		a.IsMulticast() || sharedAddressSpace.Contains(a) || thisNetwork.Contains(a) ||
		benchmarking.Contains(a) || a == netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// dialControl refuses connections to internal addresses after DNS
// resolution, so a public name that resolves to 127.0.0.1 is refused too.
func dialControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || internalAddr(ap.Addr()) {
		return errPrivateTarget
	}
	return nil
}

// webhookClient copies base (or builds a client), never follows redirects,
// and unless insecure enforces the private-address rule at dial time.
func webhookClient(base *http.Client, insecure bool) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if insecure {
		return c
	}
	guarded := (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: dialControl}).DialContext
	var t *http.Transport
	switch rt := c.Transport.(type) {
	case nil:
		t = http.DefaultTransport.(*http.Transport).Clone()
		// A proxy would hide the real target from the address check.
		t.Proxy = nil
		t.DialContext = guarded
	case *http.Transport:
		t = rt.Clone()
		if t.DialContext == nil {
			t.DialContext = guarded
		} else {
			t.DialContext = checkConnected(t.DialContext)
		}
		if t.DialTLSContext != nil {
			t.DialTLSContext = checkConnected(t.DialTLSContext)
		}
	default:
		return c
	}
	c.Transport = t
	return c
}

// checkConnected wraps a host-supplied dial function: it checks the address
// the connection reached and closes it if internal.
func checkConnected(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		ap, err := netip.ParseAddrPort(conn.RemoteAddr().String())
		if err != nil || internalAddr(ap.Addr()) {
			conn.Close()
			return nil, errPrivateTarget
		}
		return conn, nil
	}
}
