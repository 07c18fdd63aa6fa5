package seal_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/seal"
)

func keyringOf(t *testing.T, ids ...string) seal.Keyring {
	t.Helper()
	var keys []seal.Key
	for _, id := range ids {
		keys = append(keys, seal.Key{ID: id, Secret: []byte(strings.Repeat(id, seal.KeySize)[:seal.KeySize])})
	}
	kr, err := seal.NewAESKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestResealerMovesSecretsAndLogsNoValue(t *testing.T) {
	ctx := t.Context()
	st, err := memstore.NewOptions(memstore.Options{Keyring: keyringOf(t, "a")})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := st.CreateOrganization(ctx, &store.Organization{ID: "org_1", Name: "Org", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateConnection(ctx, &store.Connection{ID: "conn_1", OrgID: "org_1", Protocol: store.ProtocolOIDC, State: store.ConnectionDraft,
		OIDC: &store.OIDCConfig{Issuer: "https://idp.example", ClientID: "c", ClientSecret: "the-client-secret"}, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.Reconfigure(memstore.Options{Keyring: keyringOf(t, "b", "a")}); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	rs, err := seal.NewResealer(seal.ResealerConfig{Store: st, Interval: time.Hour, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- rs.Run(runCtx) }()
	// Run's first pass starts at once; wait for what it logs.
	for !strings.Contains(logs.String(), "resealed=1") {
		select {
		case err := <-done:
			t.Fatalf("Run returned %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Run = %v", err)
	}
	if strings.Contains(logs.String(), "the-client-secret") {
		t.Fatal("the log holds the secret")
	}
	// Key a is no longer needed.
	if err := st.Reconfigure(memstore.Options{Keyring: keyringOf(t, "b")}); err != nil {
		t.Fatal(err)
	}
	c, err := st.GetConnection(ctx, "conn_1")
	if err != nil || c.OIDC.ClientSecret != "the-client-secret" {
		t.Fatalf("after dropping a: %v", err)
	}
	// A record under a dropped key is reported, by id, and not lost.
	if err := st.Reconfigure(memstore.Options{Keyring: keyringOf(t, "c")}); err != nil {
		t.Fatal(err)
	}
	logs.Reset()
	if n, err := rs.Once(ctx); n != 0 || err == nil || !strings.Contains(logs.String(), "conn_1") {
		t.Fatalf("Once without the key: %d, %v\n%s", n, err, logs.String())
	}
}

// syncBuffer is a log sink safe to read while a goroutine writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
func (s *syncBuffer) Reset()         { s.mu.Lock(); defer s.mu.Unlock(); s.b.Reset() }
