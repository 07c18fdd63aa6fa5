package events

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store/memstore"
)

// The test vector published with the Standard Webhooks reference libraries.
const (
	vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTS     = 1614265330
	vectorBody   = `{"test": 2432232314}`
	vectorSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignStandardWebhooksVector(t *testing.T) {
	got, err := Sign(vectorSecret, vectorID, time.Unix(vectorTS, 0), []byte(vectorBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != vectorSig {
		t.Fatalf("Sign = %q, want %q", got, vectorSig)
	}
	// The prefix is optional, as in the reference libraries.
	if got, _ := Sign(strings.TrimPrefix(vectorSecret, "whsec_"), vectorID, time.Unix(vectorTS, 0), []byte(vectorBody)); got != vectorSig {
		t.Fatalf("Sign without prefix = %q", got)
	}
}

func vectorHeader(sig string) http.Header {
	h := http.Header{}
	h.Set(HeaderWebhookID, vectorID)
	h.Set(HeaderWebhookTimestamp, strconv.Itoa(vectorTS))
	h.Set(HeaderWebhookSignature, sig)
	return h
}

func TestVerify(t *testing.T) {
	now := time.Unix(vectorTS, 0)
	otherSecret, _ := NewWebhookSecret(bytes.NewReader(bytes.Repeat([]byte{7}, 32)))
	tests := []struct {
		name      string
		secret    string
		header    http.Header
		body      string
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"valid", vectorSecret, vectorHeader(vectorSig), vectorBody, now, 0, nil},
		{"valid among several", vectorSecret, vectorHeader("v1,bm9wZQ== v1a,xyz " + vectorSig), vectorBody, now, 0, nil},
		{"within tolerance", vectorSecret, vectorHeader(vectorSig), vectorBody, now.Add(4 * time.Minute), 0, nil},
		{"clock behind", vectorSecret, vectorHeader(vectorSig), vectorBody, now.Add(-4 * time.Minute), 0, nil},
		{"tampered body", vectorSecret, vectorHeader(vectorSig), `{"test": 2432232315}`, now, 0, ErrSignature},
		{"body with extra space", vectorSecret, vectorHeader(vectorSig), vectorBody + " ", now, 0, ErrSignature},
		{"wrong secret", otherSecret, vectorHeader(vectorSig), vectorBody, now, 0, ErrSignature},
		{"old timestamp", vectorSecret, vectorHeader(vectorSig), vectorBody, now.Add(6 * time.Minute), 0, ErrTimestamp},
		{"future timestamp", vectorSecret, vectorHeader(vectorSig), vectorBody, now.Add(-6 * time.Minute), 0, ErrTimestamp},
		{"custom tolerance", vectorSecret, vectorHeader(vectorSig), vectorBody, now.Add(2 * time.Minute), time.Minute, ErrTimestamp},
		{"other version only", vectorSecret, vectorHeader("v2," + strings.TrimPrefix(vectorSig, "v1,")), vectorBody, now, 0, ErrSignature},
		{"truncated signature", vectorSecret, vectorHeader(vectorSig[:20]), vectorBody, now, 0, ErrSignature},
		{"missing id", vectorSecret, func() http.Header { h := vectorHeader(vectorSig); h.Del(HeaderWebhookID); return h }(), vectorBody, now, 0, ErrMissingHeaders},
		{"missing signature", vectorSecret, func() http.Header { h := vectorHeader(vectorSig); h.Del(HeaderWebhookSignature); return h }(), vectorBody, now, 0, ErrMissingHeaders},
		{"bad timestamp", vectorSecret, func() http.Header {
			h := vectorHeader(vectorSig)
			h.Set(HeaderWebhookTimestamp, "1614265330.5")
			return h
		}(), vectorBody, now, 0, ErrTimestamp},
		{"id changed", vectorSecret, func() http.Header { h := vectorHeader(vectorSig); h.Set(HeaderWebhookID, "msg_other"); return h }(), vectorBody, now, 0, ErrSignature},
		{"bad secret", "whsec_***", vectorHeader(vectorSig), vectorBody, now, 0, ErrSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.header, []byte(tt.body), tt.now, tt.tolerance)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(vectorID, "1614265330", vectorSig, vectorBody)
	f.Add("", "-1", "v1,", "")
	f.Add("x", "99999999999999999999", "v1,@@ v1", "{}")
	f.Fuzz(func(t *testing.T, id, ts, sig, body string) {
		h := http.Header{}
		h.Set(HeaderWebhookID, id)
		h.Set(HeaderWebhookTimestamp, ts)
		h.Set(HeaderWebhookSignature, sig)
		err := Verify(vectorSecret, h, []byte(body), time.Unix(vectorTS, 0), 0)
		if err == nil && (id != vectorID || body != vectorBody) {
			// Only the genuine message may verify.
			t.Fatalf("forged message verified: id=%q ts=%q sig=%q body=%q", id, ts, sig, body)
		}
	})
}

func TestNewWebhookSecret(t *testing.T) {
	s, err := NewWebhookSecret(nil)
	if err != nil {
		t.Fatal(err)
	}
	key, err := decodeSecret(s)
	if !strings.HasPrefix(s, "whsec_") || err != nil || len(key) != 32 {
		t.Fatalf("secret %q: %v", s, err)
	}
}

// receiver is a webhook endpoint that fails the first attempts and verifies
// every request it accepts.
type receiver struct {
	t        *testing.T
	secret   string
	now      func() time.Time
	mu       sync.Mutex
	failures int // attempts still to fail
	attempts []http.Header
	accepted []Envelope
	bodies   [][]byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.attempts = append(rc.attempts, r.Header.Clone())
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		rc.t.Errorf("unexpected request %s %s", r.Method, r.Header.Get("Content-Type"))
	}
	if err := Verify(rc.secret, r.Header, body, rc.now(), time.Minute); err != nil {
		rc.t.Errorf("received a request that does not verify: %v", err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if rc.failures > 0 {
		rc.failures--
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		rc.t.Errorf("body is not an envelope: %v", err)
	}
	if env.ID != r.Header.Get(HeaderWebhookID) {
		rc.t.Errorf("webhook-id %q differs from the event id %q", r.Header.Get(HeaderWebhookID), env.ID)
	}
	rc.accepted = append(rc.accepted, env)
	rc.bodies = append(rc.bodies, body)
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.accepted)
}

func TestWebhookEndToEnd(t *testing.T) {
	st := memstore.New()
	clock := newClock()
	secret, _ := NewWebhookSecret(nil)
	rc := &receiver{t: t, secret: secret, now: clock.Now, failures: 3}
	srv := httptest.NewServer(rc)
	defer srv.Close()

	evs := appendEvents(t, st, 6, "org_1", "directory.user.created", "directory.user.deactivated")
	ws, err := NewWebhookSender(WebhookConfig{
		Store: st, Name: "webhook:crm", URL: srv.URL + "/hooks/onboardkit", Secret: secret,
		InsecureAllowPrivateTargets: true, Now: clock.Now, PollInterval: time.Millisecond,
		Backoff: Backoff{Initial: time.Millisecond, Max: 2 * time.Millisecond}, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runAsync(t, ws.Run)
	// The receiver counts a delivery before it answers, and the sender
	// records it after: wait for both before stopping the sender.
	waitFor(t, "six deliveries, recorded", func() bool {
		c, _ := st.GetConsumerCursor(context.Background(), "webhook:crm")
		return rc.count() == 6 && c == 6 && ws.Status().Delivered == 6
	})
	stop()

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.attempts) != 9 {
		t.Fatalf("%d attempts, want 9 (3 failures + 6 successes)", len(rc.attempts))
	}
	// The first event was retried with the same webhook-id.
	for i := range 4 {
		if got := rc.attempts[i].Get(HeaderWebhookID); got != evs[0].ID {
			t.Fatalf("attempt %d: webhook-id %q, want %q", i, got, evs[0].ID)
		}
	}
	for i, env := range rc.accepted {
		want := NewEnvelope(evs[i])
		if env.ID != want.ID || env.Cursor != int64(i+1) || env.Type != want.Type || env.OrgID != "org_1" ||
			env.Subject != want.Subject || env.Actor != "scim:dir_1" || string(env.Data) != string(want.Data) || !env.CreatedAt.Equal(want.CreatedAt) {
			t.Fatalf("delivery %d = %+v, want %+v", i, env, want)
		}
		if want, _ := MarshalEvent(evs[i]); !bytes.Equal(rc.bodies[i], want) {
			t.Fatalf("body %d = %s, want %s", i, rc.bodies[i], want)
		}
	}
	if got := rc.attempts[0].Get(HeaderWebhookTimestamp); got != strconv.FormatInt(clock.Now().Unix(), 10) {
		t.Fatalf("timestamp %q is not the configured clock's", got)
	}
	if ua := rc.attempts[0].Get("User-Agent"); ua != "onboardkit-webhooks/1" {
		t.Fatalf("User-Agent %q", ua)
	}
	if c, _ := st.GetConsumerCursor(context.Background(), "webhook:crm"); c != 6 {
		t.Fatalf("cursor %d, want 6", c)
	}
	if s := ws.Status(); s.Failures != 3 || s.Delivered != 6 || !strings.Contains(s.LastError, "503") {
		t.Fatalf("status %+v", s)
	}
}

func TestWebhookFailures(t *testing.T) {
	secret, _ := NewWebhookSecret(nil)
	ev := appendEvents(t, memstore.New(), 1, "org_1")[0]
	var release chan struct{}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		status  int
	}{
		{"server error", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, 500},
		{"client error", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(410) }, 410},
		{"redirect is not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		}, 307},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client leaving
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release = make(chan struct{})
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			defer close(release)
			ws, err := NewWebhookSender(WebhookConfig{
				Store: memstore.New(), Name: "w", URL: srv.URL, Secret: secret,
				InsecureAllowPrivateTargets: true, Timeout: 20 * time.Millisecond, Logger: quietLogger(),
			})
			if err != nil {
				t.Fatal(err)
			}
			err = ws.send(context.Background(), ev)
			var de *DeliveryError
			if !errors.As(err, &de) || de.StatusCode != tt.status {
				t.Fatalf("send = %v, want a DeliveryError with status %d", err, tt.status)
			}
		})
	}
}

func TestNewWebhookSenderValidates(t *testing.T) {
	st := memstore.New()
	secret, _ := NewWebhookSecret(nil)
	short := "whsec_" + base64.StdEncoding.EncodeToString([]byte("short"))
	tests := []struct {
		name string
		cfg  WebhookConfig
	}{
		{"no url", WebhookConfig{Store: st, Name: "w", Secret: secret}},
		{"relative url", WebhookConfig{Store: st, Name: "w", URL: "/hooks", Secret: secret}},
		{"ftp", WebhookConfig{Store: st, Name: "w", URL: "ftp://example.com/x", Secret: secret}},
		{"javascript", WebhookConfig{Store: st, Name: "w", URL: "javascript:alert(1)", Secret: secret}},
		{"loopback", WebhookConfig{Store: st, Name: "w", URL: "http://127.0.0.1:8080/x", Secret: secret}},
		{"loopback v6", WebhookConfig{Store: st, Name: "w", URL: "http://[::1]/x", Secret: secret}},
		{"mapped loopback", WebhookConfig{Store: st, Name: "w", URL: "http://[::ffff:127.0.0.1]/x", Secret: secret}},
		{"private", WebhookConfig{Store: st, Name: "w", URL: "https://10.1.2.3/x", Secret: secret}},
		{"metadata", WebhookConfig{Store: st, Name: "w", URL: "http://169.254.169.254/latest", Secret: secret}},
		{"localhost", WebhookConfig{Store: st, Name: "w", URL: "http://localhost:9000/x", Secret: secret}},
		{"sub.localhost", WebhookConfig{Store: st, Name: "w", URL: "http://app.localhost./x", Secret: secret}},
		{"unspecified", WebhookConfig{Store: st, Name: "w", URL: "http://0.0.0.0/x", Secret: secret}},
		{"no secret", WebhookConfig{Store: st, Name: "w", URL: "https://example.com/x"}},
		{"secret without prefix", WebhookConfig{Store: st, Name: "w", URL: "https://example.com/x", Secret: strings.TrimPrefix(secret, "whsec_")}},
		{"short secret", WebhookConfig{Store: st, Name: "w", URL: "https://example.com/x", Secret: short}},
		{"no name", WebhookConfig{Store: st, URL: "https://example.com/x", Secret: secret}},
		{"no store", WebhookConfig{Name: "w", URL: "https://example.com/x", Secret: secret}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewWebhookSender(tt.cfg); err == nil {
				t.Fatal("accepted a bad config")
			}
		})
	}
	if _, err := NewWebhookSender(WebhookConfig{Store: st, Name: "w", URL: "https://example.com/x", Secret: secret}); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
	if _, err := NewWebhookSender(WebhookConfig{Store: st, Name: "w", URL: "http://127.0.0.1:1/x", Secret: secret, InsecureAllowPrivateTargets: true}); err != nil {
		t.Fatalf("insecure switch ignored: %v", err)
	}
}

