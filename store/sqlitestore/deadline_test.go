package sqlitestore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// TestDeadlineBoundsTheWriterQueue: statements ignore cancellation once
// started (Dialect.Local), but a write waiting for the write connection
// gives up at its deadline, and writes nothing.
func TestDeadlineBoundsTheWriterQueue(t *testing.T) {
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "x.db"), sqlitestore.Options{Keyring: testKeyring})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := st.CreateOrganization(ctx, &store.Organization{ID: "org", Name: "Org", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := st.UpdateOrganization(ctx, "org", func(o *store.Organization) ([]store.Event, error) {
			close(holding)
			<-release // holds the write connection
			return nil, nil
		})
		done <- err
	}()
	<-holding
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err = st.CreateLoginRequest(short, &store.LoginRequest{ID: "req_1", ConnectionID: "conn", Protocol: store.ProtocolSAML, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a write queued past its deadline returned %v, want context.DeadlineExceeded", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := st.ConsumeLoginRequest(ctx, "req_1", store.LoginRequestMatch{}, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the abandoned write was made: %v", err)
	}
}
