package events

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// BenchmarkSubscriber measures delivery through a Subscriber on memstore:
// read, handle, record the cursor, per event.
func BenchmarkSubscriber(b *testing.B) {
	st := memstore.New()
	var delivered atomic.Int64
	sub, err := NewSubscriber(SubscriberConfig{
		Store: st, Name: "bench", PollInterval: time.Millisecond, BatchSize: 500, Logger: quietLogger(),
		Handler: func(context.Context, store.Event) error { delivered.Add(1); return nil },
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = sub.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	const perLoop = 1000
	for b.Loop() {
		want := delivered.Load() + perLoop
		appendEvents(b, st, perLoop, "org_1")
		sub.Notify()
		for delivered.Load() < want {
			time.Sleep(50 * time.Microsecond)
		}
	}
	b.ReportMetric(float64(perLoop*b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkVerify(b *testing.B) {
	body := make([]byte, 2048)
	h := http.Header{}
	ts := time.Unix(vectorTS, 0)
	sig, _ := Sign(vectorSecret, vectorID, ts, body)
	h.Set(HeaderWebhookID, vectorID)
	h.Set(HeaderWebhookTimestamp, strconv.FormatInt(vectorTS, 10))
	h.Set(HeaderWebhookSignature, sig)
	for b.Loop() {
		if err := Verify(vectorSecret, h, body, ts, 0); err != nil {
			b.Fatal(err)
		}
	}
}
