package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRun starts the example as main does, twice on the same databases,
// loads the customer list and stops it by cancelling its context.
func TestRun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "app.db")
	for range 2 {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		runCtx, stop := context.WithCancel(ctx)
		outR, outW := io.Pipe()
		done := make(chan error, 1)
		go func() {
			err := run(runCtx, []string{"-addr", "127.0.0.1:0", "-app-db", db, "-onboardkit-db", db + ".onboardkit"}, outW, io.Discard)
			outW.Close()
			done <- err
		}()
		var page string
		sc := bufio.NewScanner(outR)
		for page == "" && sc.Scan() {
			_, page, _ = strings.Cut(sc.Text(), "app: ")
		}
		go io.Copy(io.Discard, outR)
		if page == "" {
			stop()
			t.Fatalf("no page page printed: %v", <-done)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "New customer") {
			t.Errorf("app: status %d", resp.StatusCode)
		}
		stop()
		if err := <-done; err != nil {
			t.Fatalf("run: %v", err)
		}
		cancel()
	}
}
