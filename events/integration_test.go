package events_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/events"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/scimkit/scimsim"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// TestProvisioningEventsReachTheHost provisions a directory through the
// SCIM server, as Entra ID would, while a subscriber and a webhook sender
// run: both see every user change, in cursor order.
func TestProvisioningEventsReachTheHost(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := memstore.New()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := st.CreateOrganization(ctx, &store.Organization{ID: "org_1", Name: "Example", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateDomain(ctx, &store.Domain{ID: "dom_1", OrgID: "org_1", Name: "example.com", State: store.DomainVerified,
		Method: store.DomainManual, VerifiedAt: now, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	scim, err := scimkit.New(scimkit.Config{Store: st, BaseURL: "https://app.example.com/scim", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.StripPrefix("/scim", scim))
	defer hs.Close()
	dir, err := scim.CreateDirectory(ctx, "org_1", scimkit.DirectoryOptions{Provider: "entra", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := scim.CreateToken(ctx, dir.ID, scimkit.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var seen []store.Event
	sub, err := events.NewSubscriber(events.SubscriberConfig{
		Store: st, Name: "host", Types: []string{"directory.user"}, PollInterval: time.Millisecond, Logger: quiet,
		Handler: func(_ context.Context, e store.Event) error {
			mu.Lock()
			seen = append(seen, e)
			mu.Unlock()
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := events.NewWebhookSecret(nil)
	var hooks []events.Envelope
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := events.Verify(secret, r.Header, body, time.Now(), 0); err != nil {
			t.Errorf("webhook does not verify: %v", err)
			w.WriteHeader(400)
			return
		}
		var env events.Envelope
		if err := json.Unmarshal(body, &env); err != nil {
			t.Error(err)
		}
		mu.Lock()
		hooks = append(hooks, env)
		mu.Unlock()
	}))
	defer receiver.Close()
	wh, err := events.NewWebhookSender(events.WebhookConfig{
		Store: st, Name: "webhook:test", URL: receiver.URL, Secret: secret, Types: []string{"directory.user.deactivated"},
		InsecureAllowPrivateTargets: true, PollInterval: time.Millisecond, Logger: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{sub.Run, wh.Run} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = run(runCtx) }()
	}

	c, err := scimsim.New(scimsim.Config{BaseURL: hs.URL + "/scim/" + dir.ID, Token: token, Dialect: scimsim.Entra, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.FullSync(ctx, scimsim.SyncSpec{Users: 20, Groups: 2, Updates: 3, Deactivations: 4})
	if err != nil {
		t.Fatal(err)
	}
	last, _ := st.LastEventCursor(ctx)
	deadline := time.Now().Add(20 * time.Second)
	for {
		c1, _ := st.GetConsumerCursor(ctx, "host")
		c2, _ := st.GetConsumerCursor(ctx, "webhook:test")
		if c1 == last && c2 == last {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumers at %d and %d, outbox at %d", c1, c2, last)
		}
		time.Sleep(2 * time.Millisecond)
	}
	stop()
	wg.Wait()

	counts := map[string]int{}
	for i, e := range seen {
		counts[e.Type]++
		if i > 0 && e.Cursor <= seen[i-1].Cursor {
			t.Fatalf("cursor %d after %d", e.Cursor, seen[i-1].Cursor)
		}
	}
	if counts[scimkit.EventUserCreated] != rep.UsersCreated || counts[scimkit.EventUserDeactivated] != rep.UsersDeactivated || counts[scimkit.EventUserUpdated] < rep.UsersUpdated {
		t.Fatalf("subscriber saw %v for report %+v", counts, rep)
	}
	if len(hooks) != rep.UsersDeactivated {
		t.Fatalf("%d webhooks, want %d", len(hooks), rep.UsersDeactivated)
	}
	for _, h := range hooks {
		if h.Type != scimkit.EventUserDeactivated || h.OrgID != "org_1" || h.Subject == "" {
			t.Fatalf("webhook %+v", h)
		}
	}
}