// A name that passes the URL check but resolves to loopback is refused when
// the connection is made.
func TestWebhookClientRefusesInternalAddressesAtDial(t *testing.T) {
	var reached atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer srv.Close()

	// Default client: the dialer's Control check.
	if _, err := webhookClient(nil, false).Get(srv.URL); !errors.Is(err, errPrivateTarget) {
		t.Fatalf("default client: %v, want errPrivateTarget", err)
	}
	// Host-supplied transport with its own dialer: checked after connecting.
	host := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{}).DialContext}}
	if _, err := webhookClient(host, false).Get(srv.URL); !errors.Is(err, errPrivateTarget) {
		t.Fatalf("host client: %v, want errPrivateTarget", err)
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("%d requests reached the internal address", n)
	}
	// The insecure switch allows it.
	resp, err := webhookClient(nil, true).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if reached.Load() != 1 {
		t.Fatal("the insecure client did not reach the server")
	}
}

func TestInternalAddr(t *testing.T) {
	tests := []struct {
		addr     string
		internal bool
	}{
		{"127.0.0.1", true}, {"10.0.0.1", true}, {"172.16.5.4", true}, {"192.168.1.1", true},
		{"169.254.169.254", true}, {"100.64.0.1", true}, {"0.0.0.0", true}, {"224.0.0.1", true},
		{"::1", true}, {"fe80::1", true}, {"fd00::1", true}, {"::ffff:10.0.0.1", true},
		{"64:ff9b::7f00:1", true}, {"198.18.0.1", true}, {"255.255.255.255", true},
		{"93.184.216.34", false}, {"2606:4700::1111", false}, {"8.8.8.8", false}, {"64:ff9b::808:808", false},
	}
	for _, tt := range tests {
		if got := internalAddr(netip.MustParseAddr(tt.addr)); got != tt.internal {
			t.Errorf("internalAddr(%s) = %v, want %v", tt.addr, got, tt.internal)
		}
	}
}
